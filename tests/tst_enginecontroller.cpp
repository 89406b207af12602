// EngineController: events of a run arrive batched, in order, on the GUI
// thread; pause / step / cancel work; a restart with new settings mid-run
// leaves no stale events. Runs the simulated schedule (always available)
// and, where the binary has the LibTorch engine, a small real run.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>
#include <map>
#include <mutex>
#include <thread>

#include "engine/config/report.h"
#include "engine/run/asyncrun.h"
#include "engine/run/comparison.h"
#include "engine/run/simulatedrun.h"
#include "engine/schedule/slotgrid.h"
#include "model_test_data.h"
#include "ui/model/enginecontroller.h"

using namespace pd;

namespace {

RunOptions small(ScheduleKind kind = ScheduleKind::OneFOneB, int stages = 4, int microbatches = 4,
                 int batches = 3) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = kind;
    o.schedule.stages = stages;
    o.schedule.microbatches = microbatches;
    o.schedule.batches = batches;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

std::size_t actionCount(const RunOptions& o) {
    return makeDryRun(o).timeline.actions.size();
}

// Actions of the schedule that belong to the first `slots` slots.
std::size_t actionsBefore(const RunOptions& o, int slots) {
    const DryRun d = makeDryRun(o);
    const SlotGrid g = slotGrid(d.schedule, d.timeline);
    std::size_t n = 0;
    for (const auto& lane : g.gate)
        for (int gate : lane) n += gate < slots ? 1 : 0;
    return n;
}

// Each stage's events in its execution order (start times ascend).
bool inStageOrder(const std::vector<SlotEvent>& slots) {
    std::map<int, std::int64_t> last;
    for (const SlotEvent& e : slots) {
        auto it = last.find(e.stage);
        if (it != last.end() && e.startUs < it->second) return false;
        last[e.stage] = e.startUs;
    }
    return true;
}

// Collects what the controller emits and checks where it is emitted.
struct Recorder : QObject {
    std::vector<SlotEvent> slots;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
    std::vector<EvaluationEvent> evaluations;
    int memory = 0;
    int finishedCount = 0;
    RunSummary summary;
    bool offThread = false;
    bool afterFinish = false;
    quint64 drains = 0;

    explicit Recorder(EngineController& c) {
        auto check = [this] {
            if (QThread::currentThread() != qApp->thread()) offThread = true;
            if (finishedCount > 0) afterFinish = true;
        };
        connect(&c, &EngineController::slotsArrived, this, [=](const std::vector<SlotEvent>& v) {
            check();
            ++drains;
            slots.insert(slots.end(), v.begin(), v.end());
        });
        connect(&c, &EngineController::batchesArrived, this, [=](const std::vector<BatchEvent>& v) {
            check();
            batches.insert(batches.end(), v.begin(), v.end());
        });
        connect(&c, &EngineController::versionsArrived, this,
                [=](const std::vector<VersionEvent>& v) {
                    check();
                    versions.insert(versions.end(), v.begin(), v.end());
                });
        connect(&c, &EngineController::evaluationsArrived, this,
                [=](const std::vector<EvaluationEvent>& v) {
                    check();
                    evaluations.insert(evaluations.end(), v.begin(), v.end());
                });
        connect(&c, &EngineController::memoryArrived, this, [=](const std::vector<MemoryEvent>& v) {
            check();
            memory += static_cast<int>(v.size());
        });
        connect(&c, &EngineController::finished, this, [=](const RunSummary& s) {
            check();
            ++finishedCount;
            summary = s;
        });
    }
    void clear() {
        slots.clear();
        batches.clear();
        versions.clear();
        memory = 0;
        finishedCount = 0;
    }
};

}  // namespace

class TestEngineController : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void simulatedRunInOrderOnGuiThread() {
        EngineController c;
        c.setPreferSimulated(true);
        Recorder r(c);
        const RunOptions o = small();
        QString error;
        QVERIFY2(c.start(o, &error), qPrintable(error));
        QVERIFY(c.simulated());
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 10000);
        QVERIFY(!r.offThread);
        QVERIFY(!r.afterFinish);
        QVERIFY(!r.summary.cancelled);
        QCOMPARE(r.slots.size(), actionCount(o));
        QCOMPARE(static_cast<int>(r.batches.size()), o.schedule.batches);
        QVERIFY2(r.drains < r.slots.size(), "events must arrive batched, not one by one");
        QVERIFY(inStageOrder(r.slots));
        for (std::size_t i = 0; i < r.batches.size(); ++i)
            QCOMPARE(r.batches[i].batch, static_cast<int>(i));
        QVERIFY(r.memory > 0);
        // Flush schedule: one version per batch, v0 -> v1 -> ... at every stage.
        int last = -1;
        for (const VersionEvent& v : r.versions)
            if (v.stage == 0) {
                QVERIFY(v.version >= last);
                QVERIFY(v.stashed.empty());
                last = v.version;
            }
        QCOMPARE(last, o.schedule.batches);
        QVERIFY(!c.running());
    }

    void pipedreamStashesVersions() {
        EngineController c;
        c.setPreferSimulated(true);
        Recorder r(c);
        QVERIFY(c.start(small(ScheduleKind::PipeDream)));
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 10000);
        std::size_t mostStashed = 0;
        for (const VersionEvent& v : r.versions)
            if (v.stage == 0) mostStashed = std::max(mostStashed, v.stashed.size());
        QVERIFY2(mostStashed >= 1, "stage 0 of PipeDream keeps stashed versions");
    }

    // Started paused, a run waits at slot 0; each step runs exactly the
    // actions of the next slot of the schedule's grid, a batch step up to the
    // batch's end; resume runs the rest.
    void pausedStartStepsBySlots() {
        EngineController c;
        c.setPreferSimulated(true);
        Recorder r(c);
        const RunOptions o = small(ScheduleKind::GPipe, 4, 4, 3);
        QVERIFY(c.start(o, nullptr, /*paused=*/true));
        QVERIFY(c.paused());
        QTest::qWait(150);
        c.drain();
        QCOMPARE(r.slots.size(), std::size_t(0));
        for (int k = 1; k <= 5; ++k) {
            c.stepSlot();
            QTRY_COMPARE_WITH_TIMEOUT(r.slots.size(), actionsBefore(o, k), 5000);
            QTest::qWait(50);
            c.drain();
            QCOMPARE(r.slots.size(), actionsBefore(o, k));  // and no more
        }
        QCOMPARE(r.batches.size(), std::size_t(0));
        c.stepBatch();
        QTRY_COMPARE_WITH_TIMEOUT(r.batches.size(), std::size_t(1), 5000);
        const DryRun d = makeDryRun(o);
        const SlotGrid g = slotGrid(d.schedule, d.timeline);
        QTRY_COMPARE_WITH_TIMEOUT(r.slots.size(), actionsBefore(o, g.batchEnd[0]), 5000);
        c.resume();
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 5000);
        QCOMPARE(r.slots.size(), actionCount(o));
        QVERIFY(inStageOrder(r.slots));
    }

    void cancelWhilePaused() {
        EngineController c;
        c.setPreferSimulated(true);
        Recorder r(c);
        QVERIFY(c.start(small(ScheduleKind::GPipe, 4, 4, 4), nullptr, true));
        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(!r.slots.empty(), 5000);
        c.cancel();
        QCOMPARE(r.finishedCount, 1);
        QVERIFY(r.summary.cancelled);
        const std::size_t atCancel = r.slots.size();
        QTest::qWait(150);
        QCOMPARE(r.slots.size(), atCancel);  // nothing after a cancel
        QVERIFY(!c.running());
    }

    void restartLeavesNoStaleEvents() {
        EngineController c;
        c.setPreferSimulated(true);
        Recorder r(c);
        QSignalSpy started(&c, &EngineController::started);
        QVERIFY(c.start(small(ScheduleKind::OneFOneB, 4, 4, 4), nullptr, true));
        c.stepSlot();
        c.stepSlot();
        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() >= 3, 5000);
        // Restart with two stages: from here on only stage 0 and 1 may appear.
        const RunOptions two = small(ScheduleKind::GPipe, 2, 2, 2);
        r.clear();
        QVERIFY(c.start(two));
        QCOMPARE(started.count(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 10000);
        for (const SlotEvent& e : r.slots) QVERIFY2(e.stage < 2, "stale event of the first run");
        QCOMPARE(r.slots.size(), actionCount(two));
        QVERIFY(started.at(1).at(0).toULongLong() > started.at(0).at(0).toULongLong());
    }

    void eventsOfAnOldGenerationAreDropped() {
        EngineController c;
        Recorder r(c);
        c.beginGeneration();
        const std::shared_ptr<EventSink> old = c.sharedSink();
        SlotEvent e;
        old->onSlot(e);
        c.beginGeneration();  // a newer job wins: queued and later events of the old one are
                              // dropped
        old->onSlot(e);
        c.drain();
        QCOMPARE(r.slots.size(), std::size_t(0));
        c.sink().onSlot(e);
        c.drain();
        QCOMPARE(r.slots.size(), std::size_t(1));
    }

    void invalidOptionsRefused() {
        EngineController c;
        RunOptions o = small();
        o.schedule.microbatches = 5;  // does not divide the batch of 16
        QString error;
        QVERIFY(!c.start(o, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!c.running());
    }

    void simulatedRunStandalone() {
        struct Count : EventSink {
            std::atomic<int> slots{0}, finished{0};
            void onSlot(const SlotEvent&) override { ++slots; }
            void onFinished(const RunSummary&) override { ++finished; }
        } sink;
        SimulatedRun run(small(), sink);
        run.start();
        QVERIFY(run.wait(std::chrono::milliseconds(5000)));
        QCOMPARE(sink.finished.load(), 1);
        QCOMPARE(static_cast<std::size_t>(sink.slots.load()), actionCount(small()));
    }

    void realEngineRun() {
        if (!EngineController::engineAvailable())
            QSKIP("built without the LibTorch engine (PD_UI_NO_ENGINE or no pd_engine target)");
        EngineController c;
        Recorder r(c);
        const RunOptions o = small(ScheduleKind::OneFOneB, 2, 2, 2);
        QString error;
        QVERIFY2(c.start(o, &error), qPrintable(error));
        QVERIFY(!c.simulated());
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 60000);
        QVERIFY(!r.offThread);
        QVERIFY(!r.afterFinish);
        QCOMPARE(r.slots.size(), actionCount(o));
        QCOMPARE(static_cast<int>(r.batches.size()), o.schedule.batches);
        for (const BatchEvent& b : r.batches) QVERIFY(std::isfinite(b.loss));
    }

    // A cnn run on tiny images with evaluations every 2 batches: they reach
    // the GUI thread, in order, before the run's end.
    void realEngineEvaluations() {
        if (!EngineController::engineAvailable())
            QSKIP("built without the LibTorch engine (PD_UI_NO_ENGINE or no pd_engine target)");
        test::Data d;
        RunOptions o = small(ScheduleKind::OneFOneB, 2, 4, 5);
        o.model = "cnn";
        o.layers = 6;
        o.hidden = 16;
        o.batchSize = 16;
        o.lr = 0.05;
        o.data = d.images();
        o.evalEvery = 2;
        EngineController c;
        Recorder r(c);
        QString error;
        QVERIFY2(c.start(o, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 60000);
        QVERIFY(!r.offThread);
        QVERIFY(!r.afterFinish);
        std::vector<int> batches;
        for (const EvaluationEvent& e : r.evaluations) batches.push_back(e.batch);
        QCOMPARE(batches, (std::vector<int>{2, 4, 5}));
        for (const EvaluationEvent& e : r.evaluations)
            QVERIFY(e.accuracy >= 0.0 && e.accuracy <= 1.0 && e.samples == 64);
    }

    void realEnginePauseStepCancelRestart() {
        if (!EngineController::engineAvailable())
            QSKIP("built without the LibTorch engine (PD_UI_NO_ENGINE or no pd_engine target)");
        EngineController c;
        Recorder r(c);
        RunOptions o = small(ScheduleKind::GPipe, 4, 4, 6);
        o.layers = 48;
        o.hidden = 384;  // slow enough to catch it mid-run
        QString error;
        QVERIFY2(c.start(o, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!r.slots.empty(), 30000);
        c.pause();
        QTest::qWait(300);  // actions in progress finish at their boundary
        c.drain();
        const std::size_t atPause = r.slots.size();
        QTest::qWait(300);
        c.drain();
        QCOMPARE(r.slots.size(), atPause);
        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() > atPause, 10000);
        QTest::qWait(300);
        c.drain();
        // One slot: at most one action per stage (and the update that ends it).
        QVERIFY2(r.slots.size() - atPause <= 8, "one step: at most one slot's actions");
        const std::size_t batches = r.batches.size();
        c.stepBatch();
        QTRY_VERIFY_WITH_TIMEOUT(r.batches.size() == batches + 1, 30000);
        // Restart with new settings while paused mid-run: only the new run's events.
        const RunOptions two = small(ScheduleKind::OneFOneB, 2, 2, 2);
        r.clear();
        QVERIFY2(c.start(two, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 30000);
        QVERIFY(!r.summary.cancelled);
        for (const SlotEvent& e : r.slots) QVERIFY2(e.stage < 2, "stale event of the first run");
        QCOMPARE(r.slots.size(), actionCount(two));
        // Cancel mid-run: returns promptly, nothing arrives afterwards.
        r.clear();
        QVERIFY(c.start(o, &error));
        QTRY_VERIFY_WITH_TIMEOUT(!r.slots.empty(), 30000);
        QElapsedTimer t;
        t.start();
        c.cancel();
        QVERIFY2(t.elapsed() < 5000, "cancel must return within about one slot");
        QCOMPARE(r.finishedCount, 1);
        QVERIFY(r.summary.cancelled);
        const std::size_t atCancel = r.slots.size();
        QTest::qWait(200);
        QCOMPARE(r.slots.size(), atCancel);
    }

    // A real run started paused steps exactly one slot of the grid at a time,
    // like the simulation.
    void realEngineStepsBySlots() {
        if (!EngineController::engineAvailable()) QSKIP("built without the LibTorch engine");
        EngineController c;
        Recorder r(c);
        const RunOptions o = small(ScheduleKind::OneFOneB, 4, 4, 2);
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        QTest::qWait(300);
        c.drain();
        QCOMPARE(r.slots.size(), std::size_t(0));
        for (int k = 1; k <= 6; ++k) {
            c.stepSlot();
            QTRY_COMPARE_WITH_TIMEOUT(r.slots.size(), actionsBefore(o, k), 20000);
        }
        c.resume();
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 60000);
        QCOMPARE(r.slots.size(), actionCount(o));
        // In training time a stepped run still keeps every dependency: a
        // forward starts after the previous stage's, a backward after the
        // next stage's, and a stage's slots never overlap.
        std::map<std::tuple<int, int, int, Op>, SlotEvent> byAction;
        std::map<int, std::vector<SlotEvent>> byStage;
        for (const SlotEvent& e : r.slots) {
            byAction[{e.batch, e.microbatch, e.stage, e.op}] = e;
            byStage[e.stage].push_back(e);
        }
        for (const SlotEvent& e : r.slots) {
            if (e.op == Op::F && e.stage > 0)
                QVERIFY(e.startUs >=
                        byAction.at({e.batch, e.microbatch, e.stage - 1, Op::F}).endUs);
            if (e.op == Op::B && e.stage < 3)
                QVERIFY(e.startUs >=
                        byAction.at({e.batch, e.microbatch, e.stage + 1, Op::B}).endUs);
        }
        for (auto& [stage, events] : byStage)
            for (std::size_t k = 1; k < events.size(); ++k)
                QVERIFY(events[k].startUs >= events[k - 1].endUs);
    }

    // Paused time is not training time: a run that waits paused at t0, is
    // stepped, then paused again for more than a second records neither
    // wait: it starts near zero and has no gap of that size.
    void realEnginePausedTimeExcluded() {
        if (!EngineController::engineAvailable()) QSKIP("built without the LibTorch engine");
        EngineController c;
        Recorder r(c);
        const RunOptions o = small(ScheduleKind::GPipe, 2, 2, 4);
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        QTest::qWait(800);
        for (int k = 1; k <= 5; ++k) {
            c.stepSlot();
            QTRY_COMPARE_WITH_TIMEOUT(r.slots.size(), actionsBefore(o, k), 20000);
        }
        QTest::qWait(1200);
        c.resume();
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 60000);
        QCOMPARE(r.slots.size(), actionCount(o));
        std::vector<SlotEvent> byStart = r.slots;
        std::sort(byStart.begin(), byStart.end(),
                  [](const SlotEvent& a, const SlotEvent& b) { return a.startUs < b.startUs; });
        QVERIFY2(byStart.front().startUs < 400000,
                 qPrintable(QStringLiteral("first slot at %1 us: the wait at t0 was recorded")
                                .arg(byStart.front().startUs)));
        // The longest time in which no stage was busy.
        std::int64_t reach = byStart.front().endUs, gap = 0;
        for (const SlotEvent& e : byStart) {
            gap = std::max(gap, e.startUs - reach);
            reach = std::max(reach, e.endUs);
        }
        QVERIFY2(gap < 600000,
                 qPrintable(QStringLiteral("a %1 us gap: paused time was recorded").arg(gap)));
    }

    // A comparison is a job: its rows arrive tagged with it, and cancelling
    // returns at once; a newer comparison drops the older one's rows.
    void comparisonIsACancellableJob() {
        EngineController c;
        std::vector<ComparisonRow> rows;
        quint64 lastJob = 0;
        connect(&c, &EngineController::comparisonRow, this,
                [&](quint64 job, const ComparisonRow& row) {
                    lastJob = job;
                    rows.push_back(row);
                });
        QSignalSpy done(&c, &EngineController::comparisonFinished);
        RunOptions o = small(ScheduleKind::OneFOneB, 4, 4, 2);
        c.compare(o, false);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 10000);
        QCOMPARE(rows.size(), allScheduleKinds().size());
        QCOMPARE(lastJob, c.comparisonJob());
        if (!EngineController::engineAvailable()) return;
        rows.clear();
        o.layers = 48;
        o.hidden = 512;
        o.schedule.batches = 20;
        c.compare(o, true);
        QTest::qWait(300);
        QElapsedTimer t;
        t.start();
        c.cancelComparison();
        QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
        QVERIFY(!c.comparing());
        const std::size_t afterCancel = rows.size();
        QTest::qWait(300);
        QCOMPARE(rows.size(), afterCancel);  // a cancelled job's rows never arrive
    }

    // The run is made off the calling thread: controls given before it
    // exists apply in order, a failure to make it is reported, and a cancel
    // while it is being made returns at once and drops it unstarted.
    void asyncRunIsMadeOffTheCallingThread() {
        struct Count : EventSink {
            std::mutex m;
            std::size_t slots = 0;
            std::vector<std::string> errors;
            std::vector<RunSummary> finished;
            void onSlot(const SlotEvent&) override {
                std::lock_guard<std::mutex> l(m);
                ++slots;
            }
            void onError(const std::string& e) override {
                std::lock_guard<std::mutex> l(m);
                errors.push_back(e);
            }
            void onFinished(const RunSummary& s) override {
                std::lock_guard<std::mutex> l(m);
                finished.push_back(s);
            }
            std::size_t slotCount() {
                std::lock_guard<std::mutex> l(m);
                return slots;
            }
        };
        const RunOptions o = small(ScheduleKind::GPipe, 4, 4, 2);
        const std::thread::id caller = std::this_thread::get_id();
        std::atomic<bool> madeElsewhere{false};
        auto slowFactory = [&](const RunOptions& opts, EventSink& sink) -> std::unique_ptr<Run> {
            madeElsewhere = std::this_thread::get_id() != caller;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return std::make_unique<SimulatedRun>(opts, sink);
        };
        {
            auto sink = std::make_shared<Count>();
            AsyncRun run(slowFactory, o, sink);
            run.pause();
            run.stepSlot();
            run.stepSlot();
            QElapsedTimer t;
            t.start();
            run.start();
            QVERIFY(t.elapsed() < 100);
            QTRY_COMPARE_WITH_TIMEOUT(sink->slotCount(), actionsBefore(o, 2), 5000);
            QVERIFY(madeElsewhere.load());
            QTest::qWait(100);
            QCOMPARE(sink->slotCount(), actionsBefore(o, 2));  // paused after its two steps
            run.resume();
            QVERIFY(run.wait(std::chrono::milliseconds(5000)));
            QCOMPARE(sink->slotCount(), actionCount(o));
        }
        {
            auto sink = std::make_shared<Count>();
            auto run = std::make_unique<AsyncRun>(slowFactory, o, sink);
            run->start();
            QElapsedTimer t;
            t.start();
            run->cancel();
            run.reset();
            QVERIFY2(t.elapsed() < 100, "cancel waits for nothing while the run is being made");
            QTest::qWait(500);
            QCOMPARE(sink->slotCount(), std::size_t(0));  // dropped unstarted
            QVERIFY(sink->finished.empty());
        }
        {
            auto sink = std::make_shared<Count>();
            AsyncRun run(
                [](const RunOptions&, EventSink&) -> std::unique_ptr<Run> {
                    throw ConfigError("cannot read the data");
                },
                o, sink);
            run.start();
            QVERIFY(run.wait(std::chrono::milliseconds(5000)));
            QVERIFY(run.finished());
            std::lock_guard<std::mutex> l(sink->m);
            QCOMPARE(sink->errors, std::vector<std::string>{"cannot read the data"});
            QCOMPARE(sink->finished.size(), std::size_t(1));
            QVERIFY(sink->finished[0].failed);
        }
    }
};

QTEST_MAIN(TestEngineController)
#include "tst_enginecontroller.moc"
