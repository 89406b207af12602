// The main window as users see it (a real window under Xvfb): the first
// start waits at t0; play, step forward and back walk the run with the
// version panel following the cursor; controls change the schedule; invalid
// combinations clear the timeline and say why; saved runs open; a
// comparison never keeps the window from closing. Runs on the simulated
// engine where the real one is not the point, so it is fast everywhere.
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

void simulated(MainWindow& w) {
    probe(w).controller()->setPreferSimulated(true);
}

// Plays the run to its end as fast as the pace control allows.
bool playToEnd(MainWindow& w, int timeoutMs = 20000) {
    probe(w).controls()->paceCombo()->setCurrentIndex(probe(w).controls()->paceCombo()->count() -
                                                      1);
    if (!probe(w).model()->playing()) w.playPause();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (probe(w).model()->finished() &&
            probe(w).model()->cursor() == probe(w).model()->slotCount())
            return true;
        QTest::qWait(20);
    }
    return false;
}

// The configuration of the run shown, as flags: equal when two runs agree.
QString flags(const RunOptions& o) {
    QStringList out;
    for (const std::string& a : toArgs(o)) out << QString::fromStdString(a);
    return out.join(QLatin1Char(' '));
}

QList<QDialog*> helpWindows(const QWidget& w) {
    QList<QDialog*> out;
    for (QDialog* d : w.findChildren<QDialog*>())
        if (d->objectName().startsWith(QStringLiteral("help:"))) out << d;
    return out;
}

QAction* menuAction(const QMainWindow& w, const QString& text) {
    for (QAction* menu : w.menuBar()->actions())
        if (menu->menu())
            for (QAction* a : menu->menu()->actions())
                if (a->text().remove(QLatin1Char('&')) == text) return a;
    return nullptr;
}

// Types `text` into a number field as a person does: select all, type.
void typeInto(QAbstractSpinBox* box, const QString& text) {
    box->setFocus();
    box->selectAll();
    QTest::keyClicks(box, text);
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

    // The Help menu: how to read the timeline, and the shortcut list read
    // from the menus (so it cannot go stale).
    void helpListsTheShortcuts() {
        MainWindow w(small(), nullptr, false);
        QMenu* help = nullptr;
        QList<QAction*> all;
        for (QAction* a : w.menuBar()->actions()) {
            if (!a->menu()) continue;
            all += a->menu()->actions();
            if (a->text().remove(QLatin1Char('&')) == QStringLiteral("Help")) help = a->menu();
        }
        QVERIFY(help);
        QCOMPARE(help->actions().size(), 2);
        const QString keys = shortcutsHtml(all);
        for (const QString& k :
             {QStringLiteral("Space"), QStringLiteral("Esc"), QStringLiteral("F11"),
              QStringLiteral("Shift+Right"), QStringLiteral("Shift + drag")})
            QVERIFY2(keys.contains(k), qPrintable(k));
        QVERIFY(howToReadHtml().contains(QStringLiteral("staleness")));
    }

    // After a drop-down is used, the keys go to the timeline again: F fits.
    void keysReachTheTimelineAfterADropDown() {
        MainWindow w(small(), nullptr, false);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QComboBox* colour = probe(w).timelineToolbar()->colorCombo();
        colour->setFocus();
        colour->setCurrentIndex(1);
        Q_EMIT colour->activated(1);  // what choosing an item with the mouse emits
        QTRY_VERIFY(probe(w).timeline()->hasFocus());
        probe(w).timeline()->zoomBy(3.0);
        QVERIFY(!probe(w).timeline()->follow());
        QTest::keyClick(probe(w).timeline(), Qt::Key_F);
        QVERIFY(probe(w).timeline()->follow());
    }

    void searchBoxDimsTheRest() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        probe(w).timeBaseCombo()->setCurrentIndex(2);
        QTest::keyClicks(probe(w).timelineToolbar()->searchBox(), QStringLiteral("mb3"));
        const QImage img =
            probe(w)
                .timeline()
                ->toPixmap(probe(w).timeline()->width(), probe(w).timeline()->height())
                .toImage();
        // At t0 the schedule is drawn pale (not run yet); the match stays
        // darker than every other forward of the stage.
        const TimelineData& d = probe(w).model()->idealBoxes();
        int match = -1, others = 0, lightestMatch = 0, darkestOther = 255;
        for (const TimelineBox& b : d.lane(2)) {
            if (b.op != Op::F || b.batch != 0) continue;
            const QColor c = img.pixelColor(
                qRound(probe(w).timeline()->xAxis->coordToPixel((b.start + b.end) / 2)),
                qRound(probe(w).timeline()->yAxis->coordToPixel(1.75)));
            if (b.microbatch == 3) {
                match = c.lightness();
                lightestMatch = std::max(lightestMatch, c.lightness());
            } else {
                ++others;
                darkestOther = std::min(darkestOther, c.lightness());
            }
        }
        QVERIFY(match >= 0 && others == 3);
        QVERIFY2(lightestMatch + 8 < darkestOther,
                 qPrintable(QStringLiteral("%1 %2").arg(lightestMatch).arg(darkestOther)));
    }

    // Exported timelines say what they show: a title with the schedule and
    // its size, the colour legend, the time base.
    void exportedTimelineHasTitleAndLegend() {
        QTemporaryDir dir;
        MainWindow w(small(), nullptr, false);
        probe(w).timeBaseCombo()->setCurrentIndex(0);
        QString error;
        QVERIFY2(w.exportTimeline(dir.filePath("t.svg"), QSize(1000, 400), &error),
                 qPrintable(error));
        QFile svg(dir.filePath("t.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(svg.readAll());
        QVERIFY2(text.contains(QStringLiteral("S=4 stages, M=4 microbatches, 3 batches")),
                 "no title");
        QVERIFY(text.contains(QStringLiteral("1F1B")));
        QVERIFY(text.contains(QStringLiteral("Colour by op")));
        QVERIFY(text.contains(QStringLiteral("time step (slot")));
        QVERIFY(probe(w).timeline()->title().isEmpty());  // the screen keeps its own (none)
        QVERIFY2(w.exportTimeline(dir.filePath("t.png"), QSize(1000, 400), &error),
                 qPrintable(error));
        const QImage img(dir.filePath("t.png"));
        // The legend row is the image's bottom strip: its swatches and text.
        QSet<QString> colours;
        int dark = 0;
        for (int y = img.height() - 24; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                colours.insert(c.name());
                if (c.lightness() < 60) ++dark;
            }
        for (Op op : {Op::F, Op::B, Op::U})
            QVERIFY2(colours.contains(opColor(op).name()), qPrintable(opName(op)));
        QVERIFY(!colours.contains(opColor(Op::W).name()));  // 1F1B has no W: not in its legend
        QVERIFY(colours.contains(idleColor().name()));
        QVERIFY2(dark > 100, "no legend text");
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

    void shortcutsDriveTheRun() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.restartRun();
        QTest::keyClick(&w, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 1, 5000);
        QTest::keyClick(&w, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 2, 5000);
        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(probe(w).model()->cursor(), 1);
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(probe(w).model()->playing());
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(!probe(w).model()->playing());
        // Looking far from the cursor, then Space: the view comes back to it.
        TimelineView* view = probe(w).timeline();
        const double at = probe(w).model()->cursorX(view->timeBase());
        view->xAxis->setRange(at + 1000.0, at + 1010.0);
        QVERIFY(!view->followsCursor());
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(probe(w).model()->playing());
        QVERIFY(view->followsCursor());
        QVERIFY2(view->xAxis->range().contains(probe(w).model()->cursorX(view->timeBase())),
                 qPrintable(QString::number(view->xAxis->range().lower)));
        QTest::keyClick(&w, Qt::Key_Space);
        QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier);  // a new run, at t0
        QCOMPARE(probe(w).model()->cursor(), 0);
        QCOMPARE(probe(w).model()->measuredBoxes().size(), std::size_t(0));
    }

    // Runs saved as CSV or Chrome trace open as measured runs with the cursor
    // at their end: the same model as the run that wrote them.
    void opensSavedRuns() {
        QTemporaryDir dir;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::PipeDream;
        o.schedule.batches = 2;
        MainWindow source(o, nullptr, false);
        simulated(source);
        source.restartRun();
        QVERIFY(playToEnd(source));
        const std::size_t n = probe(source).model()->measuredBoxes().size();
        QVERIFY(n > 0);
        QString error;
        const QString csv = dir.filePath("run.csv"), trace = dir.filePath("trace.json");
        QVERIFY2(source.exportCsv(csv, &error), qPrintable(error));
        QVERIFY2(source.exportTrace(trace, &error), qPrintable(error));

        for (const QString& path : {csv, trace}) {
            MainWindow w(small(), nullptr, false);
            simulated(w);
            probe(w).setRestartDelay(10);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QVERIFY2(w.openRun(path, &error), qPrintable(error));
            QCOMPARE(w.openedFile(), path);
            QCOMPARE(probe(w).controls()->scheduleCombo()->currentData().toString(),
                     QStringLiteral("pipedream"));
            QCOMPARE(probe(w).model()->options().schedule.batches, 2);
            QVERIFY(probe(w).model()->measured());
            QCOMPARE(probe(w).model()->measuredBoxes().size(), n);
            QCOMPARE(probe(w).model()->cursor(), probe(w).model()->slotCount());
            QCOMPARE(probe(w).versionPanel()->current(0), probe(source).versionPanel()->current(0));
            if (path == trace)
                QCOMPARE(probe(w).model()->stageNames(), probe(source).model()->stageNames());
            if (const QByteArray shots = qgetenv("PD_SCREENSHOT_DIR"); !shots.isEmpty()) {
                QTest::qWait(200);
                const QString name = QFileInfo(path).baseName() + QStringLiteral("_opened.png");
                w.grab().save(QDir(QString::fromUtf8(shots)).filePath(name));
            }
            QTest::qWait(100);  // a restart would have begun by now
            QVERIFY(!probe(w).controller()->running());
            QCOMPARE(probe(w).model()->measuredBoxes().size(), n);
            w.stepBack();  // an opened run can be walked too
            QCOMPARE(probe(w).model()->cursor(), probe(w).model()->slotCount() - 1);

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
            std::vector<SlotEvent> shuffled = probe(source).model()->slotEvents();
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
            QCOMPARE(probe(w).model()->measuredBoxes().size(), n);

            // A new run, or touching a control, leaves the file behind.
            w.newRun();
            QVERIFY(w.openedFile().isEmpty());
            QCOMPARE(probe(w).model()->measuredBoxes().size(), std::size_t(0));
            QVERIFY(w.openRun(path, &error));
            probe(w).controls()->stagesSlider()->setValue(2);
            QVERIFY(w.openedFile().isEmpty());
        }
    }

    // An opened run sets every control to what the file records; what it
    // does not record is the defaults (said), not the previous run's
    // settings. A new run is then that configuration, and the titles follow.
    void openingARunSetsEveryControl() {
        QTemporaryDir dir;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::PipeDream;
        o.schedule.stash = false;
        o.schedule.stages = 2;
        o.schedule.microbatches = 8;
        o.schedule.batches = 2;
        o.batchSize = 64;
        o.layers = 16;
        o.hidden = 64;
        o.lr = 0.05;
        MainWindow source(o, nullptr, false);
        simulated(source);
        source.restartRun();
        QVERIFY(playToEnd(source));
        QString error;
        const QString csv = dir.filePath("b64.csv"), trace = dir.filePath("b64.json");
        QVERIFY2(source.exportCsv(csv, &error), qPrintable(error));
        QVERIFY2(source.exportTrace(trace, &error), qPrintable(error));

        RunOptions previous = defaultRunOptions();  // another run's settings, all different
        previous.schedule.kind = ScheduleKind::GPipe;
        previous.batchSize = 512;
        previous.layers = 40;
        previous.hidden = 1024;
        previous.lr = 0.5;
        const RunOptions d = defaultRunOptions();
        for (const QString& path : {csv, trace}) {
            const bool isTrace = path == trace;
            MainWindow w(previous, nullptr, false);
            simulated(w);
            probe(w).setRestartDelay(10);
            w.show();
            QVERIFY2(w.openRun(path, &error), qPrintable(error));
            const ControlsPanel* c = probe(w).controls();
            QCOMPARE(c->scheduleCombo()->currentData().toString(), QStringLiteral("pipedream"));
            QVERIFY(!c->stashCheck()->isChecked());
            QVERIFY(!c->verticalSyncCheck()->isChecked());
            QCOMPARE(c->stagesSpin()->value(), o.schedule.stages);
            QCOMPARE(c->stagesSlider()->value(), o.schedule.stages);
            QCOMPARE(c->microbatchesSpin()->value(), o.schedule.microbatches);
            QCOMPARE(c->batchesSpin()->value(), o.schedule.batches);
            // A trace records the run's flags; a CSV does not say them.
            QCOMPARE(c->layersSpin()->value(), isTrace ? o.layers : d.layers);
            QCOMPARE(c->batchSizeSpin()->value(), isTrace ? o.batchSize : d.batchSize);
            QCOMPARE(c->hiddenSpin()->value(), isTrace ? o.hidden : d.hidden);
            QCOMPARE(c->lrSpin()->value(), isTrace ? o.lr : d.lr);
            QCOMPARE(flags(w.currentOptions()), flags(probe(w).model()->options()));
            const QString said = c->note();  // in the dock: where the settings came from
            QVERIFY2(said.contains(QStringLiteral("batch size")) != isTrace, qPrintable(said));
            QVERIFY2(said.contains(QStringLiteral("layers")) != isTrace, qPrintable(said));
            QVERIFY(w.windowTitle().contains(QFileInfo(path).fileName()));
            QVERIFY(probe(w).timeline()->title().contains(QFileInfo(path).fileName()));
            QVERIFY2(probe(w).timeline()->title().contains(QStringLiteral("2 batches")),
                     qPrintable(probe(w).timeline()->title()));

            // A new run is the configuration shown; the file's titles go.
            w.newRun();
            QVERIFY(w.openedFile().isEmpty());
            QCOMPARE(flags(probe(w).model()->options()), flags(w.currentOptions()));
            QCOMPARE(probe(w).model()->options().schedule.kind, ScheduleKind::PipeDream);
            QVERIFY(!w.windowTitle().contains(QFileInfo(path).fileName()));
            QVERIFY(probe(w).timeline()->title().isEmpty());
            QVERIFY(c->note().isEmpty());
        }
    }

    // A cut from the command line stays while the controls keep its parts and
    // layers, and gives way to the equal cut when they change them.
    void commandLineCutFollowsTheControls() {
        RunOptions o = defaultRunOptions();
        o.split = {4, 25, 37};
        MainWindow w(o, nullptr, false);
        simulated(w);
        QCOMPARE(w.currentOptions().split, o.split);
        QCOMPARE(probe(w).timeline()->lanes().value(0), QStringLiteral("GPU0 (L1-3)"));
        probe(w).controls()->microbatchesSpin()->setValue(8);
        QCOMPARE(w.currentOptions().split, o.split);
        probe(w).controls()->stagesSlider()->setValue(2);
        QVERIFY(w.currentOptions().split.empty());
        QVERIFY2(w.inlineError().isEmpty(), qPrintable(w.inlineError()));
        QCOMPARE(QString::fromStdString(checkRunOptions(w.currentOptions())), QString());
    }

    // The layer strip shows the cut; dragging a boundary shows the new cut's
    // ideal timeline and bubble at once (no run yet), releasing it runs it;
    // the Partition chooser says "Custom" and picks a partitioner's cut.
    void layerStripCutsTheModel() {
        RunOptions o = defaultRunOptions();
        o.layers = 8;
        o.hidden = 32;
        o.schedule.stages = 2;
        MainWindow w(o, nullptr, false);
        simulated(w);
        probe(w).setRestartDelay(0);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        LayerStrip* strip = probe(w).layerStrip();
        QCOMPARE(strip->layers(), 8);
        QCOMPARE(strip->boundaries(), std::vector<int>{5});
        const double equalBubble = probe(w).model()->ideal().analysis.bubbleFraction;
        // Drag the boundary from before layer 5 to before layer 3.
        const int y = strip->height() / 2;
        QTest::mousePress(strip, Qt::LeftButton, {}, QPoint(strip->handleX(0), y));
        const int target = strip->cellRect(2).left();
        for (int x = strip->handleX(0); x >= target; x -= 4) QTest::mouseMove(strip, QPoint(x, y));
        QTest::mouseMove(strip, QPoint(target, y));
        QCOMPARE(strip->boundaries(), std::vector<int>{3});
        QCOMPARE(w.currentOptions().split, std::vector<int>{3});
        QCOMPARE(probe(w).controls()->partitionCombo()->currentData().toString(),
                 QStringLiteral("split"));
        QCOMPARE(probe(w).timeline()->lanes().value(0), QStringLiteral("GPU0 (L1-2)"));
        // A lopsided cut: more bubble, shown before anything runs.
        QVERIFY(probe(w).model()->ideal().analysis.bubbleFraction > equalBubble + 0.05);
        QCOMPARE(probe(w).timeBaseCombo()->currentIndex(), 2);  // time shows a cut
        QTest::mouseRelease(strip, Qt::LeftButton, {}, QPoint(target, y));
        QTRY_VERIFY(probe(w).model()->source() != RunModel::Source::Schedule);
        QCOMPARE(probe(w).model()->options().split, std::vector<int>{3});
        // A partitioner's cut: the equal one for identical layers.
        probe(w).controls()->partitionCombo()->setCurrentIndex(
            probe(w).controls()->partitionCombo()->findData(QStringLiteral("time")));
        QVERIFY(w.currentOptions().split.empty());
        QTRY_COMPARE(strip->boundaries(), std::vector<int>{5});
    }

    // Run > Profile layers measures the controls' model; the strip then
    // shows measured costs (ms in its tooltips) and the session's options
    // carry the profile.
    void profileLayersFromTheWindow() {
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        RunOptions o = defaultRunOptions();
        o.layers = 6;
        o.hidden = 32;
        o.schedule.stages = 2;
        MainWindow w(o, nullptr, false);
        simulated(w);
        LayerStrip* strip = probe(w).layerStrip();
        QVERIFY(!strip->layerToolTip(0).contains(QStringLiteral(" ms")));  // estimated
        probe(w).profileLayersAction()->trigger();
        QVERIFY(!probe(w).profileLayersAction()->isEnabled());  // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).profileLayersAction()->isEnabled(), 60000);
        QTRY_VERIFY(probe(w).model()->options().profile.has_value());
        QCOMPARE(probe(w).model()->options().profile->layers.size(), std::size_t{6});
        QVERIFY2(strip->layerToolTip(0).contains(QStringLiteral(" ms")),
                 qPrintable(strip->layerToolTip(0)));
        QVERIFY(w.statusBar()->currentMessage().startsWith(QStringLiteral("Profiled 6 layers")));
    }

    // The comparison of every partition of the schedule on screen: a row per
    // distinct cut, the simulated makespan against the first row's.
    void comparisonOfPartitions() {
        RunOptions o = defaultRunOptions();
        o.layers = 8;
        o.hidden = 32;
        o.schedule.stages = 2;
        o.split = {3};
        o.partition = "split";
        MainWindow w(o, nullptr, false);
        simulated(w);
        w.compareSchedules(false, true);
        QTableWidget* t = probe(w).charts()->comparisonTable();
        QCOMPARE(t->horizontalHeaderItem(0)->text(), QStringLiteral("partition"));
        const std::vector<ComparisonEntry> entries = partitionEntries(w.currentOptions());
        QCOMPARE(t->rowCount(), static_cast<int>(entries.size()));
        QVERIFY(t->item(0, 0)->text().startsWith(QStringLiteral("uniform")));
        QCOMPARE(t->item(0, 6)->text(), QStringLiteral("1.00"));
        // The dragged cut (L1-2 | L3-8) is slower than the equal one.
        const int last = t->rowCount() - 1;
        QVERIFY(t->item(last, 0)->text().startsWith(QStringLiteral("dragged: L1-2 | L3-8")));
        QVERIFY(t->item(last, 6)->text().toDouble() > 1.1);
        QVERIFY(probe(w).charts()->comparisonTitle().startsWith(
            QStringLiteral("Every partition of 1F1B")));
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

    // After a value is typed and committed with Enter, the walking keys step
    // the run again; a field with the focus but no typing in progress leaves
    // them to the window; while typing, they move in the text.
    void walkingKeysAfterAnEdit() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        probe(w).setRestartDelay(10);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.restartRun();
        QSpinBox* batches = probe(w).controls()->batchesSpin();
        typeInto(batches, QStringLiteral("2"));
        QTest::keyClick(batches, Qt::Key_Left);  // typing: moves in the text
        QCOMPARE(probe(w).model()->cursor(), 0);
        QVERIFY(batches->hasFocus());
        QTest::keyClick(batches, Qt::Key_Return);
        QCOMPARE(batches->value(), 2);
        QTRY_VERIFY(probe(w).timeline()->hasFocus());
        QTRY_VERIFY(probe(w).controller()->running() &&
                    probe(w).model()->options().schedule.batches == 2);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 1, 5000);

        batches->setFocus();  // focused, nothing typed: the arrows walk
        QTRY_VERIFY(batches->hasFocus());
        QTest::keyClick(batches, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 2, 5000);
        QTest::keyClick(batches, Qt::Key_Right, Qt::ShiftModifier);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->grid().batchEnd[0],
                                  5000);
        QTest::keyClick(batches, Qt::Key_Left);
        QCOMPARE(probe(w).model()->cursor(), probe(w).model()->grid().batchEnd[0] - 1);
        QCOMPARE(batches->value(), 2);  // and the field is unchanged
        QVERIFY(batches->hasFocus());
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

    // Help windows close with Escape; asked again, the open one is raised.
    void helpWindowsCloseAndDoNotPileUp() {
        MainWindow w(small(), nullptr, false);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QAction* howTo = menuAction(w, QStringLiteral("How to read the timeline"));
        QAction* keys = menuAction(w, QStringLiteral("Keyboard shortcuts"));
        QVERIFY(howTo && keys);
        howTo->trigger();
        howTo->trigger();
        QCOMPARE(helpWindows(w).size(), 1);
        keys->trigger();
        QCOMPARE(helpWindows(w).size(), 2);
        howTo->trigger();
        QCOMPARE(helpWindows(w).size(), 2);
        for (QDialog* d : helpWindows(w)) {
            QVERIFY(d->isVisible());
            // The main window keeps its own Escape: the help window takes the key first.
            QTest::keyClick(d->findChild<QTextBrowser*>(), Qt::Key_Escape);
        }
        QTRY_COMPARE(helpWindows(w).size(), 0);
    }

    // Presentation mode enlarges the docks' and the charts' text as well as
    // the timeline's; off gives back exactly what was there.
    void presentationEnlargesDocksAndCharts() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto sizes = [&w] {
            QList<double> out;
            for (QWidget* panel : {static_cast<QWidget*>(probe(w).controls()),
                                   static_cast<QWidget*>(probe(w).versionPanel()),
                                   static_cast<QWidget*>(probe(w).detailsPanel()),
                                   static_cast<QWidget*>(probe(w).explainView())})
                out << panel->font().pointSizeF();
            for (QCustomPlot* plot : probe(w).charts()->findChildren<QCustomPlot*>())
                out << plot->xAxis->tickLabelFont().pointSizeF()
                    << plot->yAxis->labelFont().pointSizeF();
            return out;
        };
        const QList<double> before = sizes();
        QVERIFY(before.size() > 4);
        probe(w).presentationAction()->trigger();
        QVERIFY(probe(w).presentationAction()->isChecked());
        QTest::qWait(50);  // queued replots
        const QList<double> on = sizes();
        for (int i = 0; i < before.size(); ++i)
            QVERIFY2(on[i] >= before[i] * 1.2,
                     qPrintable(QStringLiteral("%1: %2 -> %3").arg(i).arg(before[i]).arg(on[i])));
        probe(w).presentationAction()->trigger();
        QTest::qWait(50);
        QCOMPARE(sizes(), before);
    }

    // pipedream-viz --csv FILE --trace FILE: the command line's run writes
    // its measured timeline when it ends (here stepped and played through);
    // the loader reads them back as that run. A run replaced before its end
    // writes nothing and says why.
    void commandLineRunWritesCsvAndTrace() {
        QTemporaryDir dir;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::GPipe;
        o.csvPath = dir.filePath("run.csv").toStdString();
        o.tracePath = dir.filePath("trace.json").toStdString();
        const QString csv = QString::fromStdString(o.csvPath);
        const QString trace = QString::fromStdString(o.tracePath);
        {
            MainWindow w(o, nullptr, false);
            simulated(w);
            w.restartRun();
            w.stepForward();
            QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 1, 5000);
            QVERIFY(!QFile::exists(csv));  // not before the end
            QVERIFY(playToEnd(w));
            QTRY_VERIFY(QFile::exists(csv) && QFile::exists(trace));
            QVERIFY2(w.outputsProblem().isEmpty(), qPrintable(w.outputsProblem()));
            QVERIFY(w.statusBar()->currentMessage().contains(csv));
            for (const QString& path : {csv, trace}) {
                RunResult read;
                IdentifiedSchedule id;
                QString error;
                QVERIFY2(loadRunFile(path, defaultRunOptions(), read, &id, &error),
                         qPrintable(error));
                QVERIFY(id.complete);
                QCOMPARE(id.config.kind, o.schedule.kind);
                QCOMPARE(id.config.stages, o.schedule.stages);
                QCOMPARE(id.config.batches, o.schedule.batches);
                QCOMPARE(read.slots.size(), probe(w).model()->measuredBoxes().size());
                if (path == trace) QCOMPARE(read.options.layers, o.layers);
            }
            // Later runs leave the command line's files alone.
            QVERIFY(QFile::remove(csv));
            w.newRun();
            QVERIFY(playToEnd(w));
            QTest::qWait(50);
            QVERIFY(!QFile::exists(csv));
        }
        {
            o.csvPath = dir.filePath("replaced.csv").toStdString();
            o.tracePath.clear();
            MainWindow w(o, nullptr, false);
            simulated(w);
            w.restartRun();
            w.stepForward();
            probe(w).controls()->stagesSlider()->setValue(2);  // another run before the end
            const QString why = w.outputsProblem();
            QVERIFY2(why.contains(QStringLiteral("replaced")) &&
                         why.contains(QString::fromStdString(o.csvPath)),
                     qPrintable(why));
            QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("not written")));
            w.newRun();
            QVERIFY(playToEnd(w));
            QTest::qWait(50);
            QVERIFY(!QFile::exists(QString::fromStdString(o.csvPath)));
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
        simulated(w);
        auto drag = [&w](const QString& path) {
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(path)});
            QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton,
                                  Qt::NoModifier);
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
        bigFile.write(
            QByteArray::fromStdString(toCsv(toSlotEvents(simulate(generateSchedule(big))))));
        bigFile.close();
        QVERIFY2(w.openRun(bigCsv, &error), qPrintable(error));
        QCOMPARE(probe(w).controls()->stagesSpin()->value(), 12);
        QCOMPARE(probe(w).controls()->microbatchesSpin()->value(), 48);
        QCOMPARE(probe(w).controls()->chunksSpin()->value(), 2);
        QCOMPARE(w.currentOptions().schedule.stages, 12);
        QCOMPARE(w.currentOptions().schedule.microbatches, 48);
        QVERIFY(w.inlineError().isEmpty());
        QVERIFY(drag(csv));
        QTRY_COMPARE(w.openedFile(), csv);
        QCOMPARE(probe(w).controls()->scheduleCombo()->currentData().toString(),
                 QStringLiteral("gpipe"));
        QCOMPARE(probe(w).model()->measuredBoxes().size(),
                 probe(source).model()->idealBoxes().size());
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

    void comparisonView() {
        MainWindow w(small(), nullptr, false);
        w.compareSchedules(true);
        QTableWidget* t = probe(w).charts()->comparisonTable();
        QCOMPARE(t->rowCount(), static_cast<int>(allScheduleKinds().size()));
        // Every row names its schedule and shows a utilization (or why it does not fit).
        for (int i = 0; i < t->rowCount(); ++i) {
            QVERIFY(!t->item(i, 0)->text().isEmpty());
            QVERIFY(!t->item(i, 1)->text().isEmpty());
        }
        QVERIFY(t->item(0, 1)->text().startsWith(QStringLiteral("25.0%")));  // naive: 1/S
        if (!EngineController::engineAvailable()) return;
        QTRY_VERIFY_WITH_TIMEOUT(
            !probe(w).controller()->comparing() || t->item(1, 5)->text().toDouble() > 0.0, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(t->item(0, 1)->text().contains(QStringLiteral("analytic")), 60000);
        bool ok = false;
        QTRY_VERIFY_WITH_TIMEOUT((t->item(1, 5)->text().toDouble(&ok), ok), 60000);  // a real loss
    }

    // A comparison of real runs never keeps the window from closing.
    void closingDuringAComparisonReturnsAtOnce() {
        if (!EngineController::engineAvailable()) QSKIP("built without the LibTorch engine");
        RunOptions o = defaultRunOptions();
        o.schedule.batches = 20;
        auto* w = new MainWindow(o, nullptr, false);
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        w->compareSchedules(true);
        QTest::qWait(300);
        QVERIFY(probe(*w).controller()->comparing());
        QElapsedTimer t;
        t.start();
        QVERIFY(w->close());
        delete w;
        QVERIFY2(t.elapsed() < 1000, qPrintable(QStringLiteral("%1 ms").arg(t.elapsed())));
    }

    // Not a check: with PD_SCREENSHOT_DIR set, saves pictures of the window
    // in several states for a person to look at.
    void screenshots() {
        const QByteArray env = qgetenv("PD_SCREENSHOT_DIR");
        if (env.isEmpty()) QSKIP("set PD_SCREENSHOT_DIR to save screenshots");
        const QDir dir(QString::fromUtf8(env));
        MainWindow w(defaultRunOptions(), nullptr, false);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.restartRun();
        QTest::qWait(300);
        w.grab().save(dir.filePath("first_start.png"));
        for (int i = 0; i < 9; ++i) w.stepForward();
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 9, 30000);
        QTest::qWait(200);
        w.grab().save(dir.filePath("stepped.png"));
        QVERIFY(playToEnd(w, 120000));
        probe(w).timeBaseCombo()->setCurrentIndex(1);
        probe(w).charts()->setCurrentIndex(2);
        QTest::qWait(200);
        w.grab().save(dir.filePath("measured_loss.png"));
        probe(w).timeBaseCombo()->setCurrentIndex(0);
        // A microbatch followed across the stages, on the schedule's slots.
        TimelineView* view = probe(w).timeline();
        view->fit();
        view->replot(QCustomPlot::rpImmediateRefresh);
        int at = 0;
        for (const TimelineBox& b : probe(w).model()->measuredBoxes().lane(0))
            if (b.op == Op::F && b.batch == 1 && b.microbatch == 1) {
                view->select({0, b.batch, b.microbatch, b.op, b.chunk, false});
                at = b.slot0;
                break;
            }
        QTest::qWait(200);
        w.grab().save(dir.filePath("selected_full.png"));
        view->setFollow(false);
        view->xAxis->setRange(at - 3, at + 19);  // the batch, wide enough for the labels
        view->replot();
        QTest::qWait(200);
        w.grab().save(dir.filePath("selected.png"));
        probe(w).timeBaseCombo()->setCurrentIndex(3);  // measured above, ideal below
        QTest::qWait(200);
        w.grab().save(dir.filePath("selected_both.png"));
        probe(w).timeBaseCombo()->setCurrentIndex(0);
        view->fit();
        view->measureRange(view->xAxis->range().lower + view->xAxis->range().size() * 0.3,
                           view->xAxis->range().lower + view->xAxis->range().size() * 0.5);
        QTest::qWait(100);
        w.grab().save(dir.filePath("range.png"));
        view->measureRange(std::nan(""), std::nan(""));
        RunOptions pd = defaultRunOptions();
        pd.schedule.kind = ScheduleKind::PipeDream;
        pd.schedule.stages = 6;
        pd.schedule.microbatches = 8;
        w.setOptions(pd);
        QTest::qWait(500);
        QVERIFY(playToEnd(w, 120000));
        probe(w).timeline()->fit();
        probe(w).timelineToolbar()->colorCombo()->setCurrentIndex(2);
        QTest::qWait(200);
        w.grab().save(dir.filePath("pipedream_staleness.png"));
        probe(w).timelineToolbar()->colorCombo()->setCurrentIndex(1);
        QTest::qWait(200);
        w.grab().save(dir.filePath("pipedream_versions.png"));
        probe(w).timelineToolbar()->colorCombo()->setCurrentIndex(0);
    }

    void settingsRemembered() {
        {
            MainWindow w(small(), nullptr, false);
            probe(w).controls()->stagesSlider()->setValue(3);
            w.close();
        }
        const RunOptions restored = MainWindow::restoredOptions(small());
        QCOMPARE(restored.schedule.stages, 3);
        QCOMPARE(restored.layers, 8);
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

    // Settings that cannot be saved are said once, at start (last: it moves
    // the settings path for the rest of this process).
    void unwritableSettingsAreSaid() {
        QTemporaryDir dir;
        const QString blocker = dir.filePath(QStringLiteral("a-file"));
        QFile f(blocker);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        // A folder below a file cannot be made, not even by root.
        for (QSettings::Format format : {QSettings::NativeFormat, QSettings::IniFormat})
            QSettings::setPath(format, QSettings::UserScope, blocker + QStringLiteral("/config"));
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(
            probe(w).statusLabel()->toolTip().contains(QStringLiteral("will not be remembered")),
            qPrintable(probe(w).statusLabel()->toolTip()));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
