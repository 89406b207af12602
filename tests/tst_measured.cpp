// Figures of measured runs: the same definitions as the ideal ones.
#include <QtTest>

#include "measured.h"
#include "trace.h"

using namespace pd;

class TestMeasured : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idealTimelineRoundTripsThroughSlots_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("stages");
        QTest::addColumn<int>("microbatches");
        for (ScheduleKind k : allScheduleKinds())
            for (int s : {1, 2, 4})
                for (int m : {4, 8}) {
                    if (k == ScheduleKind::Interleaved && m % s != 0) continue;
                    QTest::addRow("%s S%d M%d", toString(k), s, m) << static_cast<int>(k) << s << m;
                }
    }
    // Slots made from the simulated timeline analyse exactly like the timeline
    // itself, and the costs measured on them are the costs that were put in.
    void idealTimelineRoundTripsThroughSlots() {
        QFETCH(int, kind);
        QFETCH(int, stages);
        QFETCH(int, microbatches);
        ScheduleConfig c;
        c.kind = static_cast<ScheduleKind>(kind);
        c.stages = stages;
        c.microbatches = microbatches;
        c.batches = 2;
        c.chunks = c.kind == ScheduleKind::Interleaved ? 2 : 1;
        const Schedule sch = generateSchedule(c);
        OpCosts costs;
        costs.f = 3;
        costs.b = 5;
        costs.i = 2;
        costs.w = 4;
        costs.u = 1;
        const Timeline ideal = simulate(sch, costs);
        const std::vector<SlotEvent> slots = toSlotEvents(ideal, 1000.0);
        const Analysis a = analyze(sch, ideal);
        const MeasuredFigures m = measureRun(sch, slots, {});
        QCOMPARE(m.measured.makespan, a.makespan * 1000.0);
        QVERIFY(std::abs(m.measured.bubbleFraction - a.bubbleFraction) < 1e-9);
        for (int s = 0; s < stages; ++s)
            QVERIFY(std::abs(m.measured.stages[s].utilization - a.stages[s].utilization) < 1e-9);
        // Costs recovered from the durations (whole-stage units x 1000 us).
        QVERIFY(std::abs(m.costs.f - 3000.0) < 1e-6);
        if (c.kind == ScheduleKind::ZeroBubbleH1) {
            QVERIFY(std::abs(m.costs.i - 2000.0) < 1e-6);
            QVERIFY(std::abs(m.costs.w - 4000.0) < 1e-6);
        } else {
            QVERIFY(std::abs(m.costs.b - 5000.0) < 1e-6);
        }
        // And the ideal timeline re-simulated with them has the same bubble.
        QVERIFY(std::abs(m.ideal.bubbleFraction - a.bubbleFraction) < 1e-9);
    }

    void gapsCountAsIdle() {
        // Two stages; stage 1 idles 10 us between its two actions.
        std::vector<SlotEvent> slots(3);
        slots[0] = {0, 0, 0, Op::F, 0, 0, 0, 10, false};
        slots[1] = {0, 1, 0, Op::F, 0, 0, 10, 20, false};
        slots[2] = {0, 1, 1, Op::F, 0, 0, 30, 40, false};
        const Timeline t = timelineFromSlots(slots, 2);
        QCOMPARE(t.makespan, 40.0);
        QCOMPARE(t.stageBegin.size(), std::size_t(3));
        QCOMPARE(t.stageBegin[1], std::size_t(1));
        ScheduleConfig c;
        c.stages = 2;
        c.microbatches = 2;
        const Analysis a = analyze(generateSchedule(c), t);
        QCOMPARE(a.stages[0].busy, 10.0);
        QCOMPARE(a.stages[1].busy, 20.0);
        QVERIFY(std::abs(a.bubbleFraction - (1.0 - 30.0 / 80.0)) < 1e-12);
        // Slots on stages that do not exist are ignored, not a crash.
        slots.push_back({0, 7, 0, Op::F, 0, 0, 0, 1000, false});
        QCOMPARE(timelineFromSlots(slots, 2).makespan, 40.0);
    }

    void memoryPeaksPerStage() {
        ScheduleConfig c;
        c.stages = 2;
        const Schedule sch = generateSchedule(c);
        std::vector<MemoryEvent> mem = {
            {0, 0, 1, 1, 100, 0}, {0, 5, 3, 2, 300, 50}, {0, 9, 0, 1, 0, 0}, {1, 2, 1, 1, 70, 0},
            {5, 2, 9, 9, 999, 999},  // unknown stage: ignored
        };
        const MeasuredFigures m = measureRun(sch, toSlotEvents(simulate(sch)), mem);
        QCOMPARE(m.peakActivations, (std::vector<int>{3, 1}));
        QCOMPARE(m.peakVersions, (std::vector<int>{2, 1}));
        QCOMPARE(m.peakActivationBytes, (std::vector<std::int64_t>{300, 70}));
        QCOMPARE(m.peakStashBytes, (std::vector<std::int64_t>{50, 0}));
        QCOMPARE(m.peakBytes, (std::vector<std::int64_t>{350, 70}));
    }

    void noSlotsGivesDefaults() {
        const OpCosts c = meanOpCosts({}, 1);
        QCOMPARE(c.f, OpCosts{}.f);
        QCOMPARE(timelineFromSlots({}, 3).makespan, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestMeasured)
#include "tst_measured.moc"
