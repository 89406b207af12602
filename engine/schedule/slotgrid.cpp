#include "engine/schedule/slotgrid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pd {

double slotUnit(const Timeline& tl) {
    double unit = 0.0;
    for (const TimedAction& t : tl.actions) {
        const double d = t.end - t.start;
        if (d > 1e-12 && (unit == 0.0 || d < unit)) unit = d;
    }
    return unit > 0.0 ? unit : 1.0;
}

SlotGrid slotGrid(const Schedule& schedule, const Timeline& tl) {
    SlotGrid g;
    const int S = static_cast<int>(schedule.stages.size());
    g.unit = slotUnit(tl);
    g.slots = static_cast<int>(std::llround(std::ceil(tl.makespan / g.unit - 1e-9)));
    g.start.resize(static_cast<std::size_t>(S));
    g.end.resize(static_cast<std::size_t>(S));
    g.gate.resize(static_cast<std::size_t>(S));
    g.batchEnd.assign(static_cast<std::size_t>(std::max(schedule.config.batches, 0)), 0);
    for (int s = 0; s < S; ++s) {
        const std::size_t n = tl.stageBegin[static_cast<std::size_t>(s) + 1] -
                              tl.stageBegin[static_cast<std::size_t>(s)];
        auto& st = g.start[static_cast<std::size_t>(s)];
        auto& en = g.end[static_cast<std::size_t>(s)];
        auto& ga = g.gate[static_cast<std::size_t>(s)];
        st.resize(n);
        en.resize(n);
        ga.resize(n);
        for (std::size_t k = 0; k < n; ++k) {
            const TimedAction& t = tl.actions[tl.stageBegin[static_cast<std::size_t>(s)] + k];
            const int a = static_cast<int>(std::llround(t.start / g.unit));
            const int b = static_cast<int>(std::llround(t.end / g.unit));
            st[k] = a;
            en[k] = b;
            ga[k] = b > a ? a : std::max(0, a - 1);
            const auto batch = static_cast<std::size_t>(t.action.batch);
            if (batch < g.batchEnd.size())
                g.batchEnd[batch] = std::max(g.batchEnd[batch], std::max(b, ga[k] + 1));
        }
    }
    // A zero-cost update at the very end belongs to the last slot; the batch
    // boundaries never pass the end.
    for (int& b : g.batchEnd) b = std::min(b, g.slots);
    return g;
}

SlotGrid slotGrid(const Schedule& schedule) {
    return slotGrid(schedule, simulate(schedule));
}

int SlotGrid::frontier(const std::vector<std::size_t>& ran) const {
    int f = slots;
    for (std::size_t s = 0; s < gate.size(); ++s) {
        const std::size_t k = s < ran.size() ? ran[s] : 0;
        if (k < gate[s].size()) f = std::min(f, gate[s][k]);
    }
    return f;
}

int SlotGrid::nextBatchEnd(int slot) const {
    int best = slots;
    for (int b : batchEnd)
        if (b > slot) best = std::min(best, b);
    return best;
}

int SlotGrid::previousBatchEnd(int slot) const {
    int best = 0;
    for (int b : batchEnd)
        if (b < slot) best = std::max(best, b);
    return best;
}

std::vector<bool> cleanBatchEnds(const Schedule& schedule, const SlotGrid& grid) {
    const std::size_t B = grid.batchEnd.size();
    // Per batch, the latest and the earliest gate of its actions.
    std::vector<int> latest(B, std::numeric_limits<int>::min());
    std::vector<int> earliest(B, std::numeric_limits<int>::max());
    for (std::size_t s = 0; s < schedule.stages.size() && s < grid.gate.size(); ++s)
        for (std::size_t i = 0; i < schedule.stages[s].size() && i < grid.gate[s].size(); ++i) {
            const int b = schedule.stages[s][i].batch;
            if (b < 0 || static_cast<std::size_t>(b) >= B) continue;
            latest[b] = std::max(latest[b], grid.gate[s][i]);
            earliest[b] = std::min(earliest[b], grid.gate[s][i]);
        }
    // Batch b's end is clean when batches up to b end before it and the
    // later ones start at or after it.
    std::vector<int> startAfter(B + 1, std::numeric_limits<int>::max());
    for (std::size_t b = B; b-- > 0;) startAfter[b] = std::min(startAfter[b + 1], earliest[b]);
    std::vector<bool> clean(B, false);
    int upTo = std::numeric_limits<int>::min();
    for (std::size_t b = 0; b < B; ++b) {
        upTo = std::max(upTo, latest[b]);
        clean[b] = upTo < grid.batchEnd[b] && startAfter[b + 1] >= grid.batchEnd[b];
    }
    return clean;
}

int SlotGrid::afterStepSlot(int frontier, int reached) const {
    return std::min(slots, std::max(frontier, reached) + 1);
}

int SlotGrid::afterStepBatch(int frontier, int reached) const {
    return nextBatchEnd(std::max(frontier, reached));
}

}  // namespace pd
