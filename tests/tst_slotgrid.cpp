// The schedule's slot grid (the steps a run is walked by), the stage clock
// that leaves paused time out, and the state of a stage after a prefix of
// its actions.
#include <QtTest>

#include "engine/schedule/slotgrid.h"
#include "engine/schedule/stageclock.h"
#include "engine/schedule/stagestate.h"

using namespace pd;

namespace {

Schedule schedule(ScheduleKind kind, int S, int M, int B = 1) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = B;
    c.chunks = chunksFor(kind, 2);
    return generateSchedule(c);
}

struct Step {
    Op op;
    int microbatch;
    int version;
    int batch = 0;
    int chunk = 0;
};

}  // namespace

class TestSlotGrid : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void makespanInSlots_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("S");
        QTest::addColumn<int>("M");
        QTest::addColumn<int>("slots");
        // tF = 1 slot, tB = 2: fill-drain kinds take 3 (M + S - 1) slots.
        QTest::addRow("gpipe 4x4") << int(ScheduleKind::GPipe) << 4 << 4 << 21;
        QTest::addRow("1f1b 4x4") << int(ScheduleKind::OneFOneB) << 4 << 4 << 21;
        QTest::addRow("1f1b 2x8") << int(ScheduleKind::OneFOneB) << 2 << 8 << 27;
        QTest::addRow("naive 4x2") << int(ScheduleKind::Naive) << 4 << 2 << 24;
        // zb-h1: 3M + S - 1 (I and W take one slot each).
        QTest::addRow("zb-h1 4x8") << int(ScheduleKind::ZeroBubbleH1) << 4 << 8 << 27;
    }
    void makespanInSlots() {
        QFETCH(int, kind);
        QFETCH(int, S);
        QFETCH(int, M);
        QFETCH(int, slots);
        const SlotGrid g = slotGrid(schedule(static_cast<ScheduleKind>(kind), S, M));
        QCOMPARE(g.slots, slots);
        QCOMPARE(g.batchEnd.size(), std::size_t(1));
        QCOMPARE(g.batchEnd[0], slots);
        for (const auto& lane : g.gate)
            for (std::size_t k = 1; k < lane.size(); ++k) QVERIFY(lane[k - 1] <= lane[k]);
    }

    // GPipe: forward m reaches stage s at slot s + m; the update that ends
    // the batch belongs to the slot of the backward before it.
    void gatesOfGpipe() {
        const Schedule sch = schedule(ScheduleKind::GPipe, 3, 2);
        const SlotGrid g = slotGrid(sch);
        for (int s = 0; s < 3; ++s) {
            const auto& actions = sch.stages[static_cast<std::size_t>(s)];
            for (std::size_t k = 0; k < actions.size(); ++k) {
                const Action& a = actions[k];
                if (a.op == Op::F) QCOMPARE(g.gate[s][k], s + a.microbatch);
                if (a.op == Op::U) {
                    QCOMPARE(g.start[s][k], g.end[s][k]);
                    QCOMPARE(g.gate[s][k], g.gate[s][k - 1] + 1);  // B takes 2 slots
                }
            }
        }
        QCOMPARE(g.frontier({0, 0, 0}), 0);
        QCOMPARE(g.frontier({1, 0, 0}), 1);  // stage 1's F0 is next, at slot 1
        QCOMPARE(g.frontier({2, 1, 0}), 2);
        QCOMPARE(g.frontier({sch.stages[0].size(), sch.stages[1].size(), sch.stages[2].size()}),
                 g.slots);
        QCOMPARE(g.afterStepSlot(0, 0), 1);
        QCOMPARE(g.afterStepSlot(3, 2), 4);  // a second step before the first ran
        QCOMPARE(g.afterStepSlot(g.slots, g.slots), g.slots);
        QCOMPARE(g.afterStepBatch(0, 0), g.slots);
    }

    void batchBoundaries() {
        const SlotGrid g = slotGrid(schedule(ScheduleKind::OneFOneB, 2, 2, 3));
        QCOMPARE(g.batchEnd.size(), std::size_t(3));
        QVERIFY(g.batchEnd[0] < g.batchEnd[1] && g.batchEnd[1] < g.batchEnd[2]);
        QCOMPARE(g.nextBatchEnd(0), g.batchEnd[0]);
        QCOMPARE(g.nextBatchEnd(g.batchEnd[0]), g.batchEnd[1]);
        QCOMPARE(g.previousBatchEnd(g.batchEnd[1]), g.batchEnd[0]);
        QCOMPARE(g.previousBatchEnd(g.batchEnd[0]), 0);
    }

    // Where an evaluation's messages cannot overtake the training's (NCCL
    // keeps a pair's messages in order): flushing kinds cut cleanly at each
    // batch; pipedream and 2bw have the next batch's forwards in flight
    // before this one's backwards are done, so only the last batch's end is
    // clean.
    void cleanBatchEnds() {
        for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB,
                                  ScheduleKind::Interleaved, ScheduleKind::ZeroBubbleV}) {
            const Schedule s = schedule(kind, 4, 4, 3);
            QCOMPARE(pd::cleanBatchEnds(s, slotGrid(s)), std::vector<bool>(3, true));
        }
        for (ScheduleKind kind : {ScheduleKind::PipeDream, ScheduleKind::TwoBW}) {
            const Schedule s = schedule(kind, 4, 4, 3);
            QCOMPARE(pd::cleanBatchEnds(s, slotGrid(s)), (std::vector<bool>{false, false, true}));
        }
    }

    // A stage's training time leaves out what a pause cost it: its own
    // time at the gate, and the part of a wait for a message its sender spent
    // held; real waits for a slow sender stay.
    void stageClockLeavesOutPauses() {
        StageClock free;
        free.received(100, 400, {380, 0});  // waited 300 us for a sender that worked
        QCOMPARE(free.lagUs(), 0);
        QCOMPARE(free.training(500), 500);

        StageClock sender, receiver;
        sender.heldAtGate(10000);  // both held 10 ms by a pause
        receiver.heldAtGate(10000);
        // The sender works 3 ms (real 10000..13000); the receiver waits for it.
        const MessageStamp m = sender.stamp(13000);
        receiver.received(10000, 13010, m);
        QCOMPARE(receiver.training(13010), 3010);  // the 3 ms of work, not the pause
        QCOMPARE(sender.training(13000), 3000);

        // Held at its gate while its input waited in the mailbox: it starts,
        // in training time, when it was ready again, after the input arrived.
        StageClock late;
        late.heldAtGate(50000);
        late.received(60000, 60001, {2000, 0});
        QCOMPARE(late.training(60001), 10001);  // then takes it: 1 us of its own work

        // The same after a person's 20 s pause, on a loaded machine (or over
        // a socket) where taking the waiting message takes 300 us: still no
        // wait for the sender, and none of the pause.
        StageClock slow;
        slow.heldAtGate(20000000);
        slow.received(20001000, 20001300, {2000, 0});
        QCOMPARE(slow.training(20001300), 2300);

        // Asked just after the sender's end; the message was in flight for
        // 400 us more (a copy over a socket): real time, counted.
        StageClock inFlight;
        inFlight.received(5000, 5400, {4990, 0});
        QCOMPARE(inFlight.training(5400), 5400);

        // Not held, but waiting for a sender that was: only the sender's
        // work counts.
        StageClock eager;
        StageClock held;
        held.heldAtGate(20000);
        eager.received(0, 23000, held.stamp(23000));
        QCOMPARE(eager.training(23000), 3000);
    }

    // PipeDream at stage 0: F0 and F1 read v0, B0 then the update to v1;
    // F1's backward is still to come, so v0 stays stashed.
    void snapshotOfAStagePrefix() {
        const std::vector<Step> steps = {{Op::F, 0, 0},  {Op::F, 1, 0}, {Op::B, 0, 0},
                                         {Op::U, -1, 1}, {Op::F, 2, 1}, {Op::B, 1, 0}};
        auto at = [&](std::size_t n) { return stageSnapshot(steps.begin(), steps.begin() + n); };
        QCOMPARE(at(0).activations, 0);
        QCOMPARE(at(2).activations, 2);
        QCOMPARE(at(2).newest, 0);
        QVERIFY(at(2).stashed.empty());
        QCOMPARE(at(4).newest, 1);
        QCOMPARE(at(4).stashed, std::vector<int>{0});
        QCOMPARE(at(4).activations, 1);
        QCOMPARE(at(6).stashed, std::vector<int>{});  // F2 read v1, the newest
        QCOMPARE(at(6).activations, 1);
        // Split backward: held until W, not I.
        const std::vector<Step> split = {{Op::F, 0, 0}, {Op::I, 0, 0}, {Op::W, 0, 0}};
        QCOMPARE(stageSnapshot(split.begin(), split.begin() + 2).activations, 1);
        QCOMPARE(stageSnapshot(split.begin(), split.end()).activations, 0);
    }
};

QTEST_MAIN(TestSlotGrid)
#include "tst_slotgrid.moc"
