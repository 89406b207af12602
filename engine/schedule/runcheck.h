// Checks of a run read from a file (CSV or Chrome trace), so that a forged,
// edited or corrupted file is refused with its first violation named instead
// of being shown with impossible figures, and so that the work spent on it
// stays proportional to its size. Pure C++ (pd_schedule).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/schedule.h"

namespace pd {

// Latest time a recorded event may have (us from the run's start; about 35
// years): durations and sums of durations then stay exact in a double.
constexpr std::int64_t kMaxRecordedUs = std::int64_t{1} << 50;

// The events alone: times in [0, kMaxRecordedUs], no two events of one stage
// overlapping in time, and no more batches x microbatches than the forwards
// recorded can account for (every schedule runs each batch's forwards in
// order on the first stage, so a run that names batch B and microbatch M has
// at least max((B-1) x M + 1, M) forwards there). Throws Error naming the
// first violation.
void checkRecordedSlots(const std::vector<SlotEvent>& slots);

// Upper bound of the actions of a schedule of `config`, of any kind, by
// arithmetic alone: F, backward and W per model part and microbatch, plus an
// update per stage and microbatch.
std::uint64_t actionBound(const ScheduleConfig& config);

// The most schedule actions identifySchedule may generate, over all the
// candidates it tries, for a file of `recorded` events.
std::uint64_t identifyBudget(std::size_t recorded);

// The events against the schedule they were identified as: every action's
// dependencies on other stages and ops (F of the previous part, backward of
// the next, F before its backward, B / I before W) are in the file and ended
// before it started. A deleted stage leaves its neighbours' dependencies
// missing, so it is caught here. Throws Error naming the earliest violation.
void checkRecordedDependencies(const ScheduleConfig& config, const std::vector<SlotEvent>& slots);

}  // namespace pd
