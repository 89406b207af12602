// One rank of a distributed run (pipedream-train --backend gloo|nccl
// without --launch): this process runs one pipeline stage, meets the other
// ranks at rank 0's rendezvous store (rankstore.h; torchrun's own TCPStore
// under torchrun's agent),
// exchanges activations and gradients with them over a c10d process group
// and streams its events to the run's collector. Torch-free header.
#pragma once

#include <functional>
#include <string>

#include "engine/config/options.h"

namespace pd {

class CollectingSink;
class EventCollector;

// Rank 0 without --events hosts the collector; this watches the whole run
// through it (prints the log, writes the files) and returns the exit status.
// pipedream-train passes its own (app/train/runreport.h superviseCollectedRun).
using SuperviseCollected = std::function<int(const RunOptions&, EventCollector&, CollectingSink&)>;

// Runs this process's rank; rank settings unset in `options` come from
// torchrun's environment. Without --events, rank 0 also hosts the collector
// and `supervise` prints the log, the results and writes --csv / --trace /
// --json for every rank. Returns the exit status (1: the run failed); throws
// ConfigError for bad input and failed rendezvous (exit status 2).
int runRank(RunOptions options, const SuperviseCollected& supervise);

}  // namespace pd
