// The pause logic of a distributed run (see pausefrontier.h).
#include "engine/distributed/pausefrontier.h"

#include <utility>

namespace pd {

void PauseFrontier::setRun(int world, SlotGrid grid) {
    world_ = world;
    grid_ = std::move(grid);
    held_.assign(static_cast<std::size_t>(world), false);
    next_.assign(static_cast<std::size_t>(world), 0);
}

void PauseFrontier::pause(bool started, const Ranks& ranks, const Send& send) {
    if (paused_) return;
    paused_ = true;
    if (!started) {  // nothing has run: every stage stands at its first action
        frontier_ = 0;
        send(frontierLine());
        return;
    }
    awaiting_ = true;
    held_.assign(static_cast<std::size_t>(world_), false);
    send("pause");
    check(ranks, send);
}

void PauseFrontier::resume(const Send& send) {
    if (!paused_) return;
    paused_ = false;
    awaiting_ = false;
    pendingSteps_.clear();
    send("resume");
}

void PauseFrontier::step(bool batch, const Ranks& ranks, const Send& send) {
    if (!paused_) return;
    if (awaiting_)
        pendingSteps_.push_back(batch);
    else
        moveFrontier(batch, ranks, send);
}

void PauseFrontier::held(int stage, std::size_t next, const Ranks& ranks, const Send& send) {
    if (!awaiting_ || stage < 0 || stage >= world_) return;
    held_[static_cast<std::size_t>(stage)] = true;
    next_[static_cast<std::size_t>(stage)] = next;
    check(ranks, send);
}

void PauseFrontier::check(const Ranks& ranks, const Send& send) {
    if (!awaiting_) return;
    std::vector<std::size_t> at(static_cast<std::size_t>(world_), 0);
    for (int s = 0; s < world_; ++s) {
        const auto i = static_cast<std::size_t>(s);
        if (ranks.ended(s))
            at[i] = i < grid_.gate.size() ? grid_.gate[i].size() : 0;
        else if (held_[i])
            at[i] = next_[i];
        else
            return;
    }
    awaiting_ = false;
    frontier_ = grid_.empty() ? 0 : grid_.frontier(at);
    send(frontierLine());
    for (bool batch : std::exchange(pendingSteps_, {})) moveFrontier(batch, ranks, send);
}

void PauseFrontier::moveFrontier(bool batch, const Ranks& ranks, const Send& send) {
    const int reached = grid_.empty() ? 0 : grid_.frontier(ranks.ranPerStage);
    frontier_ =
        batch ? grid_.afterStepBatch(frontier_, reached) : grid_.afterStepSlot(frontier_, reached);
    send(frontierLine());
}

}  // namespace pd
