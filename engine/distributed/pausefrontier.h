// How a collector pauses and steps ranks it cannot see into: the pause
// logic of a distributed run, apart from its sockets (the collector sends
// the lines this returns to every rank).
//
// Paused before anything ran, every stage stands at its first action:
// frontier 0 at once. Paused while running, each rank is told "pause" and
// answers "held N" (its next action); once every rank has held or ended, the
// frontier is the grid's slot that those positions reach, and steps asked
// meanwhile are applied in order. A step moves the frontier one slot (or to
// the next batch) past where the stages stand.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "engine/schedule/slotgrid.h"

namespace pd {

class PauseFrontier {
public:
    // What goes to every connected rank ("pause", "resume", "frontier N").
    using Send = std::function<void(const std::string&)>;
    // What the collector knows of the ranks.
    struct Ranks {
        // True when stage s's rank has ended (done or lost): it counts as
        // standing after its last action.
        std::function<bool(int stage)> ended;
        // Slot events received per stage.
        const std::vector<std::size_t>& ranPerStage;
    };

    // The run's `world` stages and `grid` (empty: stepping stays at 0),
    // once they are known: a pause asked before (a window attaching to ranks
    // not yet connected) holds.
    void setRun(int world, SlotGrid grid);

    // `started`: the ranks were told to go (so they may be anywhere).
    void pause(bool started, const Ranks& ranks, const Send& send);
    void resume(const Send& send);
    // One slot or one batch past where the stages stand.
    void step(bool batch, const Ranks& ranks, const Send& send);
    // A rank's "held N": its stage stands before its N-th action.
    void held(int stage, std::size_t next, const Ranks& ranks, const Send& send);
    // A rank ended (or another state changed): the frontier may now be known.
    void check(const Ranks& ranks, const Send& send);

    bool paused() const { return paused_; }
    bool known() const { return paused_ && !awaiting_; }
    int frontier() const { return frontier_; }
    // The line a rank that connects while paused is told.
    std::string frontierLine() const { return "frontier " + std::to_string(frontier_); }

private:
    void moveFrontier(bool batch, const Ranks& ranks, const Send& send);

    int world_ = 0;
    SlotGrid grid_;
    bool paused_ = false;
    bool awaiting_ = false;  // told to pause; not every rank has held yet
    int frontier_ = 0;
    std::vector<bool> held_;
    std::vector<std::size_t> next_;
    std::vector<bool> pendingSteps_;  // true: a batch; asked while awaiting
};

}  // namespace pd
