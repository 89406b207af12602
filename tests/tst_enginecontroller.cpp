// EngineController: events of a run arrive batched, in order, on the GUI
// thread; pause / step / cancel work; a restart with new settings mid-run
// leaves no stale events. Runs the simulated schedule (always available)
// and, where the binary has the LibTorch engine, a small real run.
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

#include "enginecontroller.h"
#include "report.h"
#include "simulatedrun.h"

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

// Collects what the controller emits and checks where it is emitted.
struct Recorder : QObject {
    std::vector<SlotEvent> slots;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
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
        connect(&c, &EngineController::slotsArrived, this, [=](const QVector<SlotEvent>& v) {
            check();
            ++drains;
            slots.insert(slots.end(), v.begin(), v.end());
        });
        connect(&c, &EngineController::batchesArrived, this, [=](const QVector<BatchEvent>& v) {
            check();
            batches.insert(batches.end(), v.begin(), v.end());
        });
        connect(&c, &EngineController::versionsArrived, this, [=](const QVector<VersionEvent>& v) {
            check();
            versions.insert(versions.end(), v.begin(), v.end());
        });
        connect(&c, &EngineController::memoryArrived, this, [=](const QVector<MemoryEvent>& v) {
            check();
            memory += v.size();
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
        c.setSimulatedPace(2.0);  // 2 ms per forward: the run takes a fraction of a second
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
        QVERIFY2(r.drains > 1 && r.drains < r.slots.size(),
                 "events must arrive batched, not one by one");
        for (std::size_t i = 1; i < r.slots.size(); ++i)
            QVERIFY(r.slots[i - 1].endUs <= r.slots[i].endUs);
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
        c.setSimulatedPace(0.0);  // as fast as possible
        Recorder r(c);
        QVERIFY(c.start(small(ScheduleKind::PipeDream)));
        QTRY_COMPARE_WITH_TIMEOUT(r.finishedCount, 1, 10000);
        std::size_t mostStashed = 0;
        for (const VersionEvent& v : r.versions)
            if (v.stage == 0) mostStashed = std::max(mostStashed, v.stashed.size());
        QVERIFY2(mostStashed >= 1, "stage 0 of PipeDream keeps stashed versions");
    }

    void pauseStepCancel() {
        EngineController c;
        c.setPreferSimulated(true);
        c.setSimulatedPace(20.0);
        Recorder r(c);
        QVERIFY(c.start(small(ScheduleKind::GPipe, 4, 4, 4)));
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() >= 2, 5000);
        c.pause();
        QVERIFY(c.paused());
        QTest::qWait(60);
        c.drain();
        const std::size_t atPause = r.slots.size();
        QTest::qWait(200);
        c.drain();
        QCOMPARE(r.slots.size(), atPause);  // nothing moves while paused

        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() > atPause, 2000);
        QTest::qWait(100);
        c.drain();
        const std::size_t afterStep = r.slots.size();
        QVERIFY2(afterStep - atPause <= 4, "one step finishes at most one action per stage");

        const std::size_t batchesBefore = r.batches.size();
        c.stepBatch();
        QTRY_VERIFY_WITH_TIMEOUT(r.batches.size() == batchesBefore + 1, 5000);
        QTest::qWait(100);
        c.drain();
        QCOMPARE(r.batches.size(), batchesBefore + 1);  // and stops there

        c.resume();
        QVERIFY(!c.paused());
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() > afterStep + 2, 3000);
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
        c.setSimulatedPace(10.0);
        Recorder r(c);
        QSignalSpy started(&c, &EngineController::started);
        QVERIFY(c.start(small(ScheduleKind::OneFOneB, 4, 4, 4)));
        QTRY_VERIFY_WITH_TIMEOUT(r.slots.size() >= 3, 5000);
        // Restart with two stages: from here on only stage 0 and 1 may appear.
        const RunOptions two = small(ScheduleKind::GPipe, 2, 2, 2);
        r.clear();
        QVERIFY(c.start(two));
        QCOMPARE(started.count(), 2);
        c.setSimulatedPace(0.5);
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
        SimulatedRun run(small(), sink, 0.0);
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
        QVERIFY2(r.slots.size() - atPause <= 4, "one step: at most one action per stage");
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
};

QTEST_MAIN(TestEngineController)
#include "tst_enginecontroller.moc"
