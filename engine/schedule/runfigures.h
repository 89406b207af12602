// The figures of a run that grow with its events, each event folded in once
// (O(1)): busy time and utilization per stage, makespan and bubble, mean op
// costs (the ideal timeline's scale) and memory peaks. The UI's run model
// keeps one while a run streams in; measureRun() and pipedream-train use the
// same rules, so every figure is defined in one place.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/simulator.h"

namespace pd {

// busy / makespan per stage, their mean, and the bubble (1 - mean): the one
// definition of utilization, for ideal timelines and measured runs alike.
void fillUtilization(Analysis& out, const std::vector<double>& busy, double makespan);

class RunFigures {
public:
    explicit RunFigures(int stages = 0, int chunks = 1);

    void addSlot(const SlotEvent& e);
    void addMemory(const MemoryEvent& e);
    int stages() const { return static_cast<int>(busyUs_.size()); }
    std::size_t slotCount() const { return slots_; }

    // Mean measured duration (us) of each op, scaled to a whole stage (a
    // chunk's op times V). Ops that did not run keep the default ratios to
    // the measured forward; no forward at all: the default unit costs.
    OpCosts costs() const;
    // Milliseconds of one ideal simulator unit (one forward of a stage):
    // the scale at which the ideal timeline compares with the measured one.
    // 1.0 before any forward was measured.
    double msPerUnit() const;
    // Utilization (busy / makespan) per stage, mean utilization and bubble
    // (idle / (S x makespan)); makespan from the first start to the last end.
    Analysis utilization() const;
    double makespanUs() const { return slots_ ? static_cast<double>(lastUs_ - firstUs_) : 0.0; }

    struct Peaks {
        std::vector<std::int64_t> bytes;  // activations + stashed weights
        std::vector<std::int64_t> activationBytes;
        std::vector<std::int64_t> stashBytes;
        std::vector<int> activations;
        std::vector<int> versions;
    };
    const Peaks& peaks() const { return peaks_; }
    bool hasMemory() const { return memoryEvents_ > 0; }

private:
    int chunks_ = 1;
    std::vector<double> busyUs_;
    std::size_t slots_ = 0;
    std::int64_t firstUs_ = 0, lastUs_ = 0;
    std::array<double, 5> opSum_{};
    std::array<long long, 5> opCount_{};
    Peaks peaks_;
    std::size_t memoryEvents_ = 0;
};

}  // namespace pd
