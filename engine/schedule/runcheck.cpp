#include "engine/schedule/runcheck.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "engine/schedule/replay.h"

namespace pd {

namespace {

std::string name(const SlotEvent& e) {
    std::string s =
        "stage " + std::to_string(e.stage) + ": " + opChar(e.op) + " b" + std::to_string(e.batch);
    if (e.microbatch >= 0) s += " mb" + std::to_string(e.microbatch);
    if (e.chunk > 0) s += " c" + std::to_string(e.chunk);
    return s;
}

void checkTimeRange(const SlotEvent& e) {
    if (e.startUs < 0)
        throw Error(name(e) + " starts at a negative time (" + std::to_string(e.startUs) + " us)");
    if (e.endUs < e.startUs) throw Error(name(e) + " ends before it starts");
    if (e.endUs > kMaxRecordedUs)
        throw Error(name(e) + " ends at " + std::to_string(e.endUs) +
                    " us, beyond the latest time a run can record (" +
                    std::to_string(kMaxRecordedUs) + " us)");
}

// One stage runs one action at a time: sorted by start, each must start at
// or after the previous one ended.
void checkOverlaps(std::vector<const SlotEvent*>& lane) {
    std::sort(lane.begin(), lane.end(), [](const SlotEvent* a, const SlotEvent* b) {
        return a->startUs != b->startUs ? a->startUs < b->startUs : a->endUs < b->endUs;
    });
    for (std::size_t i = 1; i < lane.size(); ++i)
        if (lane[i]->startUs < lane[i - 1]->endUs)
            throw Error(name(*lane[i]) + " starts at " + std::to_string(lane[i]->startUs) +
                        " us, before " + name(*lane[i - 1]) + " ends at " +
                        std::to_string(lane[i - 1]->endUs) +
                        " us: one stage cannot run two actions at once");
}

void checkProportion(const std::vector<SlotEvent>& slots) {
    std::int64_t batches = 0, microbatches = 0, firstStageForwards = 0;
    for (const SlotEvent& e : slots) {
        batches = std::max(batches, std::int64_t{e.batch} + 1);
        microbatches = std::max(microbatches, std::int64_t{e.microbatch} + 1);
        if (e.stage == 0 && e.chunk == 0 && e.op == Op::F) ++firstStageForwards;
    }
    const std::int64_t needed = std::max((batches - 1) * microbatches + 1, microbatches);
    if (firstStageForwards < needed)
        throw Error("the events name " + std::to_string(batches) + " batches of " +
                    std::to_string(microbatches) + " microbatches, which needs at least " +
                    std::to_string(needed) + " forwards on stage 0, but the file has " +
                    std::to_string(firstStageForwards));
}

Action actionOf(const SlotEvent& e) {
    Action a;
    a.batch = e.batch;
    a.microbatch = e.microbatch;
    a.op = e.op;
    a.chunk = e.chunk;
    a.version = e.version;
    return a;
}

const char* dependencyOf(Op op) {
    switch (op) {
        case Op::F:
            return "the forward of the previous model part";
        case Op::W:
            return "its input-side backward";
        default:
            return "its forward, or the backward of the next model part";
    }
}

}  // namespace

void checkRecordedSlots(const std::vector<SlotEvent>& slots) {
    std::map<int, std::vector<const SlotEvent*>> lanes;
    for (const SlotEvent& e : slots) {
        checkTimeRange(e);
        lanes[e.stage].push_back(&e);
    }
    for (auto& [stage, lane] : lanes) checkOverlaps(lane);
    checkProportion(slots);
}

std::uint64_t actionBound(const ScheduleConfig& c) {
    const auto streams = static_cast<std::uint64_t>(std::max(c.batches, 0)) *
                         static_cast<std::uint64_t>(std::max(c.microbatches, 0));
    const auto parts = static_cast<std::uint64_t>(std::max(c.parts(), 0));
    return streams * (3 * parts + static_cast<std::uint64_t>(std::max(c.stages, 0)));
}

std::uint64_t identifyBudget(std::size_t recorded) {
    // A few million actions (well under a second, about 100 MB) for any
    // file, and 64 per recorded event beyond: proportional to the file.
    constexpr std::uint64_t kBase = std::uint64_t{4} << 20, kPerEvent = 64;
    return kBase + kPerEvent * static_cast<std::uint64_t>(recorded);
}

void checkRecordedDependencies(const ScheduleConfig& config, const std::vector<SlotEvent>& slots) {
    detail::DependencyTable ends(config);
    for (const SlotEvent& e : slots) ends.done(e.stage, actionOf(e), static_cast<double>(e.endUs));
    // In time order, so that the violation named is the earliest one.
    std::vector<const SlotEvent*> order;
    order.reserve(slots.size());
    for (const SlotEvent& e : slots) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const SlotEvent* a, const SlotEvent* b) {
        return a->startUs < b->startUs;
    });
    for (const SlotEvent* p : order) {
        const SlotEvent& e = *p;
        if (e.op == Op::U) continue;
        const double ready = ends.ready(e.stage, actionOf(e));
        if (std::isnan(ready))
            throw Error(name(e) + ": " + dependencyOf(e.op) + " is not in the file");
        if (static_cast<double>(e.startUs) < ready)
            throw Error(name(e) + " starts at " + std::to_string(e.startUs) + " us, before " +
                        dependencyOf(e.op) + " ends at " + std::to_string(std::llround(ready)) +
                        " us");
    }
}

}  // namespace pd
