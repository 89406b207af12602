// Run options: the defaults (the tutorial's, and each model's), the layers
// a model is cut into and where (--split, --partition), the stages' names.
// Parsing is in flags.cpp, the checks in checks.cpp, ranks in rankenv.cpp.
#include <algorithm>
#include <cstdint>

#include "engine/config/optionsdetail.h"
#include "engine/formats/trace.h"

namespace pd {

using namespace optionsdetail;

bool isTextData(const std::string& data) {
    return data == "text" || data.compare(0, 5, "text:") == 0;
}

int partitionLayers(const RunOptions& o) {
    if (o.model == "cnn") return 6;
    if (o.model == "gpt") return o.layers + 2;
    return o.layers;
}

RunOptions modelDefaults(const std::string& model) {
    RunOptions o = defaultRunOptions();
    if (model == "cnn") {
        o.model = model;
        o.layers = 6;
        o.hidden = 128;
        o.batchSize = 64;
        o.lr = 0.05;
        o.data = "fashion-mnist";
    } else if (model == "gpt") {
        o.model = model;
        o.layers = 4;
        o.hidden = 128;
        o.heads = 4;
        o.seqLen = 64;
        o.batchSize = 32;
        o.lr = 0.3;
        o.data = "text";
    }
    return o;
}

RunOptions defaultRunOptions() {
    RunOptions o;
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = 5;
    o.schedule.chunks = 1;
    o.batchSize = 32;
    o.layers = 48;
    o.hidden = 512;
    o.classes = 10;
    o.lr = 0.02;  // plain SGD; 0.05 diverges for pipedream / 2bw on the 48-layer default
    o.seed = 0;
    o.device = "cpu";
    o.data = "synthetic";
    return o;
}

namespace optionsdetail {

// --split read against the sizes, or --partition's choice from the layers'
// estimated costs. Both at once: which one is meant is not ours to guess.
std::string resolveSplit(State& s) {
    if (!s.split.empty() && !s.partition.empty())
        return "--split and --partition cannot be combined (--split is the cut itself)";
    const int parts = s.o.schedule.parts();
    if (!s.split.empty()) {
        std::string error;
        const auto ranges = parseSplit(s.split, partitionableLayers(s.o), parts, error);
        if (!ranges) return error;
        s.o.split = boundariesOf(*ranges);
        if (s.o.split == boundariesOf(splitLayers(partitionableLayers(s.o), parts)))
            s.o.split.clear();
        return {};
    }
    if (s.partition.empty() || s.partition == "uniform") return {};
    if (s.o.model != "mlp")
        return "--partition " + s.partition +
               " estimates the MLP's layer costs only; for --model " + s.o.model +
               " give the cut with --split";
    try {
        PartitionGoal goal;
        goal.config = s.o.schedule;
        const Partition p =
            partitionLayers(*parsePartitionMethod(s.partition), estimateLayerCosts(s.o), goal);
        s.o.split = boundariesOf(p.parts);
    } catch (const std::exception& e) {
        return std::string("--partition ") + s.partition + ": " + e.what();
    }
    // The equal cut is the default's: said by no split at all.
    if (s.o.split == boundariesOf(splitLayers(partitionableLayers(s.o), parts))) s.o.split.clear();
    return {};
}

}  // namespace optionsdetail

int partitionableLayers(const RunOptions& o) {
    return o.model == "gpt" ? o.layers + 2 : o.layers;  // gpt: embedding and head beside
}

std::vector<LayerRange> layerSplit(const RunOptions& o) {
    if (o.split.empty()) return splitLayers(partitionableLayers(o), o.schedule.parts());
    std::string error;
    std::string text;
    for (int b : o.split) text += (text.empty() ? "" : ",") + std::to_string(b);
    const auto ranges = parseSplit(text, partitionableLayers(o), o.schedule.parts(), error);
    if (!ranges) throw ConfigError(error);
    return *ranges;
}

std::vector<std::string> stageNames(const RunOptions& o) {
    std::vector<LayerRange> parts;
    try {
        parts = layerSplit(o);
    } catch (const std::exception&) {
        parts.clear();
    }
    return stageNames(o.schedule, parts);
}

std::vector<LayerCost> estimateLayerCosts(const RunOptions& o) {
    // The MLP of engine/model/model.cpp: layer 1 from the input, L-1 hidden
    // layers, the class head inside the last layer's part. Forward: 2 x rows
    // x in x out flops; backward: twice that (input and weight gradients),
    // the first layer's without the input gradient. Per microbatch it keeps
    // each layer's input and pre-activation.
    const double rows = std::max(1, o.microbatchSize());
    const double input = o.data.compare(0, 6, "mnist:") == 0 ? 784.0 : o.hidden;
    std::vector<LayerCost> out;
    for (int l = 1; l <= o.layers; ++l) {
        const double in = l == 1 ? input : o.hidden;
        double flops = 2.0 * rows * in * o.hidden;
        double params = in * o.hidden + o.hidden;
        double kept = rows * (in + o.hidden);
        if (l == o.layers) {  // the head rides with the last layer
            flops += 2.0 * rows * o.hidden * o.classes;
            params += static_cast<double>(o.hidden) * o.classes + o.classes;
            kept += rows * (o.hidden + 2.0 * o.classes);
        }
        LayerCost c;
        c.forward = flops;
        c.backward = l == 1 ? flops : 2.0 * flops;
        c.activationBytes = static_cast<std::int64_t>(4.0 * kept);
        c.outputBytes = static_cast<std::int64_t>(4.0 * rows * o.hidden);
        c.paramBytes = static_cast<std::int64_t>(4.0 * params);
        out.push_back(c);
    }
    return out;
}

}  // namespace pd
