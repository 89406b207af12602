// The timeline's data, independent of any widget: boxes per lane sorted by
// start, and the time-to-pixel layout that culls to the visible range and
// merges boxes narrower than a couple of pixels (so a million boxes paint
// fast). Plain C++ so that the maths has its own data-driven tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "events.h"
#include "simulator.h"

namespace pd {

// One action on the timeline; times in milliseconds from run start.
struct TimelineBox {
    double start = 0.0;
    double end = 0.0;
    int stage = 0;
    int batch = 0;
    int microbatch = 0;  // -1 for U
    Op op = Op::F;
    int chunk = 0;
    int version = 0;
    bool mismatch = false;

    double duration() const { return end - start; }
};

TimelineBox toBox(const SlotEvent& e);  // microseconds -> milliseconds
SlotEvent toSlotEvent(const TimelineBox& b);

class TimelineData {
public:
    void reset(int lanes);
    int lanes() const { return static_cast<int>(lanes_.size()); }

    void append(const SlotEvent& e);
    void append(const TimelineBox& b);
    template <typename It>
    void append(It first, It last) {
        for (; first != last; ++first) append(*first);
    }

    // Boxes of one lane sorted by start (sorts lazily after out-of-order appends).
    const std::vector<TimelineBox>& lane(int lane) const;
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    double endTime() const { return end_; }       // latest box end, 0 when empty
    std::vector<SlotEvent> toSlotEvents() const;  // every box, lane by lane

    // Index of the first box in `lane` that ends after t (boxes of a lane
    // never overlap, so ends ascend with starts).
    std::size_t firstEndingAfter(int lane, double t) const;
    // The box under time t in `lane`, or nullptr for idle time.
    const TimelineBox* boxAt(int lane, double t) const;

private:
    mutable std::vector<std::vector<TimelineBox>> lanes_;
    mutable std::vector<char> unsorted_;
    std::size_t count_ = 0;
    double end_ = 0.0;
};

// Linear time -> pixel mapping, px = offset + scale * t.
struct PixelMap {
    double offset = 0.0;
    double scale = 1.0;

    double toPixel(double t) const { return offset + scale * t; }
    double toTime(double px) const { return (px - offset) / scale; }
};

// What the painter draws for one lane: a single box (with its index, for
// badges) or several narrow boxes merged into one run.
struct PixelRun {
    double x0 = 0.0;
    double x1 = 0.0;
    std::size_t first = 0;     // index of the first box in the lane
    std::size_t count = 1;     // boxes merged into this run
    std::size_t dominant = 0;  // index of the box whose op covers most of the run
};

// Lays out the boxes of `boxes` (sorted, non-overlapping) that intersect
// [t0, t1] and start before `reveal`; boxes narrower than `minWidth` pixels
// are merged with their neighbours while the gap between them is under one
// pixel. A box cut by `reveal` ends there.
void layoutLane(const std::vector<TimelineBox>& boxes, std::size_t firstVisible, double t0,
                double t1, double reveal, const PixelMap& map, double minWidth,
                std::vector<PixelRun>& out);

// Ideal timeline in milliseconds: one simulator cost unit lasts `msPerUnit`.
std::vector<TimelineBox> idealBoxes(const Timeline& timeline, double msPerUnit);

// Busy time per stage and makespan of measured boxes (for utilization).
struct BoxFigures {
    double makespan = 0.0;  // first start to last end, ms
    std::vector<double> busy;
    std::vector<double> utilization;
    double bubbleFraction = 0.0;  // idle / (S x makespan)
};
BoxFigures measure(const TimelineData& data);

}  // namespace pd
