// The main window's files and comparisons as users see them (a real window
// under Xvfb): saved runs open (menu and drop) and set every control, the
// command line's --csv and --trace, exports with title and legend, the layer
// strip and the profile, comparisons of schedules and partitions (which never
// keep the window from closing), and screenshots on request. Runs on the
// simulated engine where the real one is not the point.
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

class TestMainWindowFiles : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() { keepSettingsIn(config_); }

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
        QVERIFY_THROWS_NO_EXCEPTION(checkRunOptions(w.currentOptions()));
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
};

QTEST_MAIN(TestMainWindowFiles)
#include "tst_mainwindow_files.moc"
