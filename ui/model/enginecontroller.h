// The one bridge between the engine and the UI. Lives on the GUI thread and
// owns the TrainingRun; the run's worker threads call an EventSink that only
// pushes into a mutex-guarded queue, and a 30-60 Hz timer drains that queue
// and emits batched signals (never a signal per event). "Latest job wins":
// every start() begins a new generation and events of older ones are
// dropped, so a restart never shows stale events. A run's stages run as
// threads of this process or as one pipedream-train process each over Gloo
// (distributed.h); attach() listens for ranks started elsewhere instead.
#pragma once

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QVector>
#include <memory>

#include "engine/run/run.h"
#include "ui/model/runresult.h"

namespace pd {

class ComparisonJob;
struct ComparisonEntry;
struct ComparisonRow;
class DistributedRun;

class EngineController : public QObject {
    Q_OBJECT
public:
    explicit EngineController(QObject* parent = nullptr);
    ~EngineController() override;

    // True when pd_engine (LibTorch training) was built into this binary.
    static bool engineAvailable();
    static void registerMetaTypes();
    // What start() runs: the real engine when it is built in and
    // `simulated` is false, else the ideal schedule played as events.
    static RunFactory runFactory(bool simulated);
    // One local pipedream-train process per stage (`executable`), over Gloo:
    // what start() runs for options whose backend is not "threads".
    static RunFactory processFactory(const std::string& executable);
    // The pipedream-train those processes run (default: trainExecutable()).
    void setTrainExecutable(const QString& path) { trainExecutable_ = path; }

    // Cancels any current run and starts a new one (paused at slot 0 when
    // `paused`), made on a thread of its own. False (with a message) when
    // the options are invalid; a failure to build the run arrives as failed().
    // Real runs of options.backend "gloo" run as local processes.
    bool start(const RunOptions& options, QString* error = nullptr, bool paused = false);
    // True while the current (or last) run has one process per stage
    // (local processes or attached ranks).
    bool distributed() const { return distributed_; }

    // Listens on "HOST:PORT" (port 0: a free one) for the ranks of a run
    // started elsewhere (pipedream-train --backend gloo ... --events
    // HOST:PORT). The run is theirs: once every rank said hello,
    // ranksConnected() gives its options and hosts and its events follow;
    // until then ranksWaiting() counts them. False with one message (bad
    // address, port in use); cancel() stops listening.
    bool attach(const QString& hostPort, QString* error = nullptr);
    bool listening() const { return listening_; }  // attached, waiting for ranks
    bool attached() const { return attached_; }    // the current run is an attached one
    QString listenHost() const { return listenHost_; }
    int listenPort() const { return listenPort_; }
    // The run secret the attached ranks must know (a new one per listening
    // session; shown only in the command that starts a rank).
    QString listenSecret() const { return listenSecret_; }
    // The ranks' hosts, by rank (= stage), as far as they said hello.
    QStringList rankHosts() const;
    // True while the current (or last) run is the simulated one.
    bool simulated() const { return simulated_; }
    void setPreferSimulated(bool on) { preferSimulated_ = on; }
    bool preferSimulated() const { return preferSimulated_; }
    void pause();
    void resume();
    void stepSlot();
    void stepBatch();
    void cancel();  // returns once the workers stopped; emits nothing more for this run
    bool running() const { return running_; }
    bool paused() const { return paused_; }
    quint64 generation() const;

    // A comparison of every kind on `options` (real runs when `real` and the
    // engine is built in): a job of its own beside the run. The latest job
    // wins: starting one cancels the previous, whose rows never arrive.
    void compare(const RunOptions& options, bool real);
    // The same over given configurations (every cut of one schedule:
    // partitionEntries).
    void compare(std::vector<ComparisonEntry> entries, bool real);
    void cancelComparison();  // returns at once (within one slot of a real run)
    bool comparing() const { return comparison_ != nullptr; }
    quint64 comparisonJob() const { return comparisonJob_; }

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
    void slotsArrived(const std::vector<pd::SlotEvent>& events);
    void memoryArrived(const std::vector<pd::MemoryEvent>& events);
    void versionsArrived(const std::vector<pd::VersionEvent>& events);
    void batchesArrived(const std::vector<pd::BatchEvent>& events);
    // Held-out evaluations taken during the run (engine/schedule/events.h).
    void evaluationsArrived(const std::vector<pd::EvaluationEvent>& events);
    void failed(const QString& message);
    void finished(const pd::RunSummary& summary);
    void pausedChanged(bool paused);
    void ranksWaiting(int connected, int world);  // world 0: not known yet
    void ranksConnected(const pd::RunOptions& options, const QStringList& hosts);
    void comparisonRow(quint64 job, const pd::ComparisonRow& row);
    void comparisonFinished(quint64 job);

private:
    struct Queue;
    class QueueSink;
    void stopRun();
    void pollRanks();
    void allConnected(const RunOptions& options);

    std::shared_ptr<Queue> queue_;
    std::shared_ptr<QueueSink> sink_;
    std::unique_ptr<Run> run_;
    std::unique_ptr<ComparisonJob> comparison_;
    quint64 comparisonJob_ = 0;
    QTimer timer_;
    bool running_ = false;
    bool paused_ = false;
    bool simulated_ = false;
    bool preferSimulated_ = false;
    bool distributed_ = false;
    // Attach: the run (owned by run_) and where it listens.
    DistributedRun* attachedRun_ = nullptr;
    bool attached_ = false;
    bool listening_ = false;
    QString listenHost_;
    int listenPort_ = 0;
    QString listenSecret_;
    int waitingConnected_ = -1, waitingWorld_ = -1;
    QString trainExecutable_;
};

// Runs the options to completion with the real engine (runFactory(false))
// and collects every event. Without the engine, or on failure, returns
// false with a message; `result` keeps the ideal schedule.
bool runToCompletion(const RunOptions& options, RunResult& result, QString* error,
                     int timeoutMs = 600000);

}  // namespace pd
