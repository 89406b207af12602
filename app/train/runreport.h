// What pipedream-train prints and writes about a run (app/train/runreport.cpp),
// and the collecting side of a distributed run. Torch-free (pd_train):
// the launcher (--launch) runs without LibTorch.
#pragma once

#include <signal.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/formats/batchlog.h"
#include "engine/schedule/schedule.h"

namespace pd {

class EventCollector;
class Run;

// SIGINT, SIGTERM (kill, systemd, a batch scheduler) and SIGHUP (the
// terminal went away) all ask to cancel the run cleanly while a guard
// lives, so that its partial files are written; the previous handlers come
// back afterwards.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    static int signal();  // the signal that asked to stop, 0 while none

private:
    std::array<struct sigaction, 3> previous_{};
};
const char* signalName(int signal);

// What the header says about where the run happens.
struct RunPlace {
    std::string data;       // the data set's description
    int threads = 1;        // intra-op threads per stage worker
    std::string processes;  // distributed: "4 rank processes over gloo ..."
    // What the data set holds (known where the data was read: threads runs).
    bool dataKnown = false;
    std::string dataName;  // synthetic | mnist | fashion-mnist | text
    std::int64_t trainSamples = 0, heldoutSamples = 0;
    double unigramLoss = 0.0;  // text: nats per character; NaN otherwise
};
void printHeader(const RunOptions& o, const Schedule& schedule, const RunPlace& place,
                 const std::vector<std::string>& names);

// After the run: writes --csv / --trace, prints the --json summary or the
// results table, and says how the run ended on stderr. `collector`: a
// distributed run's (hosts in the trace, clock alignment in the summary).
// Returns the exit status: 0, or 1 when the run failed, was cancelled or a
// file could not be written.
int reportRun(const RunOptions& options, const Schedule& schedule,
              const std::vector<std::string>& names, CollectingSink& sink,
              const EventCollector* collector, const RunPlace* place = nullptr);

// The collecting side of a distributed run (--launch, or rank 0 under
// torchrun): prints the header and the log as merged batches arrive (SIGINT
// cancels every rank), then reportRun. `run` (the launcher's) is started and
// waited for; otherwise the collector is.
int superviseCollectedRun(const RunOptions& options, EventCollector& collector,
                          CollectingSink& sink, Run* run);

// pipedream-train --backend gloo --launch: the S ranks as local processes,
// their output forwarded with a rank prefix; the worst exit status wins.
// Throws ConfigError for bad input.
int runLaunched(const RunOptions& options);

}  // namespace pd
