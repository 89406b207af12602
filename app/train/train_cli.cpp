// pipedream-train's training mode (app/train/train_cli.h): a threaded run
// supervised here, or this process's rank of a distributed run
// (engine/distributed/rank.cpp); what is printed and written lives in runreport.cpp.
#include "app/train/train_cli.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "app/train/runreport.h"
#include "engine/base/safefile.h"
#include "engine/config/report.h"
#include "engine/distributed/rank.h"
#include "engine/formats/batchlog.h"
#include "engine/formats/trace.h"
#include "engine/run/profiler.h"
#include "engine/run/runtime.h"

namespace pd {

namespace {

// Waits for the run, printing the log as batches complete, and cancels it
// on SIGINT, SIGTERM or SIGHUP.
void superviseRun(TrainingRun& run, CollectingSink& sink, BatchLog* log) {
    InterruptGuard guard;
    run.start();
    bool cancelRequested = false;
    while (!run.wait(std::chrono::milliseconds(50))) {
        const int signal = InterruptGuard::signal();
        if (signal && !cancelRequested) {
            cancelRequested = true;
            std::fprintf(stderr, "interrupted by %s: cancelling the run\n", signalName(signal));
            run.cancel();
        }
        if (log) log->printReady(sink, false);
    }
    if (log) log->printReady(sink, true);
}

}  // namespace

int profileCli(RunOptions& options) {
    if (!options.profileOut.empty()) checkWritable(options.profileOut);
    const bool log = !options.json && !isStdoutPath(options.csvPath) &&
                     !isStdoutPath(options.tracePath) && !isStdoutPath(options.profileOut);
    const auto t0 = std::chrono::steady_clock::now();
    LayerProfile profile = profileLayers(options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!options.profileOut.empty()) writeProfile(options.profileOut, profile);
    if (log) {
        std::printf("%sProfiled %zu layers in %.1f s%s%s\n\n", formatProfile(profile).c_str(),
                    profile.layers.size(), seconds,
                    options.profileOut.empty() ? "" : "; written to ", options.profileOut.c_str());
        std::fflush(stdout);
    }
    adoptProfile(options, std::move(profile));
    return 0;
}

int runTrainingCli(const RunOptions& options) {
    checkRunOptions(options);
    // Before training, not after it: the output files can be written.
    for (const std::string* path : {&options.csvPath, &options.tracePath}) checkWritable(*path);

    if (options.backend != "threads")
        return options.launch ? runLaunched(options)
                              : runRank(options, [](const RunOptions& o, EventCollector& collector,
                                                    CollectingSink& sink) {
                                    return superviseCollectedRun(o, collector, sink, nullptr);
                                });

    CollectingSink sink;
    TrainingRun run(options, sink);  // throws ConfigError on bad options
    const Schedule& schedule = run.schedule();
    const std::vector<std::string> names = stageNames(options);
    // Output piped to stdout takes stdout for itself: no log, no table.
    const bool quiet = isStdoutPath(options.csvPath) || isStdoutPath(options.tracePath);
    const bool log = !options.json && !quiet;
    const DataInfo info = run.dataInfo();
    RunPlace place;
    place.data = run.dataDescription();
    place.threads = run.threadsPerWorker();
    place.dataKnown = true;
    place.dataName = info.name;
    place.trainSamples = info.trainSamples;
    place.heldoutSamples = info.heldoutSamples;
    place.unigramLoss = info.unigramLoss;
    // The run's own options: --epochs resolved into batches.
    RunOptions resolved = options;
    resolved.schedule.batches = schedule.config.batches;
    if (log) printHeader(resolved, schedule, place, names);
    BatchLog batchLog(schedule, names, options.batchSize);
    superviseRun(run, sink, log ? &batchLog : nullptr);
    return reportRun(resolved, schedule, names, sink, nullptr, &place);
}

}  // namespace pd
