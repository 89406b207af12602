#include "engine/run/asyncrun.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace pd {

enum class Control { Pause, Resume, StepSlot, StepBatch };

// Shared by the AsyncRun and its maker thread, which may outlive it after a
// cancel (the thread holds its own reference, and one to the sink).
struct AsyncRun::State {
    RunFactory factory;
    RunOptions options;
    std::shared_ptr<EventSink> sink;

    mutable std::mutex mutex;
    std::condition_variable made;
    std::unique_ptr<Run> run;      // once made
    std::vector<Control> pending;  // calls made before it existed
    bool paused = false;
    bool cancelled = false;
    bool failed = false;  // making it failed
    bool started = false;

    void make();
    void apply(Control c) {  // mutex held, run exists
        switch (c) {
            case Control::Pause:
                run->pause();
                break;
            case Control::Resume:
                run->resume();
                break;
            case Control::StepSlot:
                run->stepSlot();
                break;
            case Control::StepBatch:
                run->stepBatch();
                break;
        }
    }
    void control(Control c) {
        std::lock_guard<std::mutex> lock(mutex);
        if (c == Control::Pause) paused = true;
        if (c == Control::Resume) paused = false;
        if (run)
            apply(c);
        else
            pending.push_back(c);
    }
};

void AsyncRun::State::make() {
    std::unique_ptr<Run> made_;
    std::string error;
    try {
        made_ = factory(options, *sink);
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown error";
    }
    std::unique_lock<std::mutex> lock(mutex);
    if (cancelled) return;  // dropped unstarted (outside the lock: the run's destructor)
    if (!made_) {
        failed = true;
        lock.unlock();
        RunSummary summary;
        summary.failed = true;
        sink->onError(error);
        sink->onFinished(summary);
        made.notify_all();
        return;
    }
    run = std::move(made_);
    for (Control c : pending) apply(c);
    pending.clear();
    run->start();
    made.notify_all();
}

AsyncRun::AsyncRun(RunFactory factory, RunOptions options, std::shared_ptr<EventSink> sink)
    : state_(std::make_shared<State>()) {
    state_->factory = std::move(factory);
    state_->options = std::move(options);
    state_->sink = std::move(sink);
}

AsyncRun::~AsyncRun() {
    cancel();
}

void AsyncRun::start() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        if (state_->started) return;
        state_->started = true;
    }
    std::thread([state = state_] { state->make(); }).detach();
}

void AsyncRun::pause() {
    state_->control(Control::Pause);
}
void AsyncRun::resume() {
    state_->control(Control::Resume);
}
void AsyncRun::stepSlot() {
    state_->control(Control::StepSlot);
}
void AsyncRun::stepBatch() {
    state_->control(Control::StepBatch);
}

void AsyncRun::cancel() {
    std::unique_ptr<Run> run;
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->cancelled = true;
        run = std::move(state_->run);
        state_->made.notify_all();
    }
    if (run) run->cancel();  // joins its workers; the maker thread is done with it
}

bool AsyncRun::paused() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->paused;
}

bool AsyncRun::wait(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(state_->mutex);
    auto ready = [&] { return state_->run || state_->failed || state_->cancelled; };
    if (timeout == std::chrono::milliseconds::max())
        state_->made.wait(lock, ready);
    else if (!state_->made.wait_until(lock, until, ready))
        return false;
    if (!state_->run) return true;
    Run* run = state_->run.get();
    lock.unlock();
    // The run stays owned by the state until cancel(): waiting on it is safe
    // as long as nobody cancels concurrently, as with any Run.
    if (timeout == std::chrono::milliseconds::max()) return run->wait();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    return run->wait(std::max(left, std::chrono::milliseconds(0)));
}

bool AsyncRun::finished() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->failed) return true;
    return state_->run && state_->run->finished();
}

}  // namespace pd
