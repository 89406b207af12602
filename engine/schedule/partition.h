// Where to cut a model into pipeline parts: from per-layer costs (a profile),
// the partitioners choose contiguous layer ranges, one per model part
// (part p = chunk * S + stage, see partOf), each exact on its objective.
// Pure C++: no torch, no Qt.
//
//   uniform   equal layer counts (splitLayers; the tutorial's split)
//   time      the slowest part's forward + backward time, minimised
//   memory    the largest stage's memory (weights x the versions the
//             schedule holds, activations x the microbatches in flight),
//             minimised
//   pipedream PipeDream's dynamic program: the slowest of every part's
//             compute and every boundary's communication (activation and
//             gradient bytes over the bandwidth), under a memory limit
//   schedule  the simulated makespan of the chosen schedule with the parts'
//             costs, minimised (exhaustive where cheap, else a descent from
//             the best of the others)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"

namespace pd {

// One partitionable layer, measured or estimated. Times in any unit (ms
// from a profile); bytes per microbatch for activations (what its forward
// keeps for the backward), total for parameters.
struct LayerCost {
    double forward = 0.0;
    double backward = 0.0;             // input and weight gradients together
    double update = 0.0;               // the optimizer's step on its weights, once per batch
    std::int64_t activationBytes = 0;  // kept per microbatch until its backward
    std::int64_t outputBytes = 0;      // sent to the next part (and its gradient back)
    std::int64_t paramBytes = 0;
};

enum class PartitionMethod { Uniform, Time, Memory, PipeDream, Schedule };

const char* toString(PartitionMethod method);
std::optional<PartitionMethod> parsePartitionMethod(const std::string& name);

struct PartitionGoal {
    ScheduleConfig config;  // stages, chunks and the kind (memory, schedule)
    // pipedream: bytes per time unit of the link between stages (0: no
    // communication cost) and the most memory a stage may hold (0: none).
    double bandwidth = 0.0;
    std::int64_t memoryLimit = 0;
};

struct Partition {
    PartitionMethod method = PartitionMethod::Uniform;
    std::vector<LayerRange> parts;  // per model part, 1-based layer ranges
    double objective = 0.0;         // the method's own figure (uniform: time's)
};

// The first layer (1-based) of every part after the first: "4,9,13" for
// 16 layers in 4 parts is 1-3, 4-8, 9-12, 13-16.
std::vector<int> boundariesOf(const std::vector<LayerRange>& parts);
std::vector<LayerRange> rangesFromBoundaries(int layers, const std::vector<int>& boundaries);
// Parses --split; ConfigError when it is not parts-1 strictly increasing
// layers in 2..layers.
std::vector<LayerRange> parseSplit(const std::string& text, int layers, int parts);

// Each part's op costs from its layers (b split evenly into I and W for the
// zero-bubble kinds; u the layers' updates), for the simulator.
std::vector<OpCosts> partCosts(const std::vector<LayerCost>& layers,
                               const std::vector<LayerRange>& parts);

// The objectives, for any partition (the partitioners minimise them).
double slowestPart(const std::vector<LayerCost>& layers, const std::vector<LayerRange>& parts);
std::vector<std::int64_t> partitionMemory(const std::vector<LayerCost>& layers,
                                          const std::vector<LayerRange>& parts,
                                          const ScheduleConfig& config);
double pipeDreamObjective(const std::vector<LayerCost>& layers,
                          const std::vector<LayerRange>& parts, const PartitionGoal& goal);
// Makespan of config's schedule (its batches) simulated with each part's own
// costs.
double simulatedMakespan(const std::vector<LayerCost>& layers, const std::vector<LayerRange>& parts,
                         const ScheduleConfig& config);

// Throws ConfigError when no partition exists (fewer layers than parts, a
// memory limit no split meets).
Partition partitionLayers(PartitionMethod method, const std::vector<LayerCost>& layers,
                          const PartitionGoal& goal);

}  // namespace pd
