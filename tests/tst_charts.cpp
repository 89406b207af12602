// The Charts dock and what it says about the run on screen: titles follow
// the run (and say "not run" when there is none), a comparison made for
// another configuration is cleared, the schedule names under the comparison
// never overlap, and where measured and analytic differ the charts say why
// in words (the CLI's core note among them). A live run redraws only the
// charts its new events change. Also the memory estimate
// against what a real run measures, the cursor caption's chunks and the
// versions dock at its default width.
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <thread>

#include "engine/config/report.h"
#include "engine/config/resources.h"
#include "engine/run/comparison.h"
#include "engine/run/simulatedrun.h"
#include "tests/mainwindowprobe.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/explain.h"
#include "ui/panels/versionpanel.h"
#include "ui/views/charts.h"
#include "ui/window/mainwindow.h"

using namespace pd;

namespace {

RunOptions options(ScheduleKind kind, int batches = 2, int stages = 4, int microbatches = 4) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = kind;
    o.schedule.stages = stages;
    o.schedule.microbatches = microbatches;
    o.schedule.batches = batches;
    o.schedule.chunks = chunksFor(kind, 2);
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

RunResult prepared(const RunOptions& o) {
    RunResult r;
    QString error;
    if (!prepareRun(o, r, &error)) qFatal("%s", qPrintable(error));
    return r;
}

struct Collect : EventSink {
    std::vector<SlotEvent> slots;
    void onSlot(const SlotEvent& e) override { slots.push_back(e); }
};

std::vector<SlotEvent> simulatedSlots(const RunOptions& o) {
    Collect c;
    SimulatedRun run(o, c);
    run.start();
    run.wait();
    return c.slots;
}

// The same actions run one after another, as if one core ran every stage:
// the measured bubble is far above the analytic one. `scale` stretches or
// shrinks every op.
std::vector<SlotEvent> serialised(std::vector<SlotEvent> slots, double scale = 1.0) {
    std::stable_sort(slots.begin(), slots.end(),
                     [](const SlotEvent& a, const SlotEvent& b) { return a.startUs < b.startUs; });
    std::int64_t t = 0;
    for (SlotEvent& e : slots) {
        const auto d = static_cast<std::int64_t>(static_cast<double>(e.endUs - e.startUs) * scale);
        e.startUs = t;
        e.endUs = t + std::max<std::int64_t>(1, d);
        t = e.endUs;
    }
    return slots;
}

void live(RunModel& m, const RunOptions& o, const std::vector<SlotEvent>& slots, bool finish) {
    m.reset(prepared(o), RunModel::Source::Live);
    m.appendSlots(slots);
    if (finish) m.finish({});
}

}  // namespace

class TestCharts : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        EngineController::registerMetaTypes();
    }

    void countText_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<QString>("text");
        QTest::newRow("none") << 0 << QStringLiteral("0 batches");
        QTest::newRow("one") << 1 << QStringLiteral("1 batch");
        QTest::newRow("many") << 5 << QStringLiteral("5 batches");
    }
    void countText() {
        QFETCH(int, n);
        QFETCH(QString, text);
        QCOMPARE(pd::countText(n, QStringLiteral("batch"), QStringLiteral("batches")), text);
    }

    // The CLI's header note, one function for the CLI and the window.
    void coreSharingNote_data() {
        QTest::addColumn<int>("stages");
        QTest::addColumn<int>("cores");
        QTest::addColumn<QString>("device");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("launch");
        QTest::addColumn<QString>("note");
        const QString four = QStringLiteral(
            "4 stage workers share 2 CPU cores, so measured stage times include waiting for a "
            "core.");
        QTest::newRow("threads on 2 cores") << 4 << 2 << "cpu"
                                            << "threads" << false << four;
        QTest::newRow("local processes") << 4 << 2 << "cpu"
                                         << "gloo" << true << four;
        QTest::newRow("one core") << 2 << 1 << "cpu"
                                  << "threads" << false
                                  << QStringLiteral(
                                         "2 stage workers share 1 CPU core, so measured stage "
                                         "times include waiting for a core.");
        QTest::newRow("enough cores") << 4 << 4 << "cpu"
                                      << "threads" << false << QString();
        QTest::newRow("cores unknown") << 4 << 0 << "cpu"
                                       << "threads" << false << QString();
        QTest::newRow("gpu") << 4 << 2 << "cuda"
                             << "threads" << false << QString();
        QTest::newRow("ranks elsewhere") << 4 << 2 << "cpu"
                                         << "gloo" << false << QString();
    }
    void coreSharingNote() {
        QFETCH(int, stages);
        QFETCH(int, cores);
        QFETCH(QString, device);
        QFETCH(QString, backend);
        QFETCH(bool, launch);
        QFETCH(QString, note);
        RunOptions o = options(ScheduleKind::OneFOneB, 1, stages);
        o.device = device.toStdString();
        o.backend = backend.toStdString();
        o.launch = launch;
        QCOMPARE(QString::fromStdString(pd::coreSharingNote(o, static_cast<unsigned>(cores))),
                 note);
    }

    // Where measured and analytic differ, the charts say why in words.
    void measuredVsAnalyticSaysWhy() {
        const RunOptions o = options(ScheduleKind::ZeroBubbleV, 2);
        const std::vector<SlotEvent> slots = simulatedSlots(o);
        RunModel m;

        // Measured as simulated, run over: they agree, nothing to say.
        live(m, o, slots, true);
        QCOMPARE(measuredVsAnalyticNote(m, 2), QString());

        // Stage workers that took turns on too few cores: the CLI's note.
        live(m, o, serialised(slots), true);
        const QString shared = measuredVsAnalyticNote(m, 2);
        QVERIFY2(shared.startsWith(QStringLiteral("Measured bubble ")), qPrintable(shared));
        QVERIFY2(shared.contains(QString::fromStdString(pd::coreSharingNote(o, 2))),
                 qPrintable(shared));
        QVERIFY(!shared.contains(QStringLiteral("takes only")));
        // Enough cores: not that reason, but still a word on why.
        const QString other = measuredVsAnalyticNote(m, 64);
        QVERIFY2(!other.contains(QStringLiteral("share")), qPrintable(other));
        QVERIFY2(other.contains(QStringLiteral("fixed op lengths")), qPrintable(other));

        // Tiny ops: the hand-over weighs as much as the work.
        live(m, o, serialised(slots, 0.05), true);
        const QString tiny = measuredVsAnalyticNote(m, 64);
        QVERIFY2(tiny.contains(QStringLiteral("takes only 0.05 ms")), qPrintable(tiny));

        // A run not over yet: its figures are partial, said even where they agree.
        live(m, o, {slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(slots.size() / 3)},
             false);
        const QString partial = measuredVsAnalyticNote(m, 64);
        QVERIFY2(partial.contains(QStringLiteral("The run is not over (%1 of the schedule's %2 "
                                                 "actions so far)")
                                      .arg(slots.size() / 3)
                                      .arg(slots.size())),
                 qPrintable(partial));

        // The schedule of the controls (nothing measured): nothing to say.
        m.reset(prepared(o), RunModel::Source::Schedule);
        QCOMPARE(measuredVsAnalyticNote(m, 2), QString());
    }

    // The note sits under the utilization and bubble charts, wrapped to their width.
    void chartsCaptionTheNote() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 2);
        RunModel m;
        live(m, o, serialised(simulatedSlots(o)), true);
        ChartsPanel panel;
        panel.resize(700, 300);
        panel.showRun(m);
        const QString note = measuredVsAnalyticNote(m, std::thread::hardware_concurrency());
        QVERIFY(!note.isEmpty());
        QCOMPARE(panel.utilizationChart()->caption(), note);
        QCOMPARE(panel.bubbleChart()->caption(), note);
        live(m, o, simulatedSlots(o), true);
        panel.showRun(m);
        QCOMPARE(panel.bubbleChart()->caption(), QString());
    }

    void wrapText() {
        const QFontMetrics fm(QApplication::font());
        const QString text = QStringLiteral("one two three four five six seven eight nine ten");
        const QString wrapped =
            pd::wrapText(text, fm, fm.horizontalAdvance(QStringLiteral("one two three")));
        QVERIFY(wrapped.count(QLatin1Char('\n')) >= 2);
        for (const QString& line : wrapped.split(QLatin1Char('\n')))
            QVERIFY(fm.horizontalAdvance(line) <=
                    fm.horizontalAdvance(QStringLiteral("one two three")));
        QCOMPARE(QString(wrapped).replace(QLatin1Char('\n'), QLatin1Char(' ')), text);
    }

    // Following a live run, each chart redraws only when events it shows
    // arrive: batches add to the loss chart (not rebuilt), slots redraw
    // utilization and bubble, memory events the memory chart; a new run
    // redraws everything.
    void watchRedrawsWhatChanged() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 6, 2, 2);
        RunModel m;
        ChartsPanel panel;
        panel.watch(&m);
        m.reset(prepared(o), RunModel::Source::Live);
        QCOMPARE(panel.lossChart()->points(), 0);
        const QString utilTitle = panel.utilizationChart()->title();
        const QString memoryTitle = panel.memoryChart()->title();
        const QString lossTitle = panel.lossChart()->title();
        auto batch = [](int b) {
            BatchEvent e;
            e.batch = b;
            e.loss = 2.0 - 0.1 * b;
            e.timeUs = 1000 * (b + 1);
            e.versionUsed = {b, b};
            e.versionAfter = {b + 1, b + 1};
            return e;
        };
        auto mark = [&] {
            panel.utilizationChart()->setTitle(QStringLiteral("marked"));
            panel.memoryChart()->setTitle(QStringLiteral("marked"));
            panel.lossChart()->setTitle(QStringLiteral("marked"));
        };
        mark();
        m.appendBatches({batch(0), batch(1), batch(2)});
        QCOMPARE(panel.lossChart()->points(), 3);
        QCOMPARE(panel.lossChart()->title(), lossTitle);
        QCOMPARE(panel.utilizationChart()->title(), QStringLiteral("marked"));
        QCOMPARE(panel.memoryChart()->title(), QStringLiteral("marked"));
        m.appendBatches({batch(3), batch(4)});
        QCOMPARE(panel.lossChart()->points(), 5);

        mark();
        const std::vector<SlotEvent> slots = simulatedSlots(o);
        m.appendSlots({slots.begin(), slots.begin() + 4});
        QCOMPARE(panel.utilizationChart()->title(), utilTitle);
        QCOMPARE(panel.memoryChart()->title(), QStringLiteral("marked"));
        QCOMPARE(panel.lossChart()->title(), QStringLiteral("marked"));
        QCOMPARE(panel.lossChart()->points(), 5);  // not cleared

        mark();
        MemoryEvent mem;
        mem.stage = 1;
        mem.activationBytes = 4096;
        m.appendMemory({mem});
        // Measured now, no longer the prediction from the layers.
        QVERIFY2(panel.memoryChart()->title().startsWith(QStringLiteral("Memory per stage \u2014")),
                 qPrintable(panel.memoryChart()->title()));
        QCOMPARE(panel.utilizationChart()->title(), QStringLiteral("marked"));

        EvaluationEvent e;
        e.batch = 5;
        e.trainUs = 5000;
        e.loss = 1.5;
        e.accuracy = 0.5;
        m.appendEvaluations({e});
        QCOMPARE(panel.lossChart()->heldOutPoints(), 1);
        QCOMPARE(panel.lossChart()->points(), 5);

        m.reset(prepared(o), RunModel::Source::Live);  // a new run: all redrawn
        QCOMPARE(panel.lossChart()->points(), 0);
        QCOMPARE(panel.lossChart()->heldOutPoints(), 0);
        QCOMPARE(panel.utilizationChart()->title(), utilTitle);
        QCOMPARE(panel.memoryChart()->title(), memoryTitle);
    }

    // Titles name the run on screen; with none (settings not valid), the
    // charts are empty and say so.
    void titlesFollowTheRun() {
        ChartsPanel panel;
        RunModel m;
        const RunOptions one = options(ScheduleKind::OneFOneB, 1);
        m.reset(prepared(one), RunModel::Source::Schedule);
        panel.showRun(m);
        QVERIFY2(panel.utilizationChart()->title().endsWith(QStringLiteral("S=4, M=4, 1 batch")),
                 qPrintable(panel.utilizationChart()->title()));
        QVERIFY(!panel.bubbleChart()->title().contains(QStringLiteral("batches")));
        QVERIFY(panel.lossChart()->title().contains(QStringLiteral("1F1B")));

        m.reset(RunResult{}, RunModel::Source::Schedule);  // MainWindow::showInvalid
        panel.showRun(m);
        for (const QString& title :
             {panel.utilizationChart()->title(), panel.bubbleChart()->title(),
              panel.memoryChart()->title(), panel.lossChart()->title()}) {
            QVERIFY2(title.endsWith(QStringLiteral("not run")), qPrintable(title));
            QVERIFY2(!title.contains(QStringLiteral("1F1B")), qPrintable(title));
        }
        QVERIFY(panel.utilizationChart()->series().empty());
        QVERIFY(!panel.utilizationChart()->note().isEmpty());

        const RunOptions gpipe = options(ScheduleKind::GPipe, 3, 2, 2);
        m.reset(prepared(gpipe), RunModel::Source::Schedule);
        panel.showRun(m);
        QVERIFY2(panel.memoryChart()->title().endsWith(QStringLiteral("S=2, M=2, 3 batches")),
                 qPrintable(panel.memoryChart()->title()));
        QVERIFY(panel.utilizationChart()->note().isEmpty());
    }

    // A comparison is of one configuration: another run on screen clears
    // it, and its late rows are dropped; another kind on the same
    // configuration keeps it.
    void comparisonFollowsTheRun() {
        ChartsPanel panel;
        RunModel m;
        const RunOptions base = options(ScheduleKind::OneFOneB, 5, 4, 8);
        m.reset(prepared(base), RunModel::Source::Schedule);
        panel.showRun(m);
        panel.beginComparison(base, QStringLiteral("Simulated schedules (analytic figures)."));
        for (ScheduleKind k : allScheduleKinds()) panel.addComparisonRow(compareOne(base, k, {}));
        QCOMPARE(panel.comparisonTitle(), QStringLiteral("Every schedule on S=4, M=8, 5 batches"));
        QCOMPARE(panel.comparisonTable()->rowCount(), static_cast<int>(allScheduleKinds().size()));

        RunOptions otherKind = base;
        otherKind.schedule.kind = ScheduleKind::GPipe;
        m.reset(prepared(otherKind), RunModel::Source::Schedule);
        panel.showRun(m);
        QCOMPARE(panel.comparisonTable()->rowCount(), static_cast<int>(allScheduleKinds().size()));

        const RunOptions opened = options(ScheduleKind::OneFOneB, 2, 2, 4);
        m.reset(prepared(opened), RunModel::Source::File);
        panel.showRun(m);
        QVERIFY2(!panel.comparisonTitle().contains(QStringLiteral("M=8")),
                 qPrintable(panel.comparisonTitle()));
        QCOMPARE(panel.comparisonTable()->rowCount(), 0);
        QVERIFY2(panel.comparisonChart()->note().contains(QStringLiteral("S=4, M=8, 5 batches")),
                 qPrintable(panel.comparisonChart()->note()));
        panel.addComparisonRow(compareOne(base, ScheduleKind::GPipe, {}));  // a late row
        QCOMPARE(panel.comparisonTable()->rowCount(), 0);
        QVERIFY(panel.comparisonChart()->series().empty());
    }

    // Twelve schedule names under the comparison: side by side where they
    // fit, slanted where they would overlap; the full name as a tool tip.
    void comparisonLabelsNeverOverlap() {
        ChartsPanel panel;
        panel.resize(900, 320);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.setCurrentIndex(panel.count() - 1);
        const RunOptions base = options(ScheduleKind::OneFOneB, 2);
        RunModel m;
        m.reset(prepared(base), RunModel::Source::Schedule);
        panel.showRun(m);
        panel.beginComparison(base, QString());
        for (ScheduleKind k : allScheduleKinds()) panel.addComparisonRow(compareOne(base, k, {}));
        GroupedBarChart* chart = panel.comparisonChart();
        chart->replot();
        QVERIFY(chart->labelsSlanted());
        const int x = static_cast<int>(chart->xAxis->coordToPixel(1.0));
        const int y = chart->axisRect()->bottom() - 5;
        QCOMPARE(chart->categoryToolTip(QPoint(x, y)),
                 QString::fromUtf8(displayName(allScheduleKinds().front())));
    }
    void labelsSlantOnlyWhenTheyWouldOverlap() {
        GroupedBarChart chart;
        QStringList names;
        for (ScheduleKind k : allScheduleKinds()) names << QString::fromLatin1(toString(k));
        chart.resize(2400, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setData(names, {{QStringLiteral("u"), Qt::blue,
                               std::vector<double>(static_cast<std::size_t>(names.size()), 0.5)}});
        chart.replot();
        QVERIFY(!chart.labelsSlanted());
        chart.resize(420, 300);
        QTRY_VERIFY(chart.labelsSlanted());
    }

    // At the window's default size the comparison's header lines are
    // whole (two short lines each, never "eak memory / stag").
    void comparisonHeadersFit() {
        MainWindow w(options(ScheduleKind::OneFOneB, 2), nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        probe(w).charts()->setCurrentIndex(probe(w).charts()->count() - 1);
        w.compareSchedules(false);
        QTableWidget* t = probe(w).charts()->comparisonTable();
        QTRY_VERIFY(t->isVisible());
        const QFontMetrics fm(t->horizontalHeader()->font());
        for (int c = 0; c < t->columnCount(); ++c)
            for (const QString& line : t->horizontalHeaderItem(c)->text().split(QLatin1Char('\n')))
                QVERIFY2(fm.horizontalAdvance(line) + 8 <= t->horizontalHeader()->sectionSize(c),
                         qPrintable(QStringLiteral("%1 in %2 px")
                                        .arg(line)
                                        .arg(t->horizontalHeader()->sectionSize(c))));
    }

    // The estimate counts what the real run keeps: each layer's input and
    // pre-activation (before: one tensor per layer, half of what a 1F1B
    // run measured). Exact for 1F1B (stage 0 peaks, no stash); within a few
    // percent elsewhere (the peaks of activations and stash may not meet).
    void memoryEstimateMatchesTheRealRun_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<double>("low");
        for (ScheduleKind k :
             {ScheduleKind::OneFOneB, ScheduleKind::GPipe, ScheduleKind::PipeDream,
              ScheduleKind::ZeroBubbleH1, ScheduleKind::Interleaved, ScheduleKind::ZeroBubbleV})
            QTest::addRow("%s", toString(k))
                << static_cast<int>(k) << (k == ScheduleKind::OneFOneB ? 0.999 : 0.8);
    }
    void memoryEstimateMatchesTheRealRun() {
        if (!EngineController::engineAvailable()) QSKIP("built without the LibTorch engine");
        QFETCH(int, kind);
        QFETCH(double, low);
        const auto k = static_cast<ScheduleKind>(kind);
        const RunOptions base = options(ScheduleKind::OneFOneB, 1);
        const ComparisonRow analytic = compareOne(base, k, {});
        const ComparisonRow real = compareOne(base, k, EngineController::runFactory(false));
        QVERIFY2(real.memoryMeasured, real.problem.c_str());
        QVERIFY(!analytic.memoryMeasured);
        const double ratio = real.peakMemoryBytes / analytic.peakMemoryBytes;
        QVERIFY2(ratio >= low && ratio <= 1.001,
                 qPrintable(QStringLiteral("measured %1 B, estimated %2 B")
                                .arg(real.peakMemoryBytes)
                                .arg(analytic.peakMemoryBytes)));
    }

    // The simulated run's memory events use the same estimate.
    void simulatedMemoryIsTheEstimate() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 1);
        struct Memory : EventSink {
            std::int64_t peak = 0;
            void onMemory(const MemoryEvent& e) override {
                peak = std::max(peak, e.activationBytes + e.stashBytes);
            }
        } sink;
        SimulatedRun run(o, sink);
        run.start();
        run.wait();
        const ComparisonRow row = compareOne(o, ScheduleKind::OneFOneB, {});
        QCOMPARE(static_cast<double>(sink.peak), std::floor(row.peakMemoryBytes));
    }

    // The cursor caption names a chunked kind's op as the timeline does.
    void cursorCaptionNamesTheChunk() {
        const RunOptions o = options(ScheduleKind::ZeroBubbleV, 1);
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Schedule);
        bool sawChunk1 = false;
        for (int c = 1; c <= m.slotCount(); ++c) {
            m.setCursor(c);
            const QString caption = cursorCaption(m);
            QVERIFY2(!caption.contains(QRegularExpression(QStringLiteral("[FBIW]\\d+ \\("))),
                     qPrintable(caption));
            sawChunk1 =
                sawChunk1 ||
                caption.contains(QRegularExpression(QStringLiteral("[FBIW]\\d+\\.1 \\(v\\d+\\)")));
        }
        QVERIFY(sawChunk1);
        const RunOptions plain = options(ScheduleKind::OneFOneB, 1);
        m.reset(prepared(plain), RunModel::Source::Schedule);
        m.setCursor(1);
        QVERIFY2(cursorCaption(m).contains(QStringLiteral("stage 0: F0 (v0)")),
                 qPrintable(cursorCaption(m)));
    }

    // The versions dock at the window's default size shows four stages
    // whole, at the slot where they hold the most versions: no label cut,
    // no scroll bar; counts in words ("1 activation", "3 activations").
    // Held-out evaluations beside the training loss: their loss on the loss
    // axis, their accuracy (percent) on the right axis, shown only with one.
    void heldOutOnTheLossChart() {
        LossChart chart;
        chart.addPoint(0, 2.3);
        chart.addPoint(1, 1.9);
        EvaluationEvent a;
        a.batch = 2;
        a.loss = 1.5;
        a.accuracy = 0.62;
        EvaluationEvent b = a;
        b.batch = 4;
        b.loss = 0.9;
        b.accuracy = 0.81;
        chart.setHeldOut({a, b});
        QCOMPARE(chart.heldOutPoints(), 2);
        QCOMPARE(chart.points(), 2);
        QVERIFY(chart.yAxis2->visible());
        QVERIFY(chart.legend->visible());
        QVERIFY(chart.xAxis->range().upper >= 4.0);  // the later evaluation is in view
        QVERIFY(chart.yAxis->range().lower <= 0.9);
        a.accuracy = b.accuracy = std::numeric_limits<double>::quiet_NaN();  // text: loss only
        chart.setHeldOut({a, b});
        QCOMPARE(chart.heldOutPoints(), 2);
        QVERIFY(!chart.yAxis2->visible());
        // Against measured training time: the same points, keyed by seconds
        // (a point without a time is left out), and back.
        chart.clear();
        chart.addPoint(0, 2.3, 0.5);
        chart.addPoint(1, 1.9, 1.25);
        chart.addPoint(2, 1.7);  // no time known
        a.trainUs = 1'000'000;
        b.trainUs = 3'000'000;
        chart.setHeldOut({a, b});
        chart.setTimeAxis(true);
        QCOMPARE(chart.points(), 2);
        QCOMPARE(chart.graph(0)->data()->at(1)->key, 1.25);
        QCOMPARE(chart.graph(1)->data()->at(1)->key, 3.0);
        QVERIFY(chart.xAxis->range().upper >= 3.0);
        QVERIFY(chart.xAxis->label().contains(QStringLiteral("training time")));
        chart.setTimeAxis(false);
        QCOMPARE(chart.points(), 3);
        QCOMPARE(chart.graph(0)->data()->at(2)->key, 3.0);  // batch 3
        chart.clear();
        QCOMPARE(chart.heldOutPoints(), 0);
        QVERIFY(!chart.legend->visible());

        // Through the run model and the panel, with the title saying so.
        ChartsPanel panel;
        RunModel m;
        m.reset(prepared(options(ScheduleKind::OneFOneB, 4)), RunModel::Source::Live);
        m.appendEvaluations({a});
        panel.showRun(m);
        QCOMPARE(panel.lossChart()->heldOutPoints(), 1);
        QVERIFY(panel.lossChart()->title().contains(QStringLiteral("held-out")));
        panel.lossAxisCombo()->setCurrentIndex(1);
        QVERIFY(panel.lossChart()->timeAxis());
        panel.setCurrentIndex(2);
        QCOMPARE(panel.currentPlot(), static_cast<QCustomPlot*>(panel.lossChart()));
    }

    void versionsFitTheirDock() {
        RunOptions o = options(ScheduleKind::PipeDream, 2);
        o.layers = 48;  // long stage names: "GPU0 (L1-12)"
        MainWindow w(o, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        RunModel& m = *probe(w).model();
        int most = 0, at = 0;
        for (int c = 0; c <= m.slotCount(); ++c) {
            m.setCursor(c);
            int n = 0;
            for (const StageSnapshot& s : m.stateAtCursor())
                n = std::max(n, static_cast<int>(s.stashed.size()));
            if (n > most) most = n, at = c;
        }
        QVERIFY(most >= 2);
        m.setCursor(at);
        QApplication::processEvents();
        auto* dock = w.findChild<QDockWidget*>(QStringLiteral("versions"));
        QVERIFY(dock);
        auto* scroll = qobject_cast<QScrollArea*>(dock->widget());
        QVERIFY(scroll);
        auto* panel = scroll->widget();
        QTRY_VERIFY2(!scroll->horizontalScrollBar()->isVisible() &&
                         !scroll->verticalScrollBar()->isVisible(),
                     qPrintable(QStringLiteral("the panel needs %1 x %2 px, the dock gives %3 x %4")
                                    .arg(panel->minimumSizeHint().width())
                                    .arg(panel->sizeHint().height())
                                    .arg(scroll->viewport()->width())
                                    .arg(scroll->viewport()->height())));
        bool plural = false;
        for (const QLabel* l : panel->findChildren<QLabel*>()) {
            if (!l->isVisible()) continue;
            QVERIFY2(!l->text().contains(QStringLiteral("(s)")), qPrintable(l->text()));
            if (!l->wordWrap())
                QVERIFY2(l->width() >= l->sizeHint().width(), qPrintable(l->text()));
            plural = plural || l->text().endsWith(QStringLiteral(" activations"));
        }
        QVERIFY(plural);
    }
};

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
