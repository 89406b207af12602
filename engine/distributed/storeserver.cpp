// The rendezvous store's host (rankstore.h): one poll() thread serves every
// connection, so a stranger who connects and says nothing (or one byte)
// holds up no one; a connection that fails the run secret's proof or breaks
// the protocol is closed at once and logged once. Rank 0 reads and writes
// the same keys in-process.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/distributed/rankstore.h"

namespace pd {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxAuthLine = 256;
constexpr std::size_t kHeaderBytes = 13;
constexpr int kMaxLogs = 20;

std::string peerName(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    char host[INET6_ADDRSTRLEN] = {};
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "an unknown peer";
    if (addr.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
    }
    if (addr.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
    }
    return "an unknown peer";
}

std::uint32_t be32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t(u[0]) << 24) | (std::uint32_t(u[1]) << 16) | (std::uint32_t(u[2]) << 8) |
           std::uint32_t(u[3]);
}

std::string reply(StoreStatus status, const std::string& data) {
    std::string out(5, '\0');
    out[0] = static_cast<char>(status);
    const auto n = static_cast<std::uint32_t>(data.size());
    for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
    return out + data;
}

}  // namespace

struct StoreServer::Impl {
    struct Conn {
        int fd = -1;
        std::string peer;
        bool joined = false;
        bool closed = false;
        Clock::time_point deadline;  // the handshake's
        std::string nonce;
        std::string in, out;
        std::optional<std::string> waitKey;
        Clock::time_point waitUntil;
    };

    int world = 1;
    std::string secret;
    std::chrono::milliseconds maxWait;
    Log log;
    int listenFd = -1;
    int boundPort = 0;
    int wake[2] = {-1, -1};
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<bool> isListening{false};
    std::atomic<int> joinedCount{0};
    std::atomic<int> refusedCount{0};
    int logs = 0;
    std::list<Conn> conns;  // the server thread's

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::map<std::string, std::string> data;
    std::size_t bytes = 0;

    void logLine(const std::string& line) {
        if (++logs > kMaxLogs) return;
        const std::string text =
            line + (logs == kMaxLogs ? " (more such connections are not logged)" : "");
        if (log)
            log(text);
        else
            std::fprintf(stderr, "warning: rendezvous store: %s\n", text.c_str());
    }
    void poke() {
        const char b = 1;
        if (wake[1] < 0) return;
        const ssize_t n = ::write(wake[1], &b, 1);  // full: a wake-up is pending anyway
        (void)n;
    }
    void serve();
    void accept();
    void readFrom(Conn& c);
    void handshake(Conn& c);
    void requests(Conn& c);
    std::string handle(StoreOp op, const std::string& key, const std::string& v1,
                       const std::string& v2, StoreStatus& status, Conn& c);
    void flush(Conn& c);
    std::int64_t addLocked(const std::string& key, std::int64_t delta);
    std::string compareSetLocked(const std::string& key, const std::string& expected,
                                 const std::string& desired);
    bool eraseLocked(const std::string& key);
    bool has(const std::string& key) const {
        std::lock_guard<std::mutex> lock(mutex);
        return data.count(key) > 0;
    }
    void drop(Conn& c, const std::string& why) {
        ++refusedCount;
        if (!why.empty())
            logLine("a connection from " + printable(c.peer) + " " + why + "; closed");
        release(c);
    }
    // A rank's place is free again once its connection closes.
    void release(Conn& c) {
        ::close(c.fd);
        c.closed = true;
        if (c.joined) --joinedCount;
    }
    // Storing: under `mutex`, sizes checked; throws when the store is full.
    void put(const std::string& key, std::string value) {
        const auto it = data.find(key);
        const std::size_t old = it == data.end() ? 0 : key.size() + it->second.size();
        if (bytes - old + key.size() + value.size() > kStoreMaxTotalBytes)
            throw Error("the rendezvous store is full (" +
                        std::to_string(kStoreMaxTotalBytes >> 20) + " MiB)");
        bytes = bytes - old + key.size() + value.size();
        data[key] = std::move(value);
    }
    // After a change: rank 0's waits and the connections' waits look again.
    void changedNow() {
        changed.notify_all();
        poke();
    }
};

StoreServer::StoreServer(int world, std::string secret, std::chrono::milliseconds maxWait, Log log)
    : impl_(std::make_unique<Impl>()) {
    impl_->world = std::max(1, world);
    impl_->secret = std::move(secret);
    impl_->maxWait = maxWait;
    impl_->log = std::move(log);
}

StoreServer::~StoreServer() {
    stop();
}

void StoreServer::listen(const std::string& host, int port) {
    const int fd = net::listenTcp(host, port);
    if (::pipe2(impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        ::close(fd);
        throw Error("cannot create a pipe for the rendezvous store");
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    impl_->listenFd = fd;
    impl_->boundPort = net::localPort(fd);
    impl_->isListening = true;
    if (impl_->secret.empty())
        impl_->logLine("accepting ranks without a run secret (--no-secret): anyone who can reach " +
                       printable(host) + ":" + std::to_string(impl_->boundPort) +
                       " may read the run's options and write its rendezvous keys");
    impl_->thread = std::thread([this] { impl_->serve(); });
}

int StoreServer::port() const {
    return impl_->boundPort;
}

bool StoreServer::listening() const {
    return impl_->isListening;
}

int StoreServer::joined() const {
    return impl_->joinedCount;
}

int StoreServer::refused() const {
    return impl_->refusedCount;
}

void StoreServer::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->poke();
    if (impl_->thread.joinable()) impl_->thread.join();
    for (auto& c : impl_->conns)
        if (!c.closed) ::close(c.fd);
    impl_->conns.clear();
    if (impl_->listenFd >= 0) ::close(impl_->listenFd);
    impl_->listenFd = -1;
    impl_->isListening = false;
    for (int& fd : impl_->wake)
        if (fd >= 0) ::close(fd), fd = -1;
}

void StoreServer::Impl::serve() {
    std::vector<pollfd> fds;
    while (!stopping) {
        fds.clear();
        fds.push_back({wake[0], POLLIN, 0});
        fds.push_back({isListening ? listenFd : -1, POLLIN, 0});
        auto next = Clock::now() + std::chrono::seconds(1);
        for (const Conn& c : conns) {
            short events = c.out.empty() ? POLLIN : short(POLLIN | POLLOUT);
            fds.push_back({c.fd, events, 0});
            if (!c.joined) next = std::min(next, c.deadline);
            if (c.waitKey) next = std::min(next, c.waitUntil);
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, ms.count()) + 1));
        if (stopping) break;
        char drain[64];
        while (::read(wake[0], drain, sizeof drain) > 0) {
        }
        std::size_t i = 2;
        for (Conn& c : conns) {
            const short r = fds[i++].revents;
            if (r & POLLOUT) flush(c);
            if (!c.closed && (r & (POLLIN | POLLHUP | POLLERR))) readFrom(c);
        }
        if (fds[1].revents & POLLIN) accept();
        const auto now = Clock::now();
        for (Conn& c : conns) {
            if (c.closed) continue;
            if (!c.joined && now >= c.deadline) {
                drop(c, "sent no answer to the run secret's challenge within " +
                            net::seconds(kStoreHandshakeMs));
                continue;
            }
            if (c.joined) requests(c);  // a wait answered or timed out
        }
        conns.remove_if([](const Conn& c) { return c.closed; });
    }
}

void StoreServer::Impl::accept() {
    for (;;) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        net::tuneSocket(fd);
        std::size_t pending = 0;
        for (const Conn& c : conns) pending += !c.closed && !c.joined;
        if (pending >= static_cast<std::size_t>(world) + kStoreExtraPending) {
            // A flood: the oldest pending connection makes room for this one.
            for (Conn& c : conns)
                if (!c.closed && !c.joined) {
                    drop(c, "was still silent when more connections came; dropped to make room");
                    break;
                }
        }
        Conn c;
        c.fd = fd;
        c.peer = peerName(fd);
        c.deadline = Clock::now() + std::chrono::milliseconds(kStoreHandshakeMs);
        try {
            c.nonce = toHex(randomBytes(32));
        } catch (const Error& e) {
            ::close(fd);
            logLine(std::string(e.what()) + " for a challenge");
            continue;
        }
        c.out = "challenge " + c.nonce + "\n";
        conns.push_back(std::move(c));
        flush(conns.back());
    }
}

void StoreServer::Impl::flush(Conn& c) {
    while (!c.closed && !c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            c.out.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        drop(c, c.joined ? "" : "closed before the challenge was sent");
    }
}

void StoreServer::Impl::readFrom(Conn& c) {
    char buf[65536];
    // Never more than one request (and, before the proof, one short line)
    // is buffered: the rest waits in the socket.
    const std::size_t cap =
        c.joined ? kHeaderBytes + kStoreMaxKeyBytes + 2 * kStoreMaxValueBytes : kMaxAuthLine + 1;
    while (!c.closed && c.in.size() < cap) {
        const ssize_t n = ::recv(c.fd, buf, std::min(sizeof buf, cap - c.in.size()), 0);
        if (n > 0) {
            c.in.append(buf, static_cast<std::size_t>(n));
            if (!c.joined) break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        // Closed by the peer: a probe before the proof is not worth a line.
        if (!c.joined) ++refusedCount;
        release(c);
        return;
    }
    if (c.joined)
        requests(c);
    else
        handshake(c);
}

void StoreServer::Impl::handshake(Conn& c) {
    const auto nl = c.in.find('\n');
    for (std::size_t i = 0; i < std::min(nl, c.in.size()); ++i) {
        const auto ch = static_cast<unsigned char>(c.in[i]);
        if ((ch < 0x20 || ch > 0x7e) && ch != '\r') {
            drop(c, "sent binary data instead of an answer to the run secret's challenge (" +
                        printable(c.in.substr(0, 32), 60) + ")");
            return;
        }
    }
    if (nl == std::string::npos) {
        if (c.in.size() > kMaxAuthLine)
            drop(c, "sent a line longer than an answer to the challenge");
        return;
    }
    std::string line = c.in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c.in.erase(0, nl + 1);
    const auto f = net::fields(line);
    std::string why;
    if (f.size() != 3 || f[0] != "auth" || f[2].size() != 64)
        why = "sent no answer to the run secret's challenge (" + printable(line, 60) + ")";
    else if (secret.empty() && f[1] != "-")
        why = "proves a run secret, and this run has none (--no-secret on rank 0 only?)";
    else if (!secret.empty() &&
             !equalConstantTime(f[1], toHex(hmacSha256(secret, "pipedream-store " + c.nonce))))
        why = f[1] == "-" ? "sent no run secret (--no-secret?)" : "sent a wrong run secret proof";
    else if (joinedCount >= world - 1)
        why =
            "proved the secret, but all " + std::to_string(world - 1) + " other ranks have joined";
    if (!why.empty()) {
        const std::string refusal = "refused " + net::escape(why) + "\n";
        const ssize_t n = ::send(c.fd, refusal.data(), refusal.size(), MSG_NOSIGNAL);
        (void)n;  // a real rank learns why; a stranger may not read it
        drop(c, why);
        return;
    }
    c.joined = true;
    ++joinedCount;
    c.out +=
        "welcome " +
        (secret.empty() ? std::string("-")
                        : toHex(hmacSha256(secret, "pipedream-store-host " + std::string(f[2])))) +
        "\n";
    flush(c);
    requests(c);
}

void StoreServer::Impl::requests(Conn& c) {
    while (!c.closed && c.out.empty()) {
        if (c.waitKey) {
            const bool there = has(*c.waitKey);
            if (!there && Clock::now() < c.waitUntil) return;
            c.out = reply(there ? StoreStatus::Ok : StoreStatus::Timeout, {});
            c.waitKey.reset();
            flush(c);
            continue;
        }
        if (c.in.size() < kHeaderBytes) return;
        const auto op = static_cast<unsigned char>(c.in[0]);
        const std::uint32_t n1 = be32(&c.in[1]), n2 = be32(&c.in[5]), n3 = be32(&c.in[9]);
        // The lengths are checked before a byte of the fields is kept.
        std::string why;
        if (op < std::uint8_t(StoreOp::Set) || op > std::uint8_t(StoreOp::NumKeys))
            why = "sent an unknown request (" + std::to_string(op) + ")";
        else if (n1 > kStoreMaxKeyBytes)
            why = "sent a key of " + std::to_string(n1) + " bytes (at most " +
                  std::to_string(kStoreMaxKeyBytes) + ")";
        else if (n2 > kStoreMaxValueBytes || n3 > kStoreMaxValueBytes)
            why = "sent a value of " + std::to_string(std::max(n2, n3)) + " bytes (at most " +
                  std::to_string(kStoreMaxValueBytes) + ")";
        if (!why.empty()) {
            drop(c, why);
            return;
        }
        if (c.in.size() < kHeaderBytes + n1 + n2 + n3) return;
        const std::string key = c.in.substr(kHeaderBytes, n1);
        const std::string v1 = c.in.substr(kHeaderBytes + n1, n2);
        const std::string v2 = c.in.substr(kHeaderBytes + n1 + n2, n3);
        c.in.erase(0, kHeaderBytes + n1 + n2 + n3);
        StoreStatus status = StoreStatus::Ok;
        const std::string out = handle(static_cast<StoreOp>(op), key, v1, v2, status, c);
        if (c.waitKey) continue;
        c.out = reply(status, out);
        flush(c);
    }
}

std::string StoreServer::Impl::handle(StoreOp op, const std::string& key, const std::string& v1,
                                      const std::string& v2, StoreStatus& status, Conn& c) {
    // A connection's requests are its rank's: the same operations as rank 0's own.
    try {
        std::unique_lock<std::mutex> lock(mutex);
        switch (op) {
            case StoreOp::Set:
                put(key, v1);
                lock.unlock();
                changedNow();
                return {};
            case StoreOp::Get: {
                const auto it = data.find(key);
                if (it == data.end()) status = StoreStatus::No;
                return it == data.end() ? std::string() : it->second;
            }
            case StoreOp::Add: {
                std::int64_t delta = 0;
                if (!net::toInt(v1, delta)) throw Error("add: not a number");
                const std::int64_t sum = addLocked(key, delta);
                lock.unlock();
                changedNow();
                return std::to_string(sum);
            }
            case StoreOp::CompareSet: {
                std::string out = compareSetLocked(key, v1, v2);
                lock.unlock();
                changedNow();
                return out;
            }
            case StoreOp::Delete:
                if (!eraseLocked(key)) status = StoreStatus::No;
                return {};
            case StoreOp::Check:
                if (!data.count(key)) status = StoreStatus::No;
                return {};
            case StoreOp::Wait: {
                std::int64_t ms = 0;
                if (!net::toInt(v1, ms) || ms < 0) throw Error("wait: not a time");
                if (data.count(key)) return {};
                c.waitKey = key;
                c.waitUntil = Clock::now() + std::min(std::chrono::milliseconds(ms), maxWait);
                return {};
            }
            case StoreOp::NumKeys:
                return std::to_string(data.size());
        }
    } catch (const std::exception& e) {
        status = StoreStatus::Error;
        return e.what();
    }
    status = StoreStatus::Error;
    return "unknown request";
}

std::int64_t StoreServer::Impl::addLocked(const std::string& key, std::int64_t delta) {
    std::int64_t value = 0;
    const auto it = data.find(key);
    if (it != data.end() && !net::toInt(it->second, value))
        throw Error("add: the value of '" + printable(key) + "' is not a number");
    value += delta;
    put(key, std::to_string(value));
    return value;
}

// c10d's TCPStore semantics: a missing key is set only when `expected` is
// empty; the reply is the value now stored (or `expected` when missing).
std::string StoreServer::Impl::compareSetLocked(const std::string& key, const std::string& expected,
                                                const std::string& desired) {
    const auto it = data.find(key);
    if (it == data.end()) {
        if (!expected.empty()) return expected;
        put(key, desired);
        return desired;
    }
    if (it->second == expected) put(key, desired);
    return data[key];
}

bool StoreServer::Impl::eraseLocked(const std::string& key) {
    const auto it = data.find(key);
    if (it == data.end()) return false;
    bytes -= key.size() + it->second.size();
    data.erase(it);
    return true;
}

void StoreServer::set(const std::string& key, std::string value) {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->put(key, std::move(value));
    }
    impl_->changedNow();
}

std::optional<std::string> StoreServer::get(const std::string& key) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto it = impl_->data.find(key);
    if (it == impl_->data.end()) return std::nullopt;
    return it->second;
}

std::int64_t StoreServer::add(const std::string& key, std::int64_t delta) {
    std::int64_t sum = 0;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        sum = impl_->addLocked(key, delta);
    }
    impl_->changedNow();
    return sum;
}

std::string StoreServer::compareSet(const std::string& key, const std::string& expected,
                                    std::string desired) {
    std::string out;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        out = impl_->compareSetLocked(key, expected, desired);
    }
    impl_->changedNow();
    return out;
}

bool StoreServer::erase(const std::string& key) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->eraseLocked(key);
}

bool StoreServer::check(const std::string& key) const {
    return impl_->has(key);
}

std::int64_t StoreServer::numKeys() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return static_cast<std::int64_t>(impl_->data.size());
}

bool StoreServer::wait(const std::string& key, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    return impl_->changed.wait_for(lock, std::min(timeout, impl_->maxWait),
                                   [&] { return impl_->data.count(key) > 0; });
}

}  // namespace pd
