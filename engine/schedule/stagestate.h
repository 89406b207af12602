// What a stage holds after it executed a prefix of its actions: the newest
// weight version, the older versions stashed for microbatches still in
// flight, and the activations in flight. Derived from the actions alone, so
// a live run, a simulation and a run opened from a file show the same state
// at a cursor. Works on any record with op, version, batch, microbatch and
// chunk (SlotEvent, the UI's boxes).
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "engine/schedule/schedule.h"

namespace pd {

struct StageSnapshot {
    int newest = 0;            // version the stage's last update produced (0 before any)
    std::vector<int> stashed;  // older versions read by forwards whose backward is still to run
    int activations = 0;       // microbatch(-chunk)s forwarded, weight gradient (B or W) not made
};

// Folds a stage's actions in, one at a time, in execution order.
class StageWalker {
public:
    template <typename Action>
    void add(const Action& a) {
        const auto key = std::make_tuple(static_cast<int>(a.batch), static_cast<int>(a.microbatch),
                                         static_cast<int>(a.chunk));
        switch (a.op) {
            case Op::F:
                readBy_[key] = a.version;
                ++activations_;
                break;
            // Held until the weight gradient is made: at B, or at W where
            // the backward is split (the engine's and the simulator's rule).
            case Op::B:
            case Op::W:
                readBy_.erase(key);
                activations_ = std::max(0, activations_ - 1);
                break;
            case Op::I:
                break;
            case Op::U:
                newest_ = std::max(newest_, static_cast<int>(a.version));
                break;
        }
        ++count_;
    }
    std::size_t count() const { return count_; }  // actions folded in
    StageSnapshot snapshot() const {
        StageSnapshot snap;
        snap.newest = newest_;
        snap.activations = activations_;
        std::set<int> held;
        for (const auto& entry : readBy_)
            if (entry.second != newest_) held.insert(entry.second);
        snap.stashed.assign(held.begin(), held.end());
        return snap;
    }

private:
    std::map<std::tuple<int, int, int>, int> readBy_;  // forward in flight -> version it read
    int newest_ = 0;
    int activations_ = 0;
    std::size_t count_ = 0;
};

template <typename It>
StageSnapshot stageSnapshot(It first, It last) {
    StageWalker walker;
    for (It it = first; it != last; ++it) walker.add(*it);
    return walker.snapshot();
}

}  // namespace pd
