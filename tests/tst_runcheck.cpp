// Runs read from files are checked before they are shown: times in range,
// no overlap on a stage, dependencies kept, and a file's size in proportion
// to the run it names (identifySchedule stays cheap on a tiny forged file).
#include <QtTest>
#include <algorithm>
#include <limits>

#include "engine/formats/trace.h"
#include "engine/schedule/measured.h"
#include "engine/schedule/runcheck.h"
#include "error_test_util.h"

using namespace pd;

namespace {

std::vector<SlotEvent> runOf(ScheduleKind kind, int S, int M, int B) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = B;
    c.chunks = chunksFor(kind, 2);
    return toSlotEvents(simulate(generateSchedule(c), OpCosts{}));
}

SlotEvent makeSlot(int batch, int stage, int microbatch, Op op, int chunk = 0) {
    SlotEvent e;
    e.batch = batch;
    e.stage = stage;
    e.microbatch = microbatch;
    e.op = op;
    e.chunk = chunk;
    e.startUs = 0;
    e.endUs = 1;
    return e;
}

// The index of the first event of `stage` (in start order) with `op`.
std::size_t firstOn(const std::vector<SlotEvent>& slots, int stage, Op op) {
    std::size_t best = slots.size();
    for (std::size_t i = 0; i < slots.size(); ++i)
        if (slots[i].stage == stage && slots[i].op == op &&
            (best == slots.size() || slots[i].startUs < slots[best].startUs))
            best = i;
    return best;
}

QString refused(const std::vector<SlotEvent>& slots) {
    const auto error = errorOf([&] { identifySchedule(slots); });
    return error ? QString::fromStdString(*error) : QStringLiteral("<accepted>");
}

}  // namespace

class TestRunCheck : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // "189,63,4095,F,0,0,0,1" names 64 x 4096 x 190 microbatch-stages: a
    // tiny file must not make the loader generate such schedules.
    void tinyFileNamingAHugeRunIsRefused_data() {
        QTest::addColumn<int>("op");
        QTest::newRow("F") << int(Op::F);
        QTest::newRow("B") << int(Op::B);
        QTest::newRow("W") << int(Op::W);
    }
    void tinyFileNamingAHugeRunIsRefused() {
        QFETCH(int, op);
        const QString error = refused({makeSlot(189, 63, 4095, static_cast<Op>(op))});
        QVERIFY2(error.contains(
                     "190 batches of 4096 microbatches, which needs at least 774145 forwards on "
                     "stage 0, but the file has 0"),
                 qPrintable(error));
    }

    // Enough forwards on stage 0 to pass the proportion rule, but sixteen
    // chunks on 64 stages: each candidate would be millions of actions.
    void candidatesBeyondTheBudgetAreNotGenerated() {
        std::vector<SlotEvent> slots;
        for (int m = 0; m < 4096; ++m) {
            SlotEvent e = makeSlot(0, 0, m, Op::F);
            e.startUs = m;
            e.endUs = m + 1;
            slots.push_back(e);
        }
        SlotEvent far = makeSlot(0, 63, 0, Op::F, 15);
        far.startUs = far.endUs = 5000;
        slots.push_back(far);
        ScheduleConfig named;
        named.stages = 64;
        named.microbatches = 4096;
        named.batches = 1;
        named.chunks = 16;
        QVERIFY(actionBound(named) > identifyBudget(slots.size()));
        const QString error = refused(slots);
        QVERIFY2(error.contains("out of proportion to the events in the file"), qPrintable(error));
    }

    void actionBoundCoversEveryKind() {
        for (ScheduleKind kind : allScheduleKinds()) {
            ScheduleConfig c;
            c.kind = kind;
            c.stages = 4;
            c.microbatches = 8;
            c.batches = 3;
            c.chunks = chunksFor(kind, 2);
            QVERIFY2(generateSchedule(c).actionCount() <= actionBound(c), toString(kind));
        }
    }

    void realRunsOfEveryKindPass() {
        for (ScheduleKind kind : allScheduleKinds()) {
            const auto slots = runOf(kind, 4, 8, 3);
            QVERIFY_THROWS_NO_EXCEPTION(checkRecordedSlots(slots));
            IdentifiedSchedule id;
            QVERIFY_THROWS_NO_EXCEPTION(id = identifySchedule(slots));
            QVERIFY2(id.complete, toString(kind));
        }
    }

    // Impossible runs are refused with the first violation.
    void overlapOnAStageIsRefused() {
        auto slots = runOf(ScheduleKind::OneFOneB, 4, 4, 1);
        const std::size_t b = firstOn(slots, 3, Op::B);
        slots[b].startUs -= 400;  // into the F before it on stage 3
        QVERIFY2(refused(slots).contains("one stage cannot run two actions at once"),
                 qPrintable(refused(slots)));
    }

    void negativeTimesAreRefused() {
        auto slots = runOf(ScheduleKind::GPipe, 2, 4, 1);
        for (SlotEvent& e : slots) {
            e.startUs -= 5000;
            e.endUs -= 5000;
        }
        QVERIFY2(refused(slots).contains("starts at a negative time (-5000 us)"),
                 qPrintable(refused(slots)));
    }

    void timesBeyondTheRangeAreRefused() {
        auto slots = runOf(ScheduleKind::GPipe, 2, 4, 1);
        auto last = std::max_element(
            slots.begin(), slots.end(),
            [](const SlotEvent& a, const SlotEvent& b) { return a.endUs < b.endUs; });
        last->endUs = std::numeric_limits<std::int64_t>::max();
        QVERIFY2(refused(slots).contains("beyond the latest time a run can record"),
                 qPrintable(refused(slots)));
    }

    void aDeletedStageIsRefused() {
        auto slots = runOf(ScheduleKind::OneFOneB, 4, 4, 2);
        slots.erase(std::remove_if(slots.begin(), slots.end(),
                                   [](const SlotEvent& e) { return e.stage == 1; }),
                    slots.end());
        const QString error = refused(slots);
        QVERIFY2(
            error.contains(
                "stage 2: F b0 mb0: the forward of the previous model part is not in the file"),
            qPrintable(error));
    }

    void aBrokenDependencyIsRefused() {
        auto slots = runOf(ScheduleKind::OneFOneB, 4, 4, 1);
        const std::size_t f = firstOn(slots, 1, Op::F);
        const std::int64_t previousEnd = slots[firstOn(slots, 0, Op::F)].endUs;
        slots[f].startUs = previousEnd / 2;  // the first action of stage 1: no overlap
        const QString error = refused(slots);
        QVERIFY2(error.contains("stage 1: F b0 mb0 starts at " + QString::number(previousEnd / 2) +
                                " us, before the forward of the previous model part ends at " +
                                QString::number(previousEnd) + " us"),
                 qPrintable(error));
    }

    // Cut short like a cancelled run: still accepted (dependencies of every
    // recorded action are recorded).
    void aCancelledRunStillPasses() {
        const auto all = runOf(ScheduleKind::PipeDream, 4, 4, 4);
        std::int64_t cut = 0;
        for (const SlotEvent& e : all)
            if (e.batch == 2 && e.op == Op::F && e.microbatch == 1 && e.stage == 0) cut = e.startUs;
        std::vector<SlotEvent> partial;
        for (const SlotEvent& e : all)
            if (e.startUs <= cut) partial.push_back(e);
        IdentifiedSchedule id;
        QVERIFY_THROWS_NO_EXCEPTION(id = identifySchedule(partial));
        QVERIFY(!id.complete);
    }
};

QTEST_GUILESS_MAIN(TestRunCheck)
#include "tst_runcheck.moc"
