// The torch-free half of distributed stages: the wire protocol between
// ranks (RankClient) and the event collector, the collector's merging and
// control (pause, held, frontiers on a real slot grid), failures (a lost
// rank, a rank that never connects, a rank with other options, a busy
// port), the local launcher with shell scripts as ranks, and a
// DistributedRun attached to fake ranks. Fake ranks are RankClients on the
// test's threads; every wait is on a condition with a generous timeout.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QtTest>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/schedule/slotgrid.h"

using namespace pd;
using namespace std::chrono_literals;

namespace {

constexpr auto kLong = 20s;  // for things that take milliseconds
// The run secret of the tests' collectors and fake ranks.
const std::string kSecret = "tst-collector-secret";

// Everything the collector hands on, and a way to wait for it.
class RecordingSink : public EventSink {
public:
    void onSlot(const SlotEvent& e) override {
        add([&] { slots.push_back(e); });
    }
    void onMemory(const MemoryEvent& e) override {
        add([&] { memory.push_back(e); });
    }
    void onBatch(const BatchEvent& e) override {
        add([&] { batches.push_back(e); });
    }
    void onVersion(const VersionEvent& e) override {
        add([&] { versions.push_back(e); });
    }
    void onFinished(const RunSummary& s) override {
        add([&] {
            summary = s;
            ++finishedCount;
        });
    }
    void onError(const std::string& m) override {
        add([&] { errors.push_back(m); });
    }

    template <typename Pred>
    bool waitFor(Pred pred, std::chrono::milliseconds timeout = kLong) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
    bool waitFinished() {
        return waitFor([&] { return finishedCount > 0; });
    }
    std::string allErrors() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& e : errors) out += e + "\n";
        return out;
    }

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
    std::vector<std::string> errors;
    RunSummary summary;
    int finishedCount = 0;

private:
    template <typename F>
    void add(F f) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            f();
        }
        changed.notify_all();
    }
};

RunOptions smallOptions(int stages = 2, int microbatches = 4, int batches = 1) {
    RunOptions o = defaultRunOptions();
    o.schedule.stages = stages;
    o.schedule.microbatches = microbatches;
    o.schedule.batches = batches;
    o.backend = "gloo";
    return o;
}

// A rank without training: a RankClient and the control it received.
class FakeRank {
public:
    FakeRank() {
        client.setControlHandler([this](const RankClient::Control& c) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                controls.push_back(c);
            }
            changed.notify_all();
        });
    }
    bool connect(int port, int rank, int world, const RunOptions& options, std::string& error,
                 const std::string& secret = kSecret) {
        RankClient::Hello h;
        h.secret = secret;
        h.rank = rank;
        h.world = world;
        h.host = "host" + std::to_string(rank);
        h.pid = 1000 + rank;
        h.args = toArgs(options);
        client.setStage(rank);
        return client.connect("127.0.0.1:" + std::to_string(port), h, 10s, error);
    }
    // The next control message not looked at yet (nullopt after a timeout).
    std::optional<RankClient::Control> next(std::chrono::milliseconds timeout = kLong) {
        std::unique_lock<std::mutex> lock(mutex);
        if (!changed.wait_for(lock, timeout, [&] { return controls.size() > seen; }))
            return std::nullopt;
        return controls[seen++];
    }
    std::optional<int> nextFrontier() {
        const auto c = next();
        if (!c || c->kind != RankClient::Control::Frontier) return std::nullopt;
        return c->frontier;
    }

private:
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<RankClient::Control> controls;
    std::size_t seen = 0;

public:
    RankClient client;  // last: its reader thread uses the members above
};

// `world` fake ranks connected to a collector on `port`, all of them ready
// (go received).
struct Ranks {
    std::vector<std::unique_ptr<FakeRank>> ranks;
    std::vector<std::chrono::steady_clock::time_point> t0;

    bool connect(int port, int world, const RunOptions& o, const std::string& secret = kSecret) {
        for (int r = 0; r < world; ++r) {
            ranks.push_back(std::make_unique<FakeRank>());
            std::string error;
            if (!ranks.back()->connect(port, r, world, o, error, secret)) {
                qWarning("connect: %s", error.c_str());
                return false;
            }
        }
        return true;
    }
    bool ready() {
        std::vector<std::future<std::optional<std::chrono::steady_clock::time_point>>> go;
        for (auto& r : ranks)
            go.push_back(std::async(std::launch::async, [&r] {
                std::string error;
                return r->client.ready(error);
            }));
        for (auto& g : go) {
            auto t = g.get();
            if (!t) return false;
            t0.push_back(*t);
        }
        return true;
    }
    FakeRank& operator[](int r) { return *ranks[r]; }
};

// A collector expecting `world` ranks of `options`, and those ranks
// connected (and, with `ready`, started).
struct Cluster {
    RecordingSink sink;
    EventCollector collector{sink};
    Ranks ranks;  // last: the ranks go first, while the collector listens

    bool start(int world, const RunOptions& options, bool ready = true) {
        collector.setSecret(kSecret);
        collector.expect(world, options);
        std::string error;
        if (!collector.listen("127.0.0.1", 0, error)) {
            qWarning("listen: %s", error.c_str());
            return false;
        }
        return ranks.connect(collector.port(), world, options) && (!ready || ranks.ready());
    }
};

RunSummary done(int batches = 1, std::int64_t timeUs = 100, bool cancelled = false) {
    RunSummary s;
    s.batchesDone = batches;
    s.timeUs = timeUs;
    s.cancelled = cancelled;
    return s;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The collector's log (refused connections), and a way to wait for it.
class LogLines {
public:
    std::function<void(const std::string&)> sink() {
        return [this](const std::string& line) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                lines.push_back(line);
            }
            changed.notify_all();
        };
    }
    bool waitFor(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, kLong, [&] { return lines.size() >= count; });
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }

private:
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
};

// Open file descriptors of this process.
int openFds() {
    return static_cast<int>(QDir("/proc/self/fd").entryList(QDir::Files | QDir::System).size());
}

// Connects and answers the collector's challenge with `secret` (a rank's
// nonce of "a"s); `welcome` gets the collector's answer. -1 when it fails.
int connectWithSecret(int port, const std::string& secret, std::string& welcome,
                      net::LineReader& reader) {
    std::string error;
    bool retryable = false;
    const int fd = net::connectTcp("127.0.0.1", port, error, retryable);
    if (fd < 0) return -1;
    reader = net::LineReader(fd);
    std::string challenge;
    if (reader.read(challenge, 10000) != net::LineReader::Line ||
        challenge.rfind("challenge ", 0) != 0) {
        ::close(fd);
        return -1;
    }
    net::sendAll(fd, "auth " +
                         toHex(hmacSha256(secret, "pipedream-collector " + challenge.substr(10))) +
                         " " + std::string(64, 'a') + "\n");
    if (reader.read(welcome, 10000) != net::LineReader::Line) welcome.clear();
    return fd;
}

// Connects with the run secret, says one line, and returns what comes back
// until the collector closes (or 10 s pass).
std::string sayOnce(int port, const std::string& line) {
    net::LineReader reader;
    std::string welcome;
    const int fd = connectWithSecret(port, kSecret, welcome, reader);
    if (fd < 0) return "connect failed";
    if (welcome.rfind("welcome ", 0) != 0) return "not welcome: " + welcome;
    net::sendAll(fd, line + "\n");
    std::string out, reply;
    while (reader.read(reply, 10000) == net::LineReader::Line) out += reply + "\n";
    ::close(fd);
    return out;
}

}  // namespace

class TestCollector : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parseHostPortRejects_data();
    void parseHostPortRejects();
    void parseHostPortAccepts();
    void clockSyncOnOneMachine();
    void clockOffsetAgainstAFakeCollector();
    void goOnlyAfterEveryRankIsReady();
    void eventsAreForwarded();
    void batchesMergeAcrossRanks();
    void pauseHeldFrontierAndSteps();
    void pausedBeforeConnectStartsAtSlotZero();
    void lostRankFailsTheRun();
    void connectTimeoutNamesMissingRanks();
    void helloWithOtherOptionsIsRefused();
    void helloWithOtherWorldIsRefused();
    void strangersDoNotStopTheRun();
    void invalidRecordsDropTheRank_data();
    void invalidRecordsDropTheRank();
    void attachRefusesAHugeRun();
    void runSecretKeepsStrangersOut();
    void rankChecksTheCollectorsSecret();
    void noSecretOnBothSides();
    void olderRankIsToldWhy();
    void launcherGivesTheSecretInTheEnvironment();
    void listenOnBusyPortFails();
    void unreachableCollectorTimesOut();
    void launcherForwardsOutputAndStatuses();
    void launcherReportsKilledChildAndBadExecutable();
    void launcherTerminates();
    void distributedRunAttach();
    void distributedRunChildExitFailsFast();
    void distributedRunCancelStopsRanks();
};

void TestCollector::parseHostPortRejects_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::addRow("empty") << ""
                           << "expected HOST:PORT";
    QTest::addRow("no port") << "host"
                             << "expected HOST:PORT";
    QTest::addRow("no host") << ":29400"
                             << "no host";
    QTest::addRow("empty port") << "host:"
                                << "bad port";
    QTest::addRow("port 0") << "host:0"
                            << "bad port";
    QTest::addRow("port too big") << "host:65536"
                                  << "bad port";
    QTest::addRow("port not a number") << "host:12ab"
                                       << "bad port";
    QTest::addRow("ipv6 without port") << "[::1]"
                                       << "expected HOST:PORT";
}

void TestCollector::parseHostPortRejects() {
    QFETCH(QString, text);
    QFETCH(QString, message);
    std::string host = "unchanged";
    int port = -7;
    std::string error;
    QVERIFY(!parseHostPort(text.toStdString(), host, port, error));
    QVERIFY2(contains(error, message.toStdString()), error.c_str());
    QCOMPARE(error.find('\n'), std::string::npos);
    QCOMPARE(host, std::string("unchanged"));
    QCOMPARE(port, -7);
}

void TestCollector::parseHostPortAccepts() {
    std::string host, error;
    int port = 0;
    QVERIFY(parseHostPort("gpu-box.lan:29400", host, port, error));
    QCOMPARE(host, std::string("gpu-box.lan"));
    QCOMPARE(port, 29400);
    QVERIFY(parseHostPort("[::1]:65535", host, port, error));
    QCOMPARE(host, std::string("::1"));
    QCOMPARE(port, 65535);
    QVERIFY(parseHostPort("h:1", host, port, error));
    QCOMPARE(port, 1);
}

void TestCollector::clockSyncOnOneMachine() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions();
    collector.expect(2, o);
    std::string error;
    QVERIFY2(collector.listen("127.0.0.1", 0, error), error.c_str());
    QVERIFY(collector.port() > 0);
    QCOMPARE(collector.clockErrorUs(), std::int64_t(-1));
    Ranks ranks;
    QVERIFY(ranks.connect(collector.port(), 2, o));
    for (int r = 0; r < 2; ++r) {
        const RankClient& c = ranks[r].client;
        QVERIFY(c.connected());
        QVERIFY(c.errorUs() >= 0);
        QVERIFY2(c.errorUs() < 500000, std::to_string(c.errorUs()).c_str());
        // One steady clock: the true offset is 0, and the estimate is off
        // by at most its error (half the best round trip).
        QVERIFY2(std::llabs(c.offsetUs()) <= c.errorUs() + 1,
                 (std::to_string(c.offsetUs()) + " vs " + std::to_string(c.errorUs())).c_str());
    }
    QTRY_VERIFY_WITH_TIMEOUT(collector.clockErrorUs() >= 0, 20000);
    QCOMPARE(collector.clockErrorUs(),
             std::max(ranks[0].client.errorUs(), ranks[1].client.errorUs()));
    const auto info = collector.ranks();
    QCOMPARE(info.size(), std::size_t(2));
    QCOMPARE(info[1].host, std::string("host1"));
    QCOMPARE(info[1].pid, 1001);
    QCOMPARE(info[1].offsetUs, ranks[1].client.offsetUs());
    QVERIFY(info[0].connected && !info[0].finished && !info[0].lost);
}

// A collector whose clock runs 5 s ahead, spoken to line by line: the
// offset's sign and the conversion of time zero, which one machine's single
// clock cannot show.
void TestCollector::clockOffsetAgainstAFakeCollector() {
    constexpr std::int64_t kAhead = 5'000'000;
    std::string error;
    const int listenFd = net::listenTcp("127.0.0.1", 0, error);
    QVERIFY2(listenFd >= 0, error.c_str());
    const int port = net::localPort(listenFd);
    std::promise<std::vector<std::string>> said;  // what the rank sent
    std::thread collector([&] {
        std::vector<std::string> lines;
        const int fd = ::accept(listenFd, nullptr, nullptr);
        net::LineReader reader(fd);
        std::string line;
        const std::string nonce(64, 'c');
        net::sendAll(fd, "challenge " + nonce + "\n");
        if (reader.read(line, 20000) == net::LineReader::Line) {
            const auto f = net::fields(line);
            if (f.size() == 3 && f[0] == "auth" &&
                f[1] == toHex(hmacSha256(kSecret, "pipedream-collector " + nonce)))
                net::sendAll(fd,
                             "welcome " +
                                 toHex(hmacSha256(kSecret, "pipedream-rank " + std::string(f[2]))) +
                                 "\n");
        }
        // Control before the sync (a paused run), and a message from a
        // newer collector, which the rank skips.
        net::sendAll(fd, "frontier 7\nnews from the future\n");
        while (reader.read(line, 20000) == net::LineReader::Line) {
            lines.push_back(line);
            const auto f = net::fields(line);
            if (f[0] == "ping")
                net::sendAll(fd, "pong " + std::string(f[1]) + " " + std::string(f[2]) + " " +
                                     std::to_string(steadyNowUs() + kAhead) + "\n");
            if (f[0] == "ready") net::sendAll(fd, "go 123456789000\n");
            if (f[0] == "done") break;
        }
        said.set_value(lines);
        ::close(fd);
    });
    struct Joiner {
        std::thread& thread;
        ~Joiner() { thread.join(); }  // on a failure too: the rank's end closes its socket
    } joiner{collector};
    auto lines = said.get_future();
    std::int64_t offset = 0, errorUs = -1;
    {
        FakeRank rank;
        RankClient::Hello h;
        h.rank = 2;
        h.world = 4;
        h.host = "my host";  // a space: escaped
        h.pid = 42;
        h.args = {"--data", "mnist:/a b"};
        h.secret = kSecret;
        QVERIFY2(rank.client.connect("127.0.0.1:" + std::to_string(port), h, 10s, error),
                 error.c_str());
        QCOMPARE(rank.nextFrontier(), std::optional<int>(7));
        offset = rank.client.offsetUs();
        errorUs = rank.client.errorUs();
        QVERIFY2(std::llabs(offset - kAhead) <= rank.client.errorUs() + 1,
                 std::to_string(offset).c_str());
        const auto t0 = rank.client.ready(error);
        QVERIFY2(t0.has_value(), error.c_str());
        QCOMPARE(
            std::chrono::duration_cast<std::chrono::microseconds>(t0->time_since_epoch()).count(),
            123456789000 - offset);
        rank.client.onFinished(done());
        QCOMPARE(lines.wait_for(kLong), std::future_status::ready);
    }
    ::close(listenFd);
    const std::vector<std::string> got = lines.get();
    QVERIFY(got.size() >= 20);
    QCOMPARE(QString::fromStdString(got[0]),
             QString("hello %1 2 4 42 my\\shost --data mnist:/a\\sb").arg(kWireProtocol));
    QCOMPARE(net::unescape("my\\shost"), std::string("my host"));
    QCOMPARE(std::count_if(got.begin(), got.end(),
                           [](const std::string& l) { return l.rfind("ping ", 0) == 0; }),
             std::ptrdiff_t(16));
    QCOMPARE(got[17], "clock " + std::to_string(offset) + " " + std::to_string(errorUs));
    QCOMPARE(got[18], std::string("ready"));
    QCOMPARE(got[19], std::string("done 0 0 1 100"));
}

void TestCollector::goOnlyAfterEveryRankIsReady() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions();
    collector.expect(2, o);
    bool allConnected = false;
    collector.setOnAllConnected(
        [&](const RunOptions& opts) { allConnected = opts.schedule.stages == 2; });
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    Ranks ranks;
    QVERIFY(ranks.connect(collector.port(), 2, o));
    QTRY_VERIFY_WITH_TIMEOUT(allConnected, 20000);
    const std::int64_t before = steadyNowUs();
    auto first = std::async(std::launch::async, [&] {
        std::string e;
        return ranks[0].client.ready(e);
    });
    // Rank 1 is not ready: no go for rank 0 (a wrong go would come at once).
    QCOMPARE(first.wait_for(300ms), std::future_status::timeout);
    std::string e;
    const auto t1 = ranks[1].client.ready(e);
    QVERIFY2(t1.has_value(), e.c_str());
    const auto t0 = first.get();
    QVERIFY(t0.has_value());
    // One time zero for both, on this machine's clock, after the wait.
    const auto us = [](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    };
    QVERIFY(std::llabs(us(*t0) - us(*t1)) <=
            ranks[0].client.errorUs() + ranks[1].client.errorUs() + 2);
    QVERIFY(us(*t0) + ranks[0].client.errorUs() + 1 >= before + 300000);
    QVERIFY(us(*t0) <= steadyNowUs() + ranks[0].client.errorUs() + 1);
}

void TestCollector::eventsAreForwarded() {
    Cluster cl;
    const RunOptions o = smallOptions(2, 4, 4);
    QVERIFY(cl.start(2, o));
    RecordingSink& sink = cl.sink;
    Ranks& ranks = cl.ranks;
    SlotEvent s;
    s.batch = 3;
    s.stage = 1;
    s.microbatch = -1;
    s.op = Op::U;
    s.chunk = 0;
    s.version = 4;
    s.startUs = 1234567890123;
    s.endUs = 1234567890999;
    s.mismatch = true;
    ranks[1].client.onSlot(s);
    MemoryEvent m;
    m.stage = 1;
    m.timeUs = 77;
    m.activationsInFlight = 3;
    m.versionsHeld = 2;
    m.activationBytes = std::int64_t(5) << 33;
    m.stashBytes = 1234;
    ranks[1].client.onMemory(m);
    VersionEvent v;
    v.stage = 0;
    v.version = 6;
    v.stashed = {4, 5};
    v.timeUs = 88;
    ranks[0].client.onVersion(v);
    VersionEvent none;
    none.stage = 1;
    none.version = 1;
    ranks[1].client.onVersion(none);
    ranks[0].client.onError("out of memory\nin stage 0: \\x01 \x1b[2J end");
    QVERIFY(sink.waitFor([&] {
        return sink.slots.size() == 1 && sink.memory.size() == 1 && sink.versions.size() == 2 &&
               sink.errors.size() == 1;
    }));
    std::unique_lock<std::mutex> lock(sink.mutex);  // more may come: the ranks' ends
    const SlotEvent& g = sink.slots[0];
    QCOMPARE(g.batch, 3);
    QCOMPARE(g.stage, 1);
    QCOMPARE(g.microbatch, -1);
    QCOMPARE(g.op, Op::U);
    QCOMPARE(g.version, 4);
    QCOMPARE(g.startUs, s.startUs);
    QCOMPARE(g.endUs, s.endUs);
    QVERIFY(g.mismatch);
    QCOMPARE(sink.memory[0].activationBytes, m.activationBytes);
    QCOMPARE(sink.memory[0].stashBytes, 1234);
    QCOMPARE(sink.memory[0].activationsInFlight, 3);
    QCOMPARE(sink.memory[0].versionsHeld, 2);
    QCOMPARE(sink.memory[0].timeUs, 77);
    const VersionEvent& gv = sink.versions[0].stage == 0 ? sink.versions[0] : sink.versions[1];
    QCOMPARE(gv.version, 6);
    QCOMPARE(gv.stashed, std::vector<int>({4, 5}));
    QCOMPARE(gv.timeUs, 88);
    const VersionEvent& gn = sink.versions[0].stage == 1 ? sink.versions[0] : sink.versions[1];
    QVERIFY(gn.stashed.empty());
    // Free text from the network: control bytes escaped, one line.
    QCOMPARE(sink.errors[0],
             std::string("rank 0 on host0: out of memory\\nin stage 0: \\x01 \\x1b[2J end"));
    lock.unlock();
    // An error stops the other ranks.
    const auto c = ranks[1].next();
    QVERIFY(c && c->kind == RankClient::Control::Cancel);
}

void TestCollector::batchesMergeAcrossRanks() {
    Cluster cl;
    const RunOptions o = smallOptions(3, 3, 8);
    QVERIFY(cl.start(3, o));
    RecordingSink& sink = cl.sink;
    EventCollector& collector = cl.collector;
    Ranks& ranks = cl.ranks;
    auto part = [](int batch, double loss, int used, int after, std::int64_t t) {
        BatchEvent b;
        b.batch = batch;
        b.loss = loss;
        b.versionUsed = {used};  // a rank knows its own stage only
        b.versionAfter = {after};
        b.timeUs = t;
        return b;
    };
    ranks[0].client.onBatch(part(0, 0.25, 10, 11, 500));
    ranks[1].client.onBatch(part(0, 0.5, 20, 21, 700));
    ranks[0].client.onBatch(part(1, 0.0, 11, 12, 900));  // batch 1 stays incomplete
    ranks[2].client.onBatch(part(0, 2.3125, 30, 31, 650));
    QVERIFY(sink.waitFor([&] { return sink.batches.size() == 1; }));
    for (int r = 0; r < 3; ++r) ranks[r].client.onFinished(done(1, 1000 + r));
    QVERIFY(sink.waitFinished());
    QCOMPARE(sink.batches.size(), std::size_t(1));
    const BatchEvent& b = sink.batches[0];
    QCOMPARE(b.batch, 0);
    QCOMPARE(b.loss, 3.0625);  // exact in binary
    QCOMPARE(b.versionUsed, std::vector<int>({10, 20, 30}));
    QCOMPARE(b.versionAfter, std::vector<int>({11, 21, 31}));
    QCOMPARE(b.timeUs, std::int64_t(700));
    QCOMPARE(sink.finishedCount, 1);
    QVERIFY(!sink.summary.failed);
    QVERIFY(!sink.summary.cancelled);
    QCOMPARE(sink.summary.batchesDone, 1);
    QCOMPARE(sink.summary.timeUs, std::int64_t(1002));
    QVERIFY(collector.wait(1s));
    QVERIFY(collector.finished());
    QVERIFY(sink.errors.empty());
}

void TestCollector::pauseHeldFrontierAndSteps() {
    Cluster cl;
    const RunOptions o = smallOptions(4, 4, 2);
    const Schedule schedule = generateSchedule(o.schedule);
    const SlotGrid grid = slotGrid(schedule);
    QVERIFY(cl.start(4, o));
    RecordingSink& sink = cl.sink;
    EventCollector& collector = cl.collector;
    Ranks& ranks = cl.ranks;

    std::vector<std::size_t> ran(4, 0);
    int sent = 0;
    // Each rank runs what the frontier lets it: actions whose gate < F.
    auto runUpTo = [&](int frontier) {
        for (int s = 0; s < 4; ++s) {
            while (ran[s] < grid.gate[s].size() && grid.gate[s][ran[s]] < frontier) {
                ranks[s].client.onSlot(slotEvent(s, schedule.stages[s][ran[s]], 0, 1));
                ++ran[s];
                ++sent;
            }
        }
        return sink.waitFor([&] { return int(sink.slots.size()) == sent; });
    };
    auto everyRankGets = [&](int frontier) {
        for (int s = 0; s < 4; ++s) {
            const auto f = ranks[s].nextFrontier();
            if (!f || *f != frontier) {
                qWarning("rank %d: frontier %d, expected %d", s, f ? *f : -100, frontier);
                return false;
            }
        }
        return true;
    };

    // Running freely for a while, then a pause: every rank says where it is.
    QVERIFY(runUpTo(5));
    QVERIFY(!collector.paused());
    collector.pause();
    QVERIFY(collector.paused());
    for (int s = 0; s < 4; ++s) {
        const auto c = ranks[s].next();
        QVERIFY(c && c->kind == RankClient::Control::Pause);
    }
    collector.stepSlot();  // asked before every rank held: applied after
    // The stages at the lowest gate ran one more action whose slot event is
    // still on its way: the held answers, not the events seen, say where
    // the stages stand.
    const int seen = grid.frontier(ran);
    std::vector<std::size_t> unsent;
    for (int s = 0; s < 4; ++s) {
        if (grid.gate[s][ran[s]] == seen) unsent.push_back(s);
        ranks[s].client.sendHeld(s, ran[s] + (grid.gate[s][ran[s]] == seen ? 1 : 0));
    }
    for (std::size_t s : unsent) ++ran[s];
    int f = grid.frontier(ran);
    QVERIFY(f > seen);
    QVERIFY(everyRankGets(f));
    for (std::size_t s : unsent) {
        ranks[int(s)].client.onSlot(slotEvent(int(s), schedule.stages[s][ran[s] - 1], 0, 1));
        ++sent;
    }
    QVERIFY(sink.waitFor([&] { return int(sink.slots.size()) == sent; }));
    f = grid.afterStepSlot(f, grid.frontier(ran));
    QVERIFY(everyRankGets(f));

    // Step by step: each frontier from the slots the collector has seen.
    for (int step = 0; step < 3; ++step) {
        QVERIFY(runUpTo(f));
        const int expected = grid.afterStepSlot(f, grid.frontier(ran));
        QVERIFY(expected > f);
        collector.stepSlot();
        QVERIFY(everyRankGets(expected));
        f = expected;
    }
    QVERIFY(runUpTo(f));
    const int batchEnd = grid.afterStepBatch(f, grid.frontier(ran));
    QCOMPARE(batchEnd, grid.batchEnd[0]);
    collector.stepBatch();
    QVERIFY(everyRankGets(batchEnd));
    QVERIFY(runUpTo(batchEnd));
    collector.stepBatch();
    QVERIFY(everyRankGets(grid.slots));  // the last batch's end: the run's end

    collector.resume();
    QVERIFY(!collector.paused());
    for (int s = 0; s < 4; ++s) {
        const auto c = ranks[s].next();
        QVERIFY(c && c->kind == RankClient::Control::Resume);
    }
    // A finished rank counts as held at its end.
    QVERIFY(runUpTo(grid.slots));
    ranks[3].client.onFinished(done(2));
    QTRY_VERIFY_WITH_TIMEOUT(collector.ranks()[3].finished, 20000);
    collector.pause();
    for (int s = 0; s < 3; ++s) ranks[s].client.sendHeld(s, ran[s]);
    for (int s = 0; s < 3; ++s) {
        const auto c = ranks[s].next();
        QVERIFY(c && c->kind == RankClient::Control::Pause);
        QCOMPARE(ranks[s].nextFrontier(), std::optional<int>(grid.slots));
    }
    for (int s = 0; s < 3; ++s) ranks[s].client.onFinished(done(2));
    QVERIFY(sink.waitFinished());
    QVERIFY(!sink.summary.failed);
}

void TestCollector::pausedBeforeConnectStartsAtSlotZero() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions(2, 4, 1);
    const SlotGrid grid = slotGrid(generateSchedule(o.schedule));
    collector.expect(2, o);
    collector.pause();
    collector.stepSlot();  // before anyone is there: 0 -> 1
    QVERIFY(collector.paused());
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    Ranks ranks;
    QVERIFY(ranks.connect(collector.port(), 2, o));
    const int f = grid.afterStepSlot(0, grid.frontier({0, 0}));
    QCOMPARE(f, 1);
    for (int r = 0; r < 2; ++r) QCOMPARE(ranks[r].nextFrontier(), std::optional<int>(f));
    QVERIFY(ranks.ready());
    collector.stepSlot();
    for (int r = 0; r < 2; ++r) QCOMPARE(ranks[r].nextFrontier(), std::optional<int>(f + 1));
}

void TestCollector::lostRankFailsTheRun() {
    Cluster cl;
    const RunOptions o = smallOptions(3, 3, 1);
    QVERIFY(cl.start(3, o));
    RecordingSink& sink = cl.sink;
    EventCollector& collector = cl.collector;
    Ranks& ranks = cl.ranks;
    ranks.ranks[1].reset();  // rank 1 dies without a word
    QVERIFY(sink.waitFor([&] { return !sink.errors.empty(); }));
    QCOMPARE(sink.errors[0],
             std::string("rank 1 on host1: the process died or lost its connection"));
    for (int r : {0, 2}) {
        const auto c = ranks[r].next();
        QVERIFY(c && c->kind == RankClient::Control::Cancel);
        ranks[r].client.onFinished(done(0, 10, true));
    }
    QVERIFY(sink.waitFinished());
    QVERIFY(sink.summary.failed);
    QVERIFY(!sink.summary.cancelled);
    QVERIFY(collector.ranks()[1].lost);
    QVERIFY(collector.ranks()[0].finished);
    QCOMPARE(sink.finishedCount, 1);
    collector.markLost(0, "late news");  // done already: no second verdict
    collector.cancel();
    QCOMPARE(sink.finishedCount, 1);
    QCOMPARE(sink.errors.size(), std::size_t(1));
}

void TestCollector::connectTimeoutNamesMissingRanks() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions(3, 3, 1);
    collector.expect(3, o);
    collector.setConnectTimeout(2s);  // rank 1 connects well before
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    FakeRank rank1;
    QVERIFY(rank1.connect(collector.port(), 1, 3, o, error));
    QVERIFY(sink.waitFor([&] { return !sink.errors.empty(); }));
    QCOMPARE(sink.errors[0], std::string("ranks 0, 2 did not connect within 2 s"));
    const auto c = rank1.next();
    QVERIFY(c && c->kind == RankClient::Control::Cancel);
    QVERIFY(!collector.finished());  // rank 1 still has to stop
    rank1.client.onFinished(done(0, 5, true));
    QVERIFY(sink.waitFinished());
    QVERIFY(sink.summary.failed);
    QVERIFY(collector.wait(1s));
}

void TestCollector::helloWithOtherOptionsIsRefused() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 4, 1);
    collector.expect(2, o);
    collector.setConnectTimeout(3s);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    FakeRank rank0;
    QVERIFY(rank0.connect(collector.port(), 0, 2, o, error));
    RunOptions other = o;
    other.schedule.microbatches = 8;
    other.schedule.stash = false;
    FakeRank rank1;
    QVERIFY(!rank1.connect(collector.port(), 1, 2, other, error));
    // The rank learns why (its own error, which its launcher reports).
    QVERIFY2(contains(error, "refused this rank: options differ: "), error.c_str());
    QVERIFY2(contains(error, "--microbatches 8, expected 4"), error.c_str());
    QVERIFY2(contains(error, "--no-stash, expected without --no-stash"), error.c_str());
    QVERIFY2(!contains(error, "--stages"), error.c_str());
    QVERIFY(!rank1.client.connected());
    QVERIFY(log.waitFor(1));
    QVERIFY2(contains(log.all(),
                      "a connection claiming rank 1 on host1 was refused: options "
                      "differ: --microbatches 8, expected 4"),
             log.all().c_str());
    // A refusal alone does not fail the run (it may be a stranger's line):
    // the rank that never comes does, at the connect timeout, quoting it.
    QVERIFY(sink.allErrors().empty());
    QVERIFY(sink.waitFor([&] { return !sink.errors.empty(); }, 10s));
    const std::string e = sink.errors[0];
    QVERIFY2(contains(e,
                      "rank 1 did not connect within 3 s; a connection claiming rank 1 was "
                      "refused: options differ: "),
             e.c_str());
    const auto c = rank0.next();
    QVERIFY(c && c->kind == RankClient::Control::Cancel);
    rank0.client.onFinished(done(0, 1, true));
    QVERIFY(sink.waitFinished());
    QVERIFY(sink.summary.failed);
}

void TestCollector::helloWithOtherWorldIsRefused() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(4, 4, 1);
    collector.expect(4, o);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    FakeRank rank;
    QVERIFY(!rank.connect(collector.port(), 1, 3, smallOptions(3, 4, 1), error));
    QVERIFY2(contains(error, "refused this rank: world size 3, expected 4"), error.c_str());
    QVERIFY(log.waitFor(1));
    QCOMPARE(log.all(),
             std::string("a connection claiming rank 1 on host1 was refused: world size 3, "
                         "expected 4\n"));
    QVERIFY(sink.allErrors().empty());
}

// Strangers on the collector's port: 256 connect-and-close
// probes and a few silent connections held open, then forged hellos
// (wrong protocol, world, rank out of range, a second rank 0, control
// bytes in the host): every one is refused and logged, descriptors are
// released, and the real ranks' run completes without an error.
void TestCollector::strangersDoNotStopTheRun() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    collector.setConnectTimeout(20s);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    const int port = collector.port();
    const int fdsBefore = openFds();
    for (int i = 0; i < 256; ++i) {
        bool retryable = false;
        const int fd = net::connectTcp("127.0.0.1", port, error, retryable);
        QVERIFY2(fd >= 0, error.c_str());
        ::close(fd);
    }
    std::vector<int> silent;  // held open, never a word
    for (int i = 0; i < 12; ++i) {
        bool retryable = false;
        silent.push_back(net::connectTcp("127.0.0.1", port, error, retryable));
        QVERIFY2(silent.back() >= 0, error.c_str());
    }
    // Every probe released: the collector holds at most a few pending.
    QTRY_VERIFY_WITH_TIMEOUT(openFds() <= fdsBefore + 12 + 8 + 2, 10000);
    const std::string args = [&] {
        std::string a;
        for (const std::string& x : toArgs(o)) a += " " + net::escape(x);
        return a;
    }();
    const std::string hello = "hello " + std::to_string(kWireProtocol) + " ";
    const std::string forged[] = {
        "hello 99 0 2 1 evil" + args,  // another protocol
        hello + "0 3 1 evil" + args,   // another world
        hello + "7 2 1 evil" + args,   // rank out of range
        hello + "-1 2 1 evil" + args,
        hello + "1 2 1 " + net::escape("\x1b]0;pwned\x07\nhost") + " --stages 2",
    };
    for (const std::string& line : forged) {
        const std::string reply = sayOnce(port, line);
        QVERIFY2(contains(reply, "refused "), (line + " -> " + reply).c_str());
    }
    Ranks ranks;
    QVERIFY(ranks.connect(port, 2, o));
    // A second rank 0 while the real one is connected.
    const std::string second = sayOnce(port, hello + "0 2 1 evil" + args);
    QVERIFY2(contains(second, "refused rank\\s0\\sis\\salready\\sconnected"), second.c_str());
    QVERIFY(ranks.ready());
    for (int r = 0; r < 2; ++r) ranks[r].client.onFinished(done(1, 50));
    QVERIFY(sink.waitFinished());
    QVERIFY2(sink.allErrors().empty(), sink.allErrors().c_str());
    QVERIFY(!sink.summary.failed);
    for (int fd : silent) ::close(fd);
    const std::string logged = log.all();
    QVERIFY2(contains(logged, "wire protocol 99, expected " + std::to_string(kWireProtocol)),
             logged.c_str());
    QVERIFY2(contains(logged, "world size 3, expected 2"), logged.c_str());
    QVERIFY2(contains(logged, "claiming rank 7 on evil was refused: rank outside 0..1"),
             logged.c_str());
    QVERIFY2(contains(logged, "claiming rank -1 on evil"), logged.c_str());
    QVERIFY2(contains(logged, "rank 0 is already connected from host0"), logged.c_str());
    QVERIFY2(contains(logged, "on \\x1b]0;pwned\\x07\\nhost was refused"), logged.c_str());
    for (char ch : logged) QVERIFY(ch == '\n' || static_cast<unsigned char>(ch) >= 0x20);
    QTRY_VERIFY_WITH_TIMEOUT(openFds() <= fdsBefore + 4, 10000);
    // The run is over: the port is released, nobody else gets in.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            bool retryable = false;
            const int fd = net::connectTcp("127.0.0.1", port, error, retryable);
            if (fd >= 0) ::close(fd);
            return fd < 0;
        }(),
        5000);
    QCOMPARE(collector.port(), port);  // still says where it was
}

// Records outside the run's grid (what a forged line could make a run
// write): the rank is named and dropped, and nothing of it reaches the sink.
void TestCollector::invalidRecordsDropTheRank_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("why");
    QTest::newRow("stage -1") << "slot 0 -1 0 F 0 0 10 20 0"
                              << "slot: stage -1";
    QTest::newRow("stage 99") << "slot 0 99 0 F 0 0 10 20 0"
                              << "slot: stage 99";
    QTest::newRow("other rank's stage") << "slot 0 0 0 F 0 0 10 20 0"
                                        << "slot: stage 0";
    QTest::newRow("microbatch 2^31-1")
        << "slot 0 1 2147483647 F 0 0 10 20 0"
        << "microbatch 2147483647, chunk 0 outside the run's 1 x 2 x 1";
    QTest::newRow("negative duration") << "slot 0 1 0 F 0 0 20 10 0"
                                       << "before its start";
    QTest::newRow("negative time") << "slot 0 1 0 F 0 0 -5 10 0"
                                   << "time -5 us";
    QTest::newRow("huge time") << "slot 0 1 0 F 0 0 10 18446744073709551 0"
                               << "slot:";
    QTest::newRow("op not in schedule") << "slot 0 1 0 W 0 0 10 20 0"
                                        << "is not in this schedule";
    QTest::newRow("bad op") << "slot 0 1 0 Z 0 0 10 20 0"
                            << "unknown op";
    QTest::newRow("version") << "slot 0 1 0 F 0 99999 10 20 0"
                             << "version 99999";
    QTest::newRow("twice") << "slot 0 1 0 F 0 0 10 20 0\nslot 0 1 0 F 0 0 30 40 0"
                           << "reported twice";
    QTest::newRow("loss nan") << "batch 0 1 nan 0 1 50"
                              << "loss nan";
    QTest::newRow("loss inf") << "batch 0 1 inf 0 1 50"
                              << "loss inf";
    QTest::newRow("loss negative") << "batch 0 1 -1 0 1 50"
                                   << "loss -1";
    QTest::newRow("batch out of range") << "batch 7 1 0.5 0 1 50"
                                        << "batch 7";
    QTest::newRow("mem bytes") << "mem 1 10 1 1 9223372036854775807 0"
                               << "mem: bytes";
    QTest::newRow("mem in flight") << "mem 1 10 -3 1 0 0"
                                   << "mem: in flight -3";
    QTest::newRow("ver version") << "ver 1 10 2147483647 -"
                                 << "ver: version";
    QTest::newRow("ver stashed") << "ver 1 10 1 0,x"
                                 << "ver: stashed";
    QTest::newRow("short slot") << "slot 0 1 0"
                                << "slot: does not parse";
    QTest::newRow("eval batch 0") << "eval 0 0 10 64 0.5 -"
                                  << "eval: batch 0";
    QTest::newRow("eval beyond the run") << "eval 2 0 10 64 0.5 0.25"
                                         << "eval: batch 2";
    QTest::newRow("eval samples") << "eval 1 0 10 -64 0.5 0.25"
                                  << "eval: time 10 us, samples -64";
}

void TestCollector::invalidRecordsDropTheRank() {
    QFETCH(QString, line);
    QFETCH(QString, why);
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    FakeRank rank0;
    QVERIFY(rank0.connect(collector.port(), 0, 2, o, error));
    // Rank 1 by hand, so that any line can be sent.
    net::LineReader reader;
    std::string welcome;
    const int fd = connectWithSecret(collector.port(), kSecret, welcome, reader);
    QVERIFY(fd >= 0);
    QVERIFY2(welcome.rfind("welcome ", 0) == 0, welcome.c_str());
    std::string hello = "hello " + std::to_string(kWireProtocol) + " 1 2 7 host1";
    for (const std::string& a : toArgs(o)) hello += " " + net::escape(a);
    QVERIFY(net::sendAll(fd, hello + "\n" + line.toStdString() + "\n"));
    QVERIFY(sink.waitFor([&] { return !sink.errors.empty(); }));
    const std::string e = sink.errors[0];
    QVERIFY2(contains(e, "rank 1 on host1: sent an invalid record (") &&
                 contains(e, why.toStdString()) && contains(e, "); dropped"),
             e.c_str());
    {
        std::lock_guard<std::mutex> lock(sink.mutex);
        // The first of two identical slots was valid; nothing else came.
        QCOMPARE(sink.slots.size(), std::size_t(line.contains("\n") ? 1 : 0));
        QVERIFY(sink.batches.empty() && sink.memory.empty() && sink.versions.empty());
    }
    const auto c = rank0.next();
    QVERIFY(c && c->kind == RankClient::Control::Cancel);
    rank0.client.onFinished(done(0, 1, true));
    QVERIFY(sink.waitFinished());
    QVERIFY(sink.summary.failed);
    ::close(fd);
}

// Attach (no world known): a hello that would set up a view larger than
// the memory limit is refused before anything is made for it.
void TestCollector::attachRefusesAHugeRun() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    collector.setMemoryLimit(std::uint64_t{1} << 30);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    FakeRank huge;
    RunOptions big = smallOptions(64, 4096, 95);
    big.layers = 64;
    big.batchSize = 4096;
    QVERIFY(!huge.connect(collector.port(), 0, 64, big, error));
    QVERIFY2(contains(error, "64 stages x 4096 microbatches x 95 batches) needs about"),
             error.c_str());
    QCOMPARE(collector.worldSize(), 0);
    QVERIFY(log.waitFor(1));
    Ranks ranks;  // the real run attaches after it
    QVERIFY(ranks.connect(collector.port(), 2, smallOptions(2, 4, 1)));
    QCOMPARE(collector.worldSize(), 2);
    QVERIFY(sink.allErrors().empty());
}

// The run secret: a wrong secret, none, garbage, a forged hello
// without the challenge answered, silence and an answer after the deadline
// are each closed and logged; the real ranks' run completes without error.
void TestCollector::runSecretKeepsStrangersOut() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    collector.setConnectTimeout(30s);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    const int port = collector.port();
    // Silence, and the right answer too late: both past the 5 s deadline.
    auto late = std::async(std::launch::async, [port] {
        std::string error;
        bool retryable = false;
        const int fd = net::connectTcp("127.0.0.1", port, error, retryable);
        net::LineReader reader(fd);
        std::string challenge, reply;
        reader.read(challenge, 10000);
        std::this_thread::sleep_for(5500ms);
        net::sendAll(fd,
                     "auth " +
                         toHex(hmacSha256(kSecret, "pipedream-collector " + challenge.substr(10))) +
                         " " + std::string(64, 'a') + "\n");
        const auto got = reader.read(reply, 10000);
        ::close(fd);
        return got == net::LineReader::Line ? reply : std::string("closed");
    });
    bool retryable = false;
    const int silent = net::connectTcp("127.0.0.1", port, error, retryable);
    QVERIFY(silent >= 0);
    // A wrong secret, and none: the rank is told why.
    FakeRank wrong;
    QVERIFY(!wrong.connect(port, 0, 2, o, error, "not-the-secret"));
    QVERIFY2(contains(error, "refused this rank: it sent no valid run secret"), error.c_str());
    FakeRank none;
    QVERIFY(!none.connect(port, 1, 2, o, error, ""));
    QVERIFY2(contains(error, "refused this rank: it sent no valid run secret"), error.c_str());
    // Garbage, and a forged hello that skips the challenge.
    std::string args;
    for (const std::string& x : toArgs(o)) args += " " + net::escape(x);
    for (const std::string& line :
         {std::string("GET / HTTP/1.1"),
          "hello " + std::to_string(kWireProtocol) + " 0 2 1 evil" + args,
          std::string("auth 00 ") + std::string(64, 'b'), std::string("auth \x1b[2J x")}) {
        const int fd = net::connectTcp("127.0.0.1", port, error, retryable);
        QVERIFY(fd >= 0);
        net::LineReader reader(fd);
        std::string reply, all;
        QCOMPARE(reader.read(reply, 10000), net::LineReader::Line);  // the challenge
        net::sendAll(fd, line + "\n");
        while (reader.read(reply, 10000) == net::LineReader::Line) all += reply + "\n";
        ::close(fd);
        QVERIFY2(!contains(all, "welcome") && !contains(all, "pong"), all.c_str());
    }
    QVERIFY2(!contains(late.get(), "welcome"), "an answer after the deadline was welcomed");
    ::close(silent);
    Ranks ranks;
    QVERIFY(ranks.connect(port, 2, o));
    QVERIFY(ranks.ready());
    for (int r = 0; r < 2; ++r) ranks[r].client.onFinished(done(1, 50));
    QVERIFY(sink.waitFinished());
    QVERIFY2(sink.allErrors().empty(), sink.allErrors().c_str());
    QVERIFY(!sink.summary.failed);
    QCOMPARE(collector.ranks()[0].host, std::string("host0"));  // the real one, not "evil"
    // wrong, none, 4 lines, late, silent
    QVERIFY(log.waitFor(8));
    const std::string logged = log.all();
    std::size_t count = 0;
    for (std::size_t at = 0;
         (at = logged.find("sent no valid run secret", at)) != std::string::npos; ++at)
        ++count;
    QVERIFY2(count == 8, logged.c_str());
    QVERIFY2(contains(logged, "a connection from 127.0.0.1:"), logged.c_str());
    QVERIFY2(contains(logged, "(a wrong proof)"), logged.c_str());
    QVERIFY2(contains(logged, "(it has none (--no-secret?))"), logged.c_str());
    QVERIFY2(contains(logged, "no answer to the challenge within 5 s"), logged.c_str());
    for (char ch : logged) QVERIFY(ch == '\n' || static_cast<unsigned char>(ch) >= 0x20);
}

// Mutual: a rank sends nothing to a collector that cannot prove the
// secret back (one that took the rank's proof and answered at random).
void TestCollector::rankChecksTheCollectorsSecret() {
    for (const std::string& welcome :
         {"welcome " + std::string(64, '0'), std::string("welcome -")}) {
        std::string error;
        const int listenFd = net::listenTcp("127.0.0.1", 0, error);
        QVERIFY2(listenFd >= 0, error.c_str());
        const int port = net::localPort(listenFd);
        std::promise<std::string> after;  // what the rank sent after the welcome
        std::thread fake([&] {
            const int fd = ::accept(listenFd, nullptr, nullptr);
            net::LineReader reader(fd);
            net::sendAll(fd, "challenge " + std::string(64, 'c') + "\n" + welcome + "\n");
            std::string line, rest;
            reader.read(line, 10000);  // the auth
            while (reader.read(line, 10000) == net::LineReader::Line) rest += line + "\n";
            after.set_value(rest);
            ::close(fd);
        });
        FakeRank rank;
        const bool ok = rank.connect(port, 0, 2, smallOptions(2, 2, 1), error);
        fake.join();
        ::close(listenFd);
        QVERIFY(!ok);
        QVERIFY2(contains(error, welcome == "welcome -" ? "asks for no run secret (--no-secret)"
                                                        : "does not know this run's secret"),
                 error.c_str());
        const std::string rest = after.get_future().get();
        QVERIFY2(rest.empty(), rest.c_str());  // no hello: not even the options
    }
}

// --no-secret on both sides: said once on the log, the run completes; a
// rank with a secret refuses such a collector with the reason.
void TestCollector::noSecretOnBothSides() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret("");
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    QVERIFY(log.waitFor(1));
    QVERIFY2(contains(log.all(), "accepting events without a run secret (--no-secret)"),
             log.all().c_str());
    FakeRank withSecret;
    QVERIFY(!withSecret.connect(collector.port(), 0, 2, o, error, kSecret));
    QVERIFY2(contains(error, "asks for no run secret"), error.c_str());
    Ranks ranks;
    QVERIFY(ranks.connect(collector.port(), 2, o, ""));
    QVERIFY(ranks.ready());
    for (int r = 0; r < 2; ++r) ranks[r].client.onFinished(done(1, 50));
    QVERIFY(sink.waitFinished());
    QVERIFY2(sink.allErrors().empty(), sink.allErrors().c_str());
    QVERIFY(!sink.summary.failed);
}

// A rank of the protocol before the secret says hello at once: it is told
// which protocol this collector speaks.
void TestCollector::olderRankIsToldWhy() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    collector.expect(2, smallOptions(2, 2, 1));
    std::string error;
    QVERIFY(collector.listen("127.0.0.1", 0, error));
    bool retryable = false;
    const int fd = net::connectTcp("127.0.0.1", collector.port(), error, retryable);
    QVERIFY(fd >= 0);
    net::sendAll(fd, "hello 1 0 2 1 old --stages 2\n");
    net::LineReader reader(fd);
    std::string line, all;
    while (reader.read(line, 10000) == net::LineReader::Line) all += line + "\n";
    ::close(fd);
    QVERIFY2(
        contains(all, "refused wire\\sprotocol\\s1,\\sexpected\\s" + std::to_string(kWireProtocol)),
        all.c_str());
    QVERIFY(log.waitFor(1));
}

// The launcher's ranks get the run's secret in their environment, never in
// their argv (which ps shows every user).
void TestCollector::launcherGivesTheSecretInTheEnvironment() {
    const QString dir = QDir::tempPath() + "/tst_collector_secret_" + QString::number(getpid());
    QVERIFY(QDir().mkpath(dir));
    const std::string exe = (dir + "/fake-train").toStdString();
    {
        std::ofstream f(exe);
        f << "#!/bin/sh\necho \"secret=$PIPEDREAM_SECRET\"\n"
             "tr '\\0' ' ' < /proc/$$/cmdline; echo\nexit 3\n";
    }
    QCOMPARE(::chmod(exe.c_str(), 0755), 0);
    for (const bool noSecret : {false, true}) {
        RecordingSink sink;
        std::mutex mutex;
        std::vector<std::string> lines;
        DistributedRun::Setup setup;
        setup.executable = exe;
        setup.output = [&](int, bool, const std::string& line) {
            std::lock_guard<std::mutex> lock(mutex);
            lines.push_back(line);
        };
        RunOptions o = smallOptions(2, 2, 1);
        o.noSecret = noSecret;
        DistributedRun run(o, sink, setup);
        QCOMPARE(run.secret().size(), noSecret ? std::size_t(0) : std::size_t(64));
        run.start();
        QVERIFY(run.wait(kLong));
        std::lock_guard<std::mutex> lock(mutex);
        int secrets = 0, argvs = 0;
        for (const std::string& l : lines) {
            if (contains(l, "] secret=")) {
                QVERIFY2(contains(l, "secret=" + run.secret()) &&
                             l.size() == l.find("secret=") + 7 + run.secret().size(),
                         l.c_str());
                ++secrets;
            }
            if (contains(l, "--events")) {
                ++argvs;
                QVERIFY2(noSecret ? contains(l, "--no-secret") : !contains(l, run.secret()),
                         l.c_str());
            }
        }
        QCOMPARE(secrets, 2);
        QCOMPARE(argvs, 2);
    }
    QDir(dir).removeRecursively();
}

void TestCollector::listenOnBusyPortFails() {
    RecordingSink sink;
    EventCollector first(sink);
    first.setSecret(kSecret);
    std::string error;
    QVERIFY(first.listen("127.0.0.1", 0, error));
    EventCollector second(sink);
    second.setSecret(kSecret);
    QVERIFY(!second.listen("127.0.0.1", first.port(), error));
    QCOMPARE(error, "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                        ": the port is in use by another program");
    QVERIFY(!second.listen("no-such-host.invalid", 0, error));
    QVERIFY2(contains(error, "cannot resolve host 'no-such-host.invalid'"), error.c_str());
    QVERIFY(freePort("127.0.0.1") > 0);
}

void TestCollector::unreachableCollectorTimesOut() {
    const int port = freePort("127.0.0.1");  // nobody listens there now
    QVERIFY(port > 0);
    FakeRank rank;
    RankClient::Hello h;
    std::string error;
    const auto before = std::chrono::steady_clock::now();
    QVERIFY(!rank.client.connect("127.0.0.1:" + std::to_string(port), h, 500ms, error));
    QCOMPARE(error, "cannot reach the event collector at 127.0.0.1:" + std::to_string(port) +
                        " within 0.5 s");
    QVERIFY(std::chrono::steady_clock::now() - before >= 400ms);  // it did retry
    QVERIFY(!rank.client.connected());
    QVERIFY(!rank.client.ready(error).has_value());
    rank.client.onSlot(SlotEvent());  // a rank without collector goes on
}

void TestCollector::launcherForwardsOutputAndStatuses() {
    std::mutex mutex;
    std::vector<std::string> out, err;
    std::vector<int> exits(3, -1);
    LocalRanks ranks;
    ranks.setOnExit([&](int rank, int status) {
        std::lock_guard<std::mutex> lock(mutex);
        exits[rank] = status;
    });
    // sh -c SCRIPT sh --backend gloo --rank R ...: the rank is $4.
    const std::string script =
        "echo \"hello from $4 of $6\"; echo \"error: oops $4\" >&2; "
        "test \"$7 $8 $9\" = '--master-addr 10.0.0.1 --master-port' || echo bad args >&2; "
        "printf 'no newline'; exit $4";
    std::string error;
    QVERIFY2(ranks.start(
                 "/bin/sh", {"-c", script, "sh"}, 3, "gloo", "10.0.0.1", 29501, "127.0.0.1:5",
                 [&](int rank, bool isError, const std::string& line) {
                     std::lock_guard<std::mutex> lock(mutex);
                     (isError ? err : out).push_back(line);
                     (void)rank;
                 },
                 error),
             error.c_str());
    QCOMPARE(ranks.pids().size(), std::size_t(3));
    const std::vector<int> statuses = ranks.wait();
    QCOMPARE(statuses, std::vector<int>({0, 1, 2}));
    QCOMPARE(LocalRanks::worst(statuses), 1);
    QCOMPARE(LocalRanks::worst({0, 0, 0}), 0);
    QCOMPARE(LocalRanks::worst({0, 137, 1}), 137);
    std::lock_guard<std::mutex> lock(mutex);
    QCOMPARE(exits, statuses);
    std::sort(out.begin(), out.end());
    std::sort(err.begin(), err.end());
    QCOMPARE(out, std::vector<std::string>({"[rank 0] hello from 0 of 3", "[rank 0] no newline",
                                            "[rank 1] hello from 1 of 3", "[rank 1] no newline",
                                            "[rank 2] hello from 2 of 3", "[rank 2] no newline"}));
    QCOMPARE(err, std::vector<std::string>({"[rank 0] error: oops 0", "[rank 1] error: oops 1",
                                            "[rank 2] error: oops 2"}));
}

void TestCollector::launcherReportsKilledChildAndBadExecutable() {
    LocalRanks ranks;
    std::string error;
    QVERIFY(ranks.start("/bin/sh", {"-c", "if [ $4 = 1 ]; then kill -9 $$; fi; exit 0", "sh"}, 2,
                        "gloo", "127.0.0.1", 1, "", nullptr, error));
    QCOMPARE(ranks.wait(), std::vector<int>({0, 128 + 9}));

    LocalRanks missing;
    QVERIFY(!missing.start("/no/such/pipedream-train", {}, 2, "gloo", "127.0.0.1", 1, "", nullptr,
                           error));
    QCOMPARE(error,
             std::string("cannot run '/no/such/pipedream-train': No such file or directory"));
    QCOMPARE(missing.wait(), std::vector<int>({127}));  // the first fails; no second is started
}

void TestCollector::launcherTerminates() {
    LocalRanks ranks;
    std::string error;
    QVERIFY(ranks.start("/bin/sh", {"-c", "exec sleep 60", "sh"}, 2, "", "127.0.0.1", 1, "",
                        nullptr, error));
    QVERIFY(!ranks.waitFor(100ms));
    ranks.terminate();
    QVERIFY(ranks.waitFor(kLong));
    QCOMPARE(ranks.wait(), std::vector<int>({128 + 15, 128 + 15}));
    // The destructor of a launcher with running children stops them.
    std::vector<int> pids;
    {
        LocalRanks doomed;
        QVERIFY(doomed.start("/bin/sh", {"-c", "trap '' TERM; exec sleep 60", "sh"}, 1, "",
                             "127.0.0.1", 1, "", nullptr, error));
        pids = doomed.pids();
    }
    QCOMPARE(::kill(pids[0], 0), -1);  // reaped: gone
    QVERIFY(!trainExecutable().empty());
    QVERIFY(contains(trainExecutable(), "pipedream-train"));
}

void TestCollector::distributedRunAttach() {
    RecordingSink sink;
    RunOptions gui = smallOptions(2, 4, 1);  // what the GUI had: the ranks' options win
    gui.schedule.microbatches = 2;
    DistributedRun::Setup setup;
    setup.mode = DistributedRun::Setup::Attach;
    DistributedRun run(gui, sink, setup);
    QVERIFY(run.port() > 0);
    QCOMPARE(run.collector().worldSize(), 0);
    run.pause();
    run.start();
    QVERIFY(!run.finished());
    const RunOptions o = smallOptions(2, 4, 1);
    Ranks ranks;
    QCOMPARE(run.secret().size(), std::size_t(64));  // a new one: 32 random bytes
    QVERIFY(ranks.connect(run.port(), 2, o, run.secret()));
    QCOMPARE(run.collector().worldSize(), 2);
    QCOMPARE(run.collector().options()->schedule.microbatches, 4);
    for (int r = 0; r < 2; ++r) QCOMPARE(ranks[r].nextFrontier(), std::optional<int>(0));
    QVERIFY(ranks.ready());
    run.resume();
    for (int r = 0; r < 2; ++r) {
        const auto c = ranks[r].next();
        QVERIFY(c && c->kind == RankClient::Control::Resume);
    }
    SlotEvent s;
    s.stage = 1;
    ranks[1].client.onSlot(s);
    QVERIFY(!run.wait(50ms));
    for (int r = 0; r < 2; ++r) ranks[r].client.onFinished(done(1, 50));
    QVERIFY(run.wait(kLong));
    QVERIFY(run.finished());
    QCOMPARE(sink.slots.size(), std::size_t(1));
    QVERIFY(!sink.summary.failed);
    QCOMPARE(run.exitStatus(), 0);
}

void TestCollector::distributedRunChildExitFailsFast() {
    // A "pipedream-train" that fails before it connects, as a bad MASTER
    // address would make it: the run fails at once, naming the cause.
    const QString dir = QDir::tempPath() + "/tst_collector_" + QString::number(getpid());
    QVERIFY(QDir().mkpath(dir));
    const std::string exe = (dir + "/fake-train").toStdString();
    {
        std::ofstream f(exe);
        f << "#!/bin/sh\necho \"starting $*\"\nif [ \"$2\" != 2 ]; then\n"
             "  echo 'error: cannot reach the master' >&2; exit 3\nfi\nexec sleep 60\n";
    }
    QCOMPARE(::chmod(exe.c_str(), 0755), 0);
    RecordingSink sink;
    std::mutex mutex;
    std::vector<std::string> lines;
    DistributedRun::Setup setup;
    setup.executable = exe;
    setup.output = [&](int, bool, const std::string& line) {
        std::lock_guard<std::mutex> lock(mutex);
        lines.push_back(line);
    };
    RunOptions o = smallOptions(2, 4, 1);
    o.schedule.stages = 3;  // "$2" is the --stages value: 3, so every rank fails
    DistributedRun run(o, sink, setup);
    const auto before = std::chrono::steady_clock::now();
    run.start();
    QVERIFY(run.wait(kLong));
    QVERIFY(std::chrono::steady_clock::now() - before < 10s);  // not the 60 s timeout
    QVERIFY(sink.finishedCount == 1 && sink.summary.failed);
    QVERIFY2(contains(sink.errors.at(0),
                      ": the process exited with status 3 (error: cannot reach the master)"),
             sink.errors[0].c_str());
    QVERIFY2(sink.errors[0].rfind("rank ", 0) == 0, sink.errors[0].c_str());
    QCOMPARE(run.exitStatus(), 3);
    std::lock_guard<std::mutex> lock(mutex);
    bool sawArgs = false;
    for (const auto& l : lines)
        sawArgs =
            sawArgs || (contains(l, "[rank 2] starting --schedule 1f1b --stages 3") &&
                        contains(l, "--backend gloo") && contains(l, "--rank 2 --world-size 3") &&
                        contains(l, "--events 127.0.0.1:" + std::to_string(run.port())));
    QVERIFY2(sawArgs, lines.empty() ? "no output" : lines[0].c_str());
    QDir(dir).removeRecursively();
}

void TestCollector::distributedRunCancelStopsRanks() {
    // Ranks that hang before they connect (a rendezvous waiting for ever):
    // cancel stops them, and a cancelled run is not a failed one.
    DistributedRun::Setup setup;
    const RunOptions o = smallOptions(2, 4, 1);
    RecordingSink sink2;
    const QString dir = QDir::tempPath() + "/tst_collector_cancel_" + QString::number(getpid());
    QVERIFY(QDir().mkpath(dir));
    const std::string exe = (dir + "/hanging-train").toStdString();
    {
        std::ofstream f(exe);
        f << "#!/bin/sh\nexec sleep 60\n";
    }
    QCOMPARE(::chmod(exe.c_str(), 0755), 0);
    setup.executable = exe;
    DistributedRun hanging(o, sink2, setup);
    hanging.start();
    QVERIFY(!hanging.wait(200ms));
    const auto before = std::chrono::steady_clock::now();
    hanging.cancel();
    QVERIFY(std::chrono::steady_clock::now() - before < 4s);  // not the 5 s grace
    QVERIFY(hanging.wait(kLong));
    QVERIFY(hanging.finished());
    QCOMPARE(sink2.finishedCount, 1);
    QVERIFY(sink2.summary.cancelled);
    QVERIFY(!sink2.summary.failed);
    QVERIFY2(sink2.errors.empty(), sink2.allErrors().c_str());
    QCOMPARE(hanging.exitStatus(), 128 + 15);
    QDir(dir).removeRecursively();
}

QTEST_MAIN(TestCollector)
#include "tst_collector.moc"
