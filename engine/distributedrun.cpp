// DistributedRun: a Run (run.h) whose stages are processes; the collector
// does the events and the control, LocalRanks the processes.
#include <mutex>

#include "distributed.h"

namespace pd {

namespace {

constexpr auto kCancelGrace = std::chrono::seconds(5);     // ranks stopping on their own
constexpr auto kExitGrace = std::chrono::seconds(10);      // ranks exiting after done
constexpr auto kTerminateGrace = std::chrono::seconds(3);  // after SIGTERM

// The address the local ranks reach the collector at.
std::string reachable(const std::string& listenHost) {
    return listenHost == "0.0.0.0" || listenHost == "::" || listenHost.empty() ? "127.0.0.1"
                                                                               : listenHost;
}

}  // namespace

struct DistributedRun::Impl {
    Impl(const RunOptions& o, EventSink& sink, const Setup& s)
        : options(o), setup(s), collector(sink) {}

    RunOptions options;
    Setup setup;
    std::mutex mutex;
    std::vector<std::string> lastError;  // per rank: its last "error:" line
    bool started = false;
    bool reaped = false;
    std::vector<int> statuses;
    // Last, so destroyed first: the launcher's threads call into the
    // members above and into the collector, which outlives it.
    EventCollector collector;
    LocalRanks ranks;

    bool local() const { return setup.mode == Setup::LocalProcesses; }
    void output(int rank, bool isError, const std::string& line) {
        if (line.find("error:") != std::string::npos) {
            const std::string prefix = "[rank " + std::to_string(rank) + "] ";
            const std::string text = line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
            std::lock_guard<std::mutex> lock(mutex);
            if (rank >= 0 && static_cast<std::size_t>(rank) < lastError.size())
                lastError[rank] = text;
        }
        if (setup.output) setup.output(rank, isError, line);
    }
    void exited(int rank, int status) {
        std::string why = status == 0 ? "the process exited (status 0) before it said done"
                                      : "the process exited with status " + std::to_string(status);
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (static_cast<std::size_t>(rank) < lastError.size() && !lastError[rank].empty())
                why += " (" + lastError[rank] + ")";
        }
        collector.markLost(rank, why);
    }
    bool reapFor(std::chrono::milliseconds timeout) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (!started || !local() || reaped) return true;
        }
        if (!ranks.waitFor(timeout)) return false;
        std::vector<int> s = ranks.wait();
        std::lock_guard<std::mutex> lock(mutex);
        statuses = std::move(s);
        reaped = true;
        return true;
    }
};

DistributedRun::DistributedRun(const RunOptions& options, EventSink& sink, const Setup& setup)
    : impl_(std::make_unique<Impl>(options, sink, setup)) {
    RunOptions& o = impl_->options;
    if (o.backend == "threads") o.backend = "gloo";  // one process per stage
    if (const std::string error = checkRunOptions(o); !error.empty()) throw ConfigError(error);
    if (impl_->local() && impl_->setup.executable.empty())
        impl_->setup.executable = trainExecutable();
    impl_->lastError.assign(o.schedule.stages, std::string());
    impl_->collector.setConnectTimeout(std::chrono::seconds(o.rendezvousTimeoutS));
    if (impl_->local()) impl_->collector.expect(o.schedule.stages, o);
    std::string error;
    if (!impl_->collector.listen(setup.listenHost, setup.listenPort, error))
        throw ConfigError(error);
}

DistributedRun::~DistributedRun() {
    if (!finished()) cancel();
}

void DistributedRun::start() {
    Impl& d = *impl_;
    {
        std::lock_guard<std::mutex> lock(d.mutex);
        if (d.started || !d.local()) return;
        d.started = true;
    }
    const RunOptions& o = d.options;
    const int world = o.schedule.stages;
    // The connect timeout counts from the spawn, not from the construction.
    d.collector.expect(world, o);
    d.ranks.setOnExit([&d](int rank, int status) { d.exited(rank, status); });
    const std::string events =
        reachable(d.setup.listenHost) + ":" + std::to_string(d.collector.port());
    std::string error;
    const bool ok = d.ranks.start(
        d.setup.executable, toArgs(o), world, o.backend, "127.0.0.1", freePort("127.0.0.1"), events,
        [&d](int rank, bool isError, const std::string& line) { d.output(rank, isError, line); },
        error);
    if (!ok) {
        for (int r = 0; r < world; ++r) d.collector.markLost(r, error);
    }
}

void DistributedRun::pause() {
    impl_->collector.pause();
}
void DistributedRun::resume() {
    impl_->collector.resume();
}
void DistributedRun::stepSlot() {
    impl_->collector.stepSlot();
}
void DistributedRun::stepBatch() {
    impl_->collector.stepBatch();
}

void DistributedRun::cancel() {
    Impl& d = *impl_;
    d.collector.cancel();
    if (!d.reapFor(kCancelGrace)) {
        d.ranks.terminate();
        d.reapFor(kTerminateGrace);  // still running: the LocalRanks destructor kills them
    }
    d.collector.wait(kTerminateGrace);
}

bool DistributedRun::paused() const {
    return impl_->collector.paused();
}

bool DistributedRun::wait(std::chrono::milliseconds timeout) {
    Impl& d = *impl_;
    if (timeout == std::chrono::milliseconds::max()) {
        d.collector.wait();
        if (!d.reapFor(kExitGrace)) {  // done, yet hanging on (a stuck process group)
            d.ranks.terminate();
            d.reapFor(std::chrono::milliseconds::max());
        }
        return true;
    }
    const auto until = std::chrono::steady_clock::now() + timeout;
    if (!d.collector.wait(timeout)) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    return d.reapFor(std::max(left, std::chrono::milliseconds(0)));
}

bool DistributedRun::finished() const {
    return impl_->collector.finished() && impl_->reapFor(std::chrono::milliseconds(0));
}

EventCollector& DistributedRun::collector() {
    return impl_->collector;
}

int DistributedRun::port() const {
    return impl_->collector.port();
}

int DistributedRun::exitStatus() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return LocalRanks::worst(impl_->statuses);
}

}  // namespace pd
