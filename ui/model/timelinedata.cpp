#include "ui/model/timelinedata.h"

#include <algorithm>
#include <limits>

namespace pd {

static_assert(sizeof(TimelineBox) == 48, "a box is 48 bytes: one run keeps a million of them");

TimelineBox toBox(const SlotEvent& e) {
    TimelineBox b;
    b.start = static_cast<double>(e.startUs) / 1000.0;
    b.end = static_cast<double>(std::max(e.endUs, e.startUs)) / 1000.0;
    b.stage = static_cast<std::int16_t>(e.stage);
    b.batch = e.batch;
    b.microbatch = static_cast<std::int16_t>(e.microbatch);
    b.op = e.op;
    b.chunk = static_cast<std::int8_t>(e.chunk);
    b.version = e.version;
    b.mismatch = e.mismatch;
    return b;
}

void TimelineData::reset(int lanes, const std::vector<std::size_t>& reserve) {
    lanes_.assign(static_cast<std::size_t>(std::max(lanes, 0)), {});
    for (std::size_t i = 0; i < lanes_.size() && i < reserve.size(); ++i)
        lanes_[i].reserve(reserve[i]);
    unsorted_.assign(lanes_.size(), 0);
    newest_.assign(lanes_.size(), 0);
    count_ = 0;
    end_ = 0.0;
    endSlot_ = 0;
    maxVersion_ = 0;
    maxStaleness_ = 0;
    maxChunk_ = 0;
    ops_ = 0;
}

namespace {

// How many versions behind the stage's newest the box read.
std::int8_t stalenessOf(const TimelineBox& b, int newest) {
    if (b.op == Op::U) return 0;
    return static_cast<std::int8_t>(std::clamp(newest - b.version, 0, 127));
}

}  // namespace

void TimelineData::restale(std::vector<TimelineBox>& lane) const {
    int newest = 0;
    for (TimelineBox& b : lane) {
        b.staleness = stalenessOf(b, newest);
        if (b.op == Op::U) newest = std::max(newest, b.version);
        maxStaleness_ = std::max(maxStaleness_, static_cast<int>(b.staleness));
    }
}

int TimelineData::maxStaleness() const {
    for (int l = 0; l < lanes(); ++l) lane(l);  // sorts (and restales) lanes appended out of order
    return maxStaleness_;
}

void TimelineData::rescale(double factor) {
    for (auto& lane : lanes_)
        for (TimelineBox& b : lane) {
            b.start *= factor;
            b.end *= factor;
        }
    end_ *= factor;
}

std::size_t TimelineData::revealedCount(int lane, int slot) const {
    const auto& boxes = this->lane(lane);
    auto it = std::partition_point(boxes.begin(), boxes.end(),
                                   [slot](const TimelineBox& b) { return b.gate < slot; });
    return static_cast<std::size_t>(it - boxes.begin());
}

void TimelineData::append(const SlotEvent& e) {
    append(toBox(e));
}

void TimelineData::append(const TimelineBox& b) {
    if (b.stage < 0) return;
    if (b.stage >= lanes()) {  // tolerate events of a lane we were not told about
        lanes_.resize(static_cast<std::size_t>(b.stage) + 1);
        unsorted_.resize(lanes_.size(), 0);
        newest_.resize(lanes_.size(), 0);
    }
    const auto s = static_cast<std::size_t>(b.stage);
    auto& lane = lanes_[s];
    if (!lane.empty() && b.start < lane.back().start) unsorted_[s] = 1;
    lane.push_back(b);
    // In order, the newest version so far is the stage's; out of order the
    // lane is restaled when it is sorted.
    TimelineBox& added = lane.back();
    added.staleness = stalenessOf(added, newest_[s]);
    if (added.op == Op::U) newest_[s] = std::max(newest_[s], added.version);
    maxStaleness_ = std::max(maxStaleness_, static_cast<int>(added.staleness));
    maxVersion_ = std::max(maxVersion_, added.version);
    maxChunk_ = std::max(maxChunk_, static_cast<int>(added.chunk));
    ops_ |= 1u << static_cast<unsigned>(added.op);
    ++count_;
    end_ = std::max(end_, b.end);
    endSlot_ = std::max(endSlot_, static_cast<int>(b.slot1));
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
        restale(boxes);
    }
    return boxes;
}

std::size_t TimelineData::firstEndingAfter(int lane, double t, TimeBase base) const {
    const auto& boxes = this->lane(lane);
    auto it = std::upper_bound(boxes.begin(), boxes.end(), t,
                               [base](double v, const TimelineBox& b) { return v < b.x1(base); });
    return static_cast<std::size_t>(it - boxes.begin());
}

const TimelineBox* TimelineData::boxAt(int lane, double t, TimeBase base) const {
    const auto& boxes = this->lane(lane);
    // Last box starting at or before t.
    auto it = std::upper_bound(boxes.begin(), boxes.end(), t,
                               [base](double v, const TimelineBox& b) { return v < b.x0(base); });
    if (it == boxes.begin()) return nullptr;
    --it;
    return t <= it->x1(base) ? &*it : nullptr;
}

double busyIn(const TimelineData& data, int lane, double t0, double t1, TimeBase base,
              int revealSlot) {
    const auto& boxes = data.lane(lane);
    double busy = 0.0;
    for (std::size_t i = data.firstEndingAfter(lane, t0, base); i < boxes.size(); ++i) {
        const TimelineBox& b = boxes[i];
        if (b.x0(base) >= t1) break;
        if (b.gate >= revealSlot) continue;
        busy += std::max(0.0, std::min(b.x1(base), t1) - std::max(b.x0(base), t0));
    }
    return busy;
}

namespace {

// One loop per time base, so that the hot loop over a lane's boxes has no
// branch on the base (a full view of a million boxes walks them all).
template <typename X0, typename X1>
void layoutWith(const std::vector<TimelineBox>& boxes, std::size_t firstVisible, double t0,
                double t1, const Reveal& reveal, const PixelMap& map, double minWidth,
                std::vector<PixelRun>& out, X0 x0Of, X1 x1Of) {
    out.clear();
    const double limit = std::min(t1, reveal.clip);
    std::array<double, 5> opTime{};
    bool open = false;  // `out.back()` is a run of narrow boxes still growing
    auto closeRun = [&]() {
        if (!open) return;
        PixelRun& run = out.back();
        // The op that covers the most time gives the merged run its colour.
        const auto best = std::max_element(opTime.begin(), opTime.end()) - opTime.begin();
        double total = 0.0;
        for (double t : opTime) total += t;
        for (std::size_t op = 0; op < opTime.size(); ++op)
            run.share[op] = total > 0.0 ? static_cast<float>(opTime[op] / total) : 0.0f;
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
        const double start = x0Of(b), end = x1Of(b);
        if (start > limit || b.gate >= reveal.slot) break;
        if (end < t0) continue;
        const double x0 = map.toPixel(start);
        const double x1 = map.toPixel(std::min(end, reveal.clip));
        const bool narrow = x1 - x0 < minWidth;
        if (narrow && open && x0 <= out.back().x1 + 1.0) {
            PixelRun& run = out.back();
            run.x1 = std::max(run.x1, x1);
            ++run.count;
            opTime[static_cast<std::size_t>(b.op)] += end - start;
            continue;
        }
        closeRun();
        out.push_back(PixelRun{x0, x1, i, 1, i, {}});
        if (narrow) {
            open = true;
            opTime[static_cast<std::size_t>(b.op)] += end - start;
        }
    }
    closeRun();
}

}  // namespace

void layoutLane(const std::vector<TimelineBox>& boxes, std::size_t firstVisible, double t0,
                double t1, TimeBase base, const Reveal& reveal, const PixelMap& map,
                double minWidth, std::vector<PixelRun>& out) {
    if (base == TimeBase::Slots)
        layoutWith(
            boxes, firstVisible, t0, t1, reveal, map, minWidth, out,
            [](const TimelineBox& b) { return static_cast<double>(b.slot0); },
            [](const TimelineBox& b) { return static_cast<double>(b.slot1); });
    else
        layoutWith(
            boxes, firstVisible, t0, t1, reveal, map, minWidth, out,
            [](const TimelineBox& b) { return b.start; },
            [](const TimelineBox& b) { return b.end; });
}

void fillIdeal(TimelineData& data, const Timeline& timeline, const SlotGrid& grid,
               double msPerUnit) {
    const int S = static_cast<int>(grid.start.size());
    std::vector<std::size_t> sizes;
    for (int s = 0; s < S; ++s) sizes.push_back(grid.start[static_cast<std::size_t>(s)].size());
    data.reset(S, sizes);
    for (int s = 0; s < S; ++s) {
        const std::size_t begin = timeline.stageBegin[static_cast<std::size_t>(s)];
        for (std::size_t k = 0; k < sizes[static_cast<std::size_t>(s)]; ++k) {
            const TimedAction& t = timeline.actions[begin + k];
            TimelineBox b;
            b.start = t.start * msPerUnit;
            b.end = t.end * msPerUnit;
            b.slot0 = grid.start[static_cast<std::size_t>(s)][k];
            b.slot1 = grid.end[static_cast<std::size_t>(s)][k];
            b.gate = grid.gate[static_cast<std::size_t>(s)][k];
            b.stage = static_cast<std::int16_t>(t.stage);
            b.batch = t.action.batch;
            b.microbatch = static_cast<std::int16_t>(t.action.microbatch);
            b.op = t.action.op;
            b.chunk = static_cast<std::int8_t>(t.action.chunk);
            b.version = t.action.version;
            b.mismatch = t.action.mismatch;
            data.append(b);
        }
    }
}

}  // namespace pd
