// Run control driven from another thread: pause, step one slot, step one
// batch, resume, cancel (prompt, no thread left behind), and destruction of
// a running run.
#include <dirent.h>

#include <QtTest>
#include <atomic>
#include <thread>

#include "engine/schedule/slotgrid.h"
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

// Makespan and utilization of a run's slot events, in training time.
struct Figures {
    std::int64_t first = 0, makespanUs = 0, longestGapUs = 0;
    double utilization = 0.0;
};

Figures figuresOf(std::vector<SlotEvent> slots, int stages) {
    Figures f;
    if (slots.empty()) return f;
    std::sort(slots.begin(), slots.end(),
              [](const SlotEvent& a, const SlotEvent& b) { return a.startUs < b.startUs; });
    f.first = slots.front().startUs;
    std::int64_t reach = slots.front().endUs, busy = 0;
    for (const SlotEvent& e : slots) {
        f.longestGapUs = std::max(f.longestGapUs, e.startUs - reach);  // no stage busy
        reach = std::max(reach, e.endUs);
        busy += e.endUs - e.startUs;
    }
    f.makespanUs = reach - f.first;
    f.utilization =
        double(busy) / (double(stages) * double(std::max<std::int64_t>(1, f.makespanUs)));
    return f;
}

// A steady clock that a test moves forward: a jump stands for a pause of
// that length, taken at once.
struct JumpingClock {
    std::shared_ptr<std::atomic<std::int64_t>> offsetUs =
        std::make_shared<std::atomic<std::int64_t>>(0);
    void jump(std::chrono::seconds s) {
        *offsetUs += std::chrono::duration_cast<std::chrono::microseconds>(s).count();
    }
    std::function<std::chrono::steady_clock::time_point()> function() const {
        auto offset = offsetUs;
        return [offset] {
            return std::chrono::steady_clock::now() + std::chrono::microseconds(offset->load());
        };
    }
};

}  // namespace

class TestControl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pauseStepSlotStepBatchResume();
    void cancelIsPromptAndLeavesNoThread();
    void cancelWhilePaused();
    void destroyWhileRunning();
    void cancelBeforeStart();
    void longPausesAreNotTrainingTime_data();
    void longPausesAreNotTrainingTime();
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

// A person pauses for seconds: paused time is not training time wherever a
// stage spends it (held at its gate, waiting for a message whose sender is
// held, before its first action). Started paused, stepped slot by slot with
// a 20 s pause after each step, paused 20 s more, then resumed; and a free
// run paused 20 s in the middle: both measure what a free run measures.
void TestControl::longPausesAreNotTrainingTime_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("stages");
    QTest::newRow("1f1b S=4") << int(ScheduleKind::OneFOneB) << 4;
    QTest::newRow("gpipe S=3") << int(ScheduleKind::GPipe) << 3;
    QTest::newRow("pipedream S=4") << int(ScheduleKind::PipeDream) << 4;
    QTest::newRow("interleaved S=2") << int(ScheduleKind::Interleaved) << 2;
    QTest::newRow("zb-v S=2") << int(ScheduleKind::ZeroBubbleV) << 2;
}

void TestControl::longPausesAreNotTrainingTime() {
    QFETCH(int, kind);
    QFETCH(int, stages);
    RunOptions o = test::smallOptions(static_cast<ScheduleKind>(kind), stages, 4);
    o.hidden = 96;  // actions of a fraction of a millisecond, not microseconds
    o.batchSize = 64;

    RecordingSink freeSink;
    {
        TrainingRun run(o, freeSink);
        run.start();
        QVERIFY(run.wait(60s));
    }
    const Figures free = figuresOf(freeSink.slotsCopy(), stages);

    // Stepped, the way a person walks it.
    RecordingSink stepSink;
    JumpingClock clock;
    std::size_t actions = 0;
    {
        TrainingRun run(o, stepSink);
        run.setClock(clock.function());
        const SlotGrid grid = slotGrid(run.schedule());
        actions = run.schedule().actionCount();
        run.pause();
        run.start();
        // The clock jumps only once every stage is held (at its gate, or
        // waiting for a message whose sender is held): a person's pause
        // outlasts the microseconds a stage takes to get there, and a jump
        // inside an action or between an action and the next gate would
        // model an action that took 20 s, not a pause.
        const auto settle = [&] {
            std::size_t seen = stepSink.slotCount();
            for (int still = 0; still < 20; still = stepSink.slotCount() == seen ? still + 1 : 0) {
                seen = stepSink.slotCount();
                std::this_thread::sleep_for(10ms);
            }
        };
        settle();
        clock.jump(20s);  // reading the window before the first step
        for (int k = 1; k <= 8; ++k) {
            run.stepSlot();
            std::size_t expected = 0;
            for (const auto& lane : grid.gate)
                for (int g : lane) expected += g < k ? 1 : 0;
            QVERIFY2(eventually([&] { return stepSink.slotCount() >= expected; }),
                     qPrintable(QString("step %1: %2 of %3 actions")
                                    .arg(k)
                                    .arg(stepSink.slotCount())
                                    .arg(expected)));
            settle();
            clock.jump(20s);
        }
        clock.jump(20s);
        run.resume();
        QVERIFY(run.wait(60s));
    }
    QCOMPARE(stepSink.slotCount(), actions);
    const Figures stepped = figuresOf(stepSink.slotsCopy(), stages);

    // Free, paused for 20 s in the middle. The pause is asked for from the
    // sink when a third of the actions have been reported, so it lands
    // mid-run however fast or slow the machine is (polling from here missed
    // the whole run on a fast one).
    struct PausingSink : RecordingSink {
        std::size_t at = 0;
        TrainingRun* run = nullptr;
        std::atomic<bool> asked{false};
        void onSlot(const SlotEvent& e) override {
            RecordingSink::onSlot(e);
            if (slotCount() >= at && !asked.exchange(true)) run->pause();
        }
    } midSink;
    {
        TrainingRun run(o, midSink);
        midSink.at = actions / 3;
        midSink.run = &run;
        run.setClock(clock.function());
        run.start();
        QVERIFY(eventually([&] { return run.paused() && midSink.slotCount() >= actions / 3; }));
        // A pause stops the stages at their next gates; actions already
        // running end first (a jump inside one would lengthen it).
        std::size_t seen = 0;
        for (int still = 0; still < 30; still = midSink.slotCount() == seen ? still + 1 : 0) {
            seen = midSink.slotCount();
            std::this_thread::sleep_for(10ms);
        }
        QVERIFY(midSink.slotCount() < actions);
        clock.jump(20s);
        run.resume();
        QVERIFY(run.wait(60s));
    }
    QCOMPARE(midSink.slotCount(), actions);
    const Figures mid = figuresOf(midSink.slotsCopy(), stages);

    const auto say = [&](const char* what, const Figures& f) {
        return QString(
                   "%1: first %2 us, makespan %3 us, longest idle %4 us, utilization %5 "
                   "(free: makespan %6 us, utilization %7)")
            .arg(what)
            .arg(f.first)
            .arg(f.makespanUs)
            .arg(f.longestGapUs)
            .arg(f.utilization, 0, 'f', 3)
            .arg(free.makespanUs)
            .arg(free.utilization, 0, 'f', 3);
    };
    for (const auto& [what, f] : {std::pair<const char*, Figures>{"stepped", stepped},
                                  std::pair<const char*, Figures>{"paused mid-run", mid}}) {
        // A pause counted anywhere would add 20 s; noise on a loaded
        // machine is a factor, not seconds.
        QVERIFY2(f.first < 1000000, qPrintable(say(what, f)));
        QVERIFY2(f.longestGapUs < 1000000, qPrintable(say(what, f)));
        QVERIFY2(f.makespanUs < 3 * free.makespanUs + 200000, qPrintable(say(what, f)));
        QVERIFY2(f.makespanUs * 3 + 200000 > free.makespanUs, qPrintable(say(what, f)));
        // A counted pause takes utilization below a thousandth of the free
        // run's for runs of milliseconds; a loaded machine (ctest -j, other
        // builds) moves a run this short by a few times.
        QVERIFY2(f.utilization > free.utilization / 20, qPrintable(say(what, f)));
    }
}

QTEST_GUILESS_MAIN(TestControl)
#include "tst_control.moc"
