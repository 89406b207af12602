// The event collector's connections: accepting them (bounded), the run
// secret's challenge-response, a rank's hello, reading its lines, and the
// deadlines (connect, stop) watched by the accepting thread.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/config/resources.h"
#include "engine/distributed/collectorimpl.h"

namespace pd {

namespace {

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
bool EventCollector::Impl::hello(Conn* c, const std::string& line, Outbox& out) {
    const auto f = net::fields(line);
    int protocol = 0, r = -1, w = 0, pid = 0;
    if (f.size() < 6 || f[0] != "hello" || !net::toInt(f[1], protocol) || !net::toInt(f[2], r) ||
        !net::toInt(f[3], w) || !net::toInt(f[4], pid))
        return false;  // not a rank of ours: closed without a word
    // Free text from the network: one line, no terminal control bytes.
    const std::string host = printable(net::unescape(f[5]), 100);
    const std::string name = "a connection claiming rank " + std::to_string(r) + " on " + host;
    auto refuse = [&](const std::string& why) {
        out.logs.push_back(name + " was refused: " + why);
        if (world > 0 && r >= 0 && r < world) ranks[r].refused = why;
        return Refused(why);
    };
    if (protocol != kWireProtocol)
        throw refuse("wire protocol " + std::to_string(protocol) + ", expected " +
                     std::to_string(kWireProtocol) + " (another version of pipedream-train)");
    if (world > 0 && w != world)
        throw refuse("world size " + std::to_string(w) + ", expected " + std::to_string(world));
    if (w < 1 || w > kMaxStages)
        throw refuse("world size " + std::to_string(w) + " outside 1.." +
                     std::to_string(kMaxStages));
    if (r < 0 || r >= w) throw refuse("rank outside 0.." + std::to_string(w - 1));
    std::vector<std::string> args;
    for (std::size_t i = 6; i < f.size(); ++i) args.push_back(net::unescape(f[i]));
    if (world == 0) {  // attaching: the first rank tells what runs
        if (cancelRequested) return false;
        ParsedOptions p;
        try {
            p = parseRunOptions(args, false);
        } catch (const ConfigError& e) {
            throw refuse(std::string("its options are not valid: ") + printable(e.what()));
        }
        if (p.options.schedule.stages != w)
            throw refuse("world size " + std::to_string(w) + " for " +
                         std::to_string(p.options.schedule.stages) + " stages");
        // What the view of this run will hold, before any of it is made.
        RunOptions view = p.options;
        view.dryRun = true;
        const MemoryEstimate need = estimateRunMemory(view);
        const auto limit = memoryLimit ? memoryLimit : availableMemoryBytes();
        if (limit && need.total() > *limit / (memoryLimit ? 1 : 2))
            throw refuse("its run (" + std::to_string(p.options.schedule.stages) + " stages x " +
                         std::to_string(p.options.schedule.microbatches) + " microbatches x " +
                         std::to_string(p.options.schedule.batches) + " batches) needs " +
                         need.describe() + " to watch, more than " +
                         formatBytes(*limit / (memoryLimit ? 1 : 2)) + " this window may use");
        setWorld(w, p.options);
        connectSince = std::chrono::steady_clock::now();
    } else {
        const std::string diff = optionsDifference(args, expectedArgs);
        if (!diff.empty()) throw refuse("options differ: " + printable(diff, 1000));
    }
    Rank& rank = ranks[r];
    if (rank.state == State::Lost)  // given up on (late, cancelled): not an error
        throw Refused("rank " + std::to_string(r) + " was given up on (the run is stopping)");
    if (rank.state != State::Waiting) {
        // Not recorded in rank.refused: that rank is here.
        const std::string why =
            "rank " + std::to_string(r) + " is already connected from " + rank.host;
        out.logs.push_back(name + " was refused: " + why);
        throw Refused(why);
    }
    rank.state = State::Connected;
    rank.conn = c;
    rank.host = host;
    rank.pid = pid;
    rank.refused.clear();
    c->rank = r;
    if (pauser.paused()) c->send(pauser.frontierLine());
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
    const auto deadline = c->since + std::chrono::milliseconds(kHandshakeMs);
    const auto left = [&] {
        return static_cast<int>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count()));
    };
    std::optional<std::string> refusal;  // told to the peer before it is closed
    try {
        if (authenticate(c, deadline) && c->reader.read(line, left()) == net::LineReader::Line) {
            Outbox out;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (finishing) {
                    refusal = "the run is over";
                } else {
                    try {
                        accepted = c->open && hello(c, line, out);
                    } catch (const Refused& r) {
                        refusal = r.what();
                    }
                }
            }
            deliver(out);  // a refusal's log line too
        }
    } catch (const Refused& r) {
        refusal = r.what();
    }
    // A rank of this run learns why (its error names it); the send gives up
    // after kSendTimeoutMs on a peer that does not read.
    if (refusal) c->send("refused " + net::escape(*refusal));
    if (!accepted) {
        ::shutdown(c->fd, SHUT_RDWR);
        {
            std::lock_guard<std::mutex> lock(mutex);
            c->open = false;
        }
        c->ended = true;
        return;
    }
    while (!stopping && c->reader.read(line) == net::LineReader::Line) {
        try {
            dispatch(c, line);
        } catch (const Error& invalid) {
            // Nothing it sends can be trusted any more: the rank is named and
            // dropped (its connection closed), and nothing of it is recorded.
            std::lock_guard<std::mutex> lock(mutex);
            Rank& rank = ranks[c->rank];
            if (rank.conn == c && rank.lostReason.empty())
                rank.lostReason =
                    std::string("sent an invalid record (") + invalid.what() + "); dropped";
            break;
        }
    }
    ::shutdown(c->fd, SHUT_RDWR);
    closed(c);
    c->ended = true;
}

bool EventCollector::Impl::authenticate(Conn* c, std::chrono::steady_clock::time_point deadline) {
    std::optional<std::string> key;
    {
        std::lock_guard<std::mutex> lock(mutex);
        key = secret;
    }
    std::string nonce;
    try {
        nonce = toHex(randomBytes(32));
    } catch (const Error& e) {
        logLine(std::string(e.what()) + " for a challenge; connection from " + peerOf(c->fd) +
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
    std::string why, refusal;
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
    throw Refused(refusal);
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

}  // namespace pd
