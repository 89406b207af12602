#include "measured.h"

#include <algorithm>
#include <array>

namespace pd {

Timeline timelineFromSlots(const std::vector<SlotEvent>& slots, int stages) {
    Timeline t;
    std::vector<std::vector<TimedAction>> byStage(static_cast<std::size_t>(std::max(stages, 0)));
    for (const SlotEvent& e : slots) {
        if (e.stage < 0 || e.stage >= stages) continue;
        TimedAction a;
        a.stage = e.stage;
        a.action.batch = e.batch;
        a.action.microbatch = e.microbatch;
        a.action.op = e.op;
        a.action.chunk = e.chunk;
        a.action.version = e.version;
        a.action.mismatch = e.mismatch;
        a.start = static_cast<double>(e.startUs);
        a.end = static_cast<double>(e.endUs);
        byStage[static_cast<std::size_t>(e.stage)].push_back(a);
    }
    t.stageBegin.push_back(0);
    double first = 0.0, last = 0.0;
    bool any = false;
    for (auto& lane : byStage) {
        std::stable_sort(lane.begin(), lane.end(),
                         [](const TimedAction& a, const TimedAction& b) { return a.start < b.start; });
        for (const TimedAction& a : lane) {
            first = any ? std::min(first, a.start) : a.start;
            last = any ? std::max(last, a.end) : a.end;
            any = true;
            t.actions.push_back(a);
        }
        t.stageBegin.push_back(t.actions.size());
    }
    t.makespan = any ? last - first : 0.0;
    return t;
}

OpCosts meanOpCosts(const std::vector<SlotEvent>& slots, int chunks) {
    std::array<double, 5> sum{};
    std::array<long long, 5> count{};
    for (const SlotEvent& e : slots) {
        const auto k = static_cast<std::size_t>(e.op);
        sum[k] += static_cast<double>(e.endUs - e.startUs);
        ++count[k];
    }
    auto mean = [&](Op op) -> double {
        const auto k = static_cast<std::size_t>(op);
        return count[k] ? sum[k] / static_cast<double>(count[k]) : -1.0;
    };
    const OpCosts unit;
    const double v = std::max(chunks, 1);
    OpCosts c;
    const double f = mean(Op::F);
    if (f < 0) return unit;
    c.f = f * v;
    const double scale = c.f / unit.f;
    auto pick = [&](Op op, double fallback) {
        const double m = mean(op);
        return m < 0 ? fallback * scale : (op == Op::U ? m : m * v);
    };
    c.b = pick(Op::B, unit.b);
    c.i = pick(Op::I, unit.i);
    c.w = pick(Op::W, unit.w);
    c.u = pick(Op::U, unit.u);
    return c;
}

MeasuredFigures measureRun(const Schedule& schedule, const std::vector<SlotEvent>& slots,
                           const std::vector<MemoryEvent>& memory) {
    const int S = static_cast<int>(schedule.stages.size());
    MeasuredFigures m;
    m.costs = meanOpCosts(slots, schedule.config.chunks);
    m.measured = analyze(schedule, timelineFromSlots(slots, S));
    m.ideal = analyze(schedule, simulate(schedule, m.costs));
    m.peakBytes.assign(S, 0);
    m.peakActivationBytes.assign(S, 0);
    m.peakStashBytes.assign(S, 0);
    m.peakActivations.assign(S, 0);
    m.peakVersions.assign(S, 0);
    for (const MemoryEvent& e : memory) {
        if (e.stage < 0 || e.stage >= S) continue;
        const auto s = static_cast<std::size_t>(e.stage);
        m.peakBytes[s] = std::max(m.peakBytes[s], e.activationBytes + e.stashBytes);
        m.peakActivationBytes[s] = std::max(m.peakActivationBytes[s], e.activationBytes);
        m.peakStashBytes[s] = std::max(m.peakStashBytes[s], e.stashBytes);
        m.peakActivations[s] = std::max(m.peakActivations[s], e.activationsInFlight);
        m.peakVersions[s] = std::max(m.peakVersions[s], e.versionsHeld);
    }
    return m;
}

}  // namespace pd
