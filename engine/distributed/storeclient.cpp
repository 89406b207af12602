// A rank's connection to the rendezvous store (rankstore.h): connect, prove
// the run secret both ways, then one request at a time, each answered
// within the store's timeout or failed with the time it really took.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/distributed/rankstore.h"

namespace pd {

namespace {

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<std::int64_t>(0, ms));
}

std::string since(Clock::time_point start) {
    return net::seconds(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// Exactly `n` bytes by `deadline`: 1, 0 (timed out) or -1 (closed).
int readExactly(int fd, char* out, std::size_t n, Clock::time_point deadline) {
    std::size_t got = 0;
    while (got < n) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, msLeft(deadline));
        if (ready == 0) return 0;
        if (ready < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        const ssize_t r = ::recv(fd, out + got, n - got, 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return -1;
        if (r > 0) got += static_cast<std::size_t>(r);
    }
    return 1;
}

// One short handshake line (at most 300 bytes), byte by byte: nothing after
// it is taken from the socket.
int readLine(int fd, std::string& line, Clock::time_point deadline) {
    line.clear();
    char ch = 0;
    while (line.size() < 300) {
        const int r = readExactly(fd, &ch, 1, deadline);
        if (r != 1) return r;
        if (ch == '\n') return 1;
        line += ch;
    }
    return -1;
}

void putBe32(std::string& out, std::size_t n) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (24 - 8 * i)) & 0xff);
}

}  // namespace

StoreClient::~StoreClient() {
    close();
}

void StoreClient::close() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void StoreClient::setTimeout(std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(mutex_);
    timeout_ = timeout;
}

void StoreClient::connect(const std::string& host, int port, const std::string& secret,
                          std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    where_ = printable(host) + ":" + std::to_string(port);
    const std::string store = "the rendezvous store at " + where_;
    for (;;) {
        int fd = -1;
        try {
            fd = net::connectTcp(host, port);
        } catch (const net::ConnectError& e) {
            if (!e.retryable() || Clock::now() >= deadline)
                throw Error("cannot reach " + store + " within " + since(start) + " (" + e.what() +
                            ")");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        std::string line;
        int r = readLine(fd, line, deadline);
        if (r < 0 && Clock::now() < deadline) {  // dropped to make room: again
            ::close(fd);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        auto f = net::fields(line);
        if (r != 1 || f.size() != 2 || f[0] != "challenge" || f[1].size() != 64) {
            ::close(fd);
            throw Error(store + " sent no challenge for the run secret within " + since(start) +
                        " (another program on that port, or an older pipedream-train?)");
        }
        const std::string nonce = toHex(randomBytes(32));
        const std::string proof =
            secret.empty() ? "-"
                           : toHex(hmacSha256(secret, "pipedream-store " + std::string(f[1])));
        if (!net::sendAll(fd, "auth " + proof + " " + nonce + "\n")) {
            ::close(fd);
            throw Error("lost the connection to " + store + " while proving the run secret");
        }
        r = readLine(fd, line, deadline);
        f = net::fields(line);
        std::string why;
        if (r == 1 && f.size() == 2 && f[0] == "refused")
            why = store + " refused this rank: " + printable(net::unescape(f[1]), 300);
        else if (r != 1 || f.size() != 2 || f[0] != "welcome")
            why = store + " did not answer the run secret's proof within " + since(start);
        else if (secret.empty() != (f[1] == "-"))
            why = secret.empty() ? store +
                                       " asks for a run secret and this rank has none "
                                       "(--no-secret): give every rank the same secret"
                                 : store +
                                       " asks for no run secret (--no-secret on rank 0) and "
                                       "this rank has one: the same choice on every rank";
        else if (!secret.empty() &&
                 !equalConstantTime(f[1],
                                    toHex(hmacSha256(secret, "pipedream-store-host " + nonce))))
            why = store + " does not know this run's secret (another run's rank 0, or another " +
                  kSecretVariable + "); not sending it anything";
        if (!why.empty()) {
            ::close(fd);
            throw Error(why);
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
        return;
    }
}

StoreClient::Reply StoreClient::request(StoreOp op, const std::string& key,
                                        const std::string& value, const std::string& value2,
                                        std::chrono::milliseconds replyWithin) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto start = Clock::now();
    const std::string what = "the rendezvous store at " + where_;
    if (fd_ < 0) throw Error(what + " is closed on this rank");
    if (key.size() > kStoreMaxKeyBytes || value.size() > kStoreMaxValueBytes ||
        value2.size() > kStoreMaxValueBytes)
        throw Error("a key or value too long for " + what);
    std::string frame(1, static_cast<char>(op));
    putBe32(frame, key.size());
    putBe32(frame, value.size());
    putBe32(frame, value2.size());
    frame += key + value + value2;
    auto fail = [&](const std::string& why) {
        ::close(fd_);
        fd_ = -1;
        return Error(what + " " + why + " after " + since(start) + " (key '" + printable(key, 80) +
                     "')");
    };
    if (!net::sendAll(fd_, frame)) throw fail("closed the connection");
    const auto deadline = start + replyWithin;
    char head[5];
    int r = readExactly(fd_, head, 5, deadline);
    Reply out;
    std::size_t n = 0;
    if (r == 1) {
        for (int i = 1; i < 5; ++i) n = (n << 8) | static_cast<unsigned char>(head[i]);
        if (n > kStoreMaxValueBytes + 64) throw fail("sent a reply too long");
        out.status = static_cast<StoreStatus>(head[0]);
        out.data.resize(n);
        r = n ? readExactly(fd_, out.data.data(), n, deadline) : 1;
    }
    if (r == 0) throw fail("did not answer within " + net::seconds(replyWithin.count()));
    if (r < 0) throw fail("closed the connection (rank 0 gone?)");
    if (out.status == StoreStatus::Error) throw Error(what + ": " + printable(out.data, 200));
    return out;
}

void StoreClient::set(const std::string& key, const std::string& value) {
    request(StoreOp::Set, key, value, {}, timeout_);
}

std::optional<std::string> StoreClient::get(const std::string& key) {
    Reply r = request(StoreOp::Get, key, {}, {}, timeout_);
    if (r.status != StoreStatus::Ok) return std::nullopt;
    return std::move(r.data);
}

std::int64_t StoreClient::add(const std::string& key, std::int64_t delta) {
    const Reply r = request(StoreOp::Add, key, std::to_string(delta), {}, timeout_);
    std::int64_t sum = 0;
    if (!net::toInt(r.data, sum))
        throw Error("the rendezvous store at " + where_ + " sent a bad sum");
    return sum;
}

std::string StoreClient::compareSet(const std::string& key, const std::string& expected,
                                    const std::string& desired) {
    return request(StoreOp::CompareSet, key, expected, desired, timeout_).data;
}

bool StoreClient::erase(const std::string& key) {
    return request(StoreOp::Delete, key, {}, {}, timeout_).status == StoreStatus::Ok;
}

bool StoreClient::check(const std::string& key) {
    return request(StoreOp::Check, key, {}, {}, timeout_).status == StoreStatus::Ok;
}

std::int64_t StoreClient::numKeys() {
    std::int64_t n = 0;
    net::toInt(request(StoreOp::NumKeys, {}, {}, {}, timeout_).data, n);
    return n;
}

bool StoreClient::wait(const std::string& key, std::chrono::milliseconds timeout) {
    // The host answers by then (its own cap is the rendezvous timeout); a
    // second more for the reply to arrive.
    const auto ms = std::max<std::int64_t>(0, timeout.count());
    return request(StoreOp::Wait, key, std::to_string(ms), {}, std::chrono::milliseconds(ms + 1000))
               .status == StoreStatus::Ok;
}

}  // namespace pd
