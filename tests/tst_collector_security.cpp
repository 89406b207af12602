// What a stranger on the collector's port can do: probes, silent and forged
// connections, records outside the run's grid, a run too large to watch, a
// wrong or missing run secret, an older protocol. Each is refused or
// dropped and logged; the real ranks' run goes on.
#include "collector_test_util.h"

using namespace pd;
using namespace pd::collectortest;

class TestCollectorSecurity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void strangersDoNotStopTheRun();
    void invalidRecordsDropTheRank_data();
    void invalidRecordsDropTheRank();
    void attachRefusesAHugeRun();
    void runSecretKeepsStrangersOut();
    void rankChecksTheCollectorsSecret();
    void noSecretOnBothSides();
    void olderRankIsToldWhy();
};

// Strangers on the collector's port: 256 connect-and-close
// probes and a few silent connections held open, then forged hellos
// (wrong protocol, world, rank out of range, a second rank 0, control
// bytes in the host): every one is refused and logged, descriptors are
// released, and the real ranks' run completes without an error.
void TestCollectorSecurity::strangersDoNotStopTheRun() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    collector.setConnectTimeout(20s);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    const int port = collector.port();
    const int fdsBefore = openFds();
    for (int i = 0; i < 256; ++i)
        QVERIFY_THROWS_NO_EXCEPTION(::close(net::connectTcp("127.0.0.1", port)));
    std::vector<int> silent;  // held open, never a word
    for (int i = 0; i < 12; ++i)
        QVERIFY_THROWS_NO_EXCEPTION(silent.push_back(net::connectTcp("127.0.0.1", port)));
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
        errorOf([&] { ::close(net::connectTcp("127.0.0.1", port)); }).has_value(), 5000);
    QCOMPARE(collector.port(), port);  // still says where it was
}

// Records outside the run's grid (what a forged line could make a run
// write): the rank is named and dropped, and nothing of it reaches the sink.
void TestCollectorSecurity::invalidRecordsDropTheRank_data() {
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

void TestCollectorSecurity::invalidRecordsDropTheRank() {
    QFETCH(QString, line);
    QFETCH(QString, why);
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    FakeRank rank0;
    QVERIFY_THROWS_NO_EXCEPTION(rank0.connect(collector.port(), 0, 2, o));
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
void TestCollectorSecurity::attachRefusesAHugeRun() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    collector.setMemoryLimit(std::uint64_t{1} << 30);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    FakeRank huge;
    RunOptions big = smallOptions(64, 4096, 95);
    big.layers = 64;
    big.batchSize = 4096;
    const auto error = errorOf([&] { huge.connect(collector.port(), 0, 64, big); });
    QVERIFY(error);
    QVERIFY2(contains(*error, "64 stages x 4096 microbatches x 95 batches) needs about"),
             error->c_str());
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
void TestCollectorSecurity::runSecretKeepsStrangersOut() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    collector.setConnectTimeout(30s);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    const int port = collector.port();
    // Silence, and the right answer too late: both past the 5 s deadline.
    auto late = std::async(std::launch::async, [port] {
        const int fd = net::connectTcp("127.0.0.1", port);
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
    int silent = -1;
    QVERIFY_THROWS_NO_EXCEPTION(silent = net::connectTcp("127.0.0.1", port));
    // A wrong secret, and none: the rank is told why.
    FakeRank wrong;
    const auto error = errorOf([&] { wrong.connect(port, 0, 2, o, "not-the-secret"); });
    QVERIFY(error);
    QVERIFY2(contains(*error, "refused this rank: it sent no valid run secret"), error->c_str());
    FakeRank none;
    const auto noneError = errorOf([&] { none.connect(port, 1, 2, o, ""); });
    QVERIFY(noneError);
    QVERIFY2(contains(*noneError, "refused this rank: it sent no valid run secret"),
             noneError->c_str());
    // Garbage, and a forged hello that skips the challenge.
    std::string args;
    for (const std::string& x : toArgs(o)) args += " " + net::escape(x);
    for (const std::string& line :
         {std::string("GET / HTTP/1.1"),
          "hello " + std::to_string(kWireProtocol) + " 0 2 1 evil" + args,
          std::string("auth 00 ") + std::string(64, 'b'), std::string("auth \x1b[2J x")}) {
        int fd = -1;
        QVERIFY_THROWS_NO_EXCEPTION(fd = net::connectTcp("127.0.0.1", port));
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
void TestCollectorSecurity::rankChecksTheCollectorsSecret() {
    for (const std::string& welcome :
         {"welcome " + std::string(64, '0'), std::string("welcome -")}) {
        int listenFd = -1;
        QVERIFY_THROWS_NO_EXCEPTION(listenFd = net::listenTcp("127.0.0.1", 0));
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
        const auto error = errorOf([&] { rank.connect(port, 0, 2, smallOptions(2, 2, 1)); });
        fake.join();
        ::close(listenFd);
        QVERIFY(error);
        QVERIFY2(contains(*error, welcome == "welcome -" ? "asks for no run secret (--no-secret)"
                                                         : "does not know this run's secret"),
                 error->c_str());
        const std::string rest = after.get_future().get();
        QVERIFY2(rest.empty(), rest.c_str());  // no hello: not even the options
    }
}

// --no-secret on both sides: said once on the log, the run completes; a
// rank with a secret refuses such a collector with the reason.
void TestCollectorSecurity::noSecretOnBothSides() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret("");
    LogLines log;
    collector.setLog(log.sink());
    const RunOptions o = smallOptions(2, 2, 1);
    collector.expect(2, o);
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    QVERIFY(log.waitFor(1));
    QVERIFY2(contains(log.all(), "accepting events without a run secret (--no-secret)"),
             log.all().c_str());
    FakeRank withSecret;
    const auto error = errorOf([&] { withSecret.connect(collector.port(), 0, 2, o, kSecret); });
    QVERIFY(error);
    QVERIFY2(contains(*error, "asks for no run secret"), error->c_str());
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
void TestCollectorSecurity::olderRankIsToldWhy() {
    RecordingSink sink;
    EventCollector collector(sink);
    collector.setSecret(kSecret);
    LogLines log;
    collector.setLog(log.sink());
    collector.expect(2, smallOptions(2, 2, 1));
    QVERIFY_THROWS_NO_EXCEPTION(collector.listen("127.0.0.1", 0));
    int fd = -1;
    QVERIFY_THROWS_NO_EXCEPTION(fd = net::connectTcp("127.0.0.1", collector.port()));
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

QTEST_MAIN(TestCollectorSecurity)
#include "tst_collector_security.moc"
