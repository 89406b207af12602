// The torch-free half of distributed stages: the wire protocol between
// ranks (RankClient) and the event collector, the collector's merging and
// control (pause, held, frontiers on a real slot grid) and failures (a lost
// rank, a rank that never connects, a rank with other options). Strangers:
// tst_collector_security; the launcher: tst_launcher. Fake ranks are
// RankClients on the test's threads; every wait is on a condition with a
// generous timeout.
#include "collector_test_util.h"

using namespace pd;
using namespace pd::collectortest;

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
    const auto error = errorOf([&] { parseHostPort(text.toStdString()); });
    QVERIFY(error);
    QVERIFY2(contains(*error, message.toStdString()), error->c_str());
    QCOMPARE(error->find('\n'), std::string::npos);
}

void TestCollector::parseHostPortAccepts() {
    HostPort a;
    QVERIFY_THROWS_NO_EXCEPTION(a = parseHostPort("gpu-box.lan:29400"));
    QCOMPARE(a.host, std::string("gpu-box.lan"));
    QCOMPARE(a.port, 29400);
    QVERIFY_THROWS_NO_EXCEPTION(a = parseHostPort("[::1]:65535"));
    QCOMPARE(a.host, std::string("::1"));
    QCOMPARE(a.port, 65535);
    QVERIFY_THROWS_NO_EXCEPTION(a = parseHostPort("h:1"));
    QCOMPARE(a.port, 1);
}

void TestCollector::clockSyncOnOneMachine() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions();
    collector.expect(2, o);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
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
    int listenFd = -1;
    QVERIFY_THROWS_NO_EXCEPTION(listenFd = net::listenTcp("127.0.0.1", 0));
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
        QVERIFY_THROWS_NO_EXCEPTION(
            rank.client.connect("127.0.0.1:" + std::to_string(port), h, 10s));
        QCOMPARE(rank.nextFrontier(), std::optional<int>(7));
        offset = rank.client.offsetUs();
        errorUs = rank.client.errorUs();
        QVERIFY2(std::llabs(offset - kAhead) <= rank.client.errorUs() + 1,
                 std::to_string(offset).c_str());
        std::optional<std::chrono::steady_clock::time_point> t0;
        QVERIFY_THROWS_NO_EXCEPTION(t0 = rank.client.ready());
        QVERIFY(t0.has_value());
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
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    Ranks ranks;
    QVERIFY(ranks.connect(collector.port(), 2, o));
    QTRY_VERIFY_WITH_TIMEOUT(allConnected, 20000);
    const std::int64_t before = steadyNowUs();
    auto first = std::async(std::launch::async, [&] { return ranks[0].client.ready(); });
    // Rank 1 is not ready: no go for rank 0 (a wrong go would come at once).
    QCOMPARE(first.wait_for(300ms), std::future_status::timeout);
    std::optional<std::chrono::steady_clock::time_point> t1, t0;
    QVERIFY_THROWS_NO_EXCEPTION(t1 = ranks[1].client.ready());
    QVERIFY(t1.has_value());
    QVERIFY_THROWS_NO_EXCEPTION(t0 = first.get());
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
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
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
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    FakeRank rank1;
    QVERIFY_THROWS_NO_EXCEPTION(rank1.connect(collector.port(), 1, 3, o));
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
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    FakeRank rank0;
    QVERIFY_THROWS_NO_EXCEPTION(rank0.connect(collector.port(), 0, 2, o));
    RunOptions other = o;
    other.schedule.microbatches = 8;
    other.schedule.stash = false;
    FakeRank rank1;
    const auto error = errorOf([&] { rank1.connect(collector.port(), 1, 2, other); });
    QVERIFY(error);
    // The rank learns why (its own error, which its launcher reports).
    QVERIFY2(contains(*error, "refused this rank: options differ: "), error->c_str());
    QVERIFY2(contains(*error, "--microbatches 8, expected 4"), error->c_str());
    QVERIFY2(contains(*error, "--no-stash, expected without --no-stash"), error->c_str());
    QVERIFY2(!contains(*error, "--stages"), error->c_str());
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
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    FakeRank rank;
    const auto error =
        errorOf([&] { rank.connect(collector.port(), 1, 3, smallOptions(3, 4, 1)); });
    QVERIFY(error);
    QVERIFY2(contains(*error, "refused this rank: world size 3, expected 4"), error->c_str());
    QVERIFY(log.waitFor(1));
    QCOMPARE(log.all(),
             std::string("a connection claiming rank 1 on host1 was refused: world size 3, "
                         "expected 4\n"));
    QVERIFY(sink.allErrors().empty());
}

QTEST_MAIN(TestCollector)
#include "tst_collector.moc"
