// The one control surface of everything that produces a run's events on
// threads of its own: the real pipeline (TrainingRun), the ideal schedule
// played as events (SimulatedRun) and a schedule comparison
// (ComparisonJob). The UI's EngineController drives any of them the same way.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "engine/config/options.h"
#include "engine/schedule/events.h"

namespace pd {

class Run {
public:
    virtual ~Run() = default;  // implementations cancel and join

    virtual void start() = 0;  // starts the threads and returns at once
    // Control; thread-safe; takes effect at the next action boundary. While
    // paused, stepSlot lets every action of the next slot of the schedule's
    // grid run (slotgrid.h), stepBatch every action up to the next batch
    // boundary. pause() before start() starts the run paused at slot 0.
    virtual void pause() = 0;
    virtual void resume() = 0;
    virtual void stepSlot() = 0;
    virtual void stepBatch() = 0;
    virtual void cancel() = 0;  // returns after the threads stopped
    virtual bool paused() const = 0;
    // Blocks until the run finished (or the timeout passed); true if finished.
    virtual bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) = 0;
    virtual bool finished() const = 0;
};

// Makes the run of `options` that reports to `sink`; throws ConfigError.
using RunFactory = std::function<std::unique_ptr<Run>(const RunOptions&, EventSink&)>;

}  // namespace pd
