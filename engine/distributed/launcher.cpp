// LocalRanks: the rank processes of a local distributed run, and where
// pipedream-train lives. One thread forks the children and reaps them (it
// must outlive them: PR_SET_PDEATHSIG fires when the thread that forked
// exits, not the process), one thread forwards their output.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "engine/base/safefile.h"
#include "engine/distributed/distributed.h"

namespace pd {

namespace {

constexpr auto kReapEvery = std::chrono::milliseconds(20);
// Output a child's own children still hold open after it exited.
constexpr auto kOutputGrace = std::chrono::seconds(1);
constexpr auto kKillGrace = std::chrono::seconds(2);

int statusOf(int raw) {
    if (WIFEXITED(raw)) return WEXITSTATUS(raw);
    if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
    return 1;
}

}  // namespace

struct LocalRanks::Impl {
    struct Child {
        pid_t pid = -1;
        int fds[2] = {-1, -1};   // read ends of stdout, stderr
        std::string partial[2];  // an unfinished line of each
        bool reaped = false;
        bool reported = false;  // reaped, output drained, onExit called
        int status = -1;
        std::chrono::steady_clock::time_point reapedAt;
    };
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Child> children;
    std::thread runner;
    std::thread reader;
    Output output;
    ExitHandler onExit;
    std::vector<std::string> environment;  // NAME=VALUE added to the children's
    bool started = false;
    bool stopReading = false;

    bool outputOpen(const Child& c) const { return c.fds[0] >= 0 || c.fds[1] >= 0; }
    bool allReported() const {
        for (const Child& c : children)
            if (!c.reported) return false;
        return true;
    }
    // Forks and execs every rank; Error for the first that cannot start.
    void spawn(const std::string& executable, const std::vector<std::vector<std::string>>& argvs);
    void reapLoop();
    void readLoop();
    void forward(int rank, int stream, const char* data, std::size_t n, bool eof);
};

void LocalRanks::Impl::spawn(const std::string& executable,
                             const std::vector<std::vector<std::string>>& argvs) {
    const pid_t parent = getpid();
    // The environment is made before fork: only async-signal-safe calls after it.
    std::vector<std::string> env = environment;
    for (char** e = environ; e && *e; ++e) {
        const std::string var = *e;
        const std::string name = var.substr(0, var.find('='));
        bool replaced = false;
        for (const std::string& x : environment) replaced = replaced || x.rfind(name + "=", 0) == 0;
        if (!replaced) env.push_back(var);
    }
    std::vector<char*> envp;
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    for (std::size_t r = 0; r < argvs.size(); ++r) {
        std::vector<char*> argv;
        for (const std::string& a : argvs[r]) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int out[2] = {-1, -1}, err[2] = {-1, -1}, exec[2] = {-1, -1};
        if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
            pipe2(exec, O_CLOEXEC) != 0) {
            const std::string why = std::string("cannot create a pipe: ") + std::strerror(errno);
            for (int fd : {out[0], out[1], err[0], err[1]})
                if (fd >= 0) ::close(fd);
            throw Error(why);
        }
        const pid_t pid = fork();
        if (pid == 0) {  // only async-signal-safe calls until exec
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) _exit(128 + SIGTERM);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            signal(SIGPIPE, SIG_DFL);
            dup2(out[1], 1);
            dup2(err[1], 2);
            execve(executable.c_str(), argv.data(), envp.data());
            const int e = errno;
            [[maybe_unused]] const auto n = ::write(exec[1], &e, sizeof e);
            _exit(127);
        }
        const int forkErr = errno;
        ::close(out[1]);
        ::close(err[1]);
        ::close(exec[1]);
        int execErr = 0;
        ssize_t n = 0;
        if (pid > 0) {
            do {
                n = ::read(exec[0], &execErr, sizeof execErr);
            } while (n < 0 && errno == EINTR);
        }
        ::close(exec[0]);
        Child child;
        child.pid = pid;
        child.fds[0] = out[0];
        child.fds[1] = err[0];
        if (pid > 0 && n > 0) {  // exec failed: the child exits at once, with 127
            int raw = 0;
            while (waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
            }
            child.reaped = true;
            child.status = statusOf(raw);
            child.reapedAt = std::chrono::steady_clock::now();
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (pid > 0) children.push_back(child);
        }
        if (pid < 0) {
            ::close(out[0]);
            ::close(err[0]);
            throw Error(std::string("cannot start a process: ") + std::strerror(forkErr));
        }
        if (n > 0)
            throw Error("cannot run '" + printable(executable) + "': " + std::strerror(execErr));
    }
}

void LocalRanks::Impl::reapLoop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!allReported()) {
        for (std::size_t r = 0; r < children.size(); ++r) {
            Child& c = children[r];
            if (!c.reaped) {
                int raw = 0;
                if (waitpid(c.pid, &raw, WNOHANG) == c.pid) {
                    c.reaped = true;
                    c.status = statusOf(raw);
                    c.reapedAt = std::chrono::steady_clock::now();
                }
            }
            if (c.reaped && !c.reported &&
                (!outputOpen(c) || std::chrono::steady_clock::now() > c.reapedAt + kOutputGrace)) {
                const int status = c.status;
                if (onExit) {  // before wait() may return: its effects come first
                    lock.unlock();
                    onExit(static_cast<int>(r), status);
                    lock.lock();
                }
                children[r].reported = true;
                changed.notify_all();
            }
        }
        changed.wait_for(lock, kReapEvery);
    }
    stopReading = true;
    changed.notify_all();
}

void LocalRanks::Impl::forward(int rank, int stream, const char* data, std::size_t n, bool eof) {
    std::string& partial = children[rank].partial[stream];  // only this thread touches it
    partial.append(data, n);
    std::size_t start = 0;
    for (;;) {
        const auto nl = partial.find('\n', start);
        if (nl == std::string::npos) break;
        if (output)
            output(rank, stream == 1,
                   "[rank " + std::to_string(rank) + "] " + partial.substr(start, nl - start));
        start = nl + 1;
    }
    partial.erase(0, start);
    if (eof && !partial.empty()) {
        if (output) output(rank, stream == 1, "[rank " + std::to_string(rank) + "] " + partial);
        partial.clear();
    }
}

void LocalRanks::Impl::readLoop() {
    for (;;) {
        std::vector<pollfd> polled;
        std::vector<std::pair<int, int>> who;  // rank, stream
        {
            std::lock_guard<std::mutex> lock(mutex);
            for (std::size_t r = 0; r < children.size(); ++r)
                for (int s = 0; s < 2; ++s)
                    if (children[r].fds[s] >= 0) {
                        polled.push_back({children[r].fds[s], POLLIN, 0});
                        who.emplace_back(static_cast<int>(r), s);
                    }
            if (polled.empty() || stopReading) break;
        }
        if (::poll(polled.data(), polled.size(), 100) <= 0) continue;
        for (std::size_t i = 0; i < polled.size(); ++i) {
            if (!polled[i].revents) continue;
            char buffer[4096];
            const ssize_t n = ::read(polled[i].fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            const auto [rank, stream] = who[i];
            forward(rank, stream, buffer, n > 0 ? static_cast<std::size_t>(n) : 0, n <= 0);
            if (n <= 0) {
                std::lock_guard<std::mutex> lock(mutex);
                ::close(children[rank].fds[stream]);
                children[rank].fds[stream] = -1;
                changed.notify_all();
            }
        }
    }
    std::lock_guard<std::mutex> lock(mutex);
    for (Child& c : children)
        for (int& fd : c.fds)
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
}

LocalRanks::LocalRanks() : impl_(std::make_unique<Impl>()) {}

LocalRanks::~LocalRanks() {
    if (!impl_->started) return;
    terminate();
    if (!waitFor(kKillGrace)) {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (const Impl::Child& c : impl_->children)
            if (!c.reaped) ::kill(c.pid, SIGKILL);
    }
    if (impl_->runner.joinable()) impl_->runner.join();
    if (impl_->reader.joinable()) impl_->reader.join();
}

void LocalRanks::setEnvironment(std::vector<std::string> variables) {
    impl_->environment = std::move(variables);
}

void LocalRanks::setOnExit(ExitHandler handler) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->onExit = std::move(handler);
}

void LocalRanks::start(const std::string& executable, const std::vector<std::string>& args,
                       int world, const std::string& backend, const std::string& masterAddr,
                       int masterPort, const std::string& events, Output output) {
    if (impl_->started) throw std::logic_error("the ranks were started already");
    if (world < 1) throw Error("no ranks to start (world size " + std::to_string(world) + ")");
    bool hasBackend = false;
    for (const std::string& a : args) hasBackend = hasBackend || a == "--backend";
    std::vector<std::vector<std::string>> argvs;
    for (int r = 0; r < world; ++r) {
        std::vector<std::string> argv = {executable};
        argv.insert(argv.end(), args.begin(), args.end());
        if (!hasBackend && !backend.empty()) argv.insert(argv.end(), {"--backend", backend});
        argv.insert(argv.end(),
                    {"--rank", std::to_string(r), "--world-size", std::to_string(world),
                     "--master-addr", masterAddr, "--master-port", std::to_string(masterPort)});
        if (!events.empty()) argv.insert(argv.end(), {"--events", events});
        argvs.push_back(std::move(argv));
    }
    impl_->output = std::move(output);
    impl_->started = true;
    std::promise<void> spawned;
    auto result = spawned.get_future();
    // The runner forks and then reaps: it is the children's parent thread
    // for as long as they live.
    impl_->runner = std::thread([this, executable, argvs, spawned = std::move(spawned)]() mutable {
        try {
            impl_->spawn(executable, argvs);
            spawned.set_value();
        } catch (const Error&) {
            spawned.set_exception(std::current_exception());
        }
        impl_->reapLoop();
    });
    std::exception_ptr failed;
    try {
        result.get();
    } catch (const Error&) {
        failed = std::current_exception();
    }
    impl_->reader = std::thread([this] { impl_->readLoop(); });
    if (!failed) return;
    terminate();
    std::rethrow_exception(failed);
}

void LocalRanks::terminate() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    for (const Impl::Child& c : impl_->children) {
        if (c.reaped) continue;
        ::kill(c.pid, SIGTERM);
        ::kill(c.pid, SIGCONT);  // a suspended child handles it only once it runs
    }
}

void LocalRanks::kill() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    for (const Impl::Child& c : impl_->children)
        if (!c.reaped) ::kill(c.pid, SIGKILL);
}

bool LocalRanks::waitFor(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    if (!impl_->started) return true;
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->allReported(); });
}

std::vector<int> LocalRanks::wait() {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->changed.wait(lock, [&] { return !impl_->started || impl_->allReported(); });
    std::vector<int> statuses;
    for (const Impl::Child& c : impl_->children) statuses.push_back(c.status);
    return statuses;
}

int LocalRanks::worst(const std::vector<int>& statuses) {
    for (int s : statuses)
        if (s != 0) return s;
    return 0;
}

std::vector<int> LocalRanks::pids() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<int> out;
    for (const Impl::Child& c : impl_->children) out.push_back(c.pid);
    return out;
}

std::string trainExecutable() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return "pipedream-train";
    std::string self(path, static_cast<std::size_t>(n));
    const std::string dir = self.substr(0, self.rfind('/') + 1);
    // Beside the running program (app/), or the app folder seen from a test
    // (build/<preset>/tests -> build/<preset>/app).
    for (const std::string& candidate : {dir + "pipedream-train", dir + "../app/pipedream-train"})
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    return dir + "pipedream-train";
}

}  // namespace pd
