// The main window as users see it (a real window under Xvfb): the first
// start waits at t0; play, step forward and back walk the run with the
// version panel following the cursor; controls change the schedule; invalid
// combinations clear the timeline and say why; the memory check. Keys,
// help and settings: tst_windowkeys; files, exports and comparisons:
// tst_mainwindow_files. Runs on the simulated engine where the real one is
// not the point, so it is fast everywhere.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolBar>
#include <QUrl>
#include <QtTest>

#include "engine/config/report.h"
#include "engine/formats/trace.h"
#include "engine/run/comparison.h"
#include "tests/mainwindow_test_util.h"
#include "tests/mainwindowprobe.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/controlspanel.h"
#include "ui/panels/detailspanel.h"
#include "ui/panels/helpdialog.h"
#include "ui/panels/versionpanel.h"
#include "ui/views/charts.h"
#include "ui/views/palette.h"
#include "ui/views/timelineplot.h"
#include "ui/views/timelinetoolbar.h"
#include "ui/window/mainwindow.h"

using namespace pd;
using namespace pd::test;

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() { keepSettingsIn(config_); }

    // The first start shows the schedule and waits at t0; Space plays it.
    void firstStartWaitsAtT0ThenPlays() {
        auto* w = new MainWindow(small(), nullptr, false);
        simulated(*w);
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        QVERIFY(QFile::exists(QStringLiteral(":/pipedream-viz.svg")));  // the icon is linked in
        w->restartRun();
        QVERIFY(probe(*w).controller()->running());
        QVERIFY(probe(*w).controller()->paused());
        QTest::qWait(200);
        QCOMPARE(probe(*w).model()->cursor(), 0);
        QCOMPARE(probe(*w).model()->measuredBoxes().size(), std::size_t(0));  // nothing ran
        QVERIFY(probe(*w).timeline()->ghost()->visible());  // but the schedule is shown
        QVERIFY(probe(*w).explainView()->toPlainText().contains(QStringLiteral("(S-1)/(M+S-1)")));
        QVERIFY(probe(*w).statusLabel()->text().contains(QStringLiteral("cursor at t0 of")));
        QVERIFY(playToEnd(*w));
        const std::size_t expected = makeDryRun(small()).timeline.actions.size();
        QCOMPARE(probe(*w).model()->measuredBoxes().size(), expected);
        QCOMPARE(probe(*w).versionPanel()->current(0), 3);  // one update per batch
        QVERIFY(probe(*w).statusLabel()->text().contains(QStringLiteral("batch 3/3")));
        QTRY_VERIFY(!probe(*w).model()->playing());  // playing stops at the end
        QVERIFY(w->close());
        delete w;
    }

    // Stepping forward runs the next slot; stepping back and forth shows
    // exactly the state each slot had, in the version panel too.
    void stepForwardAndBackRestoresEachSlot() {
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::PipeDream;
        MainWindow w(o, nullptr, false);
        simulated(w);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.restartRun();
        const int steps = 14;
        std::vector<std::vector<int>> versions, stashed;
        auto snapshot = [&] {
            std::vector<int> v, st;
            for (int s = 0; s < 4; ++s) {
                v.push_back(probe(w).versionPanel()->current(s));
                st.push_back(static_cast<int>(probe(w).versionPanel()->stashed(s).size()));
            }
            return std::make_pair(v, st);
        };
        for (int k = 1; k <= steps; ++k) {
            w.stepForward();
            QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), k, 5000);
            auto [v, st] = snapshot();
            versions.push_back(v);
            stashed.push_back(st);
        }
        QVERIFY2(*std::max_element(versions.back().begin(), versions.back().end()) > 0,
                 "PipeDream updates after its first backwards");
        QVERIFY(probe(w).model()->frontier() == steps);  // the engine ran exactly these slots
        for (int k = steps - 1; k >= 1; --k) {
            w.stepBack();
            QCOMPARE(probe(w).model()->cursor(), k);
            auto [v, st] = snapshot();
            QCOMPARE(v, versions[static_cast<std::size_t>(k - 1)]);
            QCOMPARE(st, stashed[static_cast<std::size_t>(k - 1)]);
        }
        w.batchForward();
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->grid().batchEnd[0],
                                  5000);
        w.batchBack();
        QCOMPARE(probe(w).model()->cursor(), 0);
    }

    void slidersChangeTheSchedule() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        const std::size_t four = probe(w).model()->idealBoxes().size();
        probe(w).controls()->stagesSlider()->setValue(2);
        QCOMPARE(probe(w).controls()->stagesSpin()->value(), 2);
        QCOMPARE(probe(w).model()->options().schedule.stages, 2);
        QCOMPARE(probe(w).model()->stageNames().size(), 2);
        QCOMPARE(probe(w).timeline()->lanes().size(), 2);
        QCOMPARE(probe(w).model()->idealBoxes().lanes(), 2);
        QVERIFY(probe(w).model()->idealBoxes().size() != four);
        RunOptions expect = small();
        expect.schedule.stages = 2;
        expect.schedule.microbatches = 8;
        probe(w).controls()->microbatchesSlider()->setValue(8);
        QCOMPARE(probe(w).model()->idealBoxes().size(), makeDryRun(expect).timeline.actions.size());
        QCOMPARE(probe(w).model()->idealBoxes().size(), makeDryRun(expect).timeline.actions.size());
        probe(w).controls()->scheduleCombo()->setCurrentIndex(0);
        QCOMPARE(probe(w).model()->options().schedule.kind, ScheduleKind::Naive);
        QVERIFY(w.inlineError().isEmpty());
    }

    // Choosing a model puts its own sizes, learning rate and data in the
    // fields; the optimizer, epochs and evaluation interval reach the run's
    // options.
    void modelDataEpochsAreControls() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        ControlsPanel* c = probe(w).controls();
        c->modelCombo()->setCurrentIndex(c->modelCombo()->findData(QStringLiteral("cnn")));
        const RunOptions cnn = modelDefaults("cnn");
        QCOMPARE(c->layersSpin()->value(), cnn.layers);
        QCOMPARE(c->hiddenSpin()->value(), cnn.hidden);
        QCOMPARE(c->batchSizeSpin()->value(), cnn.batchSize);
        QCOMPARE(c->dataCombo()->currentText(), QStringLiteral("fashion-mnist"));
        QCOMPARE(probe(w).model()->options().model, std::string("cnn"));
        c->optimizerCombo()->setCurrentIndex(c->optimizerCombo()->findData(QStringLiteral("adam")));
        c->epochsSpin()->setValue(2);
        c->evalEverySpin()->setValue(50);
        const RunOptions o = probe(w).model()->options();
        QCOMPARE(o.optimizer, std::string("adam"));
        QCOMPARE(o.lr, kAdamLr);  // the rate left at the cnn's default follows the optimizer
        QCOMPARE(o.epochs, 2);
        QCOMPARE(o.evalEvery, 50);
        QCOMPARE(o.data, std::string("fashion-mnist"));
        QCOMPARE(c->epochsSpin()->text(), QStringLiteral("2"));
        c->epochsSpin()->setValue(0);
        QCOMPARE(c->epochsSpin()->text(), QStringLiteral("off"));
        // A rate the user chose stays when the optimizer changes.
        c->lrSpin()->setValue(0.004);
        c->optimizerCombo()->setCurrentIndex(
            c->optimizerCombo()->findData(QStringLiteral("momentum")));
        QCOMPARE(probe(w).model()->options().lr, 0.004);
        // The gpt comes with Adam and its rate; SGD then takes the gpt's own.
        c->modelCombo()->setCurrentIndex(c->modelCombo()->findData(QStringLiteral("gpt")));
        QCOMPARE(c->optimizerCombo()->currentData().toString(), QStringLiteral("adam"));
        QCOMPARE(probe(w).model()->options().lr, kAdamLr);
        c->optimizerCombo()->setCurrentIndex(c->optimizerCombo()->findData(QStringLiteral("sgd")));
        QCOMPARE(probe(w).model()->options().lr, 0.3);
        // Epochs of data that has none: one line, nothing runs.
        c->modelCombo()->setCurrentIndex(c->modelCombo()->findData(QStringLiteral("mlp")));
        QCOMPARE(c->dataCombo()->currentText(), QStringLiteral("synthetic"));
        c->epochsSpin()->setValue(1);
        QVERIFY2(w.inlineError().contains(QStringLiteral("finite size")),
                 qPrintable(w.inlineError()));
    }

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
        // The scale's ends: v0 and the run's last version (3 batches: v3), no wrap.
        const int top = probe(w).model()->idealBoxes().maxVersion();
        QCOMPARE(top, small().schedule.batches);
        QTRY_VERIFY(visibleChips("v0") && visibleChips(QStringLiteral("v%1").arg(top)));
        colour->setCurrentIndex(2);  // staleness: 1F1B flushes, every action reads the newest
        QTRY_VERIFY(visibleChips("0") && !visibleChips("v0") && !visibleChips("1"));
        colour->setCurrentIndex(0);
        QTRY_VERIFY(visibleChips("F") && !visibleChips("v0"));
    }

    // A click on a box selects it: the details panel names it and what the
    // stage waited for; Escape (whatever has focus) clears.
    void clickSelectsAndDetailsExplain() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        TimelineView* view = probe(w).timeline();
        probe(w).timeBaseCombo()->setCurrentIndex(2);  // ideal: the whole schedule is drawn
        view->replot(QCustomPlot::rpImmediateRefresh);
        const TimelineData& d = probe(w).model()->idealBoxes();
        const TimelineBox* f1 = nullptr;
        for (const TimelineBox& b : d.lane(1))
            if (b.op == Op::F && b.microbatch == 2 && b.batch == 0) f1 = &b;
        QVERIFY(f1);
        const QPoint at(qRound(view->xAxis->coordToPixel((f1->start + f1->end) / 2)),
                        qRound(view->yAxis->coordToPixel(1.0)));
        QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at);
        QVERIFY(view->selection().valid());
        // At t0 the schedule not run yet is drawn pale: its arrows show all the same.
        view->replot(QCustomPlot::rpImmediateRefresh);
        QCOMPARE(view->ghost()->lastDrawStats().flows, std::size_t(2 * (4 - 1)));
        QCOMPARE(view->selection().stage, 1);
        QCOMPARE(view->selection().microbatch, 2);
        const QString text = probe(w).detailsPanel()->text();
        QVERIFY2(text.contains(QStringLiteral("F2 v0")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("Batch\t1 of 3")) ||
                text.contains(QStringLiteral("1 of 3")));
        QVERIFY2(text.contains(QStringLiteral("the activation of F2 from stage 0")),
                 qPrintable(text));
        QVERIFY(text.contains(probe(w).model()->stageNames()[1]));
        // Escape from the search box clears the selection too.
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        probe(w).timelineToolbar()->searchBox()->setFocus();
        QTest::keyClick(probe(w).timelineToolbar()->searchBox(), Qt::Key_Escape);
        QVERIFY(!view->selection().valid());
    }

    // PipeDream: a backward's details say when its stashed version was kept
    // and freed; a forward on stage 1 waited for stage 0's activation.
    void detailsSayStashAndWaits() {
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::PipeDream;
        MainWindow w(o, nullptr, false);
        probe(w).timeBaseCombo()->setCurrentIndex(2);
        TimelineView* view = probe(w).timeline();
        view->select({0, 1, 0, Op::B, 0, true});
        QString text = probe(w).detailsPanel()->text();
        QVERIFY2(text.contains(QStringLiteral("B0 v")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("kept for F0")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("freed after B0")));
        // Staleness on stage 0 of S=4: three versions behind.
        QVERIFY2(text.contains(QStringLiteral("staleness 3")), qPrintable(text));
        view->select({1, 0, 0, Op::F, 0, true});
        text = probe(w).detailsPanel()->text();
        QVERIFY2(text.contains(QStringLiteral("the activation of F0 from stage 0 (a bubble of")),
                 qPrintable(text));
        view->clearSelection();
        QVERIFY(probe(w).detailsPanel()->text().contains(QStringLiteral("Click a box")));
    }

    // 64 stages: the version panel scrolls, the window keeps its size, the
    // explanation keeps its width; the charts name the run.
    void manyStagesKeepTheLayout() {
        MainWindow w(small(), nullptr, false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::qWait(100);
        const QSize before = w.size();
        const int explainWidth = probe(w).explainView()->width();
        RunOptions o = small();
        o.schedule.stages = 64;
        o.schedule.microbatches = 64;
        o.layers = 64;
        o.batchSize = 128;
        QSignalSpy replots(probe(w).timeline(), &QCustomPlot::afterReplot);
        w.setOptions(o);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QTest::qWait(200);
        // Queued replots: a handful, not one per version panel row.
        QVERIFY2(replots.count() < 10, qPrintable(QString::number(replots.count())));
        QCOMPARE(w.size(), before);
        QCOMPARE(probe(w).explainView()->width(), explainWidth);
        QCOMPARE(probe(w).model()->stageNames().size(), 64);
        QCOMPARE(probe(w).versionPanel()->current(63), 0);
        QVERIFY(probe(w).charts()->lossChart()->title().contains(QStringLiteral("S=64, M=64")));
    }

    // An invalid combination clears the stale timeline, says why and
    // disables what cannot act; a valid one brings everything back.
    void invalidSettingsClearTheTimeline() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // The slider spans what the batch can be split into; the box takes more.
        QCOMPARE(probe(w).controls()->microbatchesSlider()->maximum(), 16);
        probe(w).controls()->batchSizeSpin()->setValue(6);
        QCOMPARE(probe(w).controls()->microbatchesSlider()->maximum(), 6);
        probe(w).controls()->microbatchesSpin()->setValue(5);  // does not divide 6
        QVERIFY(!w.inlineError().isEmpty());
        QVERIFY(!probe(w).model()->hasRun());
        QCOMPARE(probe(w).model()->idealBoxes().size(), std::size_t(0));
        QVERIFY(probe(w).explainView()->toPlainText().contains(QStringLiteral("cannot run")));
        QVERIFY(!probe(w).stepForwardAction()->isEnabled());
        QVERIFY(!probe(w).playAction()->isEnabled());
        QVERIFY(!probe(w).controller()->running());
        probe(w).controls()->microbatchesSpin()->setValue(3);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QVERIFY(probe(w).model()->hasRun());
        QVERIFY(probe(w).playAction()->isEnabled());
        QVERIFY(!probe(w).controls()->chunksSpin()->isEnabled());
        probe(w).controls()->scheduleCombo()->setCurrentIndex(
            probe(w).controls()->scheduleCombo()->findData(QStringLiteral("interleaved")));
        QVERIFY(probe(w).controls()->chunksSpin()->isEnabled());
        // Interleaved needs whole rounds of M / max(1, M/S) microbatches
        // (PyTorch's rule): 3 on 4 stages is one round.
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        probe(w).controls()->batchSizeSpin()->setValue(18);
        probe(w).controls()->microbatchesSlider()->setValue(9);
        QVERIFY(!w.inlineError().isEmpty());  // 9 microbatches do not make 2 whole rounds
        QVERIFY(!probe(w).model()->hasRun());
        QVERIFY(!probe(w).controls()->stashCheck()->isEnabled());
        probe(w).controls()->batchSizeSpin()->setValue(16);
        probe(w).controls()->microbatchesSlider()->setValue(8);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        // The V kinds have their two chunks whatever the spin box says.
        probe(w).controls()->scheduleCombo()->setCurrentIndex(
            probe(w).controls()->scheduleCombo()->findData(QStringLiteral("zb-v")));
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QCOMPARE(probe(w).model()->options().schedule.chunks, 2);
    }

    // Reset to defaults restores the defaults and says so; New run runs the
    // settings shown again. They are told apart by name, tooltip and place.
    void resetRestoresTheDefaults() {
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::GPipe;
        o.lr = 0.5;
        MainWindow w(o, nullptr, false);
        simulated(w);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        probe(w).controls()->stagesSlider()->setValue(2);
        w.newRun();
        QCOMPARE(probe(w).model()->options().schedule.stages, 2);  // the settings shown
        QCOMPARE(probe(w).model()->options().schedule.kind, ScheduleKind::GPipe);

        probe(w).resetToDefaultsAction()->trigger();
        QCOMPARE(flags(w.currentOptions()), flags(defaultRunOptions()));
        QCOMPARE(flags(probe(w).model()->options()), flags(defaultRunOptions()));
        QVERIFY(probe(w).controller()->running());  // a new run of them, at t0
        QCOMPARE(probe(w).model()->cursor(), 0);
        QVERIFY(w.inlineError().isEmpty());
        const QString said = probe(w).controls()->note();
        QVERIFY2(said.contains(QStringLiteral("defaults")), qPrintable(said));
        QVERIFY2(said.contains(describeConfiguration(defaultRunOptions())), qPrintable(said));
        QCOMPARE(w.statusBar()->currentMessage(), said);
        // The message is seen: the run's line gives way to it while it shows
        // (as a permanent widget the line left the message no room).
        int runLines = 0;
        for (const QLabel* l : w.statusBar()->findChildren<QLabel*>())
            if (l->text().startsWith(QStringLiteral("cursor at"))) {
                ++runLines;
                QVERIFY(!l->isVisible());
            }
        QCOMPARE(runLines, 1);
        w.statusBar()->clearMessage();
        for (const QLabel* l : w.statusBar()->findChildren<QLabel*>())
            if (l->text().startsWith(QStringLiteral("cursor at"))) QVERIFY(l->isVisible());
        probe(w).controls()->stagesSlider()->setValue(2);  // an edit: the note no longer holds
        QVERIFY(probe(w).controls()->note().isEmpty());

        QAction* newRun = probe(w).newRunAction();
        QAction* reset = probe(w).resetToDefaultsAction();
        QVERIFY(newRun->text() != reset->text());
        QVERIFY(newRun->iconText() != reset->iconText());
        QVERIFY2(reset->toolTip().contains(QStringLiteral("defaults")),
                 qPrintable(reset->toolTip()));
        QVERIFY2(!newRun->toolTip().contains(QStringLiteral("default")),
                 qPrintable(newRun->toolTip()));
        QVERIFY(reset->shortcut().isEmpty());  // discards the settings: no key does it by accident
        bool onToolbar = false;
        for (QToolBar* bar : w.findChildren<QToolBar*>())
            onToolbar = onToolbar || bar->actions().contains(reset);
        QVERIFY(!onToolbar);
        auto* newButton = probe(w).controls()->findChild<QPushButton*>(QStringLiteral("newRun"));
        auto* resetButton =
            probe(w).controls()->findChild<QPushButton*>(QStringLiteral("resetToDefaults"));
        QVERIFY(newButton && resetButton);
        QVERIFY(newButton->text() != resetButton->text());
        QVERIFY(!newButton->text().contains(QStringLiteral("Reset")));
        QVERIFY(resetButton->toolTip().contains(QStringLiteral("defaults")));
        QVERIFY(newButton->parentWidget() !=
                resetButton->parentWidget());  // not among the walking buttons
    }

    // A number typed is kept as typed (64 in Microbatches stays 64); what
    // does not fit gets one message; beyond the engine's range it is said,
    // and the field keeps its value and the focus.
    void typedNumbersAreKeptOrSaid() {
        RunOptions o = small();
        o.batchSize = 512;
        MainWindow w(o, nullptr, false);
        simulated(w);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QSpinBox* micro = probe(w).controls()->microbatchesSpin();
        typeInto(micro, QStringLiteral("64"));
        QCOMPARE(micro->text(), QStringLiteral("64"));
        QTest::keyClick(micro, Qt::Key_Return);
        QCOMPARE(micro->value(), 64);
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QCOMPARE(probe(w).model()->options().schedule.microbatches, 64);
        QCOMPARE(probe(w).controls()->microbatchesSlider()->value(), 64);

        probe(w).controls()->batchSizeSpin()->setValue(32);  // cannot be split into 64
        QCOMPARE(micro->value(), 64);
        const QString tooSmall = w.inlineError();
        QVERIFY2(tooSmall.contains(QStringLiteral("32")) && tooSmall.contains(QStringLiteral("64")),
                 qPrintable(tooSmall));
        QCOMPARE(tooSmall.count(QLatin1Char('\n')), 0);

        const QString beyond = QString::number(kMaxMicrobatches + 1);
        typeInto(micro, beyond);
        QCOMPARE(micro->text(), beyond);  // no keystroke dropped
        QTest::keyClick(micro, Qt::Key_Return);
        QCOMPARE(micro->value(), 64);
        const QString said = w.inlineError();
        QVERIFY2(said.startsWith(QStringLiteral("Microbatches: ") + beyond), qPrintable(said));
        QVERIFY2(said.contains(QString::number(kMaxMicrobatches)), qPrintable(said));
        QVERIFY(micro->hasFocus());  // to correct it

        // Plurals: one slot per second is "1 slot/s".
        QComboBox* pace = probe(w).controls()->paceCombo();
        QCOMPARE(pace->itemText(pace->findData(1.0)), QStringLiteral("1 slot/s"));
        QCOMPARE(pace->itemText(pace->findData(2.0)), QStringLiteral("2 slots/s"));
    }

    void restartMidRunLeavesNoStaleBoxes() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        probe(w).setRestartDelay(10);
        w.restartRun();
        for (int i = 0; i < 4; ++i) w.stepForward();
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->measuredBoxes().size() >= 3, 5000);
        probe(w).controls()->stagesSlider()->setValue(2);  // restarts (debounced)
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).controller()->running(), 2000);
        QVERIFY(playToEnd(w));
        RunOptions two = small();
        two.schedule.stages = 2;
        const std::size_t expected = makeDryRun(two).timeline.actions.size();
        QCOMPARE(probe(w).model()->measuredBoxes().size(), expected);
        QCOMPARE(probe(w).model()->measuredBoxes().lanes(), 2);
        for (const SlotEvent& e : probe(w).model()->slotEvents()) QVERIFY(e.stage < 2);
    }

    // A real run that cannot fit in memory is refused inline before anything
    // is built (the simulated schedule has no model to fit).
    void runTooLargeForMemoryRefused() {
        if (!EngineController::engineAvailable()) QSKIP("built without the LibTorch engine");
        RunOptions o = small();
        o.layers = 512;
        o.hidden = 8192;  // 512 x 8192 x 8192 floats: about 137 GB of weights
        MainWindow w(o, nullptr, false);
        QVERIFY2(w.inlineError().contains(QStringLiteral("memory")), qPrintable(w.inlineError()));
        QVERIFY(!probe(w).model()->hasRun());
        QVERIFY(!probe(w).playAction()->isEnabled());
        probe(w).controller()->setPreferSimulated(true);
        probe(w).controls()->stagesSlider()->setValue(2);  // re-checked: simulated, nothing to fit
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
