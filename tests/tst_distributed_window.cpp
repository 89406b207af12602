// The window with stages as processes: it attaches and labels the lanes
// with the ranks' hosts, asks again after a bad address, keeps a failed
// attached run's events, runs local processes (a fake script, and the real
// pipedream-train stepped to the end), and real ranks attach.
#include "distributed_ui_test_util.h"

using namespace pd;
using namespace pd::distuitest;

class TestDistributedWindow : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        EngineController::registerMetaTypes();
    }

    // The window: Run > Attach listens and says so, with the command for the
    // other machines; the ranks' run fills the timeline, its lanes labelled
    // with their hosts; Stop listening frees the port.
    void windowAttachesAndLabelsLanesWithHosts() {
        RunOptions shown = small(3);
        shown.backend = "threads";
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        MainWindow w(shown, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        QVERIFY(probe(w).attachAction());
        QCOMPARE(probe(w).attachAction()->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+A")));
        QVERIFY(!probe(w).stopListeningAction()->isEnabled());

        QString error;
        QVERIFY(!w.attachTo(QStringLiteral("no port here"), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!probe(w).controller()->listening());

        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        QVERIFY(probe(w).stopListeningAction()->isEnabled());
        QVERIFY2(w.listeningText().startsWith(QStringLiteral("Listening on ") + where),
                 qPrintable(w.listeningText()));
        QVERIFY(probe(w).statusLabel()->text().contains(w.listeningText()));
        // Before any rank's hello the world size is not known: said, not guessed.
        QVERIFY2(w.listeningText().contains(QStringLiteral("waiting for the first rank")),
                 qPrintable(w.listeningText()));
        // Nothing in the status bar claims a run is attached while none is.
        QVERIFY2(!statusBarText(w).contains(QStringLiteral("attached")),
                 qPrintable(statusBarText(w)));
        const QString explain = probe(w).explainView()->toPlainText();
        for (const QString& part :
             {QStringLiteral("pipedream-train --schedule 1f1b --stages 3"),
              QStringLiteral("--backend gloo --rank R --world-size 3"),
              QStringLiteral("--events 127.0.0.1:%1").arg(probe(w).controller()->listenPort())})
            QVERIFY2(explain.contains(part), qPrintable(explain));
        QVERIFY(probe(w).model()->measuredBoxes().empty());

        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "hostA", true));
        QTRY_VERIFY_WITH_TIMEOUT(w.listeningText().contains(QStringLiteral("(1 of 2 connected)")),
                                 20000);
        QVERIFY(!statusBarText(w).contains(QStringLiteral("attached")));
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   1, "hostB", true));
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->hasRun(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(statusBarText(w).contains(QStringLiteral("attached run: 2 ranks")),
                                 5000);
        QCOMPARE(probe(w).model()->options().schedule.stages,
                 2);  // the ranks' run, not the controls'
        QCOMPARE(probe(w).controls()->stagesSpin()->value(), 2);
        QCOMPARE(probe(w).timeline()->lanes().size(), 2);
        QVERIFY2(probe(w).timeline()->lanes()[0].endsWith(QStringLiteral(" \u00B7 hostA")),
                 qPrintable(probe(w).timeline()->lanes()[0]));
        QVERIFY(probe(w).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 hostB")));
        QVERIFY(probe(w).timeline()->title().contains(QStringLiteral("hostA, hostB")));
        QVERIFY(!probe(w).stopListeningAction()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->measuredBoxes().size(),
                                  makeDryRun(o).timeline.actions.size(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 20000);
        QVERIFY(probe(w).model()->error().isEmpty());
        QVERIFY(probe(w).model()->record().status == "completed");

        // Its trace keeps the hosts; opened again, the lanes show them.
        QTemporaryDir files;
        const QString trace = files.filePath(QStringLiteral("attached.json"));
        QVERIFY2(w.exportTrace(trace, &error), qPrintable(error));
        MainWindow reopened(shown, nullptr, false);
        QVERIFY2(reopened.openRun(trace, &error), qPrintable(error));
        QCOMPARE(probe(reopened).model()->stageHosts(),
                 (QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}));
        QVERIFY(probe(reopened).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 hostB")));

        // Listening again on a fixed port, then stopping: the port is free.
        const QString again = where;
        QVERIFY2(w.attachTo(again, &error), qPrintable(error));
        QVERIFY(probe(w).controller()->listening());
        probe(w).stopListeningAction()->trigger();
        QVERIFY(!probe(w).controller()->listening());
        QVERIFY(w.listeningText().isEmpty());
        EngineController other;
        QVERIFY2(other.attach(again, &error), qPrintable(error));
    }

    // Run > Attach to a run...: the address is asked for (the last one
    // offered again); a bad one is said once and asked for again; Cancel
    // leaves the window as it was.
    void attachDialogAsksAgainAfterABadAddress() {
        MainWindow w(small(2), nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QStringList offered, said;
        int step = 0;
        QTimer driver;  // answers the dialogs as a person would
        connect(&driver, &QTimer::timeout, this, [&] {
            QWidget* modal = QApplication::activeModalWidget();
            if (!modal) return;
            if (auto* box = qobject_cast<QMessageBox*>(modal)) {
                said << box->text();
                box->accept();
            } else if (auto* input = qobject_cast<QInputDialog*>(modal)) {
                offered << input->textValue();
                if (step++ == 0) {
                    input->setTextValue(QStringLiteral("no-port-here"));
                    input->accept();
                } else {
                    input->reject();
                }
            }
        });
        driver.start(20);
        probe(w).attachAction()->trigger();  // returns once the dialogs are answered
        driver.stop();
        QCOMPARE(offered.size(), 2);
        QCOMPARE(offered[0], QStringLiteral("127.0.0.1:29600"));  // the default
        QCOMPARE(offered[1], QStringLiteral("no-port-here"));     // asked again, as typed
        QCOMPARE(said.size(), 1);
        QVERIFY2(said[0].contains(QStringLiteral("no-port-here")), qPrintable(said[0]));
        QVERIFY(!probe(w).controller()->listening());
        QVERIFY(w.listeningText().isEmpty());
    }

    // A rank lost mid-run in the window: the run error as today's, the
    // events received kept, the run marked failed (and partial).
    void windowKeepsAFailedAttachedRunsEvents() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        MainWindow w(o, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        QString error;
        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "hostA", false, false));
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   1, "hostB", false, false));
        const std::size_t sent = makeDryRun(o).timeline.actions.size();
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->measuredBoxes().size(), sent, 20000);
        ranks[1]->die();
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).model()->error().isEmpty(), 20000);
        QVERIFY2(probe(w).model()->error().contains(QStringLiteral("rank 1")),
                 qPrintable(probe(w).model()->error()));
        QVERIFY(w.inlineError().startsWith(QStringLiteral("Run failed: ")));
        QVERIFY2(probe(w).timeline()->title().contains(QStringLiteral("partial")),
                 qPrintable(probe(w).timeline()->title()));
        QCOMPARE(probe(w).model()->measuredBoxes().size(), sent);
        QCOMPARE(probe(w).model()->record().status, std::string("failed"));
        QVERIFY(probe(w).model()->record().statusMessage.find("rank 1") != std::string::npos);
        ranks[0]->die();
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).controller()->running(), 20000);
        QCOMPARE(probe(w).model()->measuredBoxes().size(), sent);
    }

    // The window with "Local processes (Gloo)" chosen: the run is made of
    // processes, its lanes carry this host, a rank's exit is the run's error.
    void windowRunsLocalProcesses() {
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("fake-train"));
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("#!/bin/sh\necho 'error: fake rank' >&2\nexit 3\n");
        }
        QFile::setPermissions(script, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        RunOptions o = small(2);
        o.backend = "threads";
        MainWindow w(o, nullptr, false);
        probe(w).controller()->setTrainExecutable(script);
        probe(w).controls()->placementCombo()->setCurrentIndex(1);
        QCOMPARE(w.currentOptions().backend, std::string("gloo"));
        w.restartRun();
        QVERIFY(probe(w).controller()->distributed());
        const QString here = QString::fromStdString(hostName());
        QVERIFY2(probe(w).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 ") + here),
                 qPrintable(probe(w).timeline()->lanes()[1]));
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).model()->error().isEmpty(), 30000);
        QVERIFY2(probe(w).model()->error().contains(QStringLiteral("status 3")),
                 qPrintable(probe(w).model()->error()));
        QVERIFY(w.inlineError().startsWith(QStringLiteral("Run failed: ")));

        probe(w).controls()->placementCombo()->setCurrentIndex(
            0);  // back to threads: labels as before
        w.restartRun();
        QVERIFY(!probe(w).controller()->distributed());
        QVERIFY(!probe(w).timeline()->lanes()[1].contains(QStringLiteral("\u00B7")));
    }

    // Real ranks (pipedream-train --backend gloo) started by the controller:
    // paused at t0, a step runs the first slot only, resumed it finishes.
    void realLocalProcessesStepAndFinish() {
#ifndef PD_TRAIN_EXE
        QSKIP("pipedream-train is not built");
#else
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        const RunOptions o = small(2);
        EngineController c;
        c.setTrainExecutable(QStringLiteral(PD_TRAIN_EXE));
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        c.stepSlot();  // slot 0: the first forward of stage 0
        QTRY_COMPARE_WITH_TIMEOUT(slots, std::size_t(1), 60000);
        QVERIFY(c.paused());
        c.resume();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
#endif
    }

    // Real ranks started "elsewhere" (here: two processes on this machine)
    // with --events: the window's controller collects their run.
    void realRanksAttach() {
#ifndef PD_TRAIN_EXE
        QSKIP("pipedream-train is not built");
#else
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        const RunOptions o = small(2);
        EngineController c;
        QSignalSpy connected(&c, &EngineController::ranksConnected);
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString masterPort = QString::number(freePort("127.0.0.1"));
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (int r = 0; r < 2; ++r) {
            QStringList args;
            for (const std::string& a : toArgs(o)) args << QString::fromStdString(a);
            args << QStringLiteral("--rank") << QString::number(r) << QStringLiteral("--world-size")
                 << QStringLiteral("2") << QStringLiteral("--master-addr")
                 << QStringLiteral("127.0.0.1") << QStringLiteral("--master-port") << masterPort
                 << QStringLiteral("--events") << address(c);
            ranks.push_back(std::make_unique<QProcess>());
            ranks.back()->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            // The window's secret, as its command says: in the environment.
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("PIPEDREAM_SECRET"), c.listenSecret());
            ranks.back()->setProcessEnvironment(env);
            ranks.back()->start(QStringLiteral(PD_TRAIN_EXE), args);
        }
        QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 60000);
        const QString here = QString::fromStdString(hostName());
        QCOMPARE(connected[0][1].toStringList(), (QStringList{here, here}));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
        for (auto& p : ranks) {
            QTRY_COMPARE_WITH_TIMEOUT(p->state(), QProcess::NotRunning, 60000);
            QCOMPARE(p->exitStatus(), QProcess::NormalExit);
            QCOMPARE(p->exitCode(), 0);
        }
#endif
    }

    // Not a check: with PD_SCREENSHOT_DIR set, saves the window listening
    // and showing an attached run, for a person to look at.
    void screenshots() {
        const QByteArray env = qgetenv("PD_SCREENSHOT_DIR");
        if (env.isEmpty()) QSKIP("set PD_SCREENSHOT_DIR to save screenshots");
        const QDir dir(QString::fromUtf8(env));
        const RunOptions o = small(4);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        RunOptions shown = o;
        shown.backend = "threads";
        MainWindow w(shown, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QString error;
        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "alpha", true));
        QTRY_VERIFY_WITH_TIMEOUT(w.listeningText().contains(QStringLiteral("(1 of 4 connected)")),
                                 20000);
        QTest::qWait(200);
        w.grab().save(dir.filePath(QStringLiteral("attach_listening.png")));
        const char* hosts[] = {"alpha", "alpha", "beta", "gamma"};
        for (int r = 1; r < 4; ++r)
            ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(),
                                                       o, r, hosts[r], true));
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 20000);
        probe(w).controls()->paceCombo()->setCurrentIndex(
            probe(w).controls()->paceCombo()->count() - 1);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->slotCount(), 20000);
        QTest::qWait(300);
        w.grab().save(dir.filePath(QStringLiteral("attach_run.png")));
#ifdef PD_TRAIN_EXE
        // The same configuration as local processes of the real pipedream-train.
        probe(w).controller()->setPreferSimulated(false);
        probe(w).controller()->setTrainExecutable(QStringLiteral(PD_TRAIN_EXE));
        w.setOptions(o);
        w.restartRun();
        w.playPause();
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->slotCount(), 20000);
        probe(w).timeBaseCombo()->setCurrentIndex(1);  // measured
        QTest::qWait(300);
        w.grab().save(dir.filePath(QStringLiteral("local_processes.png")));
#endif
    }
};

QTEST_MAIN(TestDistributedWindow)
#include "tst_distributed_window.moc"
