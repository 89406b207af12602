// A rank's end of the wire protocol (distributed.h): connect, clock sync,
// events out as lines, control in on a reader thread.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/formats/wire.h"

namespace pd {

namespace {

constexpr int kSyncRoundTrips = 16;
constexpr int kRetryMs = 100;
// A collector that stops reading (not dead, not reading) must not stall a
// worker for ever: its sends give up and the link counts as lost.
constexpr int kSendTimeoutMs = 30000;

std::string fieldOf(int value) {
    return std::to_string(value);
}

}  // namespace

struct RankClient::Impl {
    int fd = -1;
    std::string where;  // HOST:PORT, for messages
    net::LineReader reader;
    std::thread thread;
    std::mutex sendMutex;
    std::atomic<bool> connected{false};
    std::atomic<std::int64_t> offset{0};
    std::atomic<std::int64_t> error{0};
    std::atomic<int> stage{0};

    std::mutex handlerMutex;  // keeps the handler's calls in arrival order
    std::function<void(const Control&)> handler;
    std::vector<Control> pending;  // arrived before there was a handler

    std::mutex mutex;
    std::condition_variable changed;
    std::optional<std::int64_t> goT0;
    bool cancelled = false;
    bool lost = false;
    bool paused = false;
    std::atomic<bool> stopping{false};

    void send(const std::string& line) {
        if (!connected) return;
        std::lock_guard<std::mutex> lock(sendMutex);
        if (!net::sendAll(fd, line + "\n")) connected = false;
    }
    void control(const Control& c) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (c.kind == Control::Cancel) cancelled = true;
            if (c.kind == Control::Pause || c.kind == Control::Frontier) paused = true;
            if (c.kind == Control::Resume) paused = false;
        }
        changed.notify_all();
        std::lock_guard<std::mutex> lock(handlerMutex);
        if (handler)
            handler(c);
        else if (!stopping)
            pending.push_back(c);
    }
    // A control line (pong excepted); unknown lines are skipped, so a newer
    // collector may add messages.
    void handle(std::string_view line) {
        const auto f = net::fields(line);
        if (f.empty()) return;
        Control c;
        if (f[0] == "go" && f.size() == 2) {
            std::int64_t t0 = 0;
            if (!net::toInt(f[1], t0)) return;
            {
                std::lock_guard<std::mutex> lock(mutex);
                goT0 = t0;
            }
            changed.notify_all();
            return;
        }
        if (f[0] == "pause") {
            c.kind = Control::Pause;
            c.frontier = -1;
        } else if (f[0] == "frontier" && f.size() == 2 && net::toInt(f[1], c.frontier)) {
            c.kind = Control::Frontier;
        } else if (f[0] == "resume") {
            c.kind = Control::Resume;
        } else if (f[0] == "cancel") {
            c.kind = Control::Cancel;
        } else {
            return;
        }
        control(c);
    }
    void readLoop() {
        std::string line;
        while (reader.read(line) == net::LineReader::Line) handle(line);
        connected = false;
        bool wasPaused = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            lost = true;
            wasPaused = paused;
        }
        changed.notify_all();
        // Nobody is left to send the next frontier: a held rank goes on
        // rather than waiting for ever.
        if (wasPaused && !stopping) control(Control{Control::Resume, 0});
    }
    // Both throw Error, or Dropped when the collector closed before any
    // answer (it made room for others, a flood): worth trying again.
    void sync(std::chrono::steady_clock::time_point deadline);
    void authenticate(const std::string& secret, std::chrono::steady_clock::time_point deadline);
};

namespace {

class Dropped : public Error {
public:
    using Error::Error;
};

}  // namespace

// The run secret both ways (distributed.h): the collector's challenge is
// answered, and its welcome must prove it knows the secret too.
void RankClient::Impl::authenticate(const std::string& secret,
                                    std::chrono::steady_clock::time_point deadline) {
    auto next = [&](std::string& line) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        return reader.read(line, static_cast<int>(std::max<std::int64_t>(left, 0)));
    };
    auto refusedBy = [&](const std::vector<std::string_view>& f) {
        return Error("the event collector at " + where + " refused this rank: " +
                     printable(f.size() > 1 ? net::unescape(f[1]) : "no reason given", 1000));
    };
    std::string line;
    auto r = next(line);
    if (r == net::LineReader::Closed)
        throw Dropped("the event collector at " + where + " closed the connection at once");
    auto f = net::fields(line);
    if (r == net::LineReader::Timeout || f.size() != 2 || f[0] != "challenge") {
        if (!f.empty() && f[0] == "refused") throw refusedBy(f);
        throw Error("the event collector at " + where +
                    " sent no challenge for the run secret (an older pipedream-train, or not an "
                    "event collector)");
    }
    const std::string nonce = toHex(randomBytes(32));
    const std::string proof =
        secret.empty() ? "-"
                       : toHex(hmacSha256(secret, "pipedream-collector " + std::string(f[1])));
    if (!net::sendAll(fd, "auth " + proof + " " + nonce + "\n"))
        throw Error("lost the connection to the event collector at " + where);
    r = next(line);
    if (r == net::LineReader::Closed)
        throw Dropped("the event collector at " + where + " closed the connection");
    f = net::fields(line);
    if (!f.empty() && f[0] == "refused") throw refusedBy(f);
    if (r == net::LineReader::Timeout || f.size() != 2 || f[0] != "welcome")
        throw Error("the event collector at " + where + " did not answer the run secret's proof");
    if (secret.empty()) {
        if (f[1] == "-") return;
        throw Error("the event collector at " + where +
                    " asks for a run secret and this rank has none (--no-secret): give every "
                    "rank and the collector the same secret, or --no-secret to all");
    }
    if (f[1] == "-")
        throw Error("the event collector at " + where +
                    " asks for no run secret (--no-secret) and this rank has one: give --no-secret "
                    "to every rank and the collector, or the same secret to all");
    if (!equalConstantTime(f[1], toHex(hmacSha256(secret, "pipedream-rank " + nonce))))
        throw Error("the event collector at " + where +
                    " does not know this run's secret (not this run's collector, or another " +
                    kSecretVariable + "); not sending it anything");
}

void RankClient::Impl::sync(std::chrono::steady_clock::time_point deadline) {
    std::int64_t bestRtt = -1;
    bool answered = false;
    for (int seq = 0; seq < kSyncRoundTrips; ++seq) {
        const std::int64_t t1 = steadyNowUs();
        if (!net::sendAll(fd, "ping " + fieldOf(seq) + " " + std::to_string(t1) + "\n"))
            throw Error("lost the connection to the event collector at " + where);
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  deadline - std::chrono::steady_clock::now())
                                  .count();
            std::string line;
            const auto r = reader.read(line, static_cast<int>(std::max<std::int64_t>(left, 0)));
            if (r == net::LineReader::Timeout)
                throw Error("the event collector at " + where + " did not answer the clock sync");
            if (r == net::LineReader::Closed) {
                const std::string message =
                    "the event collector at " + where +
                    " closed the connection: it refused this rank (its error says why)";
                if (!answered) throw Dropped(message);
                throw Error(message);
            }
            answered = true;
            const auto f = net::fields(line);
            if (!f.empty() && f[0] == "refused")
                throw Error(
                    "the event collector at " + where + " refused this rank: " +
                    printable(f.size() > 1 ? net::unescape(f[1]) : "no reason given", 1000));
            int pongSeq = -1;
            std::int64_t t2 = 0;
            if (f.size() == 4 && f[0] == "pong" && net::toInt(f[1], pongSeq) &&
                net::toInt(f[3], t2)) {
                if (pongSeq != seq) continue;  // a late answer
                const std::int64_t t3 = steadyNowUs();
                const std::int64_t rtt = t3 - t1;
                if (bestRtt < 0 || rtt < bestRtt) {
                    bestRtt = rtt;
                    offset = t2 - (t1 + t3) / 2;
                    error = (rtt + 1) / 2;
                }
                break;
            }
            handle(line);  // control that came early (a run paused before start)
        }
    }
}

RankClient::RankClient() : impl_(std::make_unique<Impl>()) {}

RankClient::~RankClient() {
    impl_->stopping = true;
    {
        // Waits for a handler call in progress; none comes after: the
        // handler's objects may be gone once the client is.
        std::lock_guard<std::mutex> lock(impl_->handlerMutex);
        impl_->handler = nullptr;
        impl_->pending.clear();
    }
    if (impl_->fd >= 0) ::shutdown(impl_->fd, SHUT_RDWR);
    if (impl_->thread.joinable()) impl_->thread.join();
    if (impl_->fd >= 0) ::close(impl_->fd);
}

void RankClient::connect(const std::string& hostPort, const Hello& hello,
                         std::chrono::milliseconds timeout) {
    const auto [host, port] = parseHostPort(hostPort);
    if (impl_->fd >= 0) throw Error("already connected to the event collector at " + impl_->where);
    impl_->where = hostPort;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line = "hello " + fieldOf(kWireProtocol) + " " + fieldOf(hello.rank) + " " +
                       fieldOf(hello.world) + " " + fieldOf(hello.pid) + " " +
                       net::escape(hello.host.empty() ? hostName() : hello.host);
    for (const std::string& a : hello.args) line += " " + net::escape(a);
    impl_->stage = hello.rank;
    // The sync waits at least a few seconds even when connecting took
    // most of the timeout: a collector that accepted answers at once.
    const auto syncDeadline =
        std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    for (;;) {
        int fd = -1;
        for (;;) {
            try {
                fd = net::connectTcp(host, port);
                break;
            } catch (const net::ConnectError& e) {
                if (!e.retryable()) throw;
            }
            if (std::chrono::steady_clock::now() + std::chrono::milliseconds(kRetryMs) > deadline)
                throw Error("cannot reach the event collector at " + hostPort + " within " +
                            net::seconds(timeout.count()));
            std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
        }
        net::setSendTimeout(fd, kSendTimeoutMs);
        impl_->fd = fd;
        impl_->reader = net::LineReader(fd);
        const auto giveUp = [&] {
            ::close(fd);
            impl_->fd = -1;
        };
        try {
            impl_->authenticate(hello.secret, syncDeadline);
            if (!net::sendAll(fd, line + "\n"))
                throw Error("lost the connection to the event collector at " + hostPort);
            impl_->sync(syncDeadline);
            break;
        } catch (const Dropped&) {
            giveUp();
            if (std::chrono::steady_clock::now() + std::chrono::milliseconds(kRetryMs) >= deadline)
                throw;
        } catch (const Error&) {
            giveUp();
            throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
    }
    impl_->connected = true;
    impl_->send("clock " + std::to_string(impl_->offset.load()) + " " +
                std::to_string(impl_->error.load()));
    impl_->thread = std::thread([this] { impl_->readLoop(); });
}

std::int64_t RankClient::offsetUs() const {
    return impl_->offset;
}

std::int64_t RankClient::errorUs() const {
    return impl_->error;
}

void RankClient::setControlHandler(std::function<void(const Control&)> handler) {
    std::lock_guard<std::mutex> lock(impl_->handlerMutex);
    impl_->handler = std::move(handler);
    if (!impl_->handler) return;
    for (const Control& c : impl_->pending) impl_->handler(c);
    impl_->pending.clear();
}

std::optional<std::chrono::steady_clock::time_point> RankClient::ready() {
    if (impl_->fd < 0) throw Error("not connected to an event collector");
    impl_->send("ready");
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->changed.wait(lock, [&] { return impl_->goT0 || impl_->cancelled || impl_->lost; });
    if (impl_->goT0) {
        const std::int64_t local = *impl_->goT0 - impl_->offset;
        return std::chrono::steady_clock::time_point(std::chrono::microseconds(local));
    }
    if (impl_->cancelled) return std::nullopt;  // before the start: not an error
    throw Error("lost the connection to the event collector at " + impl_->where);
}

void RankClient::sendHeld(int stage, std::size_t nextAction) {
    impl_->send("held " + fieldOf(stage) + " " + std::to_string(nextAction));
}

void RankClient::setStage(int stage) {
    impl_->stage = stage;
}

void RankClient::onSlot(const SlotEvent& e) {
    impl_->send(wire::encode(e));
}

void RankClient::onMemory(const MemoryEvent& e) {
    impl_->send(wire::encode(e));
}

void RankClient::onBatch(const BatchEvent& e) {
    // The rank's runtime may report every stage's slot or only its own.
    const int s = impl_->stage;
    auto of = [&](const std::vector<int>& v) {
        if (s >= 0 && static_cast<std::size_t>(s) < v.size()) return v[s];
        return v.size() == 1 ? v[0] : 0;
    };
    wire::BatchPart part;
    part.batch = e.batch;
    part.stage = s;
    part.loss = e.loss;
    part.versionUsed = of(e.versionUsed);
    part.versionAfter = of(e.versionAfter);
    part.timeUs = e.timeUs;
    impl_->send(wire::encode(part));
}

void RankClient::onVersion(const VersionEvent& e) {
    impl_->send(wire::encode(e));
}

void RankClient::onEvaluation(const EvaluationEvent& e) {
    impl_->send(wire::encode(e));
}

void RankClient::onFinished(const RunSummary& s) {
    impl_->send(std::string("done ") + (s.cancelled ? "1" : "0") + " " + (s.failed ? "1" : "0") +
                " " + fieldOf(s.batchesDone) + " " + std::to_string(s.timeUs));
}

void RankClient::onError(const std::string& message) {
    impl_->send("error " + net::escape(message));
}

bool RankClient::connected() const {
    return impl_->connected;
}

}  // namespace pd
