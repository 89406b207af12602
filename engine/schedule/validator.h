// Replays action lists and reports every broken rule with the offending
// action named: dependencies, overlap, deadlock, missing or repeated
// microbatches, the kind's weight-version rule.
#pragma once

#include <string>
#include <vector>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"

namespace pd {

struct Violation {
    enum class Kind { Dependency, Overlap, Deadlock, Missing, Repeated, Version, Malformed };
    Kind kind = Kind::Malformed;
    int stage = -1;
    Action action;
    std::string message;  // "stage 2: B b0 mb1 v0: runs before its F on this stage"
};

const char* toString(Violation::Kind kind);

// Structural check of a schedule: every microbatch (and chunk) has one F and
// one backward (B, or I then W) per stage, one update where the kind wants
// it, no deadlock when replayed, and versions follow the kind's rule.
std::vector<Violation> validate(const Schedule& schedule);

// Check of a timeline (ideal or measured) against the schedule's rules:
// dependencies hold in time, no two ops of one stage overlap. `slack` is a
// tolerance in the timeline's units for measured clocks.
std::vector<Violation> validateTimeline(const Schedule& schedule, const Timeline& timeline,
                                        double slack = 0.0);

}  // namespace pd
