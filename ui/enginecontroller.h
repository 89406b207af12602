// The one bridge between the engine and the UI. Lives on the GUI thread and
// owns the TrainingRun; the run's worker threads call an EventSink that only
// pushes into a mutex-guarded queue, and a 30-60 Hz timer drains that queue
// and emits batched signals (never a signal per event). "Latest job wins":
// every start() begins a new generation and events of older ones are
// dropped, so a restart never shows stale events.
#pragma once

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QVector>
#include <memory>

#include "runresult.h"

namespace pd {

class SimulatedRun;

class EngineController : public QObject {
    Q_OBJECT
public:
    class Backend;  // the run being controlled (defined in the .cpp)

    explicit EngineController(QObject* parent = nullptr);
    ~EngineController() override;

    // True when pd_engine (LibTorch training) was built into this binary.
    static bool engineAvailable();
    static void registerMetaTypes();

    // Cancels any current run and starts a new one: the real engine when it
    // is built in (and not setPreferSimulated), else the simulated schedule
    // replayed as events (SimulatedRun). False (with a message) when the
    // options are invalid.
    bool start(const RunOptions& options, QString* error = nullptr);
    // True while the current (or last) run is the simulated replay.
    bool simulated() const { return simulated_; }
    void setPreferSimulated(bool on) { preferSimulated_ = on; }
    bool preferSimulated() const { return preferSimulated_; }
    // Pace of the simulated replay: wall ms per simulator unit (one forward).
    void setSimulatedPace(double wallMsPerUnit);
    double simulatedPace() const { return simPace_; }
    void pause();
    void resume();
    void stepSlot();
    void stepBatch();
    void cancel();  // returns once the workers stopped; emits nothing more for this run
    bool running() const { return running_; }
    bool paused() const { return paused_; }
    quint64 generation() const;

    void setDrainInterval(int ms) { timer_.setInterval(ms); }
    int drainInterval() const { return timer_.interval(); }
    // Drains the queue now (the timer calls it; tests and the benchmark too).
    void drain();

    // A sink bound to the current generation: what the engine calls. Exposed
    // so that tests and the benchmark can feed events from their own threads.
    EventSink& sink();
    // The same sink, kept alive by the caller beyond the next generation
    // (its events are dropped once a newer generation began).
    std::shared_ptr<EventSink> sharedSink();
    // Starts a new generation without an engine run (tests, replays).
    void beginGeneration();

Q_SIGNALS:
    void started(quint64 generation);
    void slotsArrived(const QVector<pd::SlotEvent>& events);
    void memoryArrived(const QVector<pd::MemoryEvent>& events);
    void versionsArrived(const QVector<pd::VersionEvent>& events);
    void batchesArrived(const QVector<pd::BatchEvent>& events);
    void failed(const QString& message);
    void finished(const pd::RunSummary& summary);
    void pausedChanged(bool paused);

private:
    struct Queue;
    class QueueSink;
    void stopRun();

    std::shared_ptr<Queue> queue_;
    std::shared_ptr<QueueSink> sink_;
    std::unique_ptr<Backend> run_;  // TrainingRun or SimulatedRun behind one interface
    SimulatedRun* sim_ = nullptr;   // run_'s SimulatedRun, when it is one (pace control)
    QTimer timer_;
    bool running_ = false;
    bool paused_ = false;
    bool simulated_ = false;
    bool preferSimulated_ = false;
    double simPace_ = 40.0;
};

// Runs the options to completion on the calling thread's behalf (the engine
// uses its own workers) and collects every event. Without the engine, or on
// failure, returns false with a message; `result` keeps the ideal schedule.
bool runToCompletion(const RunOptions& options, RunResult& result, QString* error,
                     int timeoutMs = 600000);

}  // namespace pd
