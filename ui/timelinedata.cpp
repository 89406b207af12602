#include "timelinedata.h"

#include <algorithm>
#include <limits>

namespace pd {

TimelineBox toBox(const SlotEvent& e) {
    TimelineBox b;
    b.start = static_cast<double>(e.startUs) / 1000.0;
    b.end = static_cast<double>(std::max(e.endUs, e.startUs)) / 1000.0;
    b.stage = e.stage;
    b.batch = e.batch;
    b.microbatch = e.microbatch;
    b.op = e.op;
    b.chunk = e.chunk;
    b.version = e.version;
    b.mismatch = e.mismatch;
    return b;
}

SlotEvent toSlotEvent(const TimelineBox& b) {
    SlotEvent e;
    e.batch = b.batch;
    e.stage = b.stage;
    e.microbatch = b.microbatch;
    e.op = b.op;
    e.chunk = b.chunk;
    e.version = b.version;
    e.startUs = static_cast<std::int64_t>(b.start * 1000.0 + 0.5);
    e.endUs = static_cast<std::int64_t>(b.end * 1000.0 + 0.5);
    e.mismatch = b.mismatch;
    return e;
}

void TimelineData::reset(int lanes) {
    lanes_.assign(static_cast<std::size_t>(std::max(lanes, 0)), {});
    unsorted_.assign(lanes_.size(), 0);
    count_ = 0;
    end_ = 0.0;
}

void TimelineData::append(const SlotEvent& e) {
    append(toBox(e));
}

void TimelineData::append(const TimelineBox& b) {
    if (b.stage < 0) return;
    if (b.stage >= lanes()) {  // tolerate events of a lane we were not told about
        lanes_.resize(static_cast<std::size_t>(b.stage) + 1);
        unsorted_.resize(lanes_.size(), 0);
    }
    auto& lane = lanes_[static_cast<std::size_t>(b.stage)];
    if (!lane.empty() && b.start < lane.back().start)
        unsorted_[static_cast<std::size_t>(b.stage)] = 1;
    lane.push_back(b);
    ++count_;
    end_ = std::max(end_, b.end);
}

const std::vector<TimelineBox>& TimelineData::lane(int lane) const {
    static const std::vector<TimelineBox> kEmpty;
    if (lane < 0 || lane >= lanes()) return kEmpty;
    auto& boxes = lanes_[static_cast<std::size_t>(lane)];
    if (unsorted_[static_cast<std::size_t>(lane)]) {
        std::stable_sort(
            boxes.begin(), boxes.end(),
            [](const TimelineBox& a, const TimelineBox& b) { return a.start < b.start; });
        unsorted_[static_cast<std::size_t>(lane)] = 0;
    }
    return boxes;
}

std::vector<SlotEvent> TimelineData::toSlotEvents() const {
    std::vector<SlotEvent> out;
    out.reserve(count_);
    for (int s = 0; s < lanes(); ++s)
        for (const TimelineBox& b : lane(s)) out.push_back(toSlotEvent(b));
    return out;
}

std::size_t TimelineData::firstEndingAfter(int lane, double t) const {
    const auto& boxes = this->lane(lane);
    auto it = std::upper_bound(boxes.begin(), boxes.end(), t,
                               [](double v, const TimelineBox& b) { return v < b.end; });
    return static_cast<std::size_t>(it - boxes.begin());
}

const TimelineBox* TimelineData::boxAt(int lane, double t) const {
    const auto& boxes = this->lane(lane);
    // Last box starting at or before t.
    auto it = std::upper_bound(boxes.begin(), boxes.end(), t,
                               [](double v, const TimelineBox& b) { return v < b.start; });
    if (it == boxes.begin()) return nullptr;
    --it;
    return t <= it->end ? &*it : nullptr;
}

void layoutLane(const std::vector<TimelineBox>& boxes, std::size_t firstVisible, double t0,
                double t1, double reveal, const PixelMap& map, double minWidth,
                std::vector<PixelRun>& out) {
    out.clear();
    const double limit = std::min(t1, reveal);
    std::array<double, 5> opTime{};
    bool open = false;  // `out.back()` is a run of narrow boxes still growing
    auto closeRun = [&]() {
        if (!open) return;
        PixelRun& run = out.back();
        // The op that covers the most time gives the merged run its colour.
        const auto best = std::max_element(opTime.begin(), opTime.end()) - opTime.begin();
        for (std::size_t i = run.first; i < run.first + run.count; ++i)
            if (static_cast<int>(boxes[i].op) == best) {
                run.dominant = i;
                break;
            }
        opTime.fill(0.0);
        open = false;
    };
    for (std::size_t i = firstVisible; i < boxes.size(); ++i) {
        const TimelineBox& b = boxes[i];
        if (b.start > limit || b.start >= reveal) break;
        if (b.end < t0) continue;
        const double x0 = map.toPixel(b.start);
        const double x1 = map.toPixel(std::min(b.end, reveal));
        const bool narrow = x1 - x0 < minWidth;
        if (narrow && open && x0 <= out.back().x1 + 1.0) {
            PixelRun& run = out.back();
            run.x1 = std::max(run.x1, x1);
            ++run.count;
            opTime[static_cast<std::size_t>(b.op)] += b.duration();
            continue;
        }
        closeRun();
        out.push_back(PixelRun{x0, x1, i, 1, i});
        if (narrow) {
            open = true;
            opTime[static_cast<std::size_t>(b.op)] += b.duration();
        }
    }
    closeRun();
}

std::vector<TimelineBox> idealBoxes(const Timeline& timeline, double msPerUnit) {
    std::vector<TimelineBox> out;
    out.reserve(timeline.actions.size());
    for (const TimedAction& t : timeline.actions) {
        TimelineBox b;
        b.start = t.start * msPerUnit;
        b.end = t.end * msPerUnit;
        b.stage = t.stage;
        b.batch = t.action.batch;
        b.microbatch = t.action.microbatch;
        b.op = t.action.op;
        b.chunk = t.action.chunk;
        b.version = t.action.version;
        b.mismatch = t.action.mismatch;
        out.push_back(b);
    }
    return out;
}

BoxFigures measure(const TimelineData& data) {
    BoxFigures f;
    const int S = data.lanes();
    f.busy.assign(static_cast<std::size_t>(S), 0.0);
    f.utilization.assign(static_cast<std::size_t>(S), 0.0);
    if (data.empty() || S == 0) return f;
    double first = std::numeric_limits<double>::infinity();
    double last = 0.0;
    for (int s = 0; s < S; ++s) {
        for (const TimelineBox& b : data.lane(s)) {
            f.busy[static_cast<std::size_t>(s)] += b.duration();
            first = std::min(first, b.start);
            last = std::max(last, b.end);
        }
    }
    f.makespan = std::max(0.0, last - first);
    if (f.makespan <= 0.0) return f;
    double idle = 0.0;
    for (int s = 0; s < S; ++s) {
        const double busy = f.busy[static_cast<std::size_t>(s)];
        f.utilization[static_cast<std::size_t>(s)] = busy / f.makespan;
        idle += f.makespan - busy;
    }
    f.bubbleFraction = idle / (S * f.makespan);
    return f;
}

}  // namespace pd
