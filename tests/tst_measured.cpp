// Figures of measured runs: the same definitions as the ideal ones.
#include <QtTest>
#include <algorithm>
#include <random>

#include "engine/formats/trace.h"
#include "engine/schedule/measured.h"
#include "error_test_util.h"

using namespace pd;

namespace {

// The kind's chunk count and the microbatch counts it accepts.
bool validConfig(pd::ScheduleKind kind, int stages, int microbatches) {
    pd::ScheduleConfig c;
    c.kind = kind;
    c.stages = stages;
    c.microbatches = microbatches;
    c.chunks = pd::chunksFor(kind, 2);
    try {
        pd::checkConfig(c);
        return true;
    } catch (const pd::ConfigError&) {
        return false;
    }
}

}  // namespace

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
                    if (!validConfig(k, s, m)) continue;
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
        c.chunks = chunksFor(c.kind, 2);
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
        if (usesSplitBackward(c.kind)) {
            QVERIFY(std::abs(m.costs.i - 2000.0) < 1e-6);
            QVERIFY(std::abs(m.costs.w - 4000.0) < 1e-6);
        }
        if (!usesSplitBackward(c.kind) || c.kind == ScheduleKind::DualPipeV)
            QVERIFY(std::abs(m.costs.b - 5000.0) < 1e-6);
        // And the ideal timeline re-simulated with them has the same bubble.
        QVERIFY(std::abs(m.ideal.bubbleFraction - a.bubbleFraction) < 1e-9);
    }

    void gapsCountAsIdle() {
        // Two stages; stage 1 idles 10 us between its two actions.
        std::vector<SlotEvent> slots(3);
        slots[0] = {0, 0, 0, Op::F, false, 0, 0, 0, 10};
        slots[1] = {0, 1, 0, Op::F, false, 0, 0, 10, 20};
        slots[2] = {0, 1, 1, Op::F, false, 0, 0, 30, 40};
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
        slots.push_back({0, 7, 0, Op::F, false, 0, 0, 0, 1000});
        QCOMPARE(timelineFromSlots(slots, 2).makespan, 40.0);
    }

    void memoryPeaksPerStage() {
        ScheduleConfig c;
        c.stages = 2;
        const Schedule sch = generateSchedule(c);
        std::vector<MemoryEvent> mem = {
            {0, 0, 1, 1, 100, 0}, {0, 5, 3, 2, 300, 50},  {0, 9, 0, 1, 0, 0},
            {1, 2, 1, 1, 70, 0},  {5, 2, 9, 9, 999, 999},  // unknown stage: ignored
        };
        const MeasuredFigures m = measureRun(sch, toSlotEvents(simulate(sch)), mem);
        QCOMPARE(m.peakActivations, (std::vector<int>{3, 1}));
        QCOMPARE(m.peakVersions, (std::vector<int>{2, 1}));
        QCOMPARE(m.peakActivationBytes, (std::vector<std::int64_t>{300, 70}));
        QCOMPARE(m.peakStashBytes, (std::vector<std::int64_t>{50, 0}));
        QCOMPARE(m.peakBytes, (std::vector<std::int64_t>{350, 70}));
    }

    // A saved run names its schedule: every kind and PipeDream variant is
    // recognised from its events alone (shuffled, as a file need not be in
    // order), in full and cut short like a cancelled run.
    void identifiesTheSchedule_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("stages");
        QTest::addColumn<int>("microbatches");
        QTest::addColumn<bool>("vsync");
        QTest::addColumn<bool>("stash");
        for (ScheduleKind k : allScheduleKinds())
            for (int s : {2, 4})
                for (int m : {4, 8}) {
                    if (!validConfig(k, s, m)) continue;
                    QTest::addRow("%s S%d M%d", toString(k), s, m)
                        << static_cast<int>(k) << s << m << false << true;
                    if (k == ScheduleKind::PipeDream) {
                        QTest::addRow("pipedream vsync S%d M%d", s, m)
                            << static_cast<int>(k) << s << m << true << true;
                        QTest::addRow("pipedream no-stash S%d M%d", s, m)
                            << static_cast<int>(k) << s << m << false << false;
                    }
                }
    }
    void identifiesTheSchedule() {
        QFETCH(int, kind);
        QFETCH(int, stages);
        QFETCH(int, microbatches);
        QFETCH(bool, vsync);
        QFETCH(bool, stash);
        ScheduleConfig c;
        c.kind = static_cast<ScheduleKind>(kind);
        c.stages = stages;
        c.microbatches = microbatches;
        c.batches = 3;
        c.chunks = chunksFor(c.kind, 2);
        c.verticalSync = vsync;
        c.stash = stash;
        const Schedule sch = generateSchedule(c);
        std::vector<SlotEvent> slots = toSlotEvents(simulate(sch, OpCosts{}));
        std::mt19937 rng(7);
        std::shuffle(slots.begin(), slots.end(), rng);

        IdentifiedSchedule id;
        QVERIFY_THROWS_NO_EXCEPTION(id = identifySchedule(slots));
        QCOMPARE(id.config.kind, c.kind);
        QCOMPARE(id.config.stages, stages);
        QCOMPARE(id.config.microbatches, microbatches);
        QCOMPARE(id.config.batches, 3);
        QCOMPARE(id.config.chunks, c.chunks);
        QCOMPARE(id.config.stash, stash);
        if (c.kind == ScheduleKind::PipeDream && stash) QCOMPARE(id.config.verticalSync, vsync);
        QVERIFY(id.complete);
        QCOMPARE(id.expected, sch.actionCount());

        // Cancelled in batch 2: only what had started by then is recorded.
        std::int64_t cut = 0;
        for (const SlotEvent& e : slots)
            if (e.batch == 1 && e.op == Op::F && e.microbatch == 0 && e.stage == 0) cut = e.startUs;
        std::vector<SlotEvent> partial;
        for (const SlotEvent& e : slots)
            if (e.startUs <= cut) partial.push_back(e);
        QVERIFY(partial.size() < slots.size());
        QVERIFY_THROWS_NO_EXCEPTION(id = identifySchedule(partial));
        QCOMPARE(id.config.kind, c.kind);
        QVERIFY(!id.complete);
        QCOMPARE(id.recorded, partial.size());
    }

    void unknownEventsAreRejected() {
        ScheduleConfig c;
        c.kind = ScheduleKind::GPipe;
        const Schedule sch = generateSchedule(c);
        std::vector<SlotEvent> slots = toSlotEvents(simulate(sch, OpCosts{}));
        const auto refusal = [](const std::vector<SlotEvent>& events) {
            return errorOf([&] { identifySchedule(events); });
        };
        auto error = refusal({});
        QCOMPARE(QString::fromStdString(error.value_or("<accepted>")),
                 QStringLiteral("no slot events"));

        // Two forwards of one stage swapped in time: no kind runs them so.
        std::vector<SlotEvent> swapped = slots;
        std::vector<std::size_t> forwards;
        for (std::size_t i = 0; i < swapped.size(); ++i)
            if (swapped[i].stage == 1 && swapped[i].op == Op::F) forwards.push_back(i);
        QVERIFY(forwards.size() >= 2);
        std::swap(swapped[forwards[0]].startUs, swapped[forwards[1]].startUs);
        std::swap(swapped[forwards[0]].endUs, swapped[forwards[1]].endUs);
        error = refusal(swapped);
        QVERIFY(error);
        QVERIFY2(QString::fromStdString(*error).startsWith(
                     "the events match no schedule kind with 4 stages, 4 "
                     "microbatches and 1 batches"),
                 error->c_str());

        // A wrong version.
        std::vector<SlotEvent> wrong = slots;
        wrong.back().version += 1;
        QVERIFY(refusal(wrong));

        // Out-of-range indices.
        std::vector<SlotEvent> huge = slots;
        huge[0].stage = 1000;
        error = refusal(huge);
        QVERIFY(error);
        QVERIFY2(QString::fromStdString(*error).contains("1001 stages"), error->c_str());
        std::vector<SlotEvent> bad = slots;
        bad[0].microbatch = -1;  // only an update has no microbatch
        QVERIFY(refusal(bad));
    }

    void noSlotsGivesDefaults() {
        const OpCosts c = meanOpCosts({}, 1);
        QCOMPARE(c.f, OpCosts{}.f);
        QCOMPARE(timelineFromSlots({}, 3).makespan, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestMeasured)
#include "tst_measured.moc"
