// The run model without widgets (hotspot's modeltest style): the same events
// from a live stream, a simulation and an opened file make the same model;
// the cursor shows exactly the state of each slot, forward and back; a
// requested step waits for its events; the ideal scale follows the measured
// forwards.
#include <QSignalSpy>
#include <QtTest>

#include "engine/config/report.h"
#include "engine/formats/trace.h"
#include "engine/run/simulatedrun.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runwalker.h"

using namespace pd;

namespace {

RunOptions options(ScheduleKind kind, int batches = 2) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = kind;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = batches;
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

// Every event a simulated run emits, in emission order.
struct Collect : EventSink {
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    void onSlot(const SlotEvent& e) override { slots.push_back(e); }
    void onMemory(const MemoryEvent& e) override { memory.push_back(e); }
    void onBatch(const BatchEvent& e) override { batches.push_back(e); }
};

Collect simulateAll(const RunOptions& o) {
    Collect c;
    SimulatedRun run(o, c);
    run.start();
    run.wait();
    return c;
}

struct Cell {
    int slot0, slot1, gate, batch, microbatch, version;
    Op op;
    std::int64_t startUs, endUs;
    bool operator==(const Cell& o) const {
        return slot0 == o.slot0 && slot1 == o.slot1 && gate == o.gate && batch == o.batch &&
               microbatch == o.microbatch && version == o.version && op == o.op &&
               startUs == o.startUs && endUs == o.endUs;
    }
};

std::vector<std::vector<Cell>> cells(const RunModel& m) {
    std::vector<std::vector<Cell>> out;
    for (int s = 0; s < m.measuredBoxes().lanes(); ++s) {
        out.emplace_back();
        for (const TimelineBox& b : m.measuredBoxes().lane(s))
            out.back().push_back({b.slot0, b.slot1, b.gate, b.batch, b.microbatch, b.version, b.op,
                                  std::llround(b.start * 1000.0), std::llround(b.end * 1000.0)});
    }
    return out;
}

using State = std::vector<std::tuple<int, std::vector<int>, int>>;
State state(const RunModel& m) {
    State out;
    for (const StageSnapshot& s : m.stateAtCursor())
        out.emplace_back(s.newest, s.stashed, s.activations);
    return out;
}

}  // namespace

class TestRunModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sameEventsSameModel_data() {
        QTest::addColumn<int>("kind");
        for (ScheduleKind k : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::PipeDream,
                               ScheduleKind::TwoBW, ScheduleKind::ZeroBubbleH1})
            QTest::addRow("%s", toString(k)) << static_cast<int>(k);
    }
    // Live (events in drains of a few), simulated (all at once) and opened
    // from a CSV: one model, slot for slot.
    void sameEventsSameModel() {
        QFETCH(int, kind);
        const RunOptions o = options(static_cast<ScheduleKind>(kind));
        const Collect c = simulateAll(o);

        RunModel live;
        live.reset(prepared(o), RunModel::Source::Live);
        for (std::size_t i = 0; i < c.slots.size(); i += 3)
            live.appendSlots(
                {c.slots.begin() + static_cast<std::ptrdiff_t>(i),
                 c.slots.begin() + static_cast<std::ptrdiff_t>(std::min(i + 3, c.slots.size()))});
        live.finish({});

        RunModel all;
        all.reset(prepared(o), RunModel::Source::Simulated);
        all.appendSlots(c.slots);
        all.finish({});

        std::vector<SlotEvent> parsed;
        QVERIFY_THROWS_NO_EXCEPTION(parsed = parseCsv(toCsv(c.slots)));
        RunResult file = prepared(o);
        file.slots = parsed;
        file.measured = true;
        RunModel opened;
        opened.load(std::move(file), RunModel::Source::File, true);

        QCOMPARE(live.measuredBoxes().size(), c.slots.size());
        QVERIFY(cells(live) == cells(all));
        QVERIFY(cells(live) == cells(opened));
        QCOMPARE(live.frontier(), live.slotCount());
        QCOMPARE(opened.frontier(), live.slotCount());
        for (int slot = 0; slot <= live.slotCount(); ++slot) {
            live.setCursor(slot);
            opened.setCursor(slot);
            all.setCursor(slot);
            QCOMPARE(state(live), state(opened));
            QCOMPARE(state(live), state(all));
            QCOMPARE(live.cursorX(TimeBase::Measured), opened.cursorX(TimeBase::Measured));
        }
    }

    // Walking forward and back shows exactly the state each slot had.
    void steppingRestoresEachSlot() {
        const RunOptions o = options(ScheduleKind::PipeDream, 3);
        const Collect c = simulateAll(o);
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Live);
        m.appendSlots(c.slots);
        m.finish({});
        std::vector<State> forward;
        for (int slot = 0; slot <= m.slotCount(); ++slot) {
            m.setCursor(slot);
            QCOMPARE(m.cursor(), slot);
            forward.push_back(state(m));
        }
        bool stashedSomewhere = false;
        for (const State& s : forward)
            for (const auto& stage : s)
                stashedSomewhere = stashedSomewhere || !std::get<1>(stage).empty();
        QVERIFY2(stashedSomewhere, "PipeDream stashes versions at some slot");
        for (int slot = m.slotCount(); slot >= 0; --slot) {
            m.setCursor(slot);
            QCOMPARE(state(m), forward[static_cast<std::size_t>(slot)]);
        }
    }

    // Flush schedule at the end of batch b: every stage holds v(b+1), no
    // stash, no activations.
    void flushStateAtBatchEnds() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 3);
        const Collect c = simulateAll(o);
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Simulated);
        m.appendSlots(c.slots);
        m.finish({});
        for (int b = 0; b < 3; ++b) {
            m.setCursor(m.grid().batchEnd[static_cast<std::size_t>(b)]);
            QCOMPARE(m.batchesAtCursor(), b + 1);
            for (const StageSnapshot& s : m.stateAtCursor()) {
                QCOMPARE(s.newest, b + 1);
                QVERIFY(s.stashed.empty());
                QCOMPARE(s.activations, 0);
            }
        }
    }

    // A step beyond what has run waits for the events and then moves.
    void requestedCursorWaitsForEvents() {
        const RunOptions o = options(ScheduleKind::GPipe, 1);
        const Collect c = simulateAll(o);
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Live);
        QSignalSpy moved(&m, &RunModel::cursorMoved);
        m.requestCursor(3);
        QCOMPARE(m.cursor(), 0);
        QCOMPARE(m.frontier(), 0);
        std::vector<SlotEvent> firstSlots, rest;
        for (const SlotEvent& e : c.slots)  // GPipe: F(s, m) starts at slot s + m
            (e.op == Op::F && e.stage + e.microbatch < 2 ? firstSlots : rest).push_back(e);
        m.appendSlots(firstSlots);
        QCOMPARE(m.frontier(), 2);
        QCOMPARE(m.cursor(), 2);
        m.appendSlots(rest);
        QCOMPARE(m.cursor(), 3);
        QVERIFY(moved.count() >= 2);
        m.setCursor(1);  // back: the pending request is gone
        QCOMPARE(m.requestedCursor(), 1);
    }

    // The ideal timeline is scaled by the measured forward of a stage.
    void idealScaleFollowsMeasuredForwards() {
        const RunOptions o = options(ScheduleKind::GPipe, 1);
        const Collect c = simulateAll(o);  // 1 unit = 1000 us
        std::vector<SlotEvent> slow = c.slots;
        for (SlotEvent& e : slow) {
            e.startUs *= 3;
            e.endUs *= 3;
        }
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Live);
        QCOMPARE(m.idealMsPerUnit(), 1.0);
        m.appendSlots(slow);
        QCOMPARE(m.idealMsPerUnit(), 3.0);
        QCOMPARE(m.idealBoxes().endTime(), m.ideal().timeline.makespan * 3.0);
        m.setCursor(m.slotCount());
        QCOMPARE(m.cursorX(TimeBase::Measured), m.measuredBoxes().endTime());
        QCOMPARE(m.cursorX(TimeBase::Slots), static_cast<double>(m.slotCount()));
    }

    // A run cut short stops the cursor where its events stop.
    void cutShortRunLimitsTheCursor() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 2);
        const Collect c = simulateAll(o);
        RunResult file = prepared(o);
        file.slots.assign(c.slots.begin(),
                          c.slots.begin() + static_cast<std::ptrdiff_t>(c.slots.size() / 2));
        file.measured = true;
        RunModel m;
        m.load(std::move(file), RunModel::Source::File, false);
        QVERIFY(m.frontier() < m.slotCount());
        QCOMPARE(m.cursor(), m.frontier());
        m.setCursor(m.slotCount());
        QCOMPARE(m.cursor(), m.frontier());
    }

    void playingAdvancesAndStopsAtTheEnd() {
        const RunOptions o = options(ScheduleKind::GPipe, 1);
        const Collect c = simulateAll(o);
        RunModel m;
        m.reset(prepared(o), RunModel::Source::Simulated);
        m.appendSlots(c.slots);
        m.finish({});
        m.setCursor(0);
        m.setPace(1000.0);
        m.setPlaying(true);
        QTRY_COMPARE_WITH_TIMEOUT(m.cursor(), m.slotCount(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!m.playing(), 2000);
    }

    // Walking without a window: steps beyond what has run ask the paused
    // engine for exactly that slot or batch; steps back only move the cursor.
    void walkerDrivesTheEngineByTheCursor() {
        const RunOptions o = options(ScheduleKind::OneFOneB, 2);
        EngineController engine;
        engine.setPreferSimulated(true);
        RunModel model;
        QObject::connect(&engine, &EngineController::slotsArrived, &model, &RunModel::appendSlots);
        QObject::connect(&engine, &EngineController::finished, &model, [&](const RunSummary& s) {
            if (!s.cancelled) model.finish(s);
        });
        int restarts = 0;
        RunWalker walker(model, engine, [&] {
            ++restarts;
            QVERIFY(engine.start(o, nullptr, /*paused=*/true));
            model.reset(prepared(o), RunModel::Source::Simulated);
        });
        model.reset(prepared(o), RunModel::Source::Schedule);  // the controls' schedule
        walker.stepForward();
        QCOMPARE(restarts, 1);
        QTRY_COMPARE_WITH_TIMEOUT(model.cursor(), 1, 5000);
        walker.stepForward();
        walker.stepForward();
        QTRY_COMPARE_WITH_TIMEOUT(model.cursor(), 3, 5000);
        QCOMPARE(model.frontier(), 3);  // the engine ran exactly three slots
        walker.stepBack();
        QCOMPARE(model.cursor(), 2);
        QCOMPARE(model.frontier(), 3);  // back moves the cursor, not the engine
        walker.batchForward();
        QTRY_COMPARE_WITH_TIMEOUT(model.cursor(), model.grid().batchEnd[0], 5000);
        walker.batchBack();
        QCOMPARE(model.cursor(), 0);
        model.setPace(1000.0);
        walker.playPause(true);
        QVERIFY(model.playing());
        QTRY_COMPARE_WITH_TIMEOUT(model.cursor(), model.slotCount(), 10000);
        QCOMPARE(restarts, 1);
    }
};

QTEST_MAIN(TestRunModel)
#include "tst_runmodel.moc"
