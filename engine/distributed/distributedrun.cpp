// DistributedRun: a Run (run.h) whose stages are processes; the collector
// does the events and the control, LocalRanks the processes.
#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <optional>

#include "engine/distributed/distributed.h"

namespace pd {

namespace {

constexpr auto kCancelGrace = std::chrono::seconds(5);     // ranks stopping on their own
constexpr auto kExitGrace = std::chrono::seconds(3);       // ranks exiting after done
constexpr auto kTerminateGrace = std::chrono::seconds(3);  // after SIGTERM

// The address the local ranks reach the collector at.
std::string reachable(const std::string& listenHost) {
    return listenHost == "0.0.0.0" || listenHost == "::" || listenHost.empty() ? "127.0.0.1"
                                                                               : listenHost;
}

// A directory only this user can enter (mkdtemp: mode 0700), removed with
// what is in it.
class PrivateDir {
public:
    PrivateDir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/pipedream-run-XXXXXX";
        if (::mkdtemp(pattern.data())) path_ = pattern;
    }
    ~PrivateDir() {
        if (path_.empty()) return;
        if (DIR* d = ::opendir(path_.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const std::string name = e->d_name;
                if (name != "." && name != "..") ::unlink((path_ + "/" + name).c_str());
            }
            ::closedir(d);
        }
        ::rmdir(path_.c_str());
    }
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

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
    // Once the collector finished: when, and how far the children still
    // running have been pushed (0 none, 1 SIGTERM, 2 SIGKILL).
    std::optional<std::chrono::steady_clock::time_point> finishedAt;
    int pushed = 0;
    std::vector<int> statuses;
    // LocalProcesses: the rendezvous is a file in here (c10d FileStore),
    // reachable by nobody else, instead of a TCP store on every interface.
    std::unique_ptr<PrivateDir> storeDir;
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
    // The run is over: children that still run after kExitGrace get
    // SIGTERM, after kTerminateGrace more SIGKILL (a suspended or hung rank
    // never keeps the launcher or the window waiting).
    void pushStragglers() {
        const auto now = std::chrono::steady_clock::now();
        int step = 0;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (!started || !local() || reaped) return;
            if (!finishedAt) finishedAt = now;
            if (pushed == 0 && now - *finishedAt >= kExitGrace)
                step = pushed = 1;
            else if (pushed == 1 && now - *finishedAt >= kExitGrace + kTerminateGrace)
                step = pushed = 2;
        }
        if (step == 1) ranks.terminate();
        if (step == 2) ranks.kill();
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
    checkRunOptions(o);
    if (impl_->local() && impl_->setup.executable.empty())
        impl_->setup.executable = trainExecutable();
    impl_->lastError.assign(o.schedule.stages, std::string());
    impl_->collector.setConnectTimeout(std::chrono::seconds(o.rendezvousTimeoutS));
    if (impl_->local()) impl_->collector.expect(o.schedule.stages, o);
    // A secret for this run only (for Attach: this listening session's).
    std::string& secret = impl_->setup.secret;
    if (o.noSecret)
        secret.clear();
    else if (secret.empty())
        secret = newRunSecret();
    impl_->collector.setSecret(secret);
    try {
        impl_->collector.listen(setup.listenHost, setup.listenPort);
    } catch (const Error& e) {
        throw ConfigError(e.what());  // the port or host given: the run's options
    }
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
    d.storeDir = std::make_unique<PrivateDir>();
    std::vector<std::string> environment;
    if (!d.storeDir->path().empty())
        environment.push_back(std::string(kStoreFileVariable) + "=" + d.storeDir->path() +
                              "/store");
    // The secret in the environment, never in argv (ps shows argv to every
    // user); the ranks take it from there.
    std::vector<std::string> args = toArgs(o);
    if (o.noSecret)
        args.push_back("--no-secret");
    else
        environment.push_back(std::string(kSecretVariable) + "=" + d.setup.secret);
    d.ranks.setEnvironment(std::move(environment));
    const std::string events =
        reachable(d.setup.listenHost) + ":" + std::to_string(d.collector.port());
    try {
        d.ranks.start(d.setup.executable, args, world, o.backend, "127.0.0.1",
                      freePort("127.0.0.1"), events,
                      [&d](int rank, bool isError, const std::string& line) {
                          d.output(rank, isError, line);
                      });
    } catch (const Error& e) {
        for (int r = 0; r < world; ++r) d.collector.markLost(r, e.what());
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
    // Ranks that are connected stop on their own; ranks that never
    // connected cannot hear the cancel.
    bool anyConnected = false;
    for (const EventCollector::RankInfo& r : d.collector.ranks())
        anyConnected = anyConnected || r.connected;
    if (!anyConnected) d.ranks.terminate();
    if (!d.reapFor(kCancelGrace)) {
        d.ranks.terminate();
        if (!d.reapFor(kTerminateGrace)) {
            d.ranks.kill();
            d.reapFor(kTerminateGrace);
        }
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
        while (!d.reapFor(std::chrono::milliseconds(100))) d.pushStragglers();
        return true;
    }
    const auto until = std::chrono::steady_clock::now() + timeout;
    if (!d.collector.wait(timeout)) return false;
    d.pushStragglers();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    return d.reapFor(std::max(left, std::chrono::milliseconds(0)));
}

bool DistributedRun::finished() const {
    return impl_->collector.finished() && impl_->reapFor(std::chrono::milliseconds(0));
}

const std::string& DistributedRun::secret() const {
    return impl_->setup.secret;
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
