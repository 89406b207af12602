// The ideal schedule "run" used when the binary has no training engine (or
// when asked for): the simulator's timeline replayed as engine events, on
// its own thread and at a watchable pace, through the same EventSink and
// with the same controls as TrainingRun (pause, step slot, step batch,
// cancel). Loss is left empty (NaN); memory bytes are estimates from the
// model shape. Plain C++: no Qt, no torch.
#pragma once

#include <chrono>
#include <memory>

#include "events.h"
#include "options.h"

namespace pd {

class SimulatedRun {
public:
    // `wallMsPerUnit`: wall-clock milliseconds per simulator time unit (one
    // forward of a stage). Event times use 1 unit = 1000 us. Throws
    // ConfigError on invalid options.
    SimulatedRun(const RunOptions& options, EventSink& sink, double wallMsPerUnit = 40.0);
    ~SimulatedRun();  // cancels and joins
    SimulatedRun(const SimulatedRun&) = delete;
    SimulatedRun& operator=(const SimulatedRun&) = delete;

    void start();
    void pause();
    void resume();
    void stepSlot();   // while paused: finish the next time step
    void stepBatch();  // while paused: run until the current batch finishes
    void cancel();
    bool paused() const;
    void setPace(double wallMsPerUnit);  // thread-safe, takes effect at once

    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
    bool finished() const;

    // Number of events the run will emit in total (tests).
    std::size_t eventCount() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pd
