#include "engine/run/comparison.h"

#include <algorithm>
#include <cmath>

#include "engine/config/report.h"
#include "engine/schedule/runfigures.h"

namespace pd {

StageMemory stageMemory(const RunOptions& options, int stage) {
    const ScheduleConfig& c = options.schedule;
    const auto split = layerSplit(options);
    const double h = options.hidden;
    const double classes = options.classes;
    const double mb = std::max(1, options.microbatchSize());
    const int chunks = std::max(1, c.chunks);
    StageMemory m;
    for (int chunk = 0; chunk < chunks; ++chunk) {
        const int part = partOf(c, stage, chunk);
        const LayerRange& r = split[static_cast<std::size_t>(part)];
        const double layers = r.last - r.first + 1;
        const bool head = part == c.parts() - 1;
        // Per sample: input + pre-activation of each layer; the head's
        // input, its pre-activation (the logits) and the logits kept again.
        const double kept = 2.0 * layers * h + (head ? h + 2.0 * classes : 0.0);
        m.keptPerMicrobatch += kept * mb * 4.0 / chunks;
        m.versionBytes += (layers * (h * h + h) + (head ? classes * h + classes : 0.0)) * 4.0;
    }
    return m;
}

double estimatedPeakMemoryBytes(const RunOptions& options, const Analysis& analysis) {
    double peak = 0.0;
    for (int s = 0; s < static_cast<int>(analysis.stages.size()); ++s) {
        const StageFigures& f = analysis.stages[static_cast<std::size_t>(s)];
        const StageMemory m = stageMemory(options, s);
        const double act = f.peakActivations * m.keptPerMicrobatch;
        const double stash = std::max(0, f.versionsHeld - 1) * m.versionBytes;
        peak = std::max(peak, act + stash);
    }
    return peak;
}

RunOptions comparisonOptions(const RunOptions& base, ScheduleKind kind) {
    RunOptions o = base;
    o.schedule.kind = kind;
    o.schedule.chunks = chunksFor(kind, base.schedule.chunks);
    if (kind != ScheduleKind::PipeDream) {
        o.schedule.verticalSync = false;
        o.schedule.stash = true;
    }
    o.csvPath.clear();
    o.tracePath.clear();
    return o;
}

namespace {

// Folds a real run's events into the row's measured figures.
class RowSink : public EventSink {
public:
    RowSink(int stages, int chunks) : figures_(stages, chunks) {}
    void onSlot(const SlotEvent& e) override {
        locked([&] { figures_.addSlot(e); });
    }
    void onMemory(const MemoryEvent& e) override {
        locked([&] { figures_.addMemory(e); });
    }
    void onBatch(const BatchEvent& e) override {
        locked([&] { loss_ = e.loss; });
    }
    void onEvaluation(const EvaluationEvent& e) override {
        locked([&] { evaluations_.push_back(e); });
    }
    void onError(const std::string& m) override {
        locked([&] {
            if (error_.empty()) error_ = m;
        });
    }
    void fill(ComparisonRow& row) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_.empty()) row.problem = error_;
        if (figures_.slotCount() == 0) return;
        const Analysis a = figures_.utilization();
        row.measuredUtilization = a.meanUtilization;
        row.measuredBubble = a.bubbleFraction;
        row.measuredMakespanMs = a.makespan / 1000.0;
        row.finalLoss = loss_;
        std::sort(
            evaluations_.begin(), evaluations_.end(),
            [](const EvaluationEvent& a, const EvaluationEvent& b) { return a.batch < b.batch; });
        row.evaluations = evaluations_;
        if (figures_.hasMemory()) {
            const auto& bytes = figures_.peaks().bytes;
            row.peakMemoryBytes =
                static_cast<double>(*std::max_element(bytes.begin(), bytes.end()));
            row.memoryMeasured = true;
        }
    }

private:
    template <typename F>
    void locked(F&& f) {
        std::lock_guard<std::mutex> lock(mutex_);
        f();
    }
    std::mutex mutex_;
    RunFigures figures_;
    double loss_ = std::numeric_limits<double>::quiet_NaN();
    std::vector<EvaluationEvent> evaluations_;
    std::string error_;
};

// A run the job can reach from cancel() while it exists.
class TrackedRun : public Run {
public:
    TrackedRun(std::unique_ptr<Run> run, std::mutex& mutex, Run*& current)
        : run_(std::move(run)), mutex_(mutex), current_(current) {}
    ~TrackedRun() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            current_ = nullptr;
        }
        run_.reset();
    }
    void start() override { run_->start(); }
    void pause() override { run_->pause(); }
    void resume() override { run_->resume(); }
    void stepSlot() override { run_->stepSlot(); }
    void stepBatch() override { run_->stepBatch(); }
    void cancel() override { run_->cancel(); }
    bool paused() const override { return run_->paused(); }
    bool wait(std::chrono::milliseconds t) override { return run_->wait(t); }
    bool finished() const override { return run_->finished(); }

private:
    std::unique_ptr<Run> run_;
    std::mutex& mutex_;
    Run*& current_;
};

ComparisonRow analyticRow(const ComparisonEntry& entry) {
    const RunOptions& o = entry.options;
    ComparisonRow row;
    row.kind = o.schedule.kind;
    row.label = entry.label;
    row.name = entry.name;
    try {
        const DryRun run = makeDryRun(o);
        row.valid = true;
        row.analyticMakespan = run.analysis.makespan;
        row.analyticBubble = run.analysis.bubbleFraction;
        row.analyticUtilization = 1.0 - row.analyticBubble;
        row.peakActivations =
            run.analysis.stages.empty() ? 0 : run.analysis.stages[0].peakActivations;
        for (const StageFigures& s : run.analysis.stages)
            row.versionsHeld = std::max(row.versionsHeld, s.versionsHeld);
        row.peakMemoryBytes = estimatedPeakMemoryBytes(o, run.analysis);
    } catch (const std::exception& e) {
        row.problem = e.what();
    }
    return row;
}

}  // namespace

std::vector<ComparisonEntry> scheduleEntries(const RunOptions& base) {
    std::vector<ComparisonEntry> out;
    for (ScheduleKind kind : allScheduleKinds())
        out.push_back({toString(kind), displayName(kind), comparisonOptions(base, kind)});
    return out;
}

std::vector<ComparisonEntry> partitionEntries(const RunOptions& base) {
    std::vector<ComparisonEntry> out;
    std::vector<std::vector<int>> cuts;
    auto add = [&](const std::string& label, RunOptions o) {
        o.csvPath.clear();
        o.tracePath.clear();
        for (std::size_t k = 0; k < cuts.size(); ++k)
            if (cuts[k] == o.split) {
                out[k].label += " = " + label;
                return;
            }
        cuts.push_back(o.split);
        out.push_back({label, std::string(), std::move(o)});
    };
    for (const char* method : {"uniform", "time", "memory", "pipedream", "schedule"}) {
        RunOptions o = base;
        o.partition = method;
        try {
            o.split = choosePartition(o, layerCosts(o));
        } catch (const std::exception&) {
            continue;  // no cut meets the goal
        }
        add(method, std::move(o));
    }
    if (base.partition == "split") add("dragged", base);
    for (ComparisonEntry& e : out) {
        std::string layers;
        try {
            for (const std::string& l : predictCut(e.options).stageLayers)
                layers += (layers.empty() ? "" : " | ") + l;
        } catch (const std::exception&) {
        }
        e.name = e.label + ": " + layers;
    }
    return out;
}

HeldOutTarget heldOutTarget(const std::vector<ComparisonRow>& rows) {
    HeldOutTarget t;
    bool any = false, accuracy = true;
    for (const ComparisonRow& r : rows)
        if (!r.evaluations.empty()) {
            any = true;
            accuracy = accuracy && std::isfinite(r.evaluations.back().accuracy);
        }
    if (!any) return t;
    t.accuracy = accuracy;
    t.value = accuracy ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
    for (const ComparisonRow& r : rows) {
        if (r.evaluations.empty()) continue;
        const EvaluationEvent& last = r.evaluations.back();
        t.value = accuracy ? std::min(t.value, last.accuracy) : std::max(t.value, last.loss);
    }
    return t;
}

double secondsToTarget(const ComparisonRow& row, const HeldOutTarget& target) {
    for (const EvaluationEvent& e : row.evaluations)
        if (target.accuracy ? e.accuracy >= target.value : e.loss <= target.value)
            return static_cast<double>(e.trainUs) / 1e6;
    return std::numeric_limits<double>::quiet_NaN();
}

ComparisonRow compareOne(const RunOptions& base, ScheduleKind kind, const RunFactory& factory) {
    return compareEntry({toString(kind), displayName(kind), comparisonOptions(base, kind)},
                        factory);
}

ComparisonRow compareEntry(const ComparisonEntry& entry, const RunFactory& factory) {
    const RunOptions& o = entry.options;
    ComparisonRow row = analyticRow(entry);
    if (!row.valid || !factory) return row;
    RowSink sink(o.schedule.stages, o.schedule.chunks);
    try {
        std::unique_ptr<Run> run = factory(o, sink);
        run->start();
        run->wait();
    } catch (const std::exception& e) {
        row.problem = e.what();
        return row;
    }
    sink.fill(row);
    return row;
}

ComparisonJob::ComparisonJob(std::vector<ComparisonEntry> entries, RunFactory factory,
                             RowCallback onRow, DoneCallback onDone)
    : entries_(std::move(entries)),
      factory_(std::move(factory)),
      onRow_(std::move(onRow)),
      onDone_(std::move(onDone)) {}

ComparisonJob::~ComparisonJob() {
    cancel();
}

void ComparisonJob::start() {
    if (thread_.joinable() || done_) return;
    thread_ = std::thread([this] { loop(); });
}

void ComparisonJob::loop() {
    for (const ComparisonEntry& entry : entries_) {
        if (cancelled_) break;
        // The factory's run is made here so that cancel() can reach it.
        RunFactory tracked;
        if (factory_)
            tracked = [this](const RunOptions& o, EventSink& sink) {
                std::unique_ptr<Run> run = factory_(o, sink);
                std::lock_guard<std::mutex> lock(mutex_);
                current_ = run.get();
                if (cancelled_) run->cancel();
                return std::unique_ptr<Run>(new TrackedRun(std::move(run), mutex_, current_));
            };
        ComparisonRow row = compareEntry(entry, tracked);
        if (cancelled_) break;
        if (onRow_) onRow_(row);
    }
    done_ = true;
    if (onDone_) onDone_(cancelled_);
}

void ComparisonJob::cancel() {
    cancelled_ = true;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (current_) current_->cancel();
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool ComparisonJob::wait(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done_) {
        if (timeout != std::chrono::milliseconds::max() &&
            std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    return true;
}

}  // namespace pd
