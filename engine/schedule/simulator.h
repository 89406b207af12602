// Ideal timeline of a schedule under per-op costs, and the analytic figures
// (makespan, utilization, bubble, peak activations, versions held).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/schedule/schedule.h"

namespace pd {

// Cost of one op of one microbatch on one whole stage. For interleaved each
// chunk holds 1/V of the stage's layers, so its ops cost 1/V of these.
struct OpCosts {
    double f = 1.0;
    double b = 2.0;
    double i = 1.0;
    double w = 1.0;
    double u = 0.0;

    double of(Op op) const;
};

struct TimedAction {
    int stage = 0;
    Action action;
    double start = 0.0;
    double end = 0.0;
};

struct Timeline {
    // Grouped by stage, each stage in execution order (so starts ascend).
    std::vector<TimedAction> actions;
    std::vector<std::size_t> stageBegin;  // index of each stage's first action; size S+1
    double makespan = 0.0;
};

// Throws std::logic_error if the schedule deadlocks (validate() first).
Timeline simulate(const Schedule& schedule, const OpCosts& costs = {});
// The same with each model part's own costs (partOf: part = chunk * S +
// stage, or the V placement), as from a per-layer profile: `perPart` holds
// config.parts() entries, each for the whole part (no 1/V scaling); a U
// costs the sum of the stage's parts' u.
Timeline simulate(const Schedule& schedule, const std::vector<OpCosts>& perPart);

struct StageFigures {
    double busy = 0.0;
    double utilization = 0.0;  // busy / makespan
    int peakActivations = 0;   // microbatch(-chunk)s forwarded whose B (or W) is not done
    int versionsHeld = 0;      // peak distinct weight versions the stage must keep
};

struct Analysis {
    double makespan = 0.0;
    double bubbleFraction = 0.0;  // idle / (S x makespan)
    double meanUtilization = 0.0;
    std::vector<StageFigures> stages;
};

// Figures measured on a timeline (ideal or real: the same definitions).
Analysis analyze(const Schedule& schedule, const Timeline& timeline);

// Closed forms of shared/docs/schedules.md (equal stages, default costs).
struct ClosedForm {
    std::optional<double> bubble;  // idle / (S x makespan) under the default costs
    // True where the simulator must reproduce `bubble` exactly under the
    // default costs (naive, gpipe and 1f1b for any tF, tB; interleaved;
    // pipedream and 2bw per run; zb-h1 when M >= S). Otherwise approximate.
    bool exact = false;
    std::string bubbleFormula;         // e.g. "(S-1)/(M+S-1) = 3/11"
    std::vector<int> peakActivations;  // per stage, per the formula table
    bool peakFromOrder = false;        // no formula: peakActivations walked off the order
    std::vector<int> versionsHeld;     // per stage, per the formula table
};
ClosedForm closedForm(const ScheduleConfig& config);

}  // namespace pd
