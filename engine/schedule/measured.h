// Figures of a measured run (real timestamps) with the same definitions as
// the ideal ones: utilization, bubble, and an ideal timeline simulated with
// the op costs measured in the run, so measured and analytic compare fairly.
// Pure C++ (pd_schedule): used by pipedream-train and the UI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/simulator.h"

namespace pd {

// Measured slot events as a timeline (microseconds), grouped by stage in
// start order, so that analyze() applies to it.
Timeline timelineFromSlots(const std::vector<SlotEvent>& slots, int stages);

// Mean measured duration (us) of each op, scaled to a whole stage (for
// interleaved, a chunk's op times V). Ops that did not run keep the default
// ratios relative to the measured forward.
OpCosts meanOpCosts(const std::vector<SlotEvent>& slots, int chunks);

struct MeasuredFigures {
    OpCosts costs;                        // measured means (us per whole-stage op)
    Analysis measured;                    // from the real timestamps
    Analysis ideal;                       // simulated with `costs` (no overhead, no noise)
    std::vector<std::int64_t> peakBytes;  // per stage: activations + stashed weights
    std::vector<std::int64_t> peakActivationBytes;
    std::vector<std::int64_t> peakStashBytes;
    std::vector<int> peakActivations;  // per stage, from memory events
    std::vector<int> peakVersions;     // per stage, from memory events
};

// Which schedule recorded these events (a CSV or trace opened from disk):
// S, V, M and B from the largest indices, and the kind (with PipeDream's
// vertical-sync and no-stash variants) whose per-stage action lists the
// recorded per-stage order matches, action for action (batch, microbatch,
// op, chunk, version). A cancelled run matches as a prefix of each stage's
// list; then `complete` is false. Nothing matches: Error says what the
// events were checked against.
struct IdentifiedSchedule {
    ScheduleConfig config;
    std::size_t recorded = 0;  // slot events in the file
    std::size_t expected = 0;  // actions of the whole schedule
    bool complete = false;
};
IdentifiedSchedule identifySchedule(const std::vector<SlotEvent>& slots);

MeasuredFigures measureRun(const Schedule& schedule, const std::vector<SlotEvent>& slots,
                           const std::vector<MemoryEvent>& memory);

}  // namespace pd
