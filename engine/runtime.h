// Real staged training with LibTorch: one worker per stage executing the
// schedule's action lists, with real weight versions. This header has no
// torch types (pimpl) so that ui/ and app/ can include it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "events.h"
#include "options.h"

namespace pd {

class TrainingRun {
public:
    // Throws ConfigError when the options are invalid. Nothing runs yet.
    TrainingRun(const RunOptions& options, EventSink& sink);
    ~TrainingRun();  // cancels and joins every worker
    TrainingRun(const TrainingRun&) = delete;
    TrainingRun& operator=(const TrainingRun&) = delete;

    const Schedule& schedule() const;
    std::vector<LayerRange> layerSplit() const;  // per model part

    void start();  // starts the workers and returns at once
    // Control; thread-safe; takes effect at the next action boundary.
    void pause();
    void resume();
    void stepSlot();   // while paused: every stage may run one more action
    void stepBatch();  // while paused: run until the current batch finishes
    void cancel();     // returns after the workers stopped
    bool paused() const;

    // Blocks until the run finished (or the timeout passed); true if finished.
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
    bool finished() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pd
