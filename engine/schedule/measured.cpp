#include "engine/schedule/measured.h"

#include <algorithm>
#include <array>
#include <new>

#include "engine/schedule/runcheck.h"
#include "engine/schedule/runfigures.h"

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
        std::stable_sort(lane.begin(), lane.end(), [](const TimedAction& a, const TimedAction& b) {
            return a.start < b.start;
        });
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
    RunFigures f(1, chunks);
    for (SlotEvent e : slots) {
        e.stage = 0;  // one lane is enough for op means
        f.addSlot(e);
    }
    return f.costs();
}

MeasuredFigures measureRun(const Schedule& schedule, const std::vector<SlotEvent>& slots,
                           const std::vector<MemoryEvent>& memory) {
    const int S = static_cast<int>(schedule.stages.size());
    RunFigures f(S, schedule.config.chunks);
    for (const SlotEvent& e : slots) f.addSlot(e);
    for (const MemoryEvent& e : memory) f.addMemory(e);
    MeasuredFigures m;
    m.costs = f.costs();
    m.measured = analyze(schedule, timelineFromSlots(slots, S));
    m.ideal = analyze(schedule, simulate(schedule, m.costs));
    const RunFigures::Peaks& p = f.peaks();
    m.peakBytes = p.bytes;
    m.peakActivationBytes = p.activationBytes;
    m.peakStashBytes = p.stashBytes;
    m.peakActivations = p.activations;
    m.peakVersions = p.versions;
    return m;
}

namespace {

bool sameAction(const SlotEvent& e, const Action& a) {
    return e.batch == a.batch && e.microbatch == a.microbatch && e.op == a.op &&
           e.chunk == a.chunk && e.version == a.version;
}

// Every stage's recorded order is a prefix of its list in `schedule`.
bool matchesPrefix(const std::vector<std::vector<SlotEvent>>& byStage, const Schedule& schedule) {
    for (std::size_t s = 0; s < byStage.size(); ++s) {
        const auto& recorded = byStage[s];
        const auto& list = schedule.stages[s];
        if (recorded.size() > list.size()) return false;
        for (std::size_t i = 0; i < recorded.size(); ++i)
            if (!sameAction(recorded[i], list[i])) return false;
    }
    return true;
}

}  // namespace

IdentifiedSchedule identifySchedule(const std::vector<SlotEvent>& slots) {
    if (slots.empty()) throw Error("no slot events");
    int S = 0, V = 0, M = 0, B = 0;
    for (const SlotEvent& e : slots) {
        if (e.stage < 0 || e.batch < 0 || e.chunk < 0 || e.microbatch < -1 || e.endUs < e.startUs ||
            (e.op == Op::U) != (e.microbatch == -1))
            throw Error("an event is not a valid slot (stage " + std::to_string(e.stage) +
                        ", batch " + std::to_string(e.batch) + ", microbatch " +
                        std::to_string(e.microbatch) + ")");
        S = std::max(S, e.stage + 1);
        V = std::max(V, e.chunk + 1);
        M = std::max(M, e.microbatch + 1);
        B = std::max(B, e.batch + 1);
    }
    if (S > kMaxStages || V > kMaxChunks || M > kMaxMicrobatches || B > kMaxBatches || M < 1)
        throw Error("the events name " + std::to_string(S) + " stages, " + std::to_string(M) +
                    " microbatches, " + std::to_string(B) + " batches and " + std::to_string(V) +
                    " chunks: not a run this program makes");
    // Times, overlaps and the run's size against the events, before any
    // schedule is generated: a tiny file must not name a huge run.
    checkRecordedSlots(slots);
    std::uint64_t budget = identifyBudget(slots.size());
    bool outOfBudget = false;
    std::vector<std::vector<SlotEvent>> byStage(static_cast<std::size_t>(S));
    for (const SlotEvent& e : slots) byStage[static_cast<std::size_t>(e.stage)].push_back(e);
    for (auto& list : byStage)
        std::stable_sort(list.begin(), list.end(), [](const SlotEvent& a, const SlotEvent& b) {
            return a.startUs != b.startUs ? a.startUs < b.startUs : a.endUs < b.endUs;
        });

    auto attempt = [&](ScheduleConfig config) -> std::optional<IdentifiedSchedule> {
        const std::uint64_t cost = actionBound(config);
        if (cost > budget) {
            outOfBudget = true;
            return std::nullopt;
        }
        budget -= cost;
        Schedule schedule;
        try {
            checkConfig(config);
            schedule = generateSchedule(config);
        } catch (const ConfigError&) {
            return std::nullopt;
        } catch (const std::bad_alloc&) {
            outOfBudget = true;
            return std::nullopt;
        }
        if (!matchesPrefix(byStage, schedule)) return std::nullopt;
        IdentifiedSchedule id;
        id.config = config;
        id.recorded = slots.size();
        id.expected = schedule.actionCount();
        id.complete = id.recorded == id.expected;
        return id;
    };
    std::vector<ScheduleConfig> candidates;
    for (ScheduleKind kind : allScheduleKinds()) {
        if (chunksFor(kind, V) != V) continue;  // the chunk count names the family
        ScheduleConfig c;
        c.kind = kind;
        c.stages = S;
        c.microbatches = M;
        c.batches = B;
        c.chunks = V;
        if (kind != ScheduleKind::PipeDream) {
            candidates.push_back(c);
            continue;
        }
        for (bool stash : {true, false})
            for (bool vsync : {false, true}) {
                c.stash = stash;
                c.verticalSync = vsync;
                candidates.push_back(c);
            }
    }
    // The first match is the run's schedule; its events must then also keep
    // the schedule's dependencies in time.
    auto accept = [&](const IdentifiedSchedule& id) {
        checkRecordedDependencies(id.config, slots);
        return id;
    };
    for (const ScheduleConfig& c : candidates)
        if (auto id = attempt(c)) return accept(*id);
    // A cancelled asynchronous run: its last batches were still in flight, so
    // the run had more batches than the events name.
    for (ScheduleConfig c : candidates) {
        if (isFlushKind(c.kind)) continue;
        for (int b = B + 1; b <= std::min(B + S + 1, kMaxBatches); ++b) {
            c.batches = b;
            if (auto id = attempt(c)) return accept(*id);
        }
    }
    throw Error("the events match no schedule kind with " + std::to_string(S) + " stages, " +
                std::to_string(M) + " microbatches and " + std::to_string(B) + " batches" +
                (V > 1 ? " (" + std::to_string(V) + " chunks)" : std::string()) +
                (outOfBudget ? "; larger candidates were not tried: the run they describe is out "
                               "of proportion to the events in the file"
                             : ""));
}

}  // namespace pd
