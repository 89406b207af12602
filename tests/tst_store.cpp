// The rendezvous store of ranks started by hand (engine/distributed/
// rankstore.h) on loopback: ranks with the run secret share keys; strangers
// (no secret, a wrong proof, one byte held open, a huge length, garbage) are
// closed and logged while the ranks go on; waits end within the timeout;
// the listening port closes once every rank has joined.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/base/sha256.h"
#include "engine/distributed/netutil.h"
#include "engine/distributed/rankstore.h"
#include "error_test_util.h"

using namespace pd;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSecret = "tst-store-secret";

struct Log {
    std::mutex mutex;
    std::vector<std::string> lines;
    StoreServer::Log sink() {
        return [this](const std::string& l) {
            std::lock_guard<std::mutex> lock(mutex);
            lines.push_back(l);
        };
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
};

// A raw loopback connection, as a stranger makes one.
int rawConnect(int port) {
    return net::connectTcp("127.0.0.1", port);
}

// Reads what the peer sends until it closes or `ms` pass.
std::string readAll(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
}

// True when the peer has closed the connection (a read returns 0 or fails).
bool closedByPeer(int fd, int ms) {
    readAll(fd, ms);
    char b;
    errno = 0;
    const ssize_t n = ::recv(fd, &b, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

long residentKiB() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

void joinClient(StoreClient& c, int port, const std::string& secret) {
    c.connect("127.0.0.1", port, secret, 5s);
}

}  // namespace

class TstStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ranksShareKeys();
    void waitEndsWithinTimeout();
    void strangersAreRefusedAndLogged();
    void wrongSecretIsRefusedWithReason();
    void noSecretMustBeMutual();
    void oneByteHeldOpenBlocksNobody();
    void hugeLengthIsRefusedBeforeAllocation();
    void extraRanksAreRefusedAndStopCloses();
    void boundToTheGivenAddressOnly();
};

void TstStore::ranksShareKeys() {
    Log log;
    StoreServer host(3, kSecret, 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    StoreClient a, b;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(a, host.port(), kSecret));
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(b, host.port(), kSecret));
    a.set("k", "from a");
    QCOMPARE(b.get("k").value_or("?"), std::string("from a"));
    QCOMPARE(host.get("k").value_or("?"), std::string("from a"));
    host.set("bin", std::string("\0\1\n\xff", 4));
    QCOMPARE(a.get("bin").value_or("?"), std::string("\0\1\n\xff", 4));
    QVERIFY(!a.get("missing"));
    QCOMPARE(a.add("n", 2), std::int64_t(2));
    QCOMPARE(b.add("n", 5), std::int64_t(7));
    QCOMPARE(host.add("n", 1), std::int64_t(8));
    QCOMPARE(a.get("n").value_or("?"), std::string("8"));
    // compareSet as c10d's TCPStore: the value now stored comes back.
    QCOMPARE(a.compareSet("cas", "", "first"), std::string("first"));
    QCOMPARE(b.compareSet("cas", "wrong", "second"), std::string("first"));
    QCOMPARE(b.compareSet("cas", "first", "second"), std::string("second"));
    QVERIFY(a.check("cas"));
    QVERIFY(b.erase("cas"));
    QVERIFY(!a.check("cas"));
    QVERIFY(!a.erase("cas"));
    QCOMPARE(a.numKeys(), std::int64_t(3));
    // A wait is answered when another rank sets the key.
    std::thread later([&] {
        std::this_thread::sleep_for(200ms);
        b.set("late", "x");
    });
    const auto start = Clock::now();
    QVERIFY(a.wait("late", 5s));
    later.join();
    QVERIFY(Clock::now() - start < 3s);
    // And rank 0's own wait sees a rank's key.
    std::thread later2([&] { a.set("late2", "y"); });
    QVERIFY(host.wait("late2", 5s));
    later2.join();
    QCOMPARE(host.refused(), 0);
    QVERIFY2(log.all().empty(), log.all().c_str());
}

void TstStore::waitEndsWithinTimeout() {
    StoreServer host(2, kSecret, 1500ms, [](const std::string&) {});
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    StoreClient a;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(a, host.port(), kSecret));
    // The host caps every wait at its timeout, whatever a rank asks.
    auto start = Clock::now();
    QVERIFY(!a.wait("never", 60s));
    auto took = Clock::now() - start;
    QVERIFY(took >= 1400ms && took < 3s);
    start = Clock::now();
    QVERIFY(!host.wait("never", 60s));
    took = Clock::now() - start;
    QVERIFY(took >= 1400ms && took < 3s);
    a.set("after", "1");  // the connection still serves
    QVERIFY(host.check("after"));
}

void TstStore::strangersAreRefusedAndLogged() {
    Log log;
    StoreServer host(3, kSecret, 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    // Garbage (a TCPStore query, an HTTP request): closed at once.
    const int tcpStore = rawConnect(host.port());
    const std::string query("\x00\x00\x00\x00\x00\x00\x00\x03key", 11);
    ::send(tcpStore, query.data(), query.size(), MSG_NOSIGNAL);
    auto start = Clock::now();
    QVERIFY(closedByPeer(tcpStore, 3000));
    QVERIFY(Clock::now() - start < 2s);
    ::close(tcpStore);
    const int http = rawConnect(host.port());
    const std::string get = "GET / HTTP/1.1\r\n\r\n";
    ::send(http, get.data(), get.size(), MSG_NOSIGNAL);
    QVERIFY(closedByPeer(http, 3000));
    ::close(http);
    // A rank still joins and works.
    StoreClient a;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(a, host.port(), kSecret));
    a.set("k", "v");
    QCOMPARE(host.get("k").value_or("?"), std::string("v"));
    QTRY_COMPARE_WITH_TIMEOUT(host.refused(), 2, 3000);
    const std::string lines = log.all();
    QVERIFY2(lines.find("binary data") != std::string::npos, lines.c_str());
    QVERIFY2(lines.find("GET / HTTP") != std::string::npos, lines.c_str());
    // Control bytes are escaped: one log line per connection.
    QCOMPARE(static_cast<int>(std::count(lines.begin(), lines.end(), '\n')), 2);
    QVERIFY(lines.find('\r') == std::string::npos && lines.find('\0') == std::string::npos);
}

void TstStore::wrongSecretIsRefusedWithReason() {
    Log log;
    StoreServer host(2, kSecret, 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    StoreClient wrong;
    const auto error = errorOf([&] { joinClient(wrong, host.port(), "another secret"); });
    QVERIFY(error);
    QVERIFY2(error->find("refused this rank") != std::string::npos, error->c_str());
    QVERIFY2(error->find("wrong run secret proof") != std::string::npos, error->c_str());
    // A forged proof by hand: the secret itself never travels, a guess fails.
    const int fd = rawConnect(host.port());
    std::string challenge = readAll(fd, 300);
    QVERIFY(challenge.rfind("challenge ", 0) == 0);
    const std::string forged = "auth " + toHex(hmacSha256("guess", challenge.substr(10, 64))) +
                               " " + std::string(64, 'a') + "\n";
    ::send(fd, forged.data(), forged.size(), MSG_NOSIGNAL);
    QVERIFY(readAll(fd, 2000).rfind("refused ", 0) == 0);
    ::close(fd);
    StoreClient right;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(right, host.port(), kSecret));
    QCOMPARE(host.joined(), 1);
    QCOMPARE(host.refused(), 2);
    QVERIFY2(log.all().find("wrong run secret proof") != std::string::npos, log.all().c_str());
}

void TstStore::noSecretMustBeMutual() {
    Log log;
    StoreServer open(3, "", 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(open.listen("127.0.0.1", 0));
    QVERIFY2(log.all().find("--no-secret") != std::string::npos, log.all().c_str());
    StoreClient none, withSecret;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(none, open.port(), ""));
    const auto error = errorOf([&] { joinClient(withSecret, open.port(), kSecret); });
    QVERIFY(error);
    QVERIFY2(error->find("has none") != std::string::npos, error->c_str());

    StoreServer closed(2, kSecret, 10s, [](const std::string&) {});
    QVERIFY_THROWS_NO_EXCEPTION(closed.listen("127.0.0.1", 0));
    StoreClient noSecret;
    const auto refused = errorOf([&] { joinClient(noSecret, closed.port(), ""); });
    QVERIFY(refused);
    QVERIFY2(refused->find("no run secret") != std::string::npos, refused->c_str());
}

void TstStore::oneByteHeldOpenBlocksNobody() {
    Log log;
    StoreServer host(2, kSecret, 2s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    const int held = rawConnect(host.port());
    ::send(held, "a", 1, MSG_NOSIGNAL);
    // A rank joins and its wait still ends at the timeout, not later.
    StoreClient a;
    auto start = Clock::now();
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(a, host.port(), kSecret));
    QVERIFY(Clock::now() - start < 1s);
    start = Clock::now();
    QVERIFY(!a.wait("never", 10s));
    QVERIFY(Clock::now() - start < 3s);
    a.set("k", "v");
    // The silent connection is closed at the handshake deadline.
    QVERIFY(closedByPeer(held, kStoreHandshakeMs + 2000));
    ::close(held);
    QVERIFY2(
        log.all().find("no answer to the run secret's challenge within 5 s") != std::string::npos,
        log.all().c_str());
}

void TstStore::hugeLengthIsRefusedBeforeAllocation() {
    Log log;
    StoreServer host(3, kSecret, 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    const long before = residentKiB();
    // Without the secret: the first bytes are not an answer, closed.
    const int stranger = rawConnect(host.port());
    const std::string huge("\x01\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 13);
    ::send(stranger, huge.data(), huge.size(), MSG_NOSIGNAL);
    QVERIFY(closedByPeer(stranger, 3000));
    ::close(stranger);
    // With the secret (a rank gone wrong): a 2^30-byte key is refused from
    // its header, and the connection is closed.
    StoreClient rank;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(rank, host.port(), kSecret));
    const int fd = rawConnect(host.port());
    const std::string challenge = readAll(fd, 300);
    const std::string proof =
        toHex(hmacSha256(kSecret, "pipedream-store " + challenge.substr(10, 64)));
    const std::string auth = "auth " + proof + " " + std::string(64, 'b') + "\n";
    ::send(fd, auth.data(), auth.size(), MSG_NOSIGNAL);
    QVERIFY(readAll(fd, 300).rfind("welcome ", 0) == 0);
    ::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL);
    std::string body(1 << 20, 'x');  // and a megabyte behind it
    ::send(fd, body.data(), body.size(), MSG_NOSIGNAL);
    QVERIFY(closedByPeer(fd, 3000));
    ::close(fd);
    const long after = residentKiB();
    QVERIFY2(after - before < 16 * 1024,
             qPrintable(QString("RSS %1 -> %2 KiB").arg(before).arg(after)));
    QVERIFY2(log.all().find("a key of 1073741824 bytes") != std::string::npos, log.all().c_str());
    // The store goes on.
    rank.set("k", "v");
    QCOMPARE(host.get("k").value_or("?"), std::string("v"));
}

void TstStore::extraRanksAreRefusedAndStopCloses() {
    Log log;
    StoreServer host(3, kSecret, 10s, log.sink());
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    const int port = host.port();
    StoreClient a, b, c;
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(a, port, kSecret));
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(b, port, kSecret));
    // World 3: two other ranks; a third with the secret is one too many.
    const auto error = errorOf([&] { joinClient(c, port, kSecret); });
    QVERIFY(error);
    QVERIFY2(error->find("other ranks have joined") != std::string::npos, error->c_str());
    // A rank that leaves frees its place.
    b.close();
    QTRY_COMPARE_WITH_TIMEOUT(host.joined(), 1, 3000);
    QVERIFY_THROWS_NO_EXCEPTION(joinClient(c, port, kSecret));
    a.set("k", "v");
    QCOMPARE(c.get("k").value_or("?"), std::string("v"));
    // Once the process group is up rank 0 stops it: no port, no connections.
    QVERIFY(host.listening());
    host.stop();
    QVERIFY(!host.listening());
    QVERIFY2(errorOf([&] { ::close(net::connectTcp("127.0.0.1", port)); }),
             "the port still accepts connections");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, a.set("k", "w"));
    QCOMPARE(host.get("k").value_or("?"), std::string("v"));
}

void TstStore::boundToTheGivenAddressOnly() {
    StoreServer host(2, kSecret, 10s, [](const std::string&) {});
    QVERIFY_THROWS_NO_EXCEPTION(host.listen("127.0.0.1", 0));
    const int fd = rawConnect(host.port());
    sockaddr_in local{};
    socklen_t len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    ::close(fd);
    // 127.0.0.2 is loopback too, but not the address the store was given.
    QVERIFY2(errorOf([&] { ::close(net::connectTcp("127.0.0.2", host.port())); }),
             "the store accepts on an address it was not given");
    QCOMPARE(net::localAddressToward("127.0.0.1", host.port()), std::string("127.0.0.1"));
}

QTEST_GUILESS_MAIN(TstStore)
#include "tst_store.moc"
