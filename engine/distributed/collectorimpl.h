// Internal to the event collector (collector*.cpp): its state, one mutex
// over it, and the helpers its threads share. Not for other files: they use
// engine/distributed/distributed.h.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/distributed/pausefrontier.h"
#include "engine/schedule/slotgrid.h"

namespace pd {

struct EventCollector::Impl {
    // A rank that stops reading must not hold the collector (and with it the
    // GUI's control calls) for long.
    static constexpr int kSendTimeoutMs = 5000;
    // Connections that have not said an accepted hello yet. Ranks say hello
    // at once; more than this at a time are strangers (a port scanner, a
    // flood): the oldest is dropped to make room, so a real rank still gets in.
    static constexpr std::size_t kMaxPending = 8;
    // Connections closing (their threads ending) on top of those: a flood of
    // connect-and-close probes beyond this is closed at once (a rank closed
    // without an answer connects again).
    static constexpr std::size_t kMaxClosing = 64;
    // A connection that has not said hello by then is dropped.
    static constexpr int kHandshakeMs = 5000;
    static constexpr int kDeadlineCheckMs = 200;
    // Once the run is stopping (cancelled, or a rank failed), a rank that has
    // not said done by then is given up on: suspended (SIGSTOP), hung in a
    // kernel, on a machine that froze. Ranks stop within one slot otherwise.
    static constexpr auto kStopGrace = std::chrono::seconds(5);

    // Connections without the run secret logged at most this many times; then
    // once that the rest are not (a flood must not flood the log).
    static constexpr int kMaxAuthLogs = 20;

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
    std::set<int> evaluated;  // batches whose held-out evaluation arrived
    std::function<void(const RunOptions&)> onAllConnected;
    bool allConnectedSaid = false;
    std::chrono::milliseconds connectTimeout{0};
    std::optional<std::chrono::steady_clock::time_point> connectSince;
    bool goSent = false;
    PauseFrontier pauser;
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
        pauser.setRun(w, grid);
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
    // Throw Error ("KIND: why") when a record is not of this run's grid.
    // mutex held.
    void checkSlot(int r, const SlotEvent& e);
    void checkCommon(std::string_view kind, int r, int stage, std::int64_t timeUs) const;
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
    // The ranks as the pause logic sees them, and its way to reach them.
    PauseFrontier::Ranks pauseView() const {  // mutex held
        return {[this](int st) {
                    return ranks[st].state == State::Done || ranks[st].state == State::Lost;
                },
                ranPerStage};
    }
    PauseFrontier::Send toAll() {
        return [this](const std::string& line) { sendAll(line); };
    }
    void checkHeld() {  // mutex held
        pauser.check(pauseView(), toAll());
    }

    void acceptLoop();
    void admit(int fd, std::vector<std::unique_ptr<Conn>>& dead);
    void prune(std::vector<std::unique_ptr<Conn>>& dead);
    void readLoop(Conn* c);
    // A connection refused during the handshake: readLoop sends the reason
    // (a rank of this run reports it) and closes the connection.
    class Refused : public Error {
    public:
        using Error::Error;
    };
    // The challenge-response: true when `c` proved it knows the secret (or
    // none is asked); false when it is closed without a word (a probe, no
    // valid proof); Refused when it is told why.
    bool authenticate(Conn* c, std::chrono::steady_clock::time_point deadline);
    void logLine(const std::string& line) {  // mutex not held
        if (log)
            log(line);
        else
            std::fprintf(stderr, "warning: event collector: %s\n", line.c_str());
    }
    // True when `c` joins as its rank; false when the line is not a
    // rank's hello (closed without a word); Refused otherwise. mutex held.
    bool hello(Conn* c, const std::string& line, Outbox& out);
    // One line of rank c's: records checked and delivered, control lines
    // acted on. Throws Error when a record is invalid (the rank is dropped).
    void dispatch(Conn* c, const std::string& line);
    void closed(Conn* c);
    void checkConnectTimeout(Outbox& out);
    void checkStopTimeout(Outbox& out);
};

}  // namespace pd
