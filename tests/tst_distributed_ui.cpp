// Stages as processes below the window: the Controls dock's choice of
// threads or local processes and its setting; the controller's attach mode
// with fake ranks (RankClient instances speaking the collector's protocol
// from threads of this test): options and hosts when every rank is there,
// the events live, a lost rank as a run error that keeps what arrived, and
// addresses that cannot be listened on; the listening text, the command
// shown and lane labels. The window itself: tst_distributed_window.
#include "distributed_ui_test_util.h"

using namespace pd;
using namespace pd::distuitest;

class TestDistributedUi : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        EngineController::registerMetaTypes();
    }

    void laneLabels_data() {
        QTest::addColumn<QStringList>("names");
        QTest::addColumn<QStringList>("hosts");
        QTest::addColumn<QStringList>("labels");
        const QStringList names{QStringLiteral("GPU0 (L1-4)"), QStringLiteral("GPU1 (L5-8)")};
        QTest::newRow("one process") << names << QStringList() << names;
        QTest::newRow("two hosts")
            << names << QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}
            << QStringList{QStringLiteral("GPU0 (L1-4) \u00B7 hostA"),
                           QStringLiteral("GPU1 (L5-8) \u00B7 hostB")};
        QTest::newRow("a host not known")
            << names << QStringList{QString(), QStringLiteral("hostB")}
            << QStringList{names[0], QStringLiteral("GPU1 (L5-8) \u00B7 hostB")};
    }

    void laneLabels() {
        QFETCH(QStringList, names);
        QFETCH(QStringList, hosts);
        QFETCH(QStringList, labels);
        QCOMPARE(pd::laneLabels(names, hosts), labels);
    }

    // The command the window shows for a rank on another machine: the run's
    // flags, Gloo with R and the world size, the events sent to where the
    // window listens (0.0.0.0 or no host: this machine's name).
    void rankCommand_data() {
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("events");
        const QString here = QString::fromStdString(hostName());
        QTest::newRow("one address")
            << QStringLiteral("10.1.2.3") << 2 << QStringLiteral("10.1.2.3:29600");
        QTest::newRow("every interface") << QStringLiteral("0.0.0.0") << 4 << here + ":29600";
        QTest::newRow("no host") << QString() << 3 << here + ":29600";
    }

    void rankCommand() {
        QFETCH(QString, host);
        QFETCH(int, world);
        QFETCH(QString, events);
        RunOptions threads = small(3);
        threads.backend = "threads";  // toArgs without the backend flags
        QStringList flags;
        for (const std::string& a : toArgs(threads)) flags << QString::fromStdString(a);
        const QString secret = QStringLiteral("0123abcd");
        const QString command = AttachFlow::rankCommand(small(3), world, host, 29600, secret);
        // The secret in the environment, not in the rank's argv.
        QVERIFY2(command.startsWith(QStringLiteral("PIPEDREAM_SECRET=0123abcd pipedream-train ") +
                                    flags.join(' ')),
                 qPrintable(command));
        QCOMPARE(command.count(secret), 1);
        QVERIFY(AttachFlow::rankCommand(small(3), world, host, 29600, QString())
                    .startsWith(QStringLiteral("pipedream-train ")));
        QVERIFY2(
            command.contains(QStringLiteral("--backend gloo --rank R --world-size %1 ").arg(world)),
            qPrintable(command));
        QCOMPARE(command.count(QStringLiteral("--backend")), 1);
        QVERIFY2(command.endsWith(QStringLiteral("--events ") + events), qPrintable(command));
    }

    // How the window counts the ranks while it waits: the world size only
    // once a rank has said it (the README's "(0 of W)" needs W first).
    void waitingText_data() {
        QTest::addColumn<int>("connected");
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("text");
        QTest::newRow("nobody yet")
            << 0 << 0 << QStringLiteral("waiting for the first rank (it says how many to expect)");
        QTest::newRow("world not said")
            << 1 << 0
            << QStringLiteral(
                   "waiting for ranks (1 connected; how many to expect is not known "
                   "yet)");
        QTest::newRow("one of four")
            << 1 << 4 << QStringLiteral("waiting for ranks (1 of 4 connected)");
        QTest::newRow("none of two")
            << 0 << 2 << QStringLiteral("waiting for ranks (0 of 2 connected)");
    }

    void waitingText() {
        QFETCH(int, connected);
        QFETCH(int, world);
        QFETCH(QString, text);
        QCOMPARE(AttachFlow::waitingText(connected, world), text);
    }

    // A trace with the ranks' hosts shows them in the lane labels; one
    // without keeps the labels as they were.
    void openedTraceShowsTheHosts() {
        const RunOptions o = small(2);
        RunRecord record;
        record.stageNames = stageNames(o.schedule, o.layers);
        record.slots = toSlotEvents(makeDryRun(o).timeline);
        QTemporaryDir dir;
        auto open = [&](const RunRecord& r, const QString& name) {
            const QString path = dir.filePath(name);
            if (errorOf([&] { writeFileAtomic(path.toStdString(), toChromeTrace(r)); }))
                return QStringList();
            MainWindow w(o, nullptr, false);
            QString error;
            if (!w.openRun(path, &error)) return QStringList{error};
            return probe(w).timeline()->lanes();
        };
        const QStringList plain = open(record, QStringLiteral("threads.json"));
        QCOMPARE(plain, toQStringList(record.stageNames));
        record.stageHosts = {"gpu-box-1", "gpu-box-2"};
        const QStringList hosts = open(record, QStringLiteral("ranks.json"));
        QCOMPARE(hosts.size(), 2);
        QCOMPARE(hosts[0], plain[0] + QStringLiteral(" \u00B7 gpu-box-1"));
        QCOMPARE(hosts[1], plain[1] + QStringLiteral(" \u00B7 gpu-box-2"));
    }

    // The Controls dock's "Stages run as" is the run's backend, remembered.
    void placementIsABackendSetting() {
        ControlsPanel panel;
        RunOptions o = small();
        o.backend = "threads";
        panel.showOptions(o);
        QCOMPARE(panel.placementCombo()->currentIndex(), 0);
        QCOMPARE(panel.options(o).backend, std::string("threads"));
        QSignalSpy changed(&panel, &ControlsPanel::optionsChanged);
        panel.placementCombo()->setCurrentIndex(1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.options(o).backend, std::string("gloo"));

        QTemporaryDir dir;
        QSettings s(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        saveRunOptions(s, panel.options(o));
        QCOMPARE(restoreRunOptions(s, defaultRunOptions()).backend, std::string("gloo"));
        s.setValue(QStringLiteral("run/backend"), QStringLiteral("carrier-pigeon"));
        QCOMPARE(restoreRunOptions(s, defaultRunOptions()).backend, std::string("threads"));
    }

    // Bad addresses and ports that cannot be listened on: one message each,
    // nothing left running.
    void attachRefusesWhatCannotBeListenedOn() {
        EngineController first;
        QString error;
        for (const char* bad : {"nonsense", "127.0.0.1:0x50", "127.0.0.1:70000", ":29600"}) {
            error.clear();
            QVERIFY2(!first.attach(QString::fromLatin1(bad), &error), bad);
            QVERIFY2(!error.isEmpty(), bad);
            QVERIFY(!first.running());
        }
        QVERIFY2(first.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        QVERIFY(first.listening());
        QVERIFY(first.listenPort() > 0);

        EngineController second;
        error.clear();
        QVERIFY(!second.attach(address(first), &error));
        QVERIFY2(error.contains(QString::number(first.listenPort())), qPrintable(error));
        QVERIFY(!second.running());
        QVERIFY(!second.listening());

        first.cancel();  // stops listening: the port is free again
        QVERIFY(!first.listening());
        QVERIFY2(second.attach(address(first), &error), qPrintable(error));
        second.cancel();
    }

    // Every rank says hello: the run's options and hosts, then its events,
    // merged, until done.
    void attachedRanksBringTheirRun() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        QSignalSpy waiting(&c, &EngineController::ranksWaiting);
        QSignalSpy connected(&c, &EngineController::ranksConnected);
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        QVERIFY(c.distributed());
        QCOMPARE(waiting.count(), 1);  // 0 ranks, world not known yet
        QCOMPARE(waiting.at(0).at(0).toInt(), 0);

        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 0, "hostA", true));
        QTRY_VERIFY_WITH_TIMEOUT(!waiting.isEmpty() && waiting.last().at(0).toInt() == 1, 20000);
        QCOMPARE(waiting.last().at(1).toInt(), 2);  // world from the first hello
        QVERIFY(c.listening());
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 1, "hostB", true));

        QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 20000);
        QVERIFY(!c.listening());
        const auto options = connected.at(0).at(0).value<RunOptions>();
        QCOMPARE(options.schedule.stages, 2);
        QCOMPARE(options.schedule.microbatches, 4);
        QCOMPARE(options.schedule.kind, ScheduleKind::OneFOneB);
        QCOMPARE(connected.at(0).at(1).toStringList(),
                 (QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}));

        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
        QCOMPARE(failed.count(), 0);
        QVERIFY(!finished.at(0).at(0).value<RunSummary>().failed);
        for (auto& r : ranks) {
            r->join();
            QCOMPARE(r->error(), std::string());
        }
    }

    // Pause, step and cancel of an attached run reach every rank.
    void attachedRunIsControlledOnEveryRank() {
        using Kind = RankClient::Control::Kind;
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        for (int r = 0; r < 2; ++r)
            ranks.push_back(
                std::make_unique<FakeRank>(address(c), c.listenSecret(), o, r, "host", false));
        // Running: every rank got go and sent its actions (no done).
        QTRY_COMPARE_WITH_TIMEOUT(slots, makeDryRun(o).timeline.actions.size(), 20000);
        auto everyRankGot = [&](Kind kind, int times) {
            for (auto& r : ranks) {
                const auto got = r->controls();
                if (std::count(got.begin(), got.end(), kind) < times) return false;
            }
            return true;
        };
        c.pause();  // every rank says where it stands, then gets its frontier
        QVERIFY(c.paused());
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Pause, 1), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Frontier, 1), 20000);
        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Frontier, 2), 20000);
        c.resume();
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Resume, 1), 20000);
        c.cancel();
        QVERIFY(!c.running());
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Cancel, 1), 20000);
    }

    // A rank that dies: a run error naming it and its host; what the other
    // ranks sent stays.
    void lostRankFailsTheRunKeepingItsEvents() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 0, "hostA", false, false));
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 1, "hostB", false, false));
        const std::size_t first = stageEvents(o, 0).size() + stageEvents(o, 1).size();
        QTRY_COMPARE_WITH_TIMEOUT(slots, first, 20000);
        QCOMPARE(failed.count(), 0);
        ranks[1]->die();
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() >= 1, 20000);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(QStringLiteral("rank 1")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("hostB")), qPrintable(message));
        ranks[0]->die();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        QVERIFY(finished.at(0).at(0).value<RunSummary>().failed);
        QCOMPARE(slots, first);
    }

    // Local processes: Start runs S pipedream-train ranks with the rank
    // flags and the collector's address; a rank that exits is a run error.
    void localProcessesRunTheTrainExecutable() {
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("fake-train"));
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(
                "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args-$$\"\n"
                "echo 'fake rank: no training here' >&2\nexit 3\n");
        }
        QFile::setPermissions(script, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        EngineController c;
        c.setTrainExecutable(script);
        QSignalSpy failed(&c, &EngineController::failed);
        QSignalSpy finished(&c, &EngineController::finished);
        RunOptions o = small(2);
        o.rendezvousTimeoutS = 5;
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        QVERIFY(c.distributed());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QVERIFY(failed.count() >= 1);
        QVERIFY(finished.at(0).at(0).value<RunSummary>().failed);

        QStringList args;
        for (const QString& name : QDir(dir.path()).entryList({QStringLiteral("args-*")})) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            args << QString::fromUtf8(f.readAll()).trimmed();
        }
        QCOMPARE(args.size(), 2);
        args.sort();
        for (int r = 0; r < 2; ++r) {
            const QString& a = args[r];
            QVERIFY2(a.contains(QStringLiteral("--stages 2")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--backend gloo")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--world-size 2")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--events 127.0.0.1:")), qPrintable(a));
        }
        QVERIFY(args.join(QLatin1Char('\n')).contains(QStringLiteral("--rank 0")));
        QVERIFY(args.join(QLatin1Char('\n')).contains(QStringLiteral("--rank 1")));
    }
};

QTEST_MAIN(TestDistributedUi)
#include "tst_distributed_ui.moc"
