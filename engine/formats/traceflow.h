// Hand-offs between stages: the activation a forward sends to the next model
// part and the gradient a backward sends to the previous one. One rule for
// the timeline's arrows and the Chrome trace's flow events (Perfetto draws
// them as arrows between slices).
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <tuple>
#include <vector>

#include "engine/base/json.h"
#include "engine/schedule/events.h"

namespace pd {

struct FlowLink {
    std::size_t from = 0;   // index of the sending record
    std::size_t to = 0;     // index of the receiving record
    bool gradient = false;  // false: activation (forward), true: gradient (backward)
};

// Whether `op` passes something to a neighbouring part: F an activation,
// B and I (the input gradient of a split backward) a gradient. W and U
// stay on their stage.
inline bool sendsActivation(Op op) {
    return op == Op::F;
}
inline bool sendsGradient(Op op) {
    return op == Op::B || op == Op::I;
}

// Links of `records` (anything with stage, op, batch, microbatch): a
// microbatch's forwards run through the model parts in order, so sorted by
// start they are its path; each step to another stage is a hand-off (a step
// on the same stage, as at the turn of a V, is local and not linked). The
// same for its gradient ops, backwards.
template <typename Rec, typename StartOf>
std::vector<FlowLink> flowLinks(const std::vector<Rec>& records, StartOf startOf) {
    std::map<std::tuple<int, int, bool>, std::vector<std::size_t>> paths;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const Rec& r = records[i];
        if (r.microbatch < 0) continue;
        if (sendsActivation(r.op) || sendsGradient(r.op))
            paths[std::make_tuple(static_cast<int>(r.batch), static_cast<int>(r.microbatch),
                                  sendsGradient(r.op))]
                .push_back(i);
    }
    std::vector<FlowLink> links;
    for (auto& [key, path] : paths) {
        std::stable_sort(path.begin(), path.end(), [&](std::size_t a, std::size_t b) {
            return startOf(records[a]) < startOf(records[b]);
        });
        for (std::size_t k = 1; k < path.size(); ++k)
            if (records[path[k - 1]].stage != records[path[k]].stage)
                links.push_back({path[k - 1], path[k], std::get<2>(key)});
    }
    return links;
}

// The Chrome trace's flow events of `slots`: per link a "s" event on the
// sender's track and a "f" event (bound to the enclosing slice) on the
// receiver's, with one id per pair.
std::vector<json::Ordered> flowEvents(const std::vector<SlotEvent>& slots);

}  // namespace pd
