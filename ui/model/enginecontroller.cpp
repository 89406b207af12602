#include "ui/model/enginecontroller.h"

#include <QPointer>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>

#include "engine/distributed/distributed.h"
#include "engine/run/asyncrun.h"
#include "engine/run/comparison.h"
#include "engine/run/runtime.h"  // torch-free (pimpl); only used when PD_HAVE_ENGINE
#include "engine/run/simulatedrun.h"

namespace pd {

struct EngineController::Queue {
    std::mutex mutex;
    quint64 generation = 0;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<VersionEvent> versions;
    std::vector<BatchEvent> batches;
    std::vector<EvaluationEvent> evaluations;
    std::vector<std::string> errors;
    std::optional<RunSummary> finished;

    void clear() {
        slots.clear();
        memory.clear();
        versions.clear();
        batches.clear();
        evaluations.clear();
        errors.clear();
        finished.reset();
    }
};

// Called from the engine's worker threads: push and return, nothing else.
class EngineController::QueueSink : public EventSink {
public:
    QueueSink(std::shared_ptr<Queue> queue, quint64 generation)
        : queue_(std::move(queue)), generation_(generation) {}

    void onSlot(const SlotEvent& e) override {
        push([&](Queue& q) { q.slots.push_back(e); });
    }
    void onMemory(const MemoryEvent& e) override {
        push([&](Queue& q) { q.memory.push_back(e); });
    }
    void onBatch(const BatchEvent& e) override {
        push([&](Queue& q) { q.batches.push_back(e); });
    }
    void onVersion(const VersionEvent& e) override {
        push([&](Queue& q) { q.versions.push_back(e); });
    }
    void onEvaluation(const EvaluationEvent& e) override {
        push([&](Queue& q) { q.evaluations.push_back(e); });
    }
    void onFinished(const RunSummary& s) override {
        push([&](Queue& q) { q.finished = s; });
    }
    void onError(const std::string& m) override {
        push([&](Queue& q) { q.errors.push_back(m); });
    }

private:
    template <typename F>
    void push(F&& f) {
        std::lock_guard<std::mutex> lock(queue_->mutex);
        if (queue_->generation != generation_) return;  // a newer job won
        f(*queue_);
    }
    std::shared_ptr<Queue> queue_;
    quint64 generation_;
};

EngineController::EngineController(QObject* parent)
    : QObject(parent), queue_(std::make_shared<Queue>()) {
    registerMetaTypes();
    sink_ = std::make_shared<QueueSink>(queue_, 0);
    timer_.setInterval(25);  // 40 Hz
    connect(&timer_, &QTimer::timeout, this, &EngineController::drain);
}

EngineController::~EngineController() {
    cancelComparison();
    stopRun();
}

bool EngineController::engineAvailable() {
#ifdef PD_HAVE_ENGINE
    return true;
#else
    return false;
#endif
}

void EngineController::registerMetaTypes() {
    qRegisterMetaType<pd::SlotEvent>();
    qRegisterMetaType<pd::MemoryEvent>();
    qRegisterMetaType<pd::BatchEvent>();
    qRegisterMetaType<pd::EvaluationEvent>();
    qRegisterMetaType<pd::VersionEvent>();
    qRegisterMetaType<pd::RunSummary>();
    qRegisterMetaType<pd::RunOptions>();
    qRegisterMetaType<pd::ComparisonRow>();
}

RunFactory EngineController::runFactory(bool simulated) {
#ifdef PD_HAVE_ENGINE
    if (!simulated)
        return [](const RunOptions& o, EventSink& sink) -> std::unique_ptr<Run> {
            // The window drew o.schedule.batches: the run trains exactly those.
            RunOptions exact = o;
            exact.exactBatches = true;
            return std::make_unique<TrainingRun>(exact, sink);
        };
#endif
    (void)simulated;
    return [](const RunOptions& o, EventSink& sink) -> std::unique_ptr<Run> {
        return std::make_unique<SimulatedRun>(o, sink);
    };
}

RunFactory EngineController::processFactory(const std::string& executable) {
    return [executable](const RunOptions& o, EventSink& sink) -> std::unique_ptr<Run> {
        DistributedRun::Setup setup;
        setup.mode = DistributedRun::Setup::LocalProcesses;
        setup.executable = executable;
        // The ranks' own log (pipedream-train's per-batch lines, warnings)
        // goes where this process's own does; their errors also arrive as
        // error events.
        setup.output = [](int rank, bool isError, const std::string& line) {
            const std::string prefix = "[rank " + std::to_string(rank) + "] ";
            std::fprintf(isError ? stderr : stdout, "%s%s\n",
                         line.rfind(prefix, 0) == 0 ? "" : prefix.c_str(), line.c_str());
        };
        RunOptions ranks = o;
        if (ranks.backend == "threads") ranks.backend = "gloo";
        return std::make_unique<DistributedRun>(ranks, sink, setup);
    };
}

quint64 EngineController::generation() const {
    std::lock_guard<std::mutex> lock(queue_->mutex);
    return queue_->generation;
}

EventSink& EngineController::sink() {
    return *sink_;
}

std::shared_ptr<EventSink> EngineController::sharedSink() {
    return sink_;
}

void EngineController::beginGeneration() {
    stopRun();
    quint64 gen = 0;
    {
        std::lock_guard<std::mutex> lock(queue_->mutex);
        gen = ++queue_->generation;
        queue_->clear();
    }
    sink_ = std::make_shared<QueueSink>(queue_, gen);
    paused_ = false;
    timer_.start();
    Q_EMIT started(gen);
}

void EngineController::stopRun() {
    if (run_) {
        run_->cancel();  // joins the workers: nothing of this run is pushed after it
        run_.reset();
    }
    {
        std::lock_guard<std::mutex> lock(queue_->mutex);
        ++queue_->generation;  // whatever is still queued is stale now
        queue_->clear();
    }
    running_ = false;
    attachedRun_ = nullptr;
    attached_ = false;
    listening_ = false;
    waitingConnected_ = waitingWorld_ = -1;
}

bool EngineController::start(const RunOptions& options, QString* error, bool paused) {
    try {
        checkRunOptions(options);  // the boundary: others call start() too
    } catch (const ConfigError& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    const bool wasPaused = paused_;
    beginGeneration();
    simulated_ = preferSimulated_ || !engineAvailable();
    distributed_ = !simulated_ && options.backend != "threads";
    const std::string executable =
        trainExecutable_.isEmpty() ? trainExecutable() : trainExecutable_.toStdString();
    // Made on a thread of its own (the model is built there, never on the
    // GUI thread); a failure to make it arrives as failed().
    run_ = std::make_unique<AsyncRun>(
        distributed_ ? processFactory(executable) : runFactory(simulated_), options, sink_);
    if (paused) run_->pause();  // before start: it waits at slot 0
    run_->start();
    running_ = true;
    paused_ = paused;
    if (wasPaused != paused) Q_EMIT pausedChanged(paused);
    return true;
}

void EngineController::compare(const RunOptions& options, bool real) {
    RunOptions threads = options;  // compared in one process, whatever runs the stages
    threads.backend = "threads";
    compare(scheduleEntries(threads), real);
}

void EngineController::compare(std::vector<ComparisonEntry> entries, bool real) {
    cancelComparison();
    const quint64 job = ++comparisonJob_;
    QPointer<EngineController> self(this);
    // Rows cross to the GUI thread tagged with their job; a stale job's
    // rows are dropped there.
    auto onRow = [self, job](const ComparisonRow& row) {
        QMetaObject::invokeMethod(
            self,
            [self, job, row] {
                if (self && self->comparisonJob_ == job) Q_EMIT self->comparisonRow(job, row);
            },
            Qt::QueuedConnection);
    };
    auto onDone = [self, job](bool cancelled) {
        if (cancelled) return;
        QMetaObject::invokeMethod(
            self,
            [self, job] {
                if (self && self->comparisonJob_ == job) Q_EMIT self->comparisonFinished(job);
            },
            Qt::QueuedConnection);
    };
    const RunFactory factory = real && engineAvailable() ? runFactory(false) : RunFactory();
    for (ComparisonEntry& e : entries) e.options.backend = "threads";
    comparison_ = std::make_unique<ComparisonJob>(std::move(entries), factory, std::move(onRow),
                                                  std::move(onDone));
    comparison_->start();
}

bool EngineController::attach(const QString& hostPort, QString* error) {
    // Port 0 (any free one, see listenPort()) is checked as port 1 would be.
    const QString text = hostPort.trimmed();
    const bool anyPort = text.endsWith(QLatin1String(":0")) && !text.endsWith(QLatin1String("::0"));
    HostPort address;
    try {
        address =
            parseHostPort((anyPort ? text.chopped(1) + QLatin1Char('1') : text).toStdString());
    } catch (const Error& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    if (anyPort) address.port = 0;
    const bool wasPaused = paused_;
    beginGeneration();
    DistributedRun::Setup setup;
    setup.mode = DistributedRun::Setup::Attach;
    setup.listenHost = address.host;
    setup.listenPort = address.port;
    // The ranks bring their options; these only stand in until they do.
    RunOptions placeholder = defaultRunOptions();
    placeholder.backend = "gloo";
    std::unique_ptr<DistributedRun> run;
    try {
        run = std::make_unique<DistributedRun>(placeholder, *sink_, setup);
    } catch (const std::exception& e) {
        stopRun();
        timer_.stop();
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    const quint64 gen = generation();
    QPointer<EngineController> self(this);
    run->collector().setOnAllConnected([self, gen](const RunOptions& o) {
        QMetaObject::invokeMethod(
            self,
            [self, gen, o] {
                if (self && self->generation() == gen) self->allConnected(o);
            },
            Qt::QueuedConnection);
    });
    attachedRun_ = run.get();
    listenHost_ = QString::fromStdString(address.host);
    listenPort_ = run->port();
    listenSecret_ = QString::fromStdString(run->secret());
    run_ = std::move(run);
    run_->start();
    simulated_ = false;
    distributed_ = attached_ = listening_ = running_ = true;
    paused_ = false;
    if (wasPaused) Q_EMIT pausedChanged(false);
    pollRanks();
    return true;
}

QStringList EngineController::rankHosts() const {
    QStringList hosts;
    if (!attachedRun_) return hosts;
    std::vector<EventCollector::RankInfo> ranks = attachedRun_->collector().ranks();
    std::sort(ranks.begin(), ranks.end(),
              [](const auto& a, const auto& b) { return a.rank < b.rank; });
    for (const auto& r : ranks) hosts << QString::fromStdString(r.host);
    return hosts;
}

// While listening: how many ranks said hello, said when it changes.
void EngineController::pollRanks() {
    if (!listening_ || !attachedRun_) return;
    int connected = 0;
    for (const auto& r : attachedRun_->collector().ranks()) connected += r.connected ? 1 : 0;
    const int world = attachedRun_->collector().worldSize();
    // Every rank is there: said before any of their events are (the
    // collector's own callback may still be on its way here).
    if (world > 0 && connected == world)
        if (const auto options = attachedRun_->collector().options()) {
            allConnected(*options);
            return;
        }
    if (connected == waitingConnected_ && world == waitingWorld_) return;
    waitingConnected_ = connected;
    waitingWorld_ = world;
    Q_EMIT ranksWaiting(connected, world);
}

void EngineController::allConnected(const RunOptions& options) {
    if (!listening_) return;
    listening_ = false;
    Q_EMIT ranksConnected(options, rankHosts());
}

void EngineController::cancelComparison() {
    ++comparisonJob_;  // rows already queued are stale now
    if (comparison_) comparison_->cancel();
    comparison_.reset();
}

void EngineController::pause() {
    if (!running_ || paused_) return;
    if (run_) run_->pause();
    paused_ = true;
    Q_EMIT pausedChanged(true);
}

void EngineController::resume() {
    if (!running_ || !paused_) return;
    if (run_) run_->resume();
    paused_ = false;
    Q_EMIT pausedChanged(false);
}

void EngineController::stepSlot() {
    if (!running_) return;
    if (!paused_) pause();
    if (run_) run_->stepSlot();
}

void EngineController::stepBatch() {
    if (!running_) return;
    if (!paused_) pause();
    if (run_) run_->stepBatch();
}

void EngineController::cancel() {
    const bool was = running_;
    stopRun();
    timer_.stop();
    if (paused_) {
        paused_ = false;
        Q_EMIT pausedChanged(false);
    }
    if (was) {
        RunSummary s;
        s.cancelled = true;
        Q_EMIT finished(s);
    }
}

void EngineController::drain() {
    pollRanks();
    Queue taken;
    {
        std::lock_guard<std::mutex> lock(queue_->mutex);
        taken.slots.swap(queue_->slots);
        taken.memory.swap(queue_->memory);
        taken.versions.swap(queue_->versions);
        taken.batches.swap(queue_->batches);
        taken.evaluations.swap(queue_->evaluations);
        taken.errors.swap(queue_->errors);
        taken.finished.swap(queue_->finished);
    }
    // Fixed order within a drain: slots, memory, versions, batches,
    // evaluations, errors, end.
    if (!taken.slots.empty()) Q_EMIT slotsArrived(taken.slots);
    if (!taken.memory.empty()) Q_EMIT memoryArrived(taken.memory);
    if (!taken.versions.empty()) Q_EMIT versionsArrived(taken.versions);
    if (!taken.batches.empty()) Q_EMIT batchesArrived(taken.batches);
    if (!taken.evaluations.empty()) Q_EMIT evaluationsArrived(taken.evaluations);
    for (const std::string& m : taken.errors) Q_EMIT failed(QString::fromStdString(m));
    if (taken.finished) {
        running_ = false;
        listening_ = false;
        timer_.stop();
        if (paused_) {
            paused_ = false;
            Q_EMIT pausedChanged(false);
        }
        Q_EMIT finished(*taken.finished);
    }
}

// ---------------------------------------------------------------------------

namespace {

class CollectingSink : public EventSink {
public:
    explicit CollectingSink(RunResult& r) : r_(r) {}
    void onSlot(const SlotEvent& e) override { lock(), r_.slots.push_back(e); }
    void onMemory(const MemoryEvent& e) override { lock(), r_.memory.push_back(e); }
    void onBatch(const BatchEvent& e) override { lock(), r_.batches.push_back(e); }
    void onVersion(const VersionEvent& e) override { lock(), r_.versions.push_back(e); }
    void onFinished(const RunSummary& s) override { lock(), r_.summary = s; }
    void onError(const std::string& m) override {
        std::lock_guard<std::mutex> g(m_);
        if (r_.error.isEmpty()) r_.error = QString::fromStdString(m);
    }

private:
    std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(m_); }
    std::mutex m_;
    RunResult& r_;
};

}  // namespace

bool runToCompletion(const RunOptions& options, RunResult& result, QString* error, int timeoutMs) {
    if (!prepareRun(options, result, error)) return false;
    if (!EngineController::engineAvailable()) {
        if (error) *error = QObject::tr("this build has no training engine (LibTorch)");
        return false;
    }
    CollectingSink sink(result);
    try {
        std::unique_ptr<Run> run = EngineController::runFactory(false)(options, sink);
        run->start();
        if (!run->wait(std::chrono::milliseconds(timeoutMs))) {
            run->cancel();
            if (error)
                *error = QObject::tr("the run did not finish within %1 s").arg(timeoutMs / 1000);
            return false;
        }
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    if (!result.error.isEmpty()) {
        if (error) *error = result.error;
        return false;
    }
    result.measured = true;
    return true;
}

}  // namespace pd
