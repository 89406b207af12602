// Every schedule on one configuration, or every partitioner's cut for one
// schedule: simulated, and really run when a run factory is given, one
// after another on a thread of its own. A
// comparison is a Run like any other: cancel() stops the kind in progress
// and returns at once, so closing a window or opening a file never waits
// for a comparison to finish. Plain C++: no Qt, no torch.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/run/run.h"
#include "engine/schedule/simulator.h"

namespace pd {

struct ComparisonRow {
    ScheduleKind kind = ScheduleKind::Naive;
    std::string label;  // short, for the chart: the kind ("1f1b") or the partitioner ("time")
    std::string name;   // for the table: "1F1B (PipeDream-Flush)", "time: L1-2 | L3-6"
    bool valid = false;
    std::string problem;  // why the kind does not fit, or why its real run failed
    double analyticUtilization = std::numeric_limits<double>::quiet_NaN();
    double analyticBubble = std::numeric_limits<double>::quiet_NaN();
    double measuredUtilization = std::numeric_limits<double>::quiet_NaN();
    double measuredBubble = std::numeric_limits<double>::quiet_NaN();
    int peakActivations = 0;  // stage 0, microbatch(-chunk)s in flight
    int versionsHeld = 0;     // most versions any stage keeps
    double finalLoss = std::numeric_limits<double>::quiet_NaN();
    // Activations in flight plus stashed weight versions, the most of any
    // stage, in bytes: measured when the run reported memory, else estimated
    // from the analytic peaks and the model shape.
    double peakMemoryBytes = std::numeric_limits<double>::quiet_NaN();
    bool memoryMeasured = false;
    // The whole run's makespan: simulated (in the ideal's units: each part's
    // own costs where the cut has them) and measured (ms).
    double analyticMakespan = std::numeric_limits<double>::quiet_NaN();
    double measuredMakespanMs = std::numeric_limits<double>::quiet_NaN();
    // A real run's held-out evaluations (real data, or epochs), by batch.
    std::vector<EvaluationEvent> evaluations;
};

// Statistical efficiency across a comparison's rows: the held-out figure
// every row with evaluations reached by its end (the lowest final accuracy,
// or for text the highest final loss), and the training time each row took
// to first reach it.
struct HeldOutTarget {
    bool accuracy = true;  // false: loss (text), lower is better
    double value = std::numeric_limits<double>::quiet_NaN();
};
HeldOutTarget heldOutTarget(const std::vector<ComparisonRow>& rows);
// Seconds of training until `row`'s first evaluation at the target; NaN
// when it has none or never reaches it.
double secondsToTarget(const ComparisonRow& row, const HeldOutTarget& target);

// One configuration of a comparison: a schedule, or a cut of one schedule.
struct ComparisonEntry {
    std::string label;
    std::string name;
    RunOptions options;
};
// Every schedule kind on `base` (comparisonOptions).
std::vector<ComparisonEntry> scheduleEntries(const RunOptions& base);
// Every partitioner's cut of `base`'s model for its schedule, from its
// layers' costs (the profile, else estimated), and `base`'s own cut when it
// was dragged or given: one entry per distinct cut, named by every
// partitioner that chooses it ("time = schedule: L1-2 | L3-6").
std::vector<ComparisonEntry> partitionEntries(const RunOptions& base);

// The memory of one stage of the MLP (fp32), from the model shape: what the
// real run counts (engine/run/runtime.cpp) computed by arithmetic. A forward
// keeps, per linear layer and sample, the layer's input and its
// pre-activation output (model::ForwardTrace: two hidden-wide tensors, not
// one), and the head part its logits as well. The first layer's input is
// taken as hidden wide, as synthetic data is (MNIST's 784 inputs make stage
// 0 a little larger). The comparison's estimate and the simulated run's
// memory events both use it.
struct StageMemory {
    double keptPerMicrobatch = 0.0;  // one microbatch(-chunk) in flight, mean over chunks
    double versionBytes = 0.0;       // one weight version of every chunk of the stage
};
StageMemory stageMemory(const RunOptions& options, int stage);

// Activations in flight plus stashed weight versions, the most of any stage,
// from the analytic peaks (StageFigures) and stageMemory().
double estimatedPeakMemoryBytes(const RunOptions& options, const Analysis& analysis);

// The options of `base` run with `kind` (chunks and PipeDream's variants
// adjusted to what the kind takes).
RunOptions comparisonOptions(const RunOptions& base, ScheduleKind kind);

// One row: the analytic figures, plus the measured ones when `factory` is
// set (a real run). `cancelled` is polled; `current` receives the run in
// progress so that another thread can cancel it.
ComparisonRow compareOne(const RunOptions& base, ScheduleKind kind, const RunFactory& factory);
ComparisonRow compareEntry(const ComparisonEntry& entry, const RunFactory& factory);

class ComparisonJob : public Run {
public:
    using RowCallback = std::function<void(const ComparisonRow&)>;
    using DoneCallback = std::function<void(bool cancelled)>;
    // Callbacks run on the job's thread. `factory` empty: analytic rows only.
    ComparisonJob(std::vector<ComparisonEntry> entries, RunFactory factory, RowCallback onRow,
                  DoneCallback onDone);
    ~ComparisonJob() override;

    void start() override;
    void pause() override {}
    void resume() override {}
    void stepSlot() override {}
    void stepBatch() override {}
    void cancel() override;
    bool paused() const override { return false; }
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) override;
    bool finished() const override { return done_; }

private:
    void loop();

    std::vector<ComparisonEntry> entries_;
    RunFactory factory_;
    RowCallback onRow_;
    DoneCallback onDone_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> done_{false};
    std::mutex mutex_;  // guards current_
    Run* current_ = nullptr;
    std::thread thread_;
};

}  // namespace pd
