// The ideal schedule "run": the simulator's timeline played as engine events
// on a thread of its own, through the same EventSink and the same controls
// as TrainingRun (run.h): started paused it waits at slot 0, steps by the
// schedule's slots and batches, and runs to the end at once when resumed
// (pacing is the viewer's business: the UI's cursor plays a run at a chosen
// number of slots per second). Event times: one simulator unit (a stage's
// forward) = 1000 us. Loss is NaN; memory bytes are estimates from the
// model shape. Plain C++: no Qt, no torch.
#pragma once

#include <chrono>
#include <memory>

#include "engine/run/run.h"

namespace pd {

class SimulatedRun : public Run {
public:
    // Throws ConfigError on invalid options.
    SimulatedRun(const RunOptions& options, EventSink& sink);
    ~SimulatedRun() override;  // cancels and joins
    SimulatedRun(const SimulatedRun&) = delete;
    SimulatedRun& operator=(const SimulatedRun&) = delete;

    void start() override;
    void pause() override;
    void resume() override;
    void stepSlot() override;
    void stepBatch() override;
    void cancel() override;
    bool paused() const override;
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) override;
    bool finished() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pd
