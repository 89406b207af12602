// Pausing and stepping ranks one cannot see into, without sockets: what the
// collector tells every rank ("pause", "resume", "frontier N") as ranks
// report where they hold, end, or are stepped, on the grid of a real
// schedule (1F1B, 3 stages, 4 microbatches, 2 batches).
#include <QtTest>

#include "engine/distributed/pausefrontier.h"

using namespace pd;

namespace {

SlotGrid gridOf(ScheduleKind kind, int stages, int microbatches, int batches) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = stages;
    c.microbatches = microbatches;
    c.batches = batches;
    return slotGrid(generateSchedule(c));
}

struct Ranks {
    std::vector<bool> ended;
    std::vector<std::size_t> ran;
    PauseFrontier::Ranks view() const {
        return {[this](int s) { return static_cast<bool>(ended[static_cast<std::size_t>(s)]); },
                ran};
    }
};

struct Sent {
    std::vector<std::string> lines;
    PauseFrontier::Send send() {
        return [this](const std::string& l) { lines.push_back(l); };
    }
    std::string last() const { return lines.empty() ? std::string() : lines.back(); }
};

}  // namespace

class TestPauseFrontier : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pausedBeforeTheStartStandsAtSlotZero() {
        PauseFrontier p;
        p.setRun(3, gridOf(ScheduleKind::OneFOneB, 3, 4, 2));
        Ranks r{{false, false, false}, {0, 0, 0}};
        Sent sent;
        p.pause(false, r.view(), sent.send());
        QCOMPARE(sent.lines, std::vector<std::string>{"frontier 0"});
        QVERIFY(p.known());
        // One step: the first slot, which only stage 0 runs.
        p.step(false, r.view(), sent.send());
        QCOMPARE(sent.last(), std::string("frontier 1"));
    }

    void aPauseAskedBeforeTheRanksAreKnownHolds() {
        // A window attaching to ranks pauses before any has said hello.
        PauseFrontier p;
        Ranks none{{}, {}};
        Sent sent;
        p.pause(false, none.view(), sent.send());
        p.setRun(2, gridOf(ScheduleKind::OneFOneB, 2, 4, 1));
        QVERIFY(p.paused() && p.known());
        QCOMPARE(p.frontierLine(), std::string("frontier 0"));
        Ranks r{{false, false}, {0, 0}};
        p.step(false, r.view(), sent.send());
        QCOMPARE(sent.last(), std::string("frontier 1"));
    }

    void whileRunningTheFrontierWaitsForEveryRankToHold() {
        const SlotGrid grid = gridOf(ScheduleKind::OneFOneB, 3, 4, 2);
        PauseFrontier p;
        p.setRun(3, grid);
        Ranks r{{false, false, false}, {5, 3, 2}};
        Sent sent;
        p.pause(true, r.view(), sent.send());
        QCOMPARE(sent.lines, std::vector<std::string>{"pause"});
        QVERIFY(p.paused() && !p.known());
        p.held(0, 6, r.view(), sent.send());
        p.held(2, 2, r.view(), sent.send());
        QCOMPARE(sent.lines.size(), std::size_t(1));  // stage 1 has not held yet
        p.held(1, 4, r.view(), sent.send());
        const int expected = grid.frontier({6, 4, 2});
        QVERIFY(expected > 0);
        QCOMPARE(sent.last(), "frontier " + std::to_string(expected));
        QCOMPARE(p.frontier(), expected);
    }

    void stepsAskedWhileWaitingApplyInOrderOnceKnown() {
        const SlotGrid grid = gridOf(ScheduleKind::OneFOneB, 3, 4, 2);
        PauseFrontier p;
        p.setRun(3, grid);
        Ranks r{{false, false, false}, {2, 1, 0}};
        Sent sent;
        p.pause(true, r.view(), sent.send());
        p.step(false, r.view(), sent.send());
        p.step(true, r.view(), sent.send());
        QCOMPARE(sent.lines.size(), std::size_t(1));  // only "pause" so far
        p.held(0, 2, r.view(), sent.send());
        p.held(1, 1, r.view(), sent.send());
        p.held(2, 0, r.view(), sent.send());
        const int held = grid.frontier({2, 1, 0});
        const int reached = grid.frontier(r.ran);
        const int afterSlot = grid.afterStepSlot(held, reached);
        const int afterBatch = grid.afterStepBatch(afterSlot, reached);
        QCOMPARE(sent.lines, (std::vector<std::string>{"pause", "frontier " + std::to_string(held),
                                                       "frontier " + std::to_string(afterSlot),
                                                       "frontier " + std::to_string(afterBatch)}));
        QVERIFY(afterBatch > afterSlot && afterSlot > held);
    }

    void anEndedRankCountsAsPastItsLastAction() {
        const SlotGrid grid = gridOf(ScheduleKind::OneFOneB, 2, 2, 1);
        PauseFrontier p;
        p.setRun(2, grid);
        Ranks r{{true, false}, {grid.gate[0].size(), 3}};
        Sent sent;
        p.pause(true, r.view(), sent.send());
        QCOMPARE(sent.lines.size(), std::size_t(1));
        // The other rank ends instead of holding: the frontier is the end.
        r.ended[1] = true;
        p.check(r.view(), sent.send());
        QCOMPARE(sent.last(), "frontier " + std::to_string(grid.slots));
    }

    void resumeForgetsStepsAndStraysAreIgnored() {
        PauseFrontier p;
        p.setRun(2, gridOf(ScheduleKind::GPipe, 2, 2, 1));
        Ranks r{{false, false}, {1, 0}};
        Sent sent;
        p.step(false, r.view(), sent.send());  // not paused: nothing
        p.held(0, 1, r.view(), sent.send());   // not waiting: nothing
        QVERIFY(sent.lines.empty());
        p.pause(true, r.view(), sent.send());
        p.step(false, r.view(), sent.send());
        p.held(7, 1, r.view(), sent.send());  // no such stage
        p.resume(sent.send());
        QCOMPARE(sent.lines, (std::vector<std::string>{"pause", "resume"}));
        QVERIFY(!p.paused());
        p.held(0, 1, r.view(), sent.send());
        p.held(1, 0, r.view(), sent.send());
        QCOMPARE(sent.lines.size(), std::size_t(2));  // the forgotten step stays forgotten
        p.pause(true, r.view(), sent.send());
        QCOMPARE(sent.last(), std::string("pause"));  // held again from scratch
    }
};

QTEST_GUILESS_MAIN(TestPauseFrontier)
#include "tst_pausefrontier.moc"
