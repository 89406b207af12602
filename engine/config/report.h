// Human- and machine-readable reports of a schedule and its analytic
// figures (pipedream-train --dry-run, and the UI's explain panel).
#pragma once

#include <string>

#include "engine/base/json.h"
#include "engine/config/options.h"
#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"

namespace pd {

struct DryRun {
    RunOptions options;
    Schedule schedule;
    OpCosts costs;
    std::vector<OpCosts> partCosts;  // per model part when the cut's costs are used
    Timeline timeline;
    Analysis analysis;
    ClosedForm closed;
};

// Generates, validates (throws std::logic_error on a violation, which would
// be our bug), simulates and analyses. Throws ConfigError on bad options.
// A model cut by a partitioner, by hand or with a profile is simulated with
// each part's own costs (idealPartCosts); else every part costs `costs`.
DryRun makeDryRun(const RunOptions& options, const OpCosts& costs = {});
// Each model part's op costs from the layers' profile or estimate, scaled so
// that a part's mean forward is 1 unit; empty for the tutorial's MLP in
// equal parts (--partition uniform without a profile) and a cut that does
// not fit.
std::vector<OpCosts> idealPartCosts(const RunOptions& options);

// Time step x stage table like the tutorial's: one row per time unit, a cell
// per stage with op, microbatch and weight version ("F mb3 v2"), "idle"
// where the stage waits. At most `maxRows` rows, then a note.
std::string formatGrid(const DryRun& run, int maxRows = 240);

// Makespan, bubble simulated vs closed form, per-stage utilization, peak
// activations and versions held next to the formulas.
std::string formatFigures(const DryRun& run);

json::Ordered toJson(const DryRun& run);

// What the cut (--split, --partition, or the equal one) is predicted to do,
// from the layers' profile (milliseconds) or their estimated costs (relative
// units): per stage its layers, forward and backward time per microbatch and
// busy time over the run, memory; the run's simulated makespan and bubble,
// beside the equal cut's.
struct CutPrediction {
    std::string method;      // uniform | time | memory | pipedream | schedule | split
    std::string costSource;  // "measured ...", "profile FILE", "estimated from the shapes"
    bool milliseconds = false;
    std::vector<int> boundaries;           // the cut's (the equal one's when not split)
    std::vector<std::string> stageLayers;  // per stage: "L1-3", "L1-2 + L7-8"
    std::vector<double> stageForward;      // per stage, one microbatch through all its parts
    std::vector<double> stageBackward;
    std::vector<double> stageBusy;  // per stage, the whole run (F, B or I+W, U)
    std::vector<std::int64_t> memory, equalMemory;
    double makespan = 0.0, bubble = 0.0;  // the whole run (options.schedule.batches)
    double equalMakespan = 0.0;
};
CutPrediction predictCut(const RunOptions& options);
// The profile as a table: per layer its forward, backward and update ms,
// activation, output and parameter bytes; the bandwidth; how it was taken.
std::string formatProfile(const LayerProfile& profile);
// The prediction as the dry run and the run's header print it.
std::string formatCut(const RunOptions& options);
// "partition": {"method", "boundaries", "cost_source", "units",
// "predicted_stage_ms", "predicted_makespan_ms", ...}; after a run,
// `measuredStageMs` and `measuredMakespanMs` go beside them with the errors.
json::Ordered partitionJson(const RunOptions& options,
                            const std::vector<double>* measuredStageMs = nullptr,
                            double measuredMakespanMs = 0.0);
// Predicted against measured, per stage and for the makespan, as printed
// after a real run.
std::string formatCutAgainstMeasured(const RunOptions& options,
                                     const std::vector<double>& measuredStageMs,
                                     double measuredMakespanMs);

// The run's configuration as the first members of a JSON object: schedule,
// display_name, stages, microbatches, batches, chunks, vertical_sync, stash,
// layers, batch_size (shared by the dry-run and the training summaries).
json::Ordered configJson(const RunOptions& options);

// "12.5%" style helpers shared by the reports.
std::string percent(double fraction, int decimals = 1);
std::string fixed(double value, int decimals);

}  // namespace pd
