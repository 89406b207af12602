// Torch-typed view into a TrainingRun for engine tests and benchmarks.
// Never include this from ui/ or app/.
#pragma once

#include <torch/torch.h>

#include <map>
#include <vector>

#include "model.h"
#include "runtime.h"

namespace pd {

// One executed backward (B, or the W of an I/W pair) with what it needs to
// be recomputed independently: the part's input, the gradient that arrived
// from the next part (undefined for the head part, which has labels instead)
// and the weight gradient the runtime computed.
struct BackwardRecord {
    int stage = 0;
    int chunk = 0;
    int part = 0;
    int batch = 0;
    int microbatch = 0;
    int forwardVersion = 0;   // version the forward read
    int backwardVersion = 0;  // version the backward read (its action's version)
    torch::Tensor input;
    torch::Tensor gradOut;
    torch::Tensor labels;
    model::PartParams grads;
};

struct RuntimeAccess {
    // Needs setKeepAllVersions(true) before start().
    static std::vector<BackwardRecord> backwardRecords(const TrainingRun& run);
    // Every version of `part` produced so far (keepAllVersions) or held now.
    static std::map<int, model::PartParams> versions(const TrainingRun& run, int part);
    static const model::ModelSpec& spec(const TrainingRun& run);
};

}  // namespace pd
