// A run made off the calling thread: building a TrainingRun builds the model
// and the data set, which for a large configuration takes seconds, so the
// UI never does it on its own thread. start() makes the run with the factory
// on a thread of its own and starts it there; control calls made before it
// exists (pause, steps, cancel) are kept and applied in order. A failure to
// make it reaches the sink as an error and a finished (failed) summary.
// cancel() returns at once even while the run is still being made: the maker
// thread then drops it unstarted.
#pragma once

#include <memory>

#include "engine/run/run.h"

namespace pd {

class AsyncRun : public Run {
public:
    AsyncRun(RunFactory factory, RunOptions options, std::shared_ptr<EventSink> sink);
    ~AsyncRun() override;  // cancels

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
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace pd
