// The schedule's time steps: the tutorial's t0, t1, ... grid, in which a
// live, stepped, simulated or opened run is read slot by slot. One slot is
// the shortest op of the ideal timeline under the default costs (a forward;
// a chunk's forward for interleaved kinds), the same rows the dry-run
// table prints. The runtime steps by these slots and the UI's cursor moves
// over them, so "step one slot" means the same everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"

namespace pd {

struct SlotGrid {
    double unit = 1.0;  // simulator units per slot
    int slots = 0;      // slots of the whole schedule (its makespan)
    // Per stage, per action in execution order:
    std::vector<std::vector<int>> start;  // first slot the action occupies
    std::vector<std::vector<int>> end;    // slot after its last (== start for a zero-cost update)
    // The slot an action belongs to: it runs once the cursor has passed it
    // (an update, which takes no time, belongs to the slot before it).
    std::vector<std::vector<int>> gate;
    // Per batch: the first slot by which every action of the batch has run.
    std::vector<int> batchEnd;

    bool empty() const { return start.empty(); }
    // Smallest gate among the actions each stage has not run yet, given how
    // many each has run; `slots` when every stage is done. The cursor may
    // stand anywhere up to it: every action before it has run.
    int frontier(const std::vector<std::size_t>& ranPerStage) const;
    // The first batch boundary after `slot` (`slots` if none).
    int nextBatchEnd(int slot) const;
    // The last batch boundary before `slot` (0 if none).
    int previousBatchEnd(int slot) const;
    // A paused run's frontier after a step: `frontier` is where it was
    // allowed to go, `reached` where its stages stand (frontier()). One
    // more slot, or up to the next batch boundary.
    int afterStepSlot(int frontier, int reached) const;
    int afterStepBatch(int frontier, int reached) const;
};

// Per batch, whether its end is a clean cut: every action of that batch
// and the ones before runs before it, and none of a later batch does, so
// no message between stages crosses it. Flushing kinds cut cleanly at
// every batch; asynchronous ones (pipedream, 2bw) only after the last.
// One pass over the actions.
std::vector<bool> cleanBatchEnds(const Schedule& schedule, const SlotGrid& grid);

// Grid of `timeline` (simulated from `schedule` under the default costs).
SlotGrid slotGrid(const Schedule& schedule, const Timeline& timeline);
// Simulates under the default costs first.
SlotGrid slotGrid(const Schedule& schedule);

// Shortest positive op duration of a timeline: one slot (1.0 if none).
double slotUnit(const Timeline& timeline);

}  // namespace pd
