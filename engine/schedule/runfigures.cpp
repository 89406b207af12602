#include "engine/schedule/runfigures.h"

#include <algorithm>

namespace pd {

RunFigures::RunFigures(int stages, int chunks) : chunks_(std::max(chunks, 1)) {
    const auto S = static_cast<std::size_t>(std::max(stages, 0));
    busyUs_.assign(S, 0.0);
    peaks_.bytes.assign(S, 0);
    peaks_.activationBytes.assign(S, 0);
    peaks_.stashBytes.assign(S, 0);
    peaks_.activations.assign(S, 0);
    peaks_.versions.assign(S, 0);
}

void RunFigures::addSlot(const SlotEvent& e) {
    if (e.stage < 0 || e.stage >= stages()) return;
    const std::int64_t end = std::max(e.endUs, e.startUs);
    firstUs_ = slots_ ? std::min(firstUs_, e.startUs) : e.startUs;
    lastUs_ = slots_ ? std::max(lastUs_, end) : end;
    ++slots_;
    const double d = static_cast<double>(end - e.startUs);
    busyUs_[static_cast<std::size_t>(e.stage)] += d;
    const auto k = static_cast<std::size_t>(e.op);
    opSum_[k] += d;
    ++opCount_[k];
}

void RunFigures::addMemory(const MemoryEvent& e) {
    if (e.stage < 0 || e.stage >= stages()) return;
    const auto s = static_cast<std::size_t>(e.stage);
    ++memoryEvents_;
    peaks_.bytes[s] = std::max(peaks_.bytes[s], e.activationBytes + e.stashBytes);
    peaks_.activationBytes[s] = std::max(peaks_.activationBytes[s], e.activationBytes);
    peaks_.stashBytes[s] = std::max(peaks_.stashBytes[s], e.stashBytes);
    peaks_.activations[s] = std::max(peaks_.activations[s], e.activationsInFlight);
    peaks_.versions[s] = std::max(peaks_.versions[s], e.versionsHeld);
}

OpCosts RunFigures::costs() const {
    auto mean = [&](Op op) -> double {
        const auto k = static_cast<std::size_t>(op);
        return opCount_[k] ? opSum_[k] / static_cast<double>(opCount_[k]) : -1.0;
    };
    const OpCosts unit;
    const double f = mean(Op::F);
    if (f < 0) return unit;
    const double v = chunks_;
    OpCosts c;
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

double RunFigures::msPerUnit() const {
    if (!opCount_[static_cast<std::size_t>(Op::F)]) return 1.0;
    const double ms = costs().f / 1000.0;
    return ms > 0.0 ? ms : 1.0;
}

void fillUtilization(Analysis& out, const std::vector<double>& busy, double makespan) {
    const int S = static_cast<int>(busy.size());
    out.stages.resize(busy.size());
    out.makespan = makespan;
    double total = 0.0;
    for (int s = 0; s < S; ++s) {
        StageFigures& f = out.stages[static_cast<std::size_t>(s)];
        f.busy = busy[static_cast<std::size_t>(s)];
        f.utilization = makespan > 0 ? f.busy / makespan : 0.0;
        total += f.busy;
    }
    out.meanUtilization = (S > 0 && makespan > 0) ? total / (S * makespan) : 0.0;
    out.bubbleFraction = (S > 0 && makespan > 0) ? 1.0 - out.meanUtilization : 0.0;
}

Analysis RunFigures::utilization() const {
    Analysis out;
    fillUtilization(out, busyUs_, makespanUs());
    return out;
}

}  // namespace pd
