// A measured per-layer profile (--profile-out FILE, --profile-in FILE): each
// partitionable layer's forward and backward milliseconds, the bytes its
// forward keeps for the backward, its output and its parameters, and the
// bandwidth between stages; what the partitioners of
// engine/schedule/partition.h choose from. The JSON file says what was
// profiled (model, sizes, rows per microbatch, device, threads), so that a
// profile of another model is refused instead of silently used.
//
//   {"format": "pipedream-profile", "version": 1, "model": "cnn",
//    "shape": "cnn 6 layers, hidden 128, 784 inputs", "rows": 16,
//    "device": "cpu", "threads": 1, "warmups": 2, "repetitions": 7,
//    "bandwidth_bytes_per_ms": 4.1e6,
//    "layers": [{"layer": 1, "name": "conv1", "forward_ms": 0.21,
//                "backward_ms": 0.40, "update_ms": 0.01,
//                "activation_bytes": 401408,
//                "output_bytes": 200704, "param_bytes": 640}, ...]}
#pragma once

#include <string>
#include <vector>

#include "engine/base/json.h"
#include "engine/schedule/partition.h"

namespace pd {

struct LayerProfile {
    std::string model;  // mlp | cnn | gpt
    // The sizes that decide the costs, in words ("mlp 48 layers, hidden
    // 512, 512 inputs"): a profile is used only for the same shape.
    std::string shape;
    int rows = 0;  // samples per microbatch
    std::string device = "cpu";
    int threads = 1;     // ATen threads per stage while measured
    int concurrent = 1;  // copies measured at once (stages sharing the cores)
    int warmups = 0;
    int repetitions = 0;
    // Between two stages, measured by copying a boundary-sized tensor the way
    // the stages' channel does; 0: not measured (no communication cost).
    double bandwidthBytesPerMs = 0.0;
    std::vector<std::string> names;  // per layer: "conv1", "block3", "head"
    std::vector<LayerCost> layers;   // milliseconds and bytes
    // Where it came from: "measured" or the file it was read from (not
    // written to the file).
    std::string source;
};

json::Ordered toJson(const LayerProfile& profile);
// Throws ConfigError with "PATH: ..." (one line) when the file cannot be
// read, is not a profile, or has a layer with a negative or non-finite
// figure.
LayerProfile readProfile(const std::string& path);
// Through writeFileAtomic; throws ConfigError with the cause.
void writeProfile(const std::string& path, const LayerProfile& profile);

}  // namespace pd
