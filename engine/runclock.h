// The run's clock: steady-clock microseconds from time zero, standing still
// while the run is paused and no action executes. A stepped or paused run
// thus records training time only: its figures (makespan, utilization,
// samples/s) equal those of a run left to run freely, up to noise.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace pd {

class RunClock {
public:
    using Clock = std::chrono::steady_clock;

    void startAt(Clock::time_point t0) {
        std::lock_guard<std::mutex> lock(mutex_);
        t0_ = t0;
        stoppedAt_ = t0;
        stoppedUs_ = 0;
        if (running()) stoppedAt_ = {};
    }
    std::int64_t nowUs() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return at(Clock::now());
    }
    // Paused microseconds so far (device times are shifted by it).
    std::int64_t stoppedUs() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return stoppedUs_ + (running() ? 0 : us(Clock::now() - stoppedAt_));
    }
    void setPaused(bool paused) { change([&] { paused_ = paused; }); }
    // An action begins / ends executing (between them the clock runs).
    void beginAction() { change([&] { ++executing_; }); }
    void endAction() { change([&] { --executing_; }); }

private:
    static std::int64_t us(Clock::duration d) {
        return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    }
    bool running() const { return !paused_ || executing_ > 0; }
    std::int64_t at(Clock::time_point t) const {
        const auto end = running() ? t : stoppedAt_;
        return us(end - t0_) - stoppedUs_;
    }
    template <typename F>
    void change(F&& f) {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool was = running();
        f();
        const bool is = running();
        const auto now = Clock::now();
        if (was && !is) stoppedAt_ = now;
        if (!was && is) stoppedUs_ += us(now - stoppedAt_);
    }

    mutable std::mutex mutex_;
    Clock::time_point t0_ = Clock::now();
    Clock::time_point stoppedAt_ = t0_;
    std::int64_t stoppedUs_ = 0;
    bool paused_ = false;
    int executing_ = 0;
};

}  // namespace pd
