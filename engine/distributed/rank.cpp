// One rank of a distributed run: rendezvous, process group, the transport
// the runtime sends its cross-stage messages through, and the link to the
// collector (engine/distributed/distributed.h).
#include "engine/distributed/rank.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "engine/base/safefile.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/distributed/rankstore.h"
#include "engine/formats/batchlog.h"
#include "engine/run/runtime.h"
#include "engine/run/runtime_internal.h"

#if defined(PD_HAVE_GLOO) || defined(PD_HAVE_NCCL)
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef PD_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef PD_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace pd {

#if defined(PD_HAVE_GLOO) || defined(PD_HAVE_NCCL)

namespace {

using Clock = std::chrono::steady_clock;
using torch::Tensor;

std::string secondsText(int s) {
    return std::to_string(s) + " s";
}

bool isLoopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Messages to the other ranks over the process group. A send returns at
// once (c10d's send is asynchronous; its work is kept until delivered), a
// receive blocks; a watchdog fails a wait on a peer that has been silent
// for --timeout while the run is not paused, and abort() ends any wait.
class ProcessGroupTransport : public StageTransport {
public:
    ProcessGroupTransport(c10::intrusive_ptr<c10d::ProcessGroup> pg, int rank,
                          std::vector<std::string> hosts, std::chrono::seconds timeout,
                          torch::Device wireDevice, RankClient& client)
        : pg_(std::move(pg)),
          rank_(rank),
          hosts_(std::move(hosts)),
          timeout_(timeout),
          wireDevice_(wireDevice),
          client_(client),
          watchdog_([this] { watch(); }) {}

    ~ProcessGroupTransport() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = true;
        }
        cv_.notify_all();
        watchdog_.join();
    }

    int localStage() const override { return rank_; }

    void setPaused(bool paused) {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = paused;
        since_ = Clock::now();
    }

    void send(int stage, int tag, const Tensor& t, const MessageStamp& stamp) override {
        const Tensor flat = t.reshape({-1});
        const std::int64_t n = flat.numel();
        Tensor buffer =
            torch::empty({n + kStampFloats}, torch::TensorOptions().device(wireDevice_));
        buffer.narrow(0, 0, n).copy_(flat);
        buffer.narrow(0, n, kStampFloats).copy_(stampTensor(stamp));
        std::vector<Tensor> tensors{buffer};
        auto work = pg_->send(tensors, stage, tag);
        std::lock_guard<std::mutex> lock(mutex_);
        sends_.push_back({std::move(work), std::move(buffer), stage});
        // Delivered sends free their buffers; a failed one fails the run.
        while (!sends_.empty() && sends_.front().work->isCompleted()) {
            if (!sends_.front().work->isSuccess())
                fail(sends_.front().peer, "sending to", sends_.front().work->exception());
            sends_.pop_front();
        }
    }

    Tensor recv(int stage, int tag, std::vector<std::int64_t> shape, MessageStamp* stamp) override {
        std::int64_t n = 1;
        for (std::int64_t d : shape) n *= d;
        Tensor buffer =
            torch::empty({n + kStampFloats}, torch::TensorOptions().device(wireDevice_));
        std::vector<Tensor> tensors{buffer};
        if (!waitFor(pg_->recv(tensors, stage, tag), stage, "receiving from")) return {};
        *stamp = stampOf(buffer.narrow(0, n, kStampFloats));
        return buffer.narrow(0, 0, n).view(shape);
    }

    // Cancelled before the start: nullopt (the run stops); the collector
    // gone: an error (a run nobody watches has nowhere to report).
    std::optional<Clock::time_point> ready() override { return client_.ready(); }

    void abort() override {
        std::lock_guard<std::mutex> lock(mutex_);
        aborted_ = true;
        if (current_) abortWork(*current_);
    }

    void flush() override {
        for (;;) {
            c10::intrusive_ptr<c10d::Work> work;
            int peer = 0;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (sends_.empty()) return;
                work = sends_.front().work;
                peer = sends_.front().peer;
            }
            if (!waitFor(work, peer, "sending to")) return;
            std::lock_guard<std::mutex> lock(mutex_);
            if (!sends_.empty() && sends_.front().work == work) sends_.pop_front();
        }
    }

private:
    static constexpr std::int64_t kStampFloats = 4;  // two int64 in four floats

    static Tensor stampTensor(const MessageStamp& stamp) {
        std::int64_t values[2] = {stamp.realEndUs, stamp.lagUs};
        float floats[kStampFloats];
        std::memcpy(floats, values, sizeof values);
        return torch::from_blob(floats, {kStampFloats}, torch::kFloat32).clone();
    }

    static MessageStamp stampOf(const Tensor& t) {
        const Tensor cpu = t.to(torch::kCPU).contiguous();
        std::int64_t values[2];
        std::memcpy(values, cpu.data_ptr<float>(), sizeof values);
        return {values[0], values[1]};
    }

    // Gloo's send and receive can be aborted; a backend whose work cannot
    // (Work::abort throws "not implemented") is left to its own timeout.
    static void abortWork(c10d::Work& work) {
        try {
            work.abort();
        } catch (...) {
        }
    }

    std::string peerName(int peer) const {
        const std::string host =
            peer >= 0 && peer < static_cast<int>(hosts_.size()) ? hosts_[peer] : "?";
        return "rank " + std::to_string(peer) + " on " + host;
    }

    [[noreturn]] void fail(int peer, const char* what, std::exception_ptr e) const {
        std::string why = "unknown error";
        try {
            if (e) std::rethrow_exception(e);
        } catch (const c10::Error& x) {
            why = x.what_without_backtrace();
        } catch (const std::exception& x) {
            why = x.what();
        } catch (...) {
        }
        const auto nl = why.find('\n');
        if (nl != std::string::npos) why.resize(nl);
        throw Error(std::string(what) + " " + peerName(peer) + " " + kBrokenPeer + ": " + why);
    }

    // Waits for `work` with the watchdog on it: true when done, false when
    // the run is stopping; throws when the peer failed or timed out.
    bool waitFor(c10::intrusive_ptr<c10d::Work> work, int peer, const char* what) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (aborted_) return false;
            current_ = work;
            since_ = Clock::now();
            timedOut_ = false;
        }
        bool ok = false;
        std::exception_ptr error;
        try {
            ok = work->wait();
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        current_.reset();
        if (timedOut_)
            throw Error(peerName(peer) + " " + kSilentPeer + " " +
                        std::to_string(timeout_.count()) +
                        " s while this rank waited for it (--timeout)");
        if (aborted_) return false;
        if (error) fail(peer, what, error);
        return ok;
    }

    void watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!closing_) {
            cv_.wait_for(lock, std::chrono::milliseconds(100));
            if (!current_) continue;
            if (paused_) since_ = Clock::now();
            if (Clock::now() - since_ > timeout_ && !timedOut_) {
                timedOut_ = true;
                abortWork(*current_);
            }
        }
    }

    struct Send {
        c10::intrusive_ptr<c10d::Work> work;
        Tensor buffer;
        int peer = 0;
    };

    c10::intrusive_ptr<c10d::ProcessGroup> pg_;
    const int rank_;
    const std::vector<std::string> hosts_;
    const std::chrono::seconds timeout_;
    const torch::Device wireDevice_;
    RankClient& client_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Send> sends_;
    c10::intrusive_ptr<c10d::Work> current_;
    Clock::time_point since_ = Clock::now();
    bool paused_ = false;
    bool aborted_ = false;
    bool timedOut_ = false;
    bool closing_ = false;
    std::thread watchdog_;
};

// Forwards to the collector and keeps this rank's first error for its own
// stderr.
class RankSink : public EventSink {
public:
    explicit RankSink(RankClient& client) : client_(client) {}
    void onSlot(const SlotEvent& e) override { client_.onSlot(e); }
    void onMemory(const MemoryEvent& e) override { client_.onMemory(e); }
    void onBatch(const BatchEvent& e) override { client_.onBatch(e); }
    void onVersion(const VersionEvent& e) override { client_.onVersion(e); }
    void onEvaluation(const EvaluationEvent& e) override { client_.onEvaluation(e); }
    void onFinished(const RunSummary& s) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            summary_ = s;
            finished_ = true;  // before done goes out: the collector may close after it
        }
        client_.onFinished(s);
    }
    void onError(const std::string& message) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (error_.empty()) error_ = message;
        }
        client_.onError(message);
    }
    std::string error() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return error_;
    }
    RunSummary summary() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return summary_;
    }
    bool finished() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return finished_;
    }

private:
    RankClient& client_;
    mutable std::mutex mutex_;
    std::string error_;
    RunSummary summary_;
    bool finished_ = false;
};

// Flags one per line (a value may hold spaces: --data mnist:DIR), for the store.
std::string joinArgs(const std::vector<std::string>& args) {
    std::string out;
    for (const std::string& a : args) out += a + "\n";
    return out;
}

std::vector<std::string> splitArgs(const std::string& text) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
        out.push_back(text.substr(from, nl - from));
    return out;
}

// torchrun (elastic) hosts the store itself and says so in the environment:
// every rank is then a client.
bool agentHostsStore() {
    const char* v = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    return v && std::string(v) == "True";
}

c10::intrusive_ptr<c10d::Store> meet(const RunOptions& o, const std::string& secret,
                                     RankRendezvous& byHand) {
    // Started by the local launcher: a file only this user can reach.
    const char* file = std::getenv(kStoreFileVariable);
    if (file && *file) {
        try {
            auto store = c10::make_intrusive<c10d::FileStore>(file, o.worldSize);
            store->setTimeout(std::chrono::seconds(o.rendezvousTimeoutS));
            return c10::make_intrusive<c10d::PrefixStore>("pipedream/0", store);
        } catch (const std::exception& e) {
            std::string why = e.what();
            const auto nl = why.find('\n');
            if (nl != std::string::npos) why.resize(nl);
            throw ConfigError("rank " + std::to_string(o.rank) +
                              " cannot open the rendezvous file " + printable(file) + " (" +
                              printable(why) + ")");
        }
    }
    // Started by hand: rank 0 hosts our own store (the run secret first,
    // bounded, on --master-addr only).
    if (!agentHostsStore()) {
        byHand.open(o, secret);
        return c10::make_intrusive<c10d::PrefixStore>(
            "pipedream/0", c10::intrusive_ptr<c10d::Store>(byHand.store()));
    }
    // torchrun's agent hosts its own TCPStore (a trusted network's).
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.masterPort);
    so.isServer = false;
    so.numWorkers = static_cast<std::size_t>(o.worldSize);
    so.waitWorkers = false;
    so.timeout = std::chrono::seconds(o.rendezvousTimeoutS);
    const std::string where = printable(o.masterAddr) + ":" + std::to_string(o.masterPort);
    try {
        auto store = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, so);
        // A store that outlives one attempt (torchrun's, across restarts)
        // must not hand this run the previous one's keys.
        const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
        return c10::make_intrusive<c10d::PrefixStore>(
            std::string("pipedream/") + (restart ? restart : "0"), store);
    } catch (const std::exception& e) {
        std::string why = e.what();
        const auto nl = why.find('\n');
        if (nl != std::string::npos) why.resize(nl);
        throw ConfigError("rank " + std::to_string(o.rank) + " cannot reach the rendezvous at " +
                          where + " within " + secondsText(o.rendezvousTimeoutS) + " (" + why +
                          ")");
    }
}

std::string storeGet(c10d::Store& store, const std::string& key, const RunOptions& o,
                     const std::string& what) {
    try {
        const std::vector<std::uint8_t> v = store.get(key);
        return std::string(v.begin(), v.end());
    } catch (const std::exception& e) {
        std::string why = e.what();
        why.resize(std::min(why.size(), why.find('\n')));
        throw ConfigError("rank " + std::to_string(o.rank) + ": " + what +
                          " did not arrive within " + secondsText(o.rendezvousTimeoutS) +
                          " (did every rank start, with the same --world-size? " + printable(why) +
                          ")");
    }
}

void storeSet(c10d::Store& store, const std::string& key, const std::string& value) {
    store.set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

c10::intrusive_ptr<c10d::ProcessGroup> makeGroup(const RunOptions& o,
                                                 const c10::intrusive_ptr<c10d::Store>& store) {
    const auto timeout = std::chrono::seconds(o.rendezvousTimeoutS);
#ifdef PD_HAVE_NCCL
    if (o.backend == "nccl") {
        auto opts = c10d::ProcessGroupNCCL::Options::create();
        opts->timeout = timeout;
        return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.worldSize, opts);
    }
#endif
#ifdef PD_HAVE_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (isLoopback(o.masterAddr))
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else if (const std::string local = net::localAddressToward(o.masterAddr, o.masterPort);
             !local.empty())
        // Gloo listens where the other ranks reach this one: the address of
        // the route to --master-addr, not every interface.
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(local));
    else
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = 2;
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.worldSize, opts);
#else
    (void)store;
    (void)timeout;
    checkBackendAvailable(o.backend);
    throw std::logic_error("makeGroup: " + o.backend + " without c10d");
#endif
}

}  // namespace

int runRank(RunOptions o, const SuperviseCollected& supervise) {
    resolveRankSettings(o, [](const char* n) { return std::getenv(n); });
    checkBackendAvailable(o.backend);
    if (o.backend == "nccl" && o.device == "cpu") o.device = "cuda:" + std::to_string(o.localRank);
    if (o.device == "cuda") o.device = "cuda:" + std::to_string(o.localRank);
    checkRunOptions(o);
    // Before anything starts: a rank without the run's secret (and without
    // --no-secret) would only be refused by its collector.
    const std::string secret = readRunSecret(o, [](const char* n) { return std::getenv(n); });

    const std::string host = hostName();
    const std::vector<std::string> args = toArgs(o);
    RankRendezvous byHand;
    auto store = meet(o, secret, byHand);
    storeSet(*store, "pd/host/" + std::to_string(o.rank), host);
    storeSet(*store, "pd/args/" + std::to_string(o.rank), joinArgs(args));
    if (o.rank != 0) {
        const std::vector<std::string> first =
            splitArgs(storeGet(*store, "pd/args/0", o, "rank 0's options"));
        if (const std::string diff = optionsDifference(args, first); !diff.empty())
            throw ConfigError("rank " + std::to_string(o.rank) +
                              "'s options differ from rank 0's: " + diff +
                              " (every rank must run the same configuration)");
    }

    // Without --events, rank 0 collects (torchrun): it prints and writes
    // what the one-process run would.
    CollectingSink collected;
    std::unique_ptr<EventCollector> collector;
    std::string events = o.events;
    if (events.empty()) {
        if (o.rank == 0) {
            collector = std::make_unique<EventCollector>(collected);
            collector->setSecret(secret);
            // Where the run is: the interface of --master-addr (the other
            // ranks reach rank 0 there), loopback for a run on this machine.
            const std::string bind = isLoopback(o.masterAddr) ? "127.0.0.1" : o.masterAddr;
            try {
                collector->listen(bind, 0);
            } catch (const Error& e) {
                throw ConfigError("rank 0 cannot listen for events on " + printable(bind) +
                                  " (the address of --master-addr): " + e.what());
            }
            collector->expect(o.worldSize, o);
            collector->setConnectTimeout(std::chrono::seconds(o.rendezvousTimeoutS));
            const std::string local = (isLoopback(o.masterAddr) ? "127.0.0.1" : o.masterAddr) +
                                      ":" + std::to_string(collector->port());
            storeSet(*store, "pd/collector", local);
            events = local;
        } else {
            events = storeGet(*store, "pd/collector", o, "the event collector's address");
        }
    }
    std::vector<std::string> hosts;
    for (int r = 0; r < o.worldSize; ++r)
        hosts.push_back(storeGet(*store, "pd/host/" + std::to_string(r), o,
                                 "rank " + std::to_string(r) + "'s host name"));

    RankClient client;
    RankClient::Hello hello;
    hello.rank = o.rank;
    hello.world = o.worldSize;
    hello.host = host;
    hello.pid = static_cast<int>(::getpid());
    hello.args = args;
    hello.secret = secret;
    try {
        client.connect(events, hello, std::chrono::seconds(o.rendezvousTimeoutS));
    } catch (const Error& e) {
        throw ConfigError("rank " + std::to_string(o.rank) + ": " + e.what());
    }
    client.setStage(o.rank);

    c10::intrusive_ptr<c10d::ProcessGroup> group;
    try {
        group = makeGroup(o, store);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        std::string why = e.what();
        const auto nl = why.find('\n');
        if (nl != std::string::npos) why.resize(nl);
        throw ConfigError("rank " + std::to_string(o.rank) +
                          " could not connect to every rank within " +
                          secondsText(o.rendezvousTimeoutS) + " (" + why +
                          "); did every rank start, with the same options and run secret?");
    }
    byHand.finish(o);  // rank 0's store closes: nothing listens for it any more
    const torch::Device wire = o.backend == "nccl" ? torch::Device(o.device) : torch::kCPU;
    auto transport = std::make_shared<ProcessGroupTransport>(
        group, o.rank, hosts, std::chrono::seconds(o.timeoutS), wire, client);

    RankSink sink(client);
    TrainingRun run(o, sink, transport);
    // Every process of this machine shares its cores.
    const char* localWorld = std::getenv("LOCAL_WORLD_SIZE");
    int onThisMachine = o.worldSize;
    if (int n = 0; localWorld && parseNumber(localWorld, n) && n > 0) onThisMachine = n;
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    run.setThreadsPerWorker(std::max(1, cores / onThisMachine));

    std::atomic<bool> cancelRequested{false};
    client.setControlHandler([&](const RankClient::Control& c) {
        switch (c.kind) {
            case RankClient::Control::Pause:
                transport->setPaused(true);
                run.pauseAtFrontier(-1);
                client.sendHeld(o.rank, run.actionsStarted(o.rank));
                break;
            case RankClient::Control::Frontier:
                transport->setPaused(true);
                run.pauseAtFrontier(c.frontier);
                break;
            case RankClient::Control::Resume:
                transport->setPaused(false);
                run.resume();
                break;
            case RankClient::Control::Cancel:
                cancelRequested = true;
                break;
        }
    });

    int status = 0;
    if (collector) {
        // Rank 0 under torchrun: its own stage on a thread, the collector's
        // view of the whole run on this one.
        std::thread local([&] {
            run.start();
            while (!run.wait(std::chrono::milliseconds(20)))
                if (cancelRequested) run.cancel();
        });
        status = supervise(o, *collector, collected);
        local.join();
    } else {
        run.start();
        bool lost = false;
        while (!run.wait(std::chrono::milliseconds(20))) {
            lost = lost || (!client.connected() && !sink.finished());
            if (cancelRequested || lost) run.cancel();
        }
        std::string error = sink.error();
        if (error.empty() && lost)
            error = "lost the connection to the event collector at " + events + "; stopped";
        if (!error.empty()) {
            std::fprintf(stderr, "error: rank %d on %s: %s\n", o.rank, host.c_str(), error.c_str());
            status = 1;
        } else if (sink.summary().cancelled) {
            status = 1;
        }
    }
    std::fflush(stdout);
    std::fflush(stderr);
    // The process group's threads may still wait on peers that are gone:
    // nothing left to tidy matters more than leaving now.
    std::_Exit(status);
}

#else

int runRank(RunOptions o, const SuperviseCollected&) {
    checkBackendAvailable(o.backend);
    throw std::logic_error("runRank: " + o.backend + " without c10d");
}

#endif

}  // namespace pd
