// The event collector of a distributed run (distributed.h): one reader
// thread per rank connection, one accepting thread that also watches the
// connect timeout. Everything the ranks say is checked under one mutex;
// the sink is called outside it, under a lock of its own that also makes
// onFinished the last call the sink gets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/config/resources.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/formats/wire.h"
#include "engine/schedule/runcheck.h"
#include "engine/schedule/slotgrid.h"

namespace pd {

namespace {

// A rank that stops reading must not hold the collector (and with it the
// GUI's control calls) for long.
constexpr int kSendTimeoutMs = 5000;
// Connections that have not said an accepted hello yet. Ranks say hello
// at once; more than this at a time are strangers (a port scanner, a
// flood): the oldest is dropped to make room, so a real rank still gets in.
constexpr std::size_t kMaxPending = 8;
// Connections closing (their threads ending) on top of those: a flood of
// connect-and-close probes beyond this is closed at once (a rank closed
// without an answer connects again).
constexpr std::size_t kMaxClosing = 64;
// A connection that has not said hello by then is dropped.
constexpr int kHandshakeMs = 5000;
constexpr int kDeadlineCheckMs = 200;
// Once the run is stopping (cancelled, or a rank failed), a rank that has
// not said done by then is given up on: suspended (SIGSTOP), hung in a
// kernel, on a machine that froze. Ranks stop within one slot otherwise.
constexpr auto kStopGrace = std::chrono::seconds(5);

// Connections without the run secret logged at most this many times; then
// once that the rest are not (a flood must not flood the log).
constexpr int kMaxAuthLogs = 20;

// "HOST:PORT" of the peer of `fd`, numeric, for the log.
std::string peerOf(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "an unknown peer";
    char host[INET6_ADDRSTRLEN] = {};
    int port = 0;
    if (addr.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (addr.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        return "[" + std::string(host) + "]:" + std::to_string(port);
    }
    return "an unknown peer";
}

bool isNonce(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char ch) {
               return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
           });
}

std::string rankList(const std::vector<int>& ranks) {
    std::string out = ranks.size() == 1 ? "rank " : "ranks ";
    for (std::size_t i = 0; i < ranks.size(); ++i)
        out += (i ? ", " : "") + std::to_string(ranks[i]);
    return out;
}

}  // namespace

struct EventCollector::Impl {
    struct Conn {
        int fd = -1;
        std::thread thread;
        net::LineReader reader;
        std::mutex sendMutex;
        int rank = -1;  // once its hello was accepted
        bool open = true;
        std::atomic<bool> ended{false};  // its thread is done: fd and thread can go
        std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
        void send(const std::string& line) {
            std::lock_guard<std::mutex> lock(sendMutex);
            net::sendAll(fd, line + "\n");  // a failure shows as the reader's end of file
        }
    };
    enum class State { Waiting, Connected, Done, Lost };
    struct Rank {
        State state = State::Waiting;
        Conn* conn = nullptr;
        std::string host;
        int pid = 0;
        std::int64_t offsetUs = 0;
        std::int64_t errorUs = 0;
        bool synced = false;
        bool ready = false;
        bool failed = false;  // said error, failed or was lost
        bool cancelled = false;
        std::int64_t timeUs = 0;
        std::string lostReason;  // markLost while its connection was still open
        std::string refused;     // why the last hello claiming this rank was refused
        bool held = false;
        std::size_t next = 0;
    };
    struct PartialBatch {
        std::vector<bool> seen;
        int parts = 0;
        BatchEvent event;
    };
    // What one thread found under `mutex` and delivers after releasing it.
    // Errors go to the shared queue instead: the thread that finishes the
    // run may deliver before the one that found the error does, and the
    // error must still reach the sink before the end.
    struct Outbox {
        std::optional<RunSummary> finish;
        std::optional<RunOptions> allConnected;
        std::vector<std::string> logs;  // refused connections: logged, the run goes on
    };

    explicit Impl(EventSink& s) : sink(s) {}

    EventSink& sink;
    mutable std::mutex mutex;
    std::condition_variable changed;
    int listenFd = -1;  // -1 again once the run finished (the port is released)
    int boundPort = 0;
    int wake[2] = {-1, -1};
    std::thread acceptThread;
    std::atomic<bool> stopping{false};
    std::vector<std::unique_ptr<Conn>> conns;

    int world = 0;
    std::optional<RunOptions> options;
    std::vector<std::string> expectedArgs;
    SlotGrid grid;
    // Per stage, the schedule's actions as sorted keys (actionKey) and
    // whether each was reported: a slot event must be one of them, once.
    std::vector<std::vector<std::uint64_t>> actionKeys;
    std::vector<std::vector<bool>> actionSeen;
    std::vector<Rank> ranks;
    std::vector<std::size_t> ranPerStage;  // slot events received per stage
    std::map<int, PartialBatch> batches;
    int batchesMerged = 0;
    std::function<void(const RunOptions&)> onAllConnected;
    bool allConnectedSaid = false;
    std::chrono::milliseconds connectTimeout{0};
    std::optional<std::chrono::steady_clock::time_point> connectSince;
    bool goSent = false;
    bool paused = false;
    bool awaitingHeld = false;
    int frontier = 0;
    std::vector<bool> pendingSteps;  // true: a batch step; asked while the frontier was unknown
    bool cancelRequested = false;
    bool othersCancelled = false;
    std::optional<std::chrono::steady_clock::time_point> stopSince;  // cancel sent to every rank
    bool finishing = false;
    bool finished = false;
    std::function<void(const std::string&)> log;  // set before listen(); stderr by default
    std::optional<std::uint64_t> memoryLimit;     // attach: largest run a hello may set up
    // The run secret; empty: none asked (--no-secret); unset: all refused.
    std::optional<std::string> secret;
    int authLogs = 0;  // connections without the secret logged so far

    std::mutex sinkMutex;
    bool sinkClosed = false;

    template <typename F>
    void deliver(F&& call) {
        std::lock_guard<std::mutex> lock(sinkMutex);
        if (!sinkClosed) call();
    }
    std::vector<std::string> errorQueue;        // guarded by mutex; see Outbox
    std::vector<std::string> silentPeerErrors;  // guarded by mutex; queued at the end
    void queueError(std::string e) {            // mutex held
        errorQueue.push_back(std::move(e));
    }
    void deliver(Outbox& out) {
        for (const std::string& line : out.logs) {
            if (log)
                log(line);
            else
                std::fprintf(stderr, "warning: event collector: %s\n", line.c_str());
        }
        if (out.allConnected && onAllConnected) onAllConnected(*out.allConnected);
        {
            std::lock_guard<std::mutex> lock(sinkMutex);
            std::vector<std::string> errors;
            {
                std::lock_guard<std::mutex> state(mutex);
                errors.swap(errorQueue);
            }
            if (!sinkClosed)
                for (const std::string& e : errors) sink.onError(e);
            if (!out.finish) return;
            if (!sinkClosed) sink.onFinished(*out.finish);
            sinkClosed = true;
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            finished = true;
        }
        changed.notify_all();
    }

    std::string who(int r) const {
        const std::string& host = ranks[r].host;
        return "rank " + std::to_string(r) + (host.empty() ? "" : " on " + host);
    }
    void sendAll(const std::string& line) {  // mutex held
        for (Rank& r : ranks)
            if (r.state == State::Connected && r.conn) r.conn->send(line);
    }
    void setWorld(int w, const RunOptions& o) {  // mutex held
        world = w;
        options = o;
        expectedArgs = toArgs(o);
        ranks.assign(w, Rank());
        ranPerStage.assign(w, 0);
        actionKeys.assign(w, {});
        actionSeen.assign(w, {});
        try {
            const Schedule schedule = generateSchedule(o.schedule);
            grid = slotGrid(schedule);
            for (int st = 0; st < w && st < static_cast<int>(schedule.stages.size()); ++st) {
                auto& keys = actionKeys[st];
                for (const Action& a : schedule.stages[st])
                    keys.push_back(actionKey(a.batch, a.microbatch, a.op, a.chunk));
                std::sort(keys.begin(), keys.end());
                actionSeen[st].assign(keys.size(), false);
            }
        } catch (const std::exception&) {
            grid = SlotGrid();  // checked options always have a grid; stepping stays at 0
        }
    }
    std::uint64_t actionKey(int batch, int microbatch, Op op, int chunk) const {
        const auto m = static_cast<std::uint64_t>(options ? options->schedule.microbatches : 0);
        return ((static_cast<std::uint64_t>(batch) * (m + 1) +
                 static_cast<std::uint64_t>(microbatch + 1)) *
                    8 +
                static_cast<std::uint64_t>(op)) *
                   (kMaxChunks + 1) +
               static_cast<std::uint64_t>(chunk);
    }
    // Why a record is not of this run's grid (empty when it is). mutex held.
    std::string checkSlot(int r, const SlotEvent& e);
    std::string checkCommon(int r, int stage, std::int64_t timeUs) const;
    std::int64_t versionBound(int stage) const {  // a version cannot pass the stage's actions
        return static_cast<std::int64_t>(actionsOf(stage)) + 1;
    }
    std::size_t actionsOf(int stage) const {
        return static_cast<std::size_t>(stage) < grid.gate.size() ? grid.gate[stage].size() : 0;
    }
    // The first failure stops the others: they would wait on a dead peer.
    void cancelOthers() {  // mutex held
        if (othersCancelled) return;
        othersCancelled = true;
        stopSince = std::chrono::steady_clock::now();
        sendAll("cancel");
    }
    void lose(int r, const std::string& why, Outbox& out) {  // mutex held
        Rank& rank = ranks[r];
        if (rank.state == State::Done || rank.state == State::Lost) return;
        rank.state = State::Lost;
        if (cancelRequested) {
            rank.cancelled = true;  // stopped after being asked to: not a failure
        } else {
            rank.failed = true;
            queueError(who(r) + ": " + why);
            cancelOthers();
        }
        checkHeld();
        checkFinished(out);
    }
    void checkFinished(Outbox& out) {  // mutex held
        if (finishing) return;
        if (world == 0 && !cancelRequested) return;
        RunSummary s;
        for (const Rank& r : ranks) {
            if (r.state != State::Done && r.state != State::Lost) return;
            s.failed = s.failed || r.failed;
            s.cancelled = s.cancelled || r.cancelled;
            s.timeUs = std::max(s.timeUs, r.timeUs);
        }
        s.cancelled = (s.cancelled || cancelRequested) && !s.failed;
        s.batchesDone = batchesMerged;
        for (std::string& e : silentPeerErrors) queueError(std::move(e));
        silentPeerErrors.clear();
        finishing = true;
        out.finish = s;
    }
    void sendFrontier() {  // mutex held
        sendAll("frontier " + std::to_string(frontier));
    }
    void step(bool batch) {  // mutex held, paused and the frontier known
        const int reached = grid.empty() ? 0 : grid.frontier(ranPerStage);
        frontier =
            batch ? grid.afterStepBatch(frontier, reached) : grid.afterStepSlot(frontier, reached);
        sendFrontier();
    }
    void checkHeld() {  // mutex held
        if (!awaitingHeld) return;
        std::vector<std::size_t> next(world, 0);
        for (int s = 0; s < world; ++s) {
            const Rank& r = ranks[s];
            if (r.state == State::Done || r.state == State::Lost)
                next[s] = actionsOf(s);
            else if (r.held)
                next[s] = r.next;
            else
                return;
        }
        awaitingHeld = false;
        frontier = grid.empty() ? 0 : grid.frontier(next);
        sendFrontier();
        for (bool batch : pendingSteps) step(batch);
        pendingSteps.clear();
    }

    void acceptLoop();
    void admit(int fd, std::vector<std::unique_ptr<Conn>>& dead);
    void prune(std::vector<std::unique_ptr<Conn>>& dead);
    void readLoop(Conn* c);
    // The challenge-response: true when `c` proved it knows the secret (or
    // none is asked). Otherwise `refusal` is what it is told, if anything.
    bool authenticate(Conn* c, std::chrono::steady_clock::time_point deadline,
                      std::string& refusal);
    void logLine(const std::string& line) {  // mutex not held
        if (log)
            log(line);
        else
            std::fprintf(stderr, "warning: event collector: %s\n", line.c_str());
    }
    bool hello(Conn* c, const std::string& line, Outbox& out, std::string& refusal);
    // False when the line was an invalid record: `why` says what.
    bool dispatch(Conn* c, const std::string& line, std::string& why);
    void closed(Conn* c);
    void checkConnectTimeout(Outbox& out);
    void checkStopTimeout(Outbox& out);
};

void EventCollector::Impl::acceptLoop() {
    for (;;) {
        // Woken often enough to see a connect deadline set or moved by
        // another thread (expect, setConnectTimeout, an attaching hello).
        int timeoutMs = kDeadlineCheckMs;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (connectSince && connectTimeout.count() > 0 && !allConnectedSaid && !finishing) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    *connectSince + connectTimeout - std::chrono::steady_clock::now());
                timeoutMs =
                    static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, kDeadlineCheckMs));
            }
        }
        pollfd p[2] = {{listenFd, POLLIN, 0}, {wake[0], POLLIN, 0}};
        const int rc = ::poll(p, 2, timeoutMs);
        if (stopping) return;
        {
            // The run is over: nobody else is let in (the window's Attach
            // listener, rank 0's collector); the port is released at once.
            // Connections still closing go on being released.
            std::lock_guard<std::mutex> lock(mutex);
            if (finished && listenFd >= 0) {
                ::close(listenFd);
                listenFd = -1;  // poll skips it from now on
            }
        }
        std::vector<std::unique_ptr<Conn>> dead;
        if (rc > 0 && p[0].fd >= 0 && listenFd >= 0 && (p[0].revents & POLLIN)) {
            const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) admit(fd, dead);
        } else {
            std::lock_guard<std::mutex> lock(mutex);
            prune(dead);
        }
        for (auto& c : dead) {  // their threads have ended: joining is immediate
            if (c->thread.joinable()) c->thread.join();
            ::close(c->fd);
        }
        Outbox out;
        {
            std::lock_guard<std::mutex> lock(mutex);
            checkConnectTimeout(out);
            checkStopTimeout(out);
        }
        deliver(out);
    }
}

void EventCollector::Impl::admit(int fd, std::vector<std::unique_ptr<Conn>>& dead) {
    net::tuneSocket(fd);
    net::setSendTimeout(fd, kSendTimeoutMs);
    std::lock_guard<std::mutex> lock(mutex);
    prune(dead);
    // Every rank at most once, plus a few pending: the oldest pending one
    // makes room (a real rank says hello at once; a stranger holds on).
    std::vector<Conn*> pending;
    for (auto& c : conns)
        if (c->rank < 0 && c->open) pending.push_back(c.get());
    if (pending.size() >= kMaxPending) {
        Conn* oldest = *std::min_element(pending.begin(), pending.end(),
                                         [](Conn* a, Conn* b) { return a->since < b->since; });
        ::shutdown(oldest->fd, SHUT_RDWR);  // its reader ends; pruned next time
        oldest->open = false;
    }
    const std::size_t limit =
        static_cast<std::size_t>(world > 0 ? world : kMaxStages) + kMaxPending + kMaxClosing;
    if (conns.size() >= limit) {  // closing ones not yet pruned: never more than this
        ::close(fd);
        return;
    }
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    conn->reader = net::LineReader(fd);
    Conn* c = conn.get();
    conns.push_back(std::move(conn));
    c->thread = std::thread([this, c] { readLoop(c); });
}

void EventCollector::Impl::prune(std::vector<std::unique_ptr<Conn>>& dead) {  // mutex held
    for (auto it = conns.begin(); it != conns.end();) {
        if ((*it)->ended) {
            dead.push_back(std::move(*it));
            it = conns.erase(it);
        } else {
            ++it;
        }
    }
}

void EventCollector::Impl::checkConnectTimeout(Outbox& out) {  // mutex held
    if (!connectSince || connectTimeout.count() <= 0 || allConnectedSaid || finishing) return;
    if (std::chrono::steady_clock::now() < *connectSince + connectTimeout) return;
    std::vector<int> missing;
    for (int r = 0; r < world; ++r)
        if (ranks[r].state == State::Waiting) missing.push_back(r);
    if (missing.empty()) return;
    std::string refusals;
    for (int r : missing)
        if (!ranks[r].refused.empty())
            refusals += "; a connection claiming rank " + std::to_string(r) +
                        " was refused: " + ranks[r].refused;
    queueError(rankList(missing) + " did not connect within " +
               net::seconds(connectTimeout.count()) + refusals);
    for (int r : missing) {
        ranks[r].state = State::Lost;
        ranks[r].failed = true;
    }
    cancelOthers();
    checkHeld();
    checkFinished(out);
}

void EventCollector::Impl::checkStopTimeout(Outbox& out) {  // mutex held
    if (!stopSince || finishing) return;
    if (std::chrono::steady_clock::now() < *stopSince + kStopGrace) return;
    for (int r = 0; r < world; ++r) {
        if (ranks[r].state == State::Done || ranks[r].state == State::Lost) continue;
        const bool wasCancelled = cancelRequested;
        cancelRequested = false;  // an error even after a cancel: it did not stop
        lose(r,
             "stopped responding (suspended or hung): it did not stop within " +
                 net::seconds(std::chrono::milliseconds(kStopGrace).count()) +
                 " of being told to; given up on",
             out);
        cancelRequested = wasCancelled;
    }
}

// Checks a hello before anything is set up for it. A refused hello is
// logged and its connection closed; the run goes on: it may be a stranger's
// (a port scanner, a forged line), and a rank of this run that is refused
// exits with the reason it is sent, which its launcher reports. The reason
// is kept for the connect timeout's message too.
bool EventCollector::Impl::hello(Conn* c, const std::string& line, Outbox& out,
                                 std::string& refusal) {
    const auto f = net::fields(line);
    int protocol = 0, r = -1, w = 0, pid = 0;
    if (f.size() < 6 || f[0] != "hello" || !net::toInt(f[1], protocol) || !net::toInt(f[2], r) ||
        !net::toInt(f[3], w) || !net::toInt(f[4], pid))
        return false;  // not a rank of ours: closed without a word
    // Free text from the network: one line, no terminal control bytes.
    const std::string host = printable(net::unescape(f[5]), 100);
    const std::string name = "a connection claiming rank " + std::to_string(r) + " on " + host;
    auto refuse = [&](const std::string& why) {
        refusal = why;
        out.logs.push_back(name + " was refused: " + why);
        if (world > 0 && r >= 0 && r < world) ranks[r].refused = why;
        return false;
    };
    if (protocol != kWireProtocol)
        return refuse("wire protocol " + std::to_string(protocol) + ", expected " +
                      std::to_string(kWireProtocol) + " (another version of pipedream-train)");
    if (world > 0 && w != world)
        return refuse("world size " + std::to_string(w) + ", expected " + std::to_string(world));
    if (w < 1 || w > kMaxStages)
        return refuse("world size " + std::to_string(w) + " outside 1.." +
                      std::to_string(kMaxStages));
    if (r < 0 || r >= w) return refuse("rank outside 0.." + std::to_string(w - 1));
    std::vector<std::string> args;
    for (std::size_t i = 6; i < f.size(); ++i) args.push_back(net::unescape(f[i]));
    if (world == 0) {  // attaching: the first rank tells what runs
        if (cancelRequested) return false;
        const ParsedOptions p = parseRunOptions(args, false);
        if (!p.error.empty()) return refuse("its options are not valid: " + printable(p.error));
        if (p.options.schedule.stages != w)
            return refuse("world size " + std::to_string(w) + " for " +
                          std::to_string(p.options.schedule.stages) + " stages");
        // What the view of this run will hold, before any of it is made.
        RunOptions view = p.options;
        view.dryRun = true;
        const MemoryEstimate need = estimateRunMemory(view);
        const auto limit = memoryLimit ? memoryLimit : availableMemoryBytes();
        if (limit && need.total() > *limit / (memoryLimit ? 1 : 2))
            return refuse("its run (" + std::to_string(p.options.schedule.stages) + " stages x " +
                          std::to_string(p.options.schedule.microbatches) + " microbatches x " +
                          std::to_string(p.options.schedule.batches) + " batches) needs " +
                          need.describe() + " to watch, more than " +
                          formatBytes(*limit / (memoryLimit ? 1 : 2)) + " this window may use");
        setWorld(w, p.options);
        connectSince = std::chrono::steady_clock::now();
    } else {
        const std::string diff = optionsDifference(args, expectedArgs);
        if (!diff.empty()) return refuse("options differ: " + printable(diff, 1000));
    }
    Rank& rank = ranks[r];
    if (rank.state == State::Lost) {  // given up on (late, cancelled): not an error
        refusal = "rank " + std::to_string(r) + " was given up on (the run is stopping)";
        return false;
    }
    if (rank.state != State::Waiting) {
        // Not recorded in rank.refused: that rank is here.
        refusal = "rank " + std::to_string(r) + " is already connected from " + rank.host;
        out.logs.push_back(name + " was refused: " + refusal);
        return false;
    }
    rank.state = State::Connected;
    rank.conn = c;
    rank.host = host;
    rank.pid = pid;
    rank.refused.clear();
    c->rank = r;
    if (paused) c->send("frontier " + std::to_string(frontier));
    if (othersCancelled || cancelRequested) c->send("cancel");
    const bool all = std::all_of(ranks.begin(), ranks.end(),
                                 [](const Rank& x) { return x.state != State::Waiting; });
    if (all && !allConnectedSaid) {
        allConnectedSaid = true;
        out.allConnected = *options;
    }
    return true;
}

void EventCollector::Impl::readLoop(Conn* c) {
    std::string line;
    bool accepted = false;
    std::string refusal;
    const auto deadline = c->since + std::chrono::milliseconds(kHandshakeMs);
    const auto left = [&] {
        return static_cast<int>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count()));
    };
    if (authenticate(c, deadline, refusal) &&
        c->reader.read(line, left()) == net::LineReader::Line) {
        Outbox out;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (finishing)
                refusal = "the run is over";
            else
                accepted = c->open && hello(c, line, out, refusal);
        }
        deliver(out);
    }
    if (!accepted) {
        // A rank of this run learns why (its error names it); the send gives
        // up after kSendTimeoutMs on a peer that does not read.
        if (!refusal.empty()) c->send("refused " + net::escape(refusal));
        ::shutdown(c->fd, SHUT_RDWR);
        {
            std::lock_guard<std::mutex> lock(mutex);
            c->open = false;
        }
        c->ended = true;
        return;
    }
    std::string invalid;
    while (!stopping && c->reader.read(line) == net::LineReader::Line) {
        if (dispatch(c, line, invalid)) continue;
        // Nothing it sends can be trusted any more: the rank is named and
        // dropped (its connection closed), and nothing of it is recorded.
        std::lock_guard<std::mutex> lock(mutex);
        Rank& rank = ranks[c->rank];
        if (rank.conn == c && rank.lostReason.empty())
            rank.lostReason = "sent an invalid record (" + invalid + "); dropped";
        break;
    }
    ::shutdown(c->fd, SHUT_RDWR);
    closed(c);
    c->ended = true;
}

bool EventCollector::Impl::authenticate(Conn* c, std::chrono::steady_clock::time_point deadline,
                                        std::string& refusal) {
    std::optional<std::string> key;
    {
        std::lock_guard<std::mutex> lock(mutex);
        key = secret;
    }
    const std::string nonce = toHex(randomBytes(32));
    if (nonce.size() != 64) {
        logLine("cannot read /dev/urandom for a challenge; connection from " + peerOf(c->fd) +
                " closed");
        return false;
    }
    c->send("challenge " + nonce);
    std::string line;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
    const auto got = c->reader.read(line, static_cast<int>(std::max<std::int64_t>(0, ms)));
    if (got == net::LineReader::Closed) return false;  // a probe: closed without a line
    const auto f = net::fields(line);
    std::string why;
    int protocol = 0;
    if (got == net::LineReader::Timeout) {
        why = "no answer to the challenge within " + net::seconds(kHandshakeMs);
    } else if (f.size() >= 2 && f[0] == "hello" && net::toInt(f[1], protocol) &&
               protocol != kWireProtocol) {
        // An older rank says hello first: it is told why it cannot join.
        refusal = "wire protocol " + std::to_string(protocol) + ", expected " +
                  std::to_string(kWireProtocol) + " (another version of pipedream-train)";
        why = "it speaks " + refusal;
    } else if (f.size() != 3 || f[0] != "auth" || !isNonce(f[2])) {
        why = "its first line is not an answer to the challenge";
    } else if (!key) {
        why = "no run secret is set for this collector";
    } else if (!key->empty() &&
               !equalConstantTime(f[1], toHex(hmacSha256(*key, "pipedream-collector " + nonce)))) {
        why = f[1] == "-" ? "it has none (--no-secret?)" : "a wrong proof";
    }
    if (why.empty()) {
        // With no secret asked, any proof passes; the rank learns from
        // "welcome -" that this side cannot prove one, and decides.
        c->send("welcome " +
                (key->empty() ? std::string("-")
                              : toHex(hmacSha256(*key, "pipedream-rank " + std::string(f[2])))));
        return true;
    }
    if (refusal.empty())
        refusal = "it sent no valid run secret (every rank needs the run's: the same " +
                  std::string(kSecretVariable) + " or --secret-file)";
    int logged = 0;
    {
        std::lock_guard<std::mutex> lock(mutex);
        logged = ++authLogs;
    }
    if (logged <= kMaxAuthLogs)
        logLine("a connection from " + printable(peerOf(c->fd)) + " sent no valid run secret (" +
                printable(why, 200) + "); closed" +
                (logged == kMaxAuthLogs ? " (more such connections are not logged)" : ""));
    return false;
}

void EventCollector::Impl::closed(Conn* c) {
    Outbox out;
    {
        std::lock_guard<std::mutex> lock(mutex);
        c->open = false;
        if (stopping) return;
        Rank& r = ranks[c->rank];
        if (r.conn == c) r.conn = nullptr;
        lose(c->rank,
             r.lostReason.empty() ? "the process died or lost its connection" : r.lostReason, out);
    }
    deliver(out);
}

std::string EventCollector::Impl::checkCommon(int r, int stage, std::int64_t timeUs) const {
    if (stage != r)
        return "stage " + std::to_string(stage) + " from the rank of stage " + std::to_string(r);
    if (timeUs < 0 || timeUs > kMaxRecordedUs) return "time " + std::to_string(timeUs) + " us";
    return {};
}

std::string EventCollector::Impl::checkSlot(int r, const SlotEvent& e) {
    const ScheduleConfig& sc = options->schedule;
    if (std::string why = checkCommon(r, e.stage, e.startUs); !why.empty()) return why;
    if (e.endUs < e.startUs || e.endUs > kMaxRecordedUs)
        return "end " + std::to_string(e.endUs) + " us before its start or too late";
    if (e.batch < 0 || e.batch >= sc.batches || e.microbatch < -1 ||
        e.microbatch >= sc.microbatches || e.chunk < 0 || e.chunk >= sc.chunks)
        return "batch " + std::to_string(e.batch) + ", microbatch " + std::to_string(e.microbatch) +
               ", chunk " + std::to_string(e.chunk) + " outside the run's " +
               std::to_string(sc.batches) + " x " + std::to_string(sc.microbatches) + " x " +
               std::to_string(sc.chunks);
    if (e.version < 0 || e.version > versionBound(e.stage))
        return "version " + std::to_string(e.version);
    const auto& keys = actionKeys[e.stage];
    const std::uint64_t key = actionKey(e.batch, e.microbatch, e.op, e.chunk);
    // Equal keys: a kind with an update per microbatch (pipedream) has
    // several U of one batch; each may be reported once.
    const auto [from, to] = std::equal_range(keys.begin(), keys.end(), key);
    if (from == to)
        return std::string("op ") + opChar(e.op) + " of batch " + std::to_string(e.batch) +
               ", microbatch " + std::to_string(e.microbatch) + " is not in this schedule";
    auto& seen = actionSeen[e.stage];
    for (auto it = from; it != to; ++it) {
        const auto i = static_cast<std::size_t>(it - keys.begin());
        if (!seen[i]) {
            seen[i] = true;
            return {};
        }
    }
    return "an action reported twice";
}

bool EventCollector::Impl::dispatch(Conn* c, const std::string& line, std::string& why) {
    const auto f = net::fields(line);
    if (f.empty()) return true;
    const int r = c->rank;
    const std::string_view kind = f[0];
    auto ints = [&](std::size_t from, std::initializer_list<std::int64_t*> out) {
        if (f.size() < from + out.size()) return false;
        std::size_t i = from;
        for (std::int64_t* o : out)
            if (!net::toInt(f[i++], *o)) return false;
        return true;
    };
    std::int64_t a[9] = {};
    // A record of the run's events that does not decode is invalid (the
    // rank is dropped); a line of another kind is a newer rank's message,
    // skipped.
    if (kind == "ping" && f.size() == 3) {
        std::int64_t seq = 0, t = 0;
        if (!net::toInt(f[1], seq) || !net::toInt(f[2], t)) return true;
        const std::int64_t now = steadyNowUs();
        c->send("pong " + std::to_string(seq) + " " + std::to_string(t) + " " +
                std::to_string(now));
    } else if (kind == "slot") {
        SlotEvent e;
        if (!wire::decode(f, e, why)) return false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (std::string bad = checkSlot(r, e); !bad.empty()) {
                why = "slot: " + bad;
                return false;
            }
            ++ranPerStage[e.stage];
        }
        deliver([&] { sink.onSlot(e); });
    } else if (kind == "mem") {
        MemoryEvent e;
        if (!wire::decode(f, e, why)) return false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            std::string bad = checkCommon(r, e.stage, e.timeUs);
            const std::int64_t bound = versionBound(r);
            if (bad.empty() && (e.activationsInFlight < 0 || e.activationsInFlight > bound ||
                                e.versionsHeld < 0 || e.versionsHeld > bound))
                bad = "in flight " + std::to_string(e.activationsInFlight) + ", versions " +
                      std::to_string(e.versionsHeld);
            if (bad.empty() && (e.activationBytes < 0 || e.activationBytes > kMaxRecordedUs ||
                                e.stashBytes < 0 || e.stashBytes > kMaxRecordedUs))
                bad = "bytes " + std::to_string(e.activationBytes) + ", " +
                      std::to_string(e.stashBytes);
            if (!bad.empty()) {
                why = "mem: " + bad;
                return false;
            }
        }
        deliver([&] { sink.onMemory(e); });
    } else if (kind == "ver") {
        VersionEvent e;
        std::string bad;
        {
            std::lock_guard<std::mutex> lock(mutex);
            const std::int64_t bound = versionBound(r);
            if (!wire::decode(f, e, why,
                              static_cast<std::size_t>(std::max<std::int64_t>(bound, 0))))
                return false;
            bad = checkCommon(r, e.stage, e.timeUs);
            if (bad.empty() && (e.version < 0 || e.version > bound))
                bad = "version " + std::to_string(e.version);
            for (int v : e.stashed)
                if (bad.empty() && v > bound) bad = "stashed versions";
        }
        if (!bad.empty()) {
            why = "ver: " + bad;
            return false;
        }
        deliver([&] { sink.onVersion(e); });
    } else if (kind == "batch") {
        wire::BatchPart part;
        if (!wire::decode(f, part, why)) return false;
        std::optional<BatchEvent> merged;
        {
            std::lock_guard<std::mutex> lock(mutex);
            const int stage = part.stage;
            std::string bad = checkCommon(r, stage, part.timeUs);
            const std::int64_t bound = versionBound(r);
            if (bad.empty() && (part.batch < 0 || part.batch >= options->schedule.batches))
                bad = "batch " + std::to_string(part.batch);
            if (bad.empty() && (part.versionUsed < 0 || part.versionUsed > bound ||
                                part.versionAfter < 0 || part.versionAfter > bound))
                bad = "versions " + std::to_string(part.versionUsed) + ", " +
                      std::to_string(part.versionAfter);
            if (!bad.empty()) {
                why = "batch: " + bad;
                return false;
            }
            PartialBatch& p = batches[part.batch];
            if (p.seen.empty()) {
                p.seen.assign(world, false);
                p.event.batch = part.batch;
                p.event.versionUsed.assign(world, 0);
                p.event.versionAfter.assign(world, 0);
            }
            if (p.seen[stage]) {
                why = "batch: batch " + std::to_string(part.batch) + " reported twice";
                return false;
            }
            p.seen[stage] = true;
            p.event.loss += part.loss;
            p.event.versionUsed[stage] = part.versionUsed;
            p.event.versionAfter[stage] = part.versionAfter;
            p.event.timeUs = std::max(p.event.timeUs, part.timeUs);
            if (++p.parts == world) {
                merged = std::move(p.event);
                batches.erase(part.batch);
                ++batchesMerged;
            }
        }
        if (merged) deliver([&] { sink.onBatch(*merged); });
    } else if (kind == "clock" && ints(1, {&a[0], &a[1]})) {
        std::lock_guard<std::mutex> lock(mutex);
        ranks[r].offsetUs = a[0];
        ranks[r].errorUs = a[1];
        ranks[r].synced = true;
    } else if (kind == "ready") {
        std::lock_guard<std::mutex> lock(mutex);
        ranks[r].ready = true;
        const bool all = std::all_of(ranks.begin(), ranks.end(), [](const Rank& x) {
            return x.state == State::Connected && x.ready;
        });
        if (all && !goSent && !finishing) {
            goSent = true;
            sendAll("go " + std::to_string(steadyNowUs()));
        }
    } else if (kind == "held" && ints(1, {&a[0], &a[1]})) {
        std::lock_guard<std::mutex> lock(mutex);
        const int stage = static_cast<int>(a[0]);
        if (!awaitingHeld || stage < 0 || stage >= world || a[1] < 0) return true;
        ranks[stage].held = true;
        ranks[stage].next = static_cast<std::size_t>(a[1]);
        checkHeld();
    } else if (kind == "error") {
        const std::string message =
            f.size() > 1 ? printable(net::unescape(f[1]), 2000) : "unknown error";
        std::string prefix;
        {
            std::lock_guard<std::mutex> lock(mutex);
            prefix = who(r);
            ranks[r].failed = true;
            if (message.find(kSilentPeer) != std::string::npos ||
                message.find(kBrokenPeer) != std::string::npos) {
                // A consequence: said at the end, after the rank that hung or
                // died (whose lost connection may reach us a moment later).
                silentPeerErrors.push_back(prefix + ": " + message);
                cancelOthers();
                return true;
            }
        }
        deliver([&] { sink.onError(prefix + ": " + message); });
        std::lock_guard<std::mutex> lock(mutex);
        cancelOthers();
    } else if (kind == "done" && ints(1, {&a[0], &a[1], &a[2], &a[3]})) {
        Outbox out;
        {
            std::lock_guard<std::mutex> lock(mutex);
            Rank& rank = ranks[r];
            if (rank.state != State::Connected) return true;
            rank.state = State::Done;
            rank.cancelled = a[0] != 0;
            rank.failed = rank.failed || a[1] != 0;
            rank.timeUs = a[3];
            if (rank.failed) cancelOthers();
            checkHeld();
            checkFinished(out);
        }
        deliver(out);
    }
    // Anything else: a newer rank's message, skipped.
    return true;
}

EventCollector::EventCollector(EventSink& sink) : impl_(std::make_unique<Impl>(sink)) {}

EventCollector::~EventCollector() {
    impl_->stopping = true;
    if (impl_->wake[1] >= 0) {
        const char byte = 0;
        [[maybe_unused]] const auto n = ::write(impl_->wake[1], &byte, 1);
    }
    if (impl_->acceptThread.joinable()) impl_->acceptThread.join();
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (auto& c : impl_->conns) ::shutdown(c->fd, SHUT_RDWR);
    }
    for (auto& c : impl_->conns) {
        if (c->thread.joinable()) c->thread.join();
        ::close(c->fd);
    }
    for (int fd : {impl_->listenFd, impl_->wake[0], impl_->wake[1]})  // after the join: no race
        if (fd >= 0) ::close(fd);
}

bool EventCollector::listen(const std::string& host, int port, std::string& error) {
    if (impl_->boundPort > 0) {
        error = "the event collector already listens on port " + std::to_string(this->port());
        return false;
    }
    const int fd = net::listenTcp(host, port, error);
    if (fd < 0) return false;
    if (::pipe2(impl_->wake, O_CLOEXEC) != 0) {
        ::close(fd);
        error = "cannot create a pipe for the event collector";
        return false;
    }
    impl_->listenFd = fd;
    impl_->boundPort = net::localPort(fd);
    bool open = false;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        open = impl_->secret && impl_->secret->empty();
    }
    if (open)
        impl_->logLine(
            "accepting events without a run secret (--no-secret): anyone who can "
            "reach port " +
            std::to_string(impl_->boundPort) + " may pose as a rank");
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->world > 0) impl_->connectSince = std::chrono::steady_clock::now();
    }
    impl_->acceptThread = std::thread([this] { impl_->acceptLoop(); });
    return true;
}

int EventCollector::port() const {
    return impl_->boundPort;
}

void EventCollector::expect(int world, const RunOptions& options) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->setWorld(world, options);
    if (impl_->boundPort > 0) impl_->connectSince = std::chrono::steady_clock::now();
}

void EventCollector::setLog(std::function<void(const std::string&)> log) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->log = std::move(log);
}

void EventCollector::setSecret(std::string secret) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->secret = std::move(secret);
}

void EventCollector::setMemoryLimit(std::uint64_t bytes) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->memoryLimit = bytes;
}

void EventCollector::setOnAllConnected(std::function<void(const RunOptions&)> callback) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->onAllConnected = std::move(callback);
}

std::optional<RunOptions> EventCollector::options() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->options;
}

int EventCollector::worldSize() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->world;
}

std::vector<EventCollector::RankInfo> EventCollector::ranks() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<RankInfo> out;
    for (int r = 0; r < impl_->world; ++r) {
        const Impl::Rank& x = impl_->ranks[r];
        RankInfo info;
        info.rank = r;
        info.host = x.host;
        info.pid = x.pid;
        info.offsetUs = x.offsetUs;
        info.errorUs = x.errorUs;
        info.connected = x.conn && x.conn->open;
        info.finished = x.state == Impl::State::Done;
        info.lost = x.state == Impl::State::Lost;
        out.push_back(info);
    }
    return out;
}

std::int64_t EventCollector::clockErrorUs() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->world == 0) return -1;
    std::int64_t worst = 0;
    for (const Impl::Rank& r : impl_->ranks) {
        if (!r.synced) return -1;
        worst = std::max(worst, r.errorUs);
    }
    return worst;
}

void EventCollector::pause() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl& d = *impl_;
    if (d.paused || d.finishing) return;
    d.paused = true;
    if (!d.goSent) {  // nothing has run: every stage stands at its first action
        d.frontier = 0;
        d.sendFrontier();
        return;
    }
    d.awaitingHeld = true;
    for (Impl::Rank& r : d.ranks) r.held = false;
    d.sendAll("pause");
    d.checkHeld();
}

void EventCollector::resume() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl& d = *impl_;
    if (!d.paused) return;
    d.paused = false;
    d.awaitingHeld = false;
    d.pendingSteps.clear();
    d.sendAll("resume");
}

void EventCollector::stepSlot() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->paused) return;
    if (impl_->awaitingHeld)
        impl_->pendingSteps.push_back(false);
    else
        impl_->step(false);
}

void EventCollector::stepBatch() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->paused) return;
    if (impl_->awaitingHeld)
        impl_->pendingSteps.push_back(true);
    else
        impl_->step(true);
}

void EventCollector::cancel() {
    Impl::Outbox out;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        Impl& d = *impl_;
        if (d.cancelRequested) return;
        d.cancelRequested = true;
        d.othersCancelled = true;
        if (!d.stopSince) d.stopSince = std::chrono::steady_clock::now();
        d.sendAll("cancel");
        for (Impl::Rank& r : d.ranks) {
            if (r.state != Impl::State::Waiting) continue;
            r.state = Impl::State::Lost;  // given up on: it will not be waited for
            r.cancelled = true;
        }
        d.checkHeld();
        d.checkFinished(out);
    }
    impl_->deliver(out);
}

void EventCollector::markLost(int rank, const std::string& why) {
    Impl::Outbox out;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        Impl& d = *impl_;
        if (rank < 0 || rank >= d.world) return;
        Impl::Rank& r = d.ranks[rank];
        if (r.state == Impl::State::Connected && r.conn && r.conn->open) {
            r.lostReason = why;  // its end of file follows, after any done still on its way
            return;
        }
        d.lose(rank, why, out);
    }
    impl_->deliver(out);
}

bool EventCollector::paused() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->paused;
}

void EventCollector::setConnectTimeout(std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->connectTimeout = timeout;
}

bool EventCollector::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    auto done = [&] { return impl_->finished; };
    if (timeout == std::chrono::milliseconds::max()) {
        impl_->changed.wait(lock, done);
        return true;
    }
    return impl_->changed.wait_for(lock, timeout, done);
}

bool EventCollector::finished() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->finished;
}

}  // namespace pd
