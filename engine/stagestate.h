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

#include "schedule.h"

namespace pd {

struct StageSnapshot {
    int newest = 0;            // version the stage's last update produced (0 before any)
    std::vector<int> stashed;  // older versions read by forwards whose backward is still to run
    int activations = 0;       // microbatch(-chunk)s forwarded, weight gradient (B or W) not made
};

template <typename It>
StageSnapshot stageSnapshot(It first, It last) {
    StageSnapshot snap;
    std::map<std::tuple<int, int, int>, int> readBy;  // forward in flight -> version it read
    for (It it = first; it != last; ++it) {
        const auto key = std::make_tuple(it->batch, it->microbatch, it->chunk);
        switch (it->op) {
            case Op::F:
                readBy[key] = it->version;
                ++snap.activations;
                break;
            // Held until the weight gradient is made: at B, or at W where
            // the backward is split (the engine's and the simulator's rule).
            case Op::B:
            case Op::W:
                readBy.erase(key);
                snap.activations = std::max(0, snap.activations - 1);
                break;
            case Op::I:
                break;
            case Op::U:
                snap.newest = std::max(snap.newest, it->version);
                break;
        }
    }
    std::set<int> held;
    for (const auto& entry : readBy)
        if (entry.second != snap.newest) held.insert(entry.second);
    snap.stashed.assign(held.begin(), held.end());
    return snap;
}

}  // namespace pd
