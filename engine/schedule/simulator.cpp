#include "engine/schedule/simulator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "engine/schedule/replay.h"
#include "engine/schedule/runfigures.h"

namespace pd {

double OpCosts::of(Op op) const {
    switch (op) {
        case Op::F:
            return f;
        case Op::B:
            return b;
        case Op::I:
            return i;
        case Op::W:
            return w;
        case Op::U:
            return u;
    }
    return 0.0;
}

namespace {

// The ideal timeline with `cost(stage, action)` per action.
template <typename Cost>
Timeline simulateWith(const Schedule& schedule, const Cost& cost) {
    const ScheduleConfig& c = schedule.config;
    const int S = static_cast<int>(schedule.stages.size());
    detail::DependencyTable deps(c);

    Timeline tl;
    tl.stageBegin.resize(S + 1, 0);
    for (int s = 0; s < S; ++s) tl.stageBegin[s + 1] = tl.stageBegin[s] + schedule.stages[s].size();
    tl.actions.resize(tl.stageBegin[S]);

    std::vector<std::size_t> pos(S, 0);
    std::vector<double> freeAt(S, 0.0);
    const std::size_t ran = detail::replayStages(S, [&](int s) {
        const auto& list = schedule.stages[s];
        std::size_t advanced = 0;
        while (pos[s] < list.size()) {
            const Action& a = list[pos[s]];
            const double dep = deps.ready(s, a);
            if (std::isnan(dep)) break;
            const double start = std::max(freeAt[s], dep);
            const double end = start + cost(s, a);
            deps.done(s, a, end);
            freeAt[s] = end;
            tl.actions[tl.stageBegin[s] + pos[s]] = TimedAction{s, a, start, end};
            ++pos[s];
            ++advanced;
        }
        return advanced;
    });
    if (ran != tl.actions.size())
        throw std::logic_error("schedule deadlocks: run validate() to see where");
    for (double f : freeAt) tl.makespan = std::max(tl.makespan, f);
    return tl;
}

}  // namespace

Timeline simulate(const Schedule& schedule, const OpCosts& costs) {
    // A chunk of an interleaved stage holds 1/V of the stage's layers.
    const double chunkScale = 1.0 / schedule.config.chunks;
    return simulateWith(schedule, [&](int, const Action& a) {
        return a.op == Op::U ? costs.u : costs.of(a.op) * chunkScale;
    });
}

Timeline simulate(const Schedule& schedule, const std::vector<OpCosts>& perPart) {
    const ScheduleConfig& c = schedule.config;
    if (static_cast<int>(perPart.size()) != c.parts())
        throw std::logic_error("simulate: " + std::to_string(perPart.size()) + " part costs for " +
                               std::to_string(c.parts()) + " parts");
    return simulateWith(schedule, [&](int s, const Action& a) {
        if (a.op != Op::U) return perPart[partOf(c, s, a.chunk)].of(a.op);
        double u = 0.0;
        for (int chunk = 0; chunk < c.chunks; ++chunk) u += perPart[partOf(c, s, chunk)].u;
        return u;
    });
}

namespace {

// Index of the last action of stage s that reads each version (U reads the
// version it starts from), -1 where none does: the runtime drops a version
// other than the newest right after its last reader.
std::vector<long long> lastReads(const std::vector<Action>& list) {
    std::vector<long long> last;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const int v = list[i].op == Op::U ? list[i].version - 1 : list[i].version;
        if (v < 0) continue;
        if (static_cast<std::size_t>(v) >= last.size())
            last.resize(static_cast<std::size_t>(v) + 1, -1);
        last[static_cast<std::size_t>(v)] = static_cast<long long>(i);
    }
    return last;
}

// Walks one stage's actions in order, tracking what it must hold, exactly as
// the runtime does: a microbatch(-chunk) holds activations from its F until
// its weight gradient is made (B, or the W of an I/W pair: W still needs the
// layer inputs); a version is held while it is the newest or a later action
// of the stage reads it (stashed backwards, vertical sync's older forwards).
// Flat vectors: this runs for every stage of every schedule the UI shows,
// at up to S = 64, M = 4096.
StageFigures stageFigures(const Schedule& schedule, int s) {
    const ScheduleConfig& c = schedule.config;
    const auto& list = schedule.stages[s];
    const std::vector<long long> last = lastReads(list);
    std::vector<long long> heldVersions{0};  // ascending
    int inFlight = 0, newest = 0;
    StageFigures fig;
    auto drop = [&](long long i) {
        auto gone = [&](long long v) {
            const auto k = static_cast<std::size_t>(v);
            return v != newest && (k >= last.size() || last[k] <= i);
        };
        heldVersions.erase(std::remove_if(heldVersions.begin(), heldVersions.end(), gone),
                           heldVersions.end());
    };
    const bool noStash = c.kind == ScheduleKind::PipeDream && !c.stash;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Action& a = list[i];
        if (a.op == Op::F) ++inFlight;
        if (a.op == Op::B || a.op == Op::W) --inFlight;
        if (a.op == Op::U) {
            newest = a.version;
            heldVersions.push_back(a.version);
        }
        drop(static_cast<long long>(i));
        fig.peakActivations = std::max(fig.peakActivations, inFlight);
        fig.versionsHeld =
            std::max(fig.versionsHeld, noStash ? 1 : static_cast<int>(heldVersions.size()));
    }
    return fig;
}

std::string fraction(long long num, long long den) {
    std::ostringstream os;
    os << num << "/" << den;
    return os.str();
}

}  // namespace

Analysis analyze(const Schedule& schedule, const Timeline& timeline) {
    const int S = static_cast<int>(schedule.stages.size());
    std::vector<double> busy(static_cast<std::size_t>(S), 0.0);
    double first = timeline.actions.empty() ? 0.0 : timeline.actions.front().start;
    double last = 0.0;
    for (const TimedAction& t : timeline.actions) {
        first = std::min(first, t.start);
        last = std::max(last, t.end);
        if (t.stage >= 0 && t.stage < S) busy[static_cast<std::size_t>(t.stage)] += t.end - t.start;
    }
    Analysis out;
    fillUtilization(out, busy, last - first);
    for (int s = 0; s < S; ++s) {
        const StageFigures walked = stageFigures(schedule, s);
        StageFigures& f = out.stages[static_cast<std::size_t>(s)];
        f.peakActivations = walked.peakActivations;
        f.versionsHeld = walked.versionsHeld;
    }
    return out;
}

namespace {

// Peak activations per stage where a formula exists (microbatch-chunks,
// counted until the weight gradient is made); empty where none does.
std::vector<int> peakFormula(const ScheduleConfig& c) {
    const long long S = c.stages, M = c.microbatches, V = c.chunks;
    const long long N = static_cast<long long>(c.batches) * M;  // stream length
    std::vector<int> out(static_cast<std::size_t>(S));
    for (long long s = 0; s < S; ++s) {
        long long peak = 0;
        switch (c.kind) {
            case ScheduleKind::Naive:
                peak = 1;
                break;
            case ScheduleKind::GPipe:
                peak = M;
                break;
            case ScheduleKind::OneFOneB:
                peak = std::min(M, S - s);
                break;
            case ScheduleKind::PipeDream:
            case ScheduleKind::TwoBW:
                peak = std::min(N, S - s);
                break;
            // Warm-up S-1-s, then s more forwards before the first W: S on every stage.
            case ScheduleKind::ZeroBubbleH1:
                peak = std::min(M, S);
                break;
            case ScheduleKind::ZeroBubbleH2:
                peak = std::min(M, 2 * S - 1);
                break;
            case ScheduleKind::LoopedBFS:
                peak = M * V;
                break;
            case ScheduleKind::Interleaved: {
                // PyTorch's warm-up plus the one in flight, in microbatch-chunks.
                const long long perRound = microbatchesPerRound(c.stages, c.microbatches);
                peak = std::min(M * V, (V - 1) * perRound + 2 * (S - 1 - s) + 1);
                break;
            }
            case ScheduleKind::InterleavedZeroBubble: {
                // Warm-up (V-1) rounds + S-1-s, then s steps whose W waits.
                const long long perRound = microbatchesPerRound(c.stages, c.microbatches);
                peak = std::min(M * V, (V - 1) * perRound + S);
                break;
            }
            // The V: warm-up plus the steady pairs hold 2S chunks once the V is
            // full; DualPipeV's pairs run a forward before their backward: one more.
            case ScheduleKind::ZeroBubbleV:
                if (M < 2 * S - 1) return {};  // a partial V: read off the order
                peak = 2 * S;
                break;
            case ScheduleKind::DualPipeV:
                peak = 2 * S + 1;
                break;
        }
        out[static_cast<std::size_t>(s)] = static_cast<int>(peak);
    }
    return out;
}

std::vector<int> peaksOfOrder(const ScheduleConfig& c) {
    const Schedule schedule = generateSchedule(c);
    std::vector<int> out;
    for (int s = 0; s < c.stages; ++s) out.push_back(stageFigures(schedule, s).peakActivations);
    return out;
}

}  // namespace

ClosedForm closedForm(const ScheduleConfig& c) {
    const long long S = c.stages, M = c.microbatches, V = c.chunks;
    const long long N = static_cast<long long>(c.batches) * M;  // stream length
    ClosedForm cf;
    cf.versionsHeld.assign(S, 1);
    cf.peakActivations = peakFormula(c);
    if (cf.peakActivations.empty()) {
        cf.peakActivations = peaksOfOrder(c);
        cf.peakFromOrder = true;
    }
    auto set = [&](long long num, long long den, const std::string& formula, bool exact) {
        cf.bubble = static_cast<double>(num) / static_cast<double>(den);
        cf.bubbleFormula = formula + " = " + fraction(num, den);
        cf.exact = exact;
    };
    for (long long s = 0; s < S && c.kind == ScheduleKind::PipeDream; ++s) {
        // S-s in steady state; a short stream (B*M < 2(S-s-1)) never gets
        // that far: after the warm-up (S-s-1 forwards on v0) versions only
        // grow by one per backward. (Vertical sync: below.)
        cf.versionsHeld[s] =
            !c.stash || N == 1 || S - s == 1
                ? 1
                : static_cast<int>(std::min(S - s, std::max(2LL, N - (S - s - 1) + 1)));
    }
    if (c.kind == ScheduleKind::TwoBW) cf.versionsHeld.assign(S, c.batches > 1 ? 2 : 1);
    switch (c.kind) {
        case ScheduleKind::Naive:
            set(S - 1, S, "(S-1)/S", true);
            break;
        case ScheduleKind::GPipe:
            set(S - 1, M + S - 1, "(S-1)/(M+S-1)", true);
            break;
        case ScheduleKind::OneFOneB:
            set(S - 1, M + S - 1, "(S-1)/(M+S-1)", true);
            break;
        case ScheduleKind::PipeDream:
        case ScheduleKind::TwoBW:
            set(S - 1, N + S - 1, "one fill and one drain per run: (S-1)/(B*M+S-1)", true);
            break;
        case ScheduleKind::Interleaved:
        case ScheduleKind::LoopedBFS:
            // With M < S the first backward waits for the forward chain: the
            // simulation is the figure then.
            if (M >= S) set(S - 1, V * M + S - 1, "(S-1)/(V*M+S-1)", true);
            break;
        case ScheduleKind::ZeroBubbleH1:
            // Needs M >= S: with fewer microbatches the I chain itself is longer.
            set(S - 1, 3 * M + S - 1, "(S-1)/(3M+S-1)", M >= S);
            break;
        case ScheduleKind::ZeroBubbleH2:
            // Needs M >= S as zb-h1. With several batches the parallelogram
            // lets stage s start batch b+1 while later stages finish batch b,
            // by an amount no simple formula gives: the simulation is the figure.
            if (c.batches == 1) set(S - 1, 3 * M + S - 1, "(S-1)/(3M+S-1)", M >= S);
            break;
        case ScheduleKind::InterleavedZeroBubble:
            // Makespan 3M + (S-1)/V per batch when rounds are full (M a multiple of S).
            set(S - 1, 3 * V * M + S - 1, "(S-1)/(3VM+S-1)", M % S == 0);
            break;
        case ScheduleKind::ZeroBubbleV:
            // Makespan 3M + (S-1)/2 once the V is full (M >= 2S-1); batches
            // overlap as for zb-h2, so one batch only.
            if (c.batches == 1) set(S - 1, 6 * M + S - 1, "(S-1)/(6M+S-1)", M >= 2 * S - 1);
            break;
        case ScheduleKind::DualPipeV:
            // Makespan 3M + (S-1)/2 per batch (M >= 2S is required).
            set(S - 1, 6 * M + S - 1, "(S-1)/(6M+S-1)", true);
            break;
        default:
            break;
    }
    // Vertical sync: every stage keeps the versions stage 0 chose for the
    // forwards still to come as well as the stashed ones, which is stage
    // 0's count, on every stage.
    if (c.kind == ScheduleKind::PipeDream && c.verticalSync)
        cf.versionsHeld.assign(S, cf.versionsHeld.front());
    return cf;
}

}  // namespace pd
