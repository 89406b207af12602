// The local launcher with shell scripts as ranks (output, statuses, the
// secret in the environment, termination), a busy port and an unreachable
// collector, and a DistributedRun attached to fake ranks.
#include "collector_test_util.h"

using namespace pd;
using namespace pd::collectortest;

class TestLauncher : public QObject {
    Q_OBJECT
private Q_SLOTS:
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

// The launcher's ranks get the run's secret in their environment, never in
// their argv (which ps shows every user).
void TestLauncher::launcherGivesTheSecretInTheEnvironment() {
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

void TestLauncher::listenOnBusyPortFails() {
    RecordingSink sink;
    EventCollector first(sink);
    first.setSecret(kSecret);
    QVERIFY_THROWS_NO_EXCEPTION(first.listen("127.0.0.1", 0));
    EventCollector second(sink);
    second.setSecret(kSecret);
    const auto busy = errorOf([&] { second.listen("127.0.0.1", first.port()); });
    QVERIFY(busy);
    QCOMPARE(*busy, "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                        ": the port is in use by another program");
    const auto error = errorOf([&] { second.listen("no-such-host.invalid", 0); });
    QVERIFY(error);
    QVERIFY2(contains(*error, "cannot resolve host 'no-such-host.invalid'"), error->c_str());
    QVERIFY(freePort("127.0.0.1") > 0);
}

void TestLauncher::unreachableCollectorTimesOut() {
    const int port = freePort("127.0.0.1");  // nobody listens there now
    QVERIFY(port > 0);
    FakeRank rank;
    RankClient::Hello h;
    const auto before = std::chrono::steady_clock::now();
    const auto error =
        errorOf([&] { rank.client.connect("127.0.0.1:" + std::to_string(port), h, 500ms); });
    QVERIFY(error);
    QCOMPARE(*error, "cannot reach the event collector at 127.0.0.1:" + std::to_string(port) +
                         " within 0.5 s");
    QVERIFY(std::chrono::steady_clock::now() - before >= 400ms);  // it did retry
    QVERIFY(!rank.client.connected());
    QVERIFY(errorOf([&] { rank.client.ready(); }));  // not connected
    rank.client.onSlot(SlotEvent());                 // a rank without collector goes on
}

void TestLauncher::launcherForwardsOutputAndStatuses() {
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
    QVERIFY_THROWS_NO_EXCEPTION(ranks.start("/bin/sh", {"-c", script, "sh"}, 3, "gloo", "10.0.0.1",
                                            29501, "127.0.0.1:5",
                                            [&](int rank, bool isError, const std::string& line) {
                                                std::lock_guard<std::mutex> lock(mutex);
                                                (isError ? err : out).push_back(line);
                                                (void)rank;
                                            }));
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

void TestLauncher::launcherReportsKilledChildAndBadExecutable() {
    LocalRanks ranks;
    QVERIFY_THROWS_NO_EXCEPTION(
        ranks.start("/bin/sh", {"-c", "if [ $4 = 1 ]; then kill -9 $$; fi; exit 0", "sh"}, 2,
                    "gloo", "127.0.0.1", 1, "", nullptr));
    QCOMPARE(ranks.wait(), std::vector<int>({0, 128 + 9}));

    LocalRanks missing;
    const auto error = errorOf([&] {
        missing.start("/no/such/pipedream-train", {}, 2, "gloo", "127.0.0.1", 1, "", nullptr);
    });
    QVERIFY(error);
    QCOMPARE(*error,
             std::string("cannot run '/no/such/pipedream-train': No such file or directory"));
    QCOMPARE(missing.wait(), std::vector<int>({127}));  // the first fails; no second is started
}

void TestLauncher::launcherTerminates() {
    LocalRanks ranks;
    QVERIFY_THROWS_NO_EXCEPTION(
        ranks.start("/bin/sh", {"-c", "exec sleep 60", "sh"}, 2, "", "127.0.0.1", 1, "", nullptr));
    QVERIFY(!ranks.waitFor(100ms));
    ranks.terminate();
    QVERIFY(ranks.waitFor(kLong));
    QCOMPARE(ranks.wait(), std::vector<int>({128 + 15, 128 + 15}));
    // The destructor of a launcher with running children stops them.
    std::vector<int> pids;
    {
        LocalRanks doomed;
        QVERIFY_THROWS_NO_EXCEPTION(doomed.start("/bin/sh",
                                                 {"-c", "trap '' TERM; exec sleep 60", "sh"}, 1, "",
                                                 "127.0.0.1", 1, "", nullptr));
        pids = doomed.pids();
    }
    QCOMPARE(::kill(pids[0], 0), -1);  // reaped: gone
    QVERIFY(!trainExecutable().empty());
    QVERIFY(contains(trainExecutable(), "pipedream-train"));
}

void TestLauncher::distributedRunAttach() {
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

void TestLauncher::distributedRunChildExitFailsFast() {
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

void TestLauncher::distributedRunCancelStopsRanks() {
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

QTEST_MAIN(TestLauncher)
#include "tst_launcher.moc"
