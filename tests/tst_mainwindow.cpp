// The main window as users see it (a real window under Xvfb): opens and
// closes cleanly, controls change the schedule shown, invalid combinations
// are prevented or explained inline, shortcuts drive the run, a restart
// mid-run leaves no stale boxes. Runs on the simulated engine so it is
// fast and the same on every build.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QMimeData>
#include <QUrl>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolBar>
#include <QtTest>

#include "enginecontroller.h"
#include "mainwindow.h"
#include "report.h"
#include "timelineplot.h"
#include "trace.h"
#include "versionpanel.h"

using namespace pd;

namespace {

RunOptions small() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = 3;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

void simulated(MainWindow& w, double pace) {
    w.controller()->setPreferSimulated(true);
    w.controller()->setSimulatedPace(pace);
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    }

    void opensRunsAndClosesCleanly() {
        auto* w = new MainWindow(small(), nullptr, false);
        simulated(*w, 5.0);
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        QVERIFY(QFile::exists(
            QStringLiteral(":/pipedream-viz.svg")));  // the icon resource is linked in
        w->restartRun();
        // Faster than the default 40 ms per unit, still several drains.
        QTRY_VERIFY_WITH_TIMEOUT(!w->controller()->running(), 15000);
        const std::size_t expected = makeDryRun(small()).timeline.actions.size();
        QCOMPARE(w->result().slots.size(), expected);
        QCOMPARE(w->timeline()->measured()->data().size(), expected);
        QCOMPARE(w->statusBatchLabel()->text(), QStringLiteral("batch 3/3"));
        QVERIFY(w->explainView()->toPlainText().contains(QStringLiteral("(S-1)/(M+S-1)")));
        QCOMPARE(w->versionPanel()->current(0), 3);  // one update per batch
        if (const QByteArray dir = qgetenv("PD_SCREENSHOT_DIR"); !dir.isEmpty()) {
            w->grab().save(QDir(QString::fromUtf8(dir)).filePath(QStringLiteral("mainwindow.png")));
            w->chartTabs()->setCurrentIndex(0);
        }
        QVERIFY(w->close());
        delete w;
    }

    void slidersChangeTheSchedule() {
        MainWindow w(small(), nullptr, false);
        simulated(w, 1000.0);
        const std::size_t four = w.result().ideal.timeline.actions.size();
        w.stagesSlider()->setValue(2);
        QCOMPARE(w.stagesSpin()->value(), 2);
        QCOMPARE(w.result().options.schedule.stages, 2);
        QCOMPARE(w.result().stageNames.size(), 2);
        QCOMPARE(w.timeline()->lanes().size(), 2);
        QCOMPARE(w.timeline()->ideal()->data().lanes(), 2);
        QVERIFY(w.result().ideal.timeline.actions.size() != four);
        w.microbatchesSlider()->setValue(8);
        RunOptions expect = small();
        expect.schedule.stages = 2;
        expect.schedule.microbatches = 8;
        QCOMPARE(w.result().ideal.timeline.actions.size(),
                 makeDryRun(expect).timeline.actions.size());
        QCOMPARE(w.timeline()->ideal()->data().size(), makeDryRun(expect).timeline.actions.size());
        w.scheduleCombo()->setCurrentIndex(w.scheduleCombo()->findData(QStringLiteral("naive")));
        QCOMPARE(w.result().options.schedule.kind, ScheduleKind::Naive);
        QVERIFY(w.inlineError().isEmpty());
    }

    // The toolbar legend shows the colours in use: ops, or weight versions.
    void legendFollowsColourMode() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* bar = w.findChild<QToolBar*>(QStringLiteral("timelineToolbar"));
        QVERIFY(bar);
        auto visibleChips = [bar](const QString& text) {
            for (QLabel* l : bar->findChildren<QLabel*>())
                if (l->text().trimmed() == text) return l->isVisible();
            return false;
        };
        QVERIFY(visibleChips("F") && visibleChips("U"));
        QVERIFY(!visibleChips("v0"));
        QComboBox* colour = bar->findChildren<QComboBox*>().last();
        QCOMPARE(colour->itemText(1), QStringLiteral("by weight version"));
        colour->setCurrentIndex(1);
        QTRY_VERIFY(!visibleChips("F") && !visibleChips("U"));  // the toolbar lays out later
        QVERIFY(visibleChips("v0") && visibleChips("v7"));
        colour->setCurrentIndex(0);
        QTRY_VERIFY(visibleChips("F") && !visibleChips("v3"));
    }

    void invalidCombinationsPreventedOrExplained() {
        MainWindow w(small(), nullptr, false);
        simulated(w, 1000.0);
        // Microbatches cannot exceed the batch size; stages cannot exceed the layers.
        QCOMPARE(w.microbatchesSpin()->maximum(), 16);
        w.batchSizeSpin()->setValue(6);
        QCOMPARE(w.microbatchesSpin()->maximum(), 6);
        // 6 samples do not split into 4 microbatches: explained inline, Run disabled.
        QVERIFY(!w.inlineError().isEmpty());
        QVERIFY(!w.runAction()->isEnabled());
        const int lanesBefore = w.timeline()->lanes().size();
        w.runOrPause();  // must not start anything
        QVERIFY(!w.controller()->running());
        QCOMPARE(w.timeline()->lanes().size(), lanesBefore);
        w.microbatchesSlider()->setValue(3);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QVERIFY(w.runAction()->isEnabled());
        // Interleaved needs whole rounds of M / max(1, M/S) microbatches
        // (PyTorch's rule); chunks only apply to it.
        QVERIFY(!w.chunksSpin()->isEnabled());
        w.scheduleCombo()->setCurrentIndex(
            w.scheduleCombo()->findData(QStringLiteral("interleaved")));
        QVERIFY(w.chunksSpin()->isEnabled());
        QVERIFY2(w.inlineError().isEmpty(),
                 qPrintable(w.inlineError()));  // 3 on 4 stages: one round
        w.batchSizeSpin()->setValue(18);
        w.microbatchesSlider()->setValue(9);
        QVERIFY(!w.inlineError().isEmpty());  // 9 microbatches do not make 2 whole rounds
        QVERIFY(!w.stashCheck()->isEnabled());
        w.batchSizeSpin()->setValue(16);
        w.microbatchesSlider()->setValue(8);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
    }

    void shortcutsDriveTheRun() {
        MainWindow w(small(), nullptr, false);
        simulated(w, 60.0);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.timeline()->setFocus();

        QTest::keyClick(&w, Qt::Key_Space);  // run
        QVERIFY(w.controller()->running());
        QVERIFY(!w.controller()->paused());
        QTRY_VERIFY_WITH_TIMEOUT(!w.result().slots.empty(), 5000);
        QTest::keyClick(&w, Qt::Key_Space);  // pause
        QVERIFY(w.controller()->paused());
        QTest::qWait(100);
        const std::size_t paused = w.result().slots.size();
        QTest::qWait(200);
        QCOMPARE(w.result().slots.size(), paused);

        QTest::keyClick(&w, Qt::Key_Right);  // step one slot
        QTRY_VERIFY_WITH_TIMEOUT(w.result().slots.size() > paused, 3000);
        const std::size_t batches = w.result().batches.size();
        QTest::keyClick(&w, Qt::Key_Right, Qt::ShiftModifier);  // step one batch
        QTRY_COMPARE_WITH_TIMEOUT(w.result().batches.size(), batches + 1, 5000);

        QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier);  // reset
        QVERIFY(!w.controller()->running());
        QVERIFY(w.result().slots.empty());
        QCOMPARE(w.timeline()->measured()->data().size(), std::size_t(0));
    }

    // A run saved as CSV or Chrome trace opens in another window: its
    // schedule is recognised and set in the controls, its slots are shown as
    // measured, and nothing restarts. Bad files leave the window as it was.
    void opensSavedRuns() {
        QTemporaryDir dir;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::PipeDream;
        o.schedule.batches = 2;
        MainWindow source(o, nullptr, false);
        simulated(source, 0.5);
        source.restartRun();
        QTRY_VERIFY_WITH_TIMEOUT(!source.controller()->running(), 15000);
        const std::size_t n = source.result().slots.size();
        QVERIFY(n > 0);
        QString error;
        const QString csv = dir.filePath("run.csv"), trace = dir.filePath("trace.json");
        QVERIFY2(source.exportCsv(csv, &error), qPrintable(error));
        QVERIFY2(source.exportTrace(trace, &error), qPrintable(error));

        for (const QString& path : {csv, trace}) {
            MainWindow w(small(), nullptr, false);
            simulated(w, 0.5);
            w.setRestartDelay(10);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QVERIFY2(w.openRun(path, &error), qPrintable(error));
            QCOMPARE(w.openedFile(), path);
            QCOMPARE(w.scheduleCombo()->currentData().toString(), QStringLiteral("pipedream"));
            QCOMPARE(w.result().options.schedule.batches, 2);
            QVERIFY(w.result().measured);
            QCOMPARE(w.result().slots.size(), n);
            QCOMPARE(w.timeline()->measured()->data().size(), n);
            QCOMPARE(w.versionPanel()->current(0), source.versionPanel()->current(0));
            if (path == trace) QCOMPARE(w.result().stageNames, source.result().stageNames);
            if (const QByteArray shots = qgetenv("PD_SCREENSHOT_DIR"); !shots.isEmpty()) {
                QTest::qWait(200);
                const QString name = QFileInfo(path).baseName() + QStringLiteral("_opened.png");
                w.grab().save(QDir(QString::fromUtf8(shots)).filePath(name));
            }
            QTest::qWait(100);  // a restart would have begun by now
            QVERIFY(!w.controller()->running());
            QCOMPARE(w.result().slots.size(), n);

            // Not a run, not readable, or no schedule's order: one message, nothing changes.
            const QString garbage = dir.filePath("garbage.csv");
            QFile g(garbage);
            QVERIFY(g.open(QIODevice::WriteOnly));
            g.write("batch,stage,microbatch,op,chunk,version,start_us,end_us\n0,0,0,F,0,0,x,1\n");
            g.close();
            QVERIFY(!w.openRun(garbage, &error));
            QVERIFY2(error.startsWith("Cannot open garbage.csv: "), qPrintable(error));
            QVERIFY(!w.openRun(dir.filePath("missing.csv"), &error));
            QVERIFY2(error.startsWith("Cannot open missing.csv: "), qPrintable(error));
            std::vector<SlotEvent> shuffled = source.result().slots;
            std::swap(shuffled[0].version, shuffled[1].version);
            shuffled[0].version += 5;
            const QString wrong = dir.filePath("wrong.csv");
            QFile f(wrong);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(toCsv(shuffled)));
            f.close();
            QVERIFY(!w.openRun(wrong, &error));
            QVERIFY2(error.contains("match no schedule kind"), qPrintable(error));
            QCOMPARE(w.openedFile(), path);
            QCOMPARE(w.result().slots.size(), n);

            // Reset, or touching a control, leaves the file behind.
            w.reset();
            QVERIFY(w.openedFile().isEmpty());
            QVERIFY(w.result().slots.empty());
            QVERIFY(w.openRun(path, &error));
            w.stagesSlider()->setValue(2);
            QVERIFY(w.openedFile().isEmpty());
        }
    }

    // Dropping a saved run on the window opens it; other files are refused.
    void dropOpensSavedRun() {
        QTemporaryDir dir;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::GPipe;
        MainWindow source(o, nullptr, false);
        const QString csv = dir.filePath("dropped.csv");
        QString error;
        QVERIFY2(source.exportCsv(csv, &error), qPrintable(error));  // the ideal schedule

        MainWindow w(small(), nullptr, false);
        simulated(w, 0.5);
        auto drag = [&w](const QString& path) {
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(path)});
            QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(&w, &enter);
            if (!enter.isAccepted()) return false;
            QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(&w, &drop);
            return drop.isAccepted();
        };
        QVERIFY(!drag(dir.filePath("notes.txt")));

        // Larger than the controls' ranges (at most 8 stages, 32 microbatches
        // by default): they grow to show the opened run as it is.
        ScheduleConfig big;
        big.kind = ScheduleKind::Interleaved;
        big.stages = 12;
        big.chunks = 2;
        big.microbatches = 48;
        const QString bigCsv = dir.filePath("big.csv");
        QFile bigFile(bigCsv);
        QVERIFY(bigFile.open(QIODevice::WriteOnly));
        bigFile.write(QByteArray::fromStdString(toCsv(toSlotEvents(simulate(generateSchedule(big))))));
        bigFile.close();
        QVERIFY2(w.openRun(bigCsv, &error), qPrintable(error));
        QCOMPARE(w.stagesSpin()->value(), 12);
        QCOMPARE(w.microbatchesSpin()->value(), 48);
        QCOMPARE(w.chunksSpin()->value(), 2);
        QCOMPARE(w.currentOptions().schedule.stages, 12);
        QCOMPARE(w.currentOptions().schedule.microbatches, 48);
        QVERIFY(w.inlineError().isEmpty());
        QVERIFY(drag(csv));
        QTRY_COMPARE(w.openedFile(), csv);
        QCOMPARE(w.scheduleCombo()->currentData().toString(), QStringLiteral("gpipe"));
        QCOMPARE(w.result().slots.size(), source.result().ideal.timeline.actions.size());
    }

    void restartMidRunLeavesNoStaleBoxes() {
        MainWindow w(small(), nullptr, false);
        simulated(w, 20.0);
        w.setRestartDelay(10);
        w.restartRun();
        QTRY_VERIFY_WITH_TIMEOUT(w.result().slots.size() >= 3, 5000);
        w.stagesSlider()->setValue(2);  // restarts (debounced)
        w.controller()->setSimulatedPace(1.0);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->running(), 2000);
        w.controller()->setSimulatedPace(1.0);
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->running(), 10000);
        RunOptions two = small();
        two.schedule.stages = 2;
        const std::size_t expected = makeDryRun(two).timeline.actions.size();
        QCOMPARE(w.result().slots.size(), expected);
        for (const SlotEvent& e : w.result().slots) QVERIFY(e.stage < 2);
        QCOMPARE(w.timeline()->measured()->data().lanes(), 2);
        QCOMPARE(w.timeline()->measured()->data().size(), expected);
    }

    void exportsFromTheWindow() {
        QTemporaryDir dir;
        MainWindow w(small(), nullptr, false);
        QString error;
        QVERIFY2(w.exportTimeline(dir.filePath("t.png"), QSize(640, 320), &error),
                 qPrintable(error));
        QCOMPARE(QImage(dir.filePath("t.png")).size(), QSize(640, 320));
        QVERIFY2(w.exportCharts(dir.filePath("c.pdf"), QSize(500, 250), &error), qPrintable(error));
        QVERIFY2(w.exportCsv(dir.filePath("run.csv"), &error), qPrintable(error));
        QVERIFY2(w.exportTrace(dir.filePath("trace.json"), &error), qPrintable(error));
        QFile csv(dir.filePath("run.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(
            csv.readLine().startsWith("batch,stage,microbatch,op,chunk,version,start_us,end_us"));
    }

    // Not a check: with PD_SCREENSHOT_DIR set, saves pictures of the window
    // in several states for a person to look at.
    void screenshots() {
        const QByteArray env = qgetenv("PD_SCREENSHOT_DIR");
        if (env.isEmpty()) QSKIP("set PD_SCREENSHOT_DIR to save screenshots");
        const QDir dir(QString::fromUtf8(env));
        RunOptions o = defaultRunOptions();
        o.schedule.kind = ScheduleKind::PipeDream;
        o.schedule.batches = 2;
        MainWindow w(o, nullptr, false);
        simulated(w, 15.0);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.restartRun();
        QTRY_VERIFY_WITH_TIMEOUT(w.result().slots.size() > 30, 10000);
        w.controller()->pause();
        QTest::qWait(100);
        w.grab().save(dir.filePath("pipedream_paused.png"));
        w.controller()->setSimulatedPace(0.5);
        w.controller()->resume();
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->running(), 10000);
        w.chartTabs()->setCurrentIndex(3);
        w.findChildren<QComboBox*>().last()->setCurrentIndex(1);  // colour by version
        QTest::qWait(100);
        w.grab().save(dir.filePath("pipedream_versions_memory.png"));
        w.stashCheck()->setChecked(false);
        w.restartRun();
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->running(), 10000);
        w.findChildren<QComboBox*>().last()->setCurrentIndex(0);
        w.chartTabs()->setCurrentIndex(4);
        w.compareSchedules();
        QTest::qWait(100);
        w.grab().save(dir.filePath("nostash_compare.png"));
        // Both timelines overlaid, replay half way, loss tab.
        for (QComboBox* c : w.findChildren<QComboBox*>())
            if (c->count() == 3 && c->itemText(2).startsWith("Both")) c->setCurrentIndex(2);
        w.chartTabs()->setCurrentIndex(2);
        w.replay();
        QTest::qWait(2500);
        w.grab().save(dir.filePath("both_replay.png"));
        w.close();
        if (EngineController::engineAvailable()) {  // the real engine, tutorial defaults
            MainWindow real(defaultRunOptions(), nullptr, false);
            real.resize(1600, 1000);
            real.show();
            QVERIFY(QTest::qWaitForWindowExposed(&real));
            real.restartRun();
            QTRY_VERIFY_WITH_TIMEOUT(!real.controller()->running(), 60000);
            real.chartTabs()->setCurrentIndex(2);
            QTest::qWait(100);
            real.grab().save(dir.filePath("real_loss.png"));
            real.chartTabs()->setCurrentIndex(0);
            for (QComboBox* c : real.findChildren<QComboBox*>())
                if (c->count() == 3 && c->itemText(2).startsWith("Both")) c->setCurrentIndex(2);
            QTest::qWait(100);
            real.grab().save(dir.filePath("real_both_util.png"));
            real.chartTabs()->setCurrentIndex(4);
            real.compareSchedules();
            QTRY_VERIFY_WITH_TIMEOUT(!real.comparing(), 120000);
            QTest::qWait(100);
            real.grab().save(dir.filePath("real_compare.png"));
        }
    }

    void comparisonView() {
        MainWindow w(small(), nullptr, false);
        w.compareSchedules();
        QTableWidget* t = w.comparisonTable();
        QCOMPARE(t->rowCount(), static_cast<int>(allScheduleKinds().size()));
        // Every row names its schedule and shows a utilization (or why it does not fit).
        for (int i = 0; i < t->rowCount(); ++i) {
            QVERIFY(!t->item(i, 0)->text().isEmpty());
            QVERIFY(!t->item(i, 1)->text().isEmpty());
        }
        QVERIFY(t->item(0, 1)->text().startsWith(QStringLiteral("25.0%")));  // naive: 1/S
        if (!EngineController::engineAvailable()) return;
        QTRY_VERIFY_WITH_TIMEOUT(!w.comparing(), 60000);  // real runs of every schedule
        QVERIFY2(t->item(0, 1)->text().contains(QStringLiteral("analytic")),
                 qPrintable(t->item(0, 1)->text()));
        bool ok = false;
        t->item(1, 5)->text().toDouble(&ok);
        QVERIFY2(ok, qPrintable(t->item(1, 5)->text()));  // a final loss from the real run
    }

    void settingsRemembered() {
        {
            MainWindow w(small(), nullptr, false);
            w.stagesSlider()->setValue(3);
            w.close();
        }
        const RunOptions restored = MainWindow::restoredOptions(small());
        QCOMPARE(restored.schedule.stages, 3);
        QCOMPARE(restored.layers, 8);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
