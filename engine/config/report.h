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
    Timeline timeline;
    Analysis analysis;
    ClosedForm closed;
};

// Generates, validates (throws std::logic_error on a violation, which would
// be our bug), simulates and analyses. Throws ConfigError on bad options.
DryRun makeDryRun(const RunOptions& options, const OpCosts& costs = {});

// Time step x stage table like the tutorial's: one row per time unit, a cell
// per stage with op, microbatch and weight version ("F mb3 v2"), "idle"
// where the stage waits. At most `maxRows` rows, then a note.
std::string formatGrid(const DryRun& run, int maxRows = 240);

// Makespan, bubble simulated vs closed form, per-stage utilization, peak
// activations and versions held next to the formulas.
std::string formatFigures(const DryRun& run);

json::Ordered toJson(const DryRun& run);

// What a cut (--split, --partition) does by the layers' estimated costs:
// per stage its share of the compute and its memory (and the equal cut's),
// and the simulated makespan under both cuts (same units).
struct CutFigures {
    std::vector<double> share;
    std::vector<std::int64_t> memory, equalMemory;
    double makespan = 0.0, equalMakespan = 0.0;
};
CutFigures cutFigures(const RunOptions& options);
std::string formatCut(const RunOptions& options);

// The run's configuration as the first members of a JSON object: schedule,
// display_name, stages, microbatches, batches, chunks, vertical_sync, stash,
// layers, batch_size (shared by the dry-run and the training summaries).
json::Ordered configJson(const RunOptions& options);

// "12.5%" style helpers shared by the reports.
std::string percent(double fraction, int decimals = 1);
std::string fixed(double value, int decimals);

}  // namespace pd
