#include "simulator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "replay.h"
#include "runfigures.h"

namespace pd {

double OpCosts::of(Op op) const {
    switch (op) {
        case Op::F: return f;
        case Op::B: return b;
        case Op::I: return i;
        case Op::W: return w;
        case Op::U: return u;
    }
    return 0.0;
}

Timeline simulate(const Schedule& schedule, const OpCosts& costs) {
    const ScheduleConfig& c = schedule.config;
    const int S = static_cast<int>(schedule.stages.size());
    // A chunk of an interleaved stage holds 1/V of the stage's layers.
    const double chunkScale = 1.0 / c.chunks;
    detail::DependencyTable deps(c);

    Timeline tl;
    tl.stageBegin.resize(S + 1, 0);
    for (int s = 0; s < S; ++s)
        tl.stageBegin[s + 1] = tl.stageBegin[s] + schedule.stages[s].size();
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
            const double cost = a.op == Op::U ? costs.u : costs.of(a.op) * chunkScale;
            const double end = start + cost;
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

namespace {

// Walks one stage's actions in order, tracking what it must hold. Flat
// vectors indexed by (stream microbatch, chunk) and by version: this runs for
// every stage of every schedule the UI shows, at up to S = 64, M = 4096.
StageFigures stageFigures(const Schedule& schedule, int s) {
    const ScheduleConfig& c = schedule.config;
    const bool noStash = c.kind == ScheduleKind::PipeDream && !c.stash;
    const std::size_t V = static_cast<std::size_t>(std::max(c.chunks, 1));
    const std::size_t keys = static_cast<std::size_t>(c.batches) * c.microbatches * V;
    std::vector<int> inFlightVersion(keys, -1);  // key -> version its F read, -1 if none
    std::vector<int> referenced;                 // version -> microbatches in flight on it
    int inFlight = 0, distinct = 0, newest = 0;
    StageFigures fig;
    auto ref = [&](int v) -> int& {
        if (static_cast<std::size_t>(v) >= referenced.size()) referenced.resize(static_cast<std::size_t>(v) + 1, 0);
        return referenced[static_cast<std::size_t>(v)];
    };
    auto held = [&] {
        if (noStash) return 1;
        return distinct + (ref(newest) == 0 ? 1 : 0);
    };
    for (const Action& a : schedule.stages[s]) {
        // A microbatch's activations count from F until its input gradient
        // (B, or I for the zero-bubble split). A deferred W keeps only the
        // layer inputs it needs; the runtime's memory events measure those.
        const std::size_t key =
            (static_cast<std::size_t>(a.batch) * c.microbatches + static_cast<std::size_t>(std::max(a.microbatch, 0))) * V +
            static_cast<std::size_t>(a.chunk);
        if (a.op == Op::F && key < keys && a.version >= 0) {
            if (inFlightVersion[key] < 0) ++inFlight;
            else if (--ref(inFlightVersion[key]) == 0) --distinct;
            inFlightVersion[key] = a.version;
            if (ref(a.version)++ == 0) ++distinct;
        } else if ((a.op == Op::B || a.op == Op::I) && key < keys && inFlightVersion[key] >= 0) {
            if (--ref(inFlightVersion[key]) == 0) --distinct;
            inFlightVersion[key] = -1;
            --inFlight;
        } else if (a.op == Op::U) {
            newest = a.version;
        }
        fig.peakActivations = std::max(fig.peakActivations, inFlight);
        fig.versionsHeld = std::max(fig.versionsHeld, held());
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

ClosedForm closedForm(const ScheduleConfig& c) {
    const long long S = c.stages, M = c.microbatches, V = c.chunks;
    const long long N = static_cast<long long>(c.batches) * M;  // stream length
    ClosedForm cf;
    cf.peakActivations.resize(S);
    cf.versionsHeld.assign(S, 1);
    auto set = [&](long long num, long long den, const std::string& formula, bool exact) {
        cf.bubble = static_cast<double>(num) / static_cast<double>(den);
        cf.bubbleFormula = formula + " = " + fraction(num, den);
        cf.exact = exact;
    };
    for (long long s = 0; s < S; ++s) {
        switch (c.kind) {
            case ScheduleKind::Naive: cf.peakActivations[s] = 1; break;
            case ScheduleKind::GPipe: cf.peakActivations[s] = static_cast<int>(M); break;
            case ScheduleKind::OneFOneB:
            case ScheduleKind::ZeroBubbleH1:
                cf.peakActivations[s] = static_cast<int>(std::min(M, S - s));
                break;
            case ScheduleKind::PipeDream:
                cf.peakActivations[s] = static_cast<int>(std::min(N, S - s));
                // S-s in steady state; a short stream (B*M < 2(S-s-1)) never
                // gets that far: after the warm-up (S-s-1 forwards on v0)
                // versions only grow by one per backward.
                cf.versionsHeld[s] =
                    !c.stash || N == 1 || S - s == 1
                        ? 1
                        : static_cast<int>(std::min(S - s, std::max(2LL, N - (S - s - 1) + 1)));
                break;
            case ScheduleKind::TwoBW:
                cf.peakActivations[s] = static_cast<int>(std::min(N, S - s));
                cf.versionsHeld[s] = c.batches > 1 ? 2 : 1;
                break;
            case ScheduleKind::Interleaved:
                // Megatron's warm-up plus the one in flight, in microbatch-chunks.
                cf.peakActivations[s] =
                    static_cast<int>(std::min(M * V, M == S ? M * V : 2 * (S - s - 1) + (V - 1) * S + 1));
                break;
        }
    }
    switch (c.kind) {
        case ScheduleKind::Naive: set(S - 1, S, "(S-1)/S", true); break;
        case ScheduleKind::GPipe: set(S - 1, M + S - 1, "(S-1)/(M+S-1)", true); break;
        case ScheduleKind::OneFOneB: set(S - 1, M + S - 1, "(S-1)/(M+S-1)", true); break;
        case ScheduleKind::PipeDream:
        case ScheduleKind::TwoBW:
            set(S - 1, N + S - 1, "one fill and one drain per run: (S-1)/(B*M+S-1)", true);
            break;
        case ScheduleKind::Interleaved: set(S - 1, V * M + S - 1, "(S-1)/(V*M+S-1)", true); break;
        case ScheduleKind::ZeroBubbleH1:
            // Needs M >= S: with fewer microbatches the I chain itself is longer.
            set(S - 1, 3 * M + S - 1, "(S-1)/(3M+S-1)", M >= S);
            break;
    }
    if (c.kind == ScheduleKind::PipeDream && c.verticalSync) cf.versionsHeld.clear();  // no closed form
    return cf;
}

}  // namespace pd
