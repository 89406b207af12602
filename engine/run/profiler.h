// The layer profiler: every partitionable layer of the run's model timed on
// its own (forward, then backward; warm-ups, then the median of several
// repetitions) with a real microbatch of the run's data, on the device of
// the first stage and the thread count each stage will have; the bytes its
// forward allocates and keeps for the backward, its output and its
// parameters; and the bandwidth of a boundary-sized copy. What --partition
// chooses from and what the dry run predicts with (engine/formats/profile.h).
// Torch-free header; the measuring is in profiler.cpp.
#pragma once

#include "engine/config/options.h"
#include "engine/formats/profile.h"

namespace pd {

struct ProfileSettings {
    int warmups = 2;
    int repetitions = 7;
    int threads = 0;  // ATen threads; 0: what each stage of the run gets
    // Copies of each layer measured at once (the stages sharing the cores);
    // 0: on a CPU, as many as the run's stages that the cores hold at once.
    int concurrent = 0;
};

// Throws ConfigError (bad data, model, device) with one line.
LayerProfile profileLayers(const RunOptions& options, const ProfileSettings& settings = {});

}  // namespace pd
