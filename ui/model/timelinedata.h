// The timeline's data, independent of any widget: boxes per lane sorted by
// start, and the time-to-pixel layout that culls to the visible range and
// merges boxes narrower than a couple of pixels (so a million boxes paint
// fast). Plain C++ so that the maths has its own data-driven tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/simulator.h"
#include "engine/schedule/slotgrid.h"

namespace pd {

// The three time axes a run can be read on: the schedule's slots (its time
// steps, slotgrid.h), measured milliseconds (paused time excluded), and the
// ideal schedule in milliseconds (scaled by the measured op costs).
enum class TimeBase { Slots, Measured, Ideal };

// One action on the timeline: times in milliseconds from run start (measured
// or ideal, by the store it is in) and its place on the slot grid.
struct TimelineBox {
    double start = 0.0;
    double end = 0.0;
    std::int32_t slot0 = 0;  // first slot it occupies
    std::int32_t slot1 = 0;  // slot after it (== slot0 for a zero-cost update)
    std::int32_t gate = 0;   // slot it belongs to: shown once the cursor passed it
    std::int32_t batch = 0;
    std::int32_t version = 0;
    std::int16_t stage = 0;       // at most kMaxStages
    std::int16_t microbatch = 0;  // -1 for U; at most kMaxMicrobatches
    std::int8_t chunk = 0;        // at most kMaxChunks
    Op op = Op::F;
    bool mismatch = false;
    // Newest version at the stage when it ran minus the version it read (0
    // for U and for every flush kind); set by TimelineData, capped at 127.
    std::int8_t staleness = 0;
    // 48 bytes: a million boxes of a run are one store, read by every view.

    double duration() const { return end - start; }
    // Start and end on `base` (Ideal boxes hold ideal ms in start/end).
    double x0(TimeBase base) const { return base == TimeBase::Slots ? slot0 : start; }
    double x1(TimeBase base) const { return base == TimeBase::Slots ? slot1 : end; }
};

TimelineBox toBox(const SlotEvent& e);  // microseconds -> milliseconds

class TimelineData {
public:
    // Clears; `reserve` boxes per lane are allocated up front (the
    // schedule's action counts) so that appending never reallocates.
    void reset(int lanes, const std::vector<std::size_t>& reserve = {});
    int lanes() const { return static_cast<int>(lanes_.size()); }
    // Multiplies every start and end (the ideal boxes when the measured op
    // costs change the scale).
    void rescale(double factor);
    // Boxes in `lane` with gate < slot: a prefix, since a lane holds its
    // stage's actions in execution order.
    std::size_t revealedCount(int lane, int slot) const;

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
    double endTime() const { return end_; }   // latest box end (ms), 0 when empty
    int endSlot() const { return endSlot_; }  // latest slot1
    double endOn(TimeBase base) const { return base == TimeBase::Slots ? endSlot_ : end_; }
    // Highest weight version and staleness of any box: the ends of the
    // sequential colour scales, which must not wrap.
    int maxVersion() const { return maxVersion_; }
    int maxStaleness() const;
    int maxChunk() const { return maxChunk_; }
    unsigned opsPresent() const {
        return ops_;
    }  // bit i = some box has Op i  // > 0: a chunked kind, labels say the chunk

    // Index of the first box in `lane` that ends after t (boxes of a lane
    // never overlap, so ends ascend with starts).
    std::size_t firstEndingAfter(int lane, double t, TimeBase base = TimeBase::Measured) const;
    // The box under time t in `lane`, or nullptr for idle time.
    const TimelineBox* boxAt(int lane, double t, TimeBase base = TimeBase::Measured) const;

private:
    // Staleness of a lane's boxes in start order (after a sort).
    void restale(std::vector<TimelineBox>& lane) const;

    mutable std::vector<std::vector<TimelineBox>> lanes_;
    mutable std::vector<char> unsorted_;
    std::size_t count_ = 0;
    double end_ = 0.0;
    int endSlot_ = 0;
    int maxVersion_ = 0;
    mutable int maxStaleness_ = 0;
    int maxChunk_ = 0;
    unsigned ops_ = 0;
    std::vector<int> newest_;  // per lane: the version its last update produced
};

// Which boxes a search keeps (the rest are dimmed): -1 / all ops = any.
struct BoxFilter {
    int stage = -1;
    int batch = -1;  // 0-based, as stored
    int microbatch = -1;
    int chunk = -1;
    int version = -1;
    unsigned ops = 0x1F;  // bit i = Op i

    bool active() const {
        return stage >= 0 || batch >= 0 || microbatch >= 0 || chunk >= 0 || version >= 0 ||
               ops != 0x1F;
    }
    bool matches(const TimelineBox& b) const {
        return (stage < 0 || b.stage == stage) && (batch < 0 || b.batch == batch) &&
               (microbatch < 0 || b.microbatch == microbatch) && (chunk < 0 || b.chunk == chunk) &&
               (version < 0 || b.version == version) && (ops & (1u << static_cast<unsigned>(b.op)));
    }
};

// Busy time of `lane` inside [t0, t1] on `base`, boxes before `revealSlot` only.
double busyIn(const TimelineData& data, int lane, double t0, double t1, TimeBase base,
              int revealSlot = std::numeric_limits<int>::max());

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
    // Merged runs: share of the run's time per op (Op order), so the painter
    // can split the column and no op vanishes in a full view.
    std::array<float, 5> share{};
};

// What of a lane is shown: boxes with gate < revealSlot, cut at `clip` (a
// time on the base; boxes starting after it are left out).
struct Reveal {
    int slot = std::numeric_limits<int>::max();
    double clip = std::numeric_limits<double>::infinity();
};

// Lays out the boxes of `boxes` (sorted, non-overlapping) that intersect
// [t0, t1] on `base` and are revealed; boxes narrower than `minWidth` pixels
// are merged with their neighbours while the gap between them is under one
// pixel.
void layoutLane(const std::vector<TimelineBox>& boxes, std::size_t firstVisible, double t0,
                double t1, TimeBase base, const Reveal& reveal, const PixelMap& map,
                double minWidth, std::vector<PixelRun>& out);

// The ideal timeline as boxes: ms = units x `msPerUnit`, slots from `grid`.
void fillIdeal(TimelineData& data, const Timeline& timeline, const SlotGrid& grid,
               double msPerUnit);

}  // namespace pd
