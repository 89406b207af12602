// Run control driven from another thread: pause, step one slot, step one
// batch, resume, cancel (prompt, no thread left behind), and destruction of
// a running run.
#include <dirent.h>

#include <QtTest>
#include <atomic>
#include <thread>

#include "engine_test_util.h"

using namespace pd;
using pd::test::RecordingSink;
using namespace std::chrono_literals;

namespace {

int threadCount() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/task")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n;
}

// Polls until `pred` holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

// Runs `f` on another thread and waits for it.
template <typename F>
void fromOtherThread(F f) {
    std::thread t(f);
    t.join();
}

}  // namespace

class TestControl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pauseStepSlotStepBatchResume();
    void cancelIsPromptAndLeavesNoThread();
    void cancelWhilePaused();
    void destroyWhileRunning();
    void cancelBeforeStart();
};

void TestControl::pauseStepSlotStepBatchResume() {
    RunOptions o = test::smallOptions(ScheduleKind::GPipe, 2, 4);
    RecordingSink sink;
    TrainingRun run(o, sink);
    fromOtherThread([&] { run.pause(); });
    QVERIFY(run.paused());
    run.start();
    std::this_thread::sleep_for(100ms);
    QCOMPARE(sink.slotCount(), std::size_t{0});

    // One slot of the schedule's grid: at slot 0 only stage 0 runs (F0);
    // at slot 1 stage 0 runs F1 while stage 1 runs F0.
    fromOtherThread([&] { run.stepSlot(); });
    QVERIFY(eventually([&] { return sink.slotCount() == 1; }));
    std::this_thread::sleep_for(100ms);
    QCOMPARE(sink.slotCount(), std::size_t{1});
    fromOtherThread([&] { run.stepSlot(); });
    QVERIFY(eventually([&] { return sink.slotCount() == 3; }));
    std::this_thread::sleep_for(100ms);
    QCOMPARE(sink.slotCount(), std::size_t{3});
    for (const SlotEvent& e : sink.slotsCopy()) {
        QCOMPARE(e.op, Op::F);
        QVERIFY(e.stage + e.microbatch <= 1);
    }

    // Step one batch: exactly batch 0's actions run, then the run holds.
    fromOtherThread([&] { run.stepBatch(); });
    QVERIFY(eventually([&] { return sink.batchCount() == 1; }));
    std::this_thread::sleep_for(100ms);
    QCOMPARE(sink.batchCount(), 1);
    std::size_t batch0 = 0;
    for (const auto& stage : run.schedule().stages)
        for (const Action& a : stage) batch0 += a.batch == 0;
    QCOMPARE(sink.slotCount(), batch0);
    for (const SlotEvent& e : sink.slotsCopy()) QCOMPARE(e.batch, 0);
    QVERIFY(run.paused());
    QVERIFY(!run.finished());

    fromOtherThread([&] { run.resume(); });
    QVERIFY(!run.paused());
    QVERIFY(run.wait(30s));
    QCOMPARE(sink.batchCount(), o.schedule.batches);
    QVERIFY(!sink.summary.cancelled);
    QCOMPARE(sink.slotCount(), run.schedule().actionCount());
}

void TestControl::cancelIsPromptAndLeavesNoThread() {
    const int before = threadCount();
    RunOptions o = test::smallOptions(ScheduleKind::OneFOneB, 3, 6);
    o.schedule.batches = 100000;
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(eventually([&] { return sink.batchCount() >= 2; }));
    // The longest slot so far bounds "one slot's time".
    std::int64_t longest = 0;
    for (const SlotEvent& e : sink.slotsCopy()) longest = std::max(longest, e.endUs - e.startUs);
    std::chrono::steady_clock::duration took{};
    fromOtherThread([&] {
        const auto t = std::chrono::steady_clock::now();
        run.cancel();
        took = std::chrono::steady_clock::now() - t;
    });
    const auto tookUs = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    // Generous margin for a loaded CI machine: 50 ms over the longest slot.
    QVERIFY2(tookUs < longest + 50000,
             qPrintable(QString("cancel took %1 us, longest slot %2 us").arg(tookUs).arg(longest)));
    QVERIFY(run.finished());
    QCOMPARE(sink.finishedCount, 1);
    QVERIFY(sink.summary.cancelled);
    QVERIFY(sink.summary.batchesDone < o.schedule.batches);
    QVERIFY(sink.errors.empty());
    QVERIFY(
        eventually([&] { return threadCount() <= before + 2; }, 2s));  // torch's own pool may stay
    const std::size_t n = sink.slotCount();
    std::this_thread::sleep_for(50ms);
    QCOMPARE(sink.slotCount(), n);  // nothing runs after cancel returned
}

void TestControl::cancelWhilePaused() {
    RunOptions o = test::smallOptions(ScheduleKind::ZeroBubbleH1, 3, 4);
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    run.pause();
    const auto t = std::chrono::steady_clock::now();
    fromOtherThread([&] { run.cancel(); });
    QVERIFY(std::chrono::steady_clock::now() - t < 2s);
    QVERIFY(run.finished());
    QCOMPARE(sink.finishedCount, 1);
}

void TestControl::destroyWhileRunning() {
    RecordingSink sink;
    {
        RunOptions o = test::smallOptions(ScheduleKind::PipeDream, 3, 4);
        o.schedule.batches = 100000;
        TrainingRun run(o, sink);
        run.start();
        QVERIFY(eventually([&] { return sink.slotCount() > 10; }));
    }
    QCOMPARE(sink.finishedCount, 1);
    QVERIFY(sink.summary.cancelled);
}

void TestControl::cancelBeforeStart() {
    RecordingSink sink;
    TrainingRun run(test::smallOptions(ScheduleKind::Naive), sink);
    run.cancel();
    QVERIFY(run.finished());
    QVERIFY(run.wait(1s));
    run.start();  // no effect after cancel
    QCOMPARE(sink.slotCount(), std::size_t{0});
    QCOMPARE(sink.finishedCount, 1);
}

QTEST_GUILESS_MAIN(TestControl)
#include "tst_control.moc"
