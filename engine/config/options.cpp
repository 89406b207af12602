// Run options: the defaults (the tutorial's, and each model's), the layers
// a model is cut into and where (--split, --partition), the stages' names.
// Parsing is in flags.cpp, the checks in checks.cpp, ranks in rankenv.cpp.
#include <algorithm>
#include <cmath>
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
        o.optimizer = "momentum";
        o.lr = defaultLr(model, o.optimizer);
        o.data = "fashion-mnist";
    } else if (model == "gpt") {
        o.model = model;
        o.layers = 4;
        o.hidden = 128;
        o.heads = 4;
        o.seqLen = 64;
        o.batchSize = 32;
        o.optimizer = "adam";
        o.lr = defaultLr(model, o.optimizer);
        o.data = "text";
    }
    return o;
}

double defaultLr(const std::string& model, const std::string& optimizer) {
    if (optimizer == "adam") return kAdamLr;
    if (model == "cnn") return optimizer == "momentum" ? 0.005 : 0.05;
    if (model == "gpt") return 0.3;
    return defaultRunOptions().lr;
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
// costs (the --profile-in file's, else estimated). Both at once: which one
// is meant is not ours to guess.
void resolveSplit(State& s) {
    if (!s.split.empty() && !s.partition.empty())
        throw ConfigError("--split and --partition cannot be combined (--split is the cut itself)");
    const int parts = s.o.schedule.parts();
    if (!s.split.empty()) {
        s.o.split = boundariesOf(parseSplit(s.split, partitionableLayers(s.o), parts));
        s.o.partition = "split";
        if (s.o.split == boundariesOf(splitLayers(partitionableLayers(s.o), parts)))
            s.o.split.clear();
    }
    if (!s.partition.empty()) s.o.partition = s.partition;
    try {
        if (!s.o.profileIn.empty())
            adoptProfile(s.o, readProfile(s.o.profileIn));
        else if (s.o.partition != "uniform" && s.o.partition != "split")
            s.o.split = choosePartition(s.o, estimateLayerCosts(s.o));
    } catch (const std::exception& e) {
        if (!s.o.profileIn.empty()) throw ConfigError(std::string("--profile-in ") + e.what());
        throw ConfigError("--partition " + s.o.partition + ": " + e.what());
    }
}

}  // namespace optionsdetail

std::vector<int> choosePartition(const RunOptions& o, const std::vector<LayerCost>& costs) {
    const Partition p =
        partitionLayers(*parsePartitionMethod(o.partition), costs, partitionGoal(o));
    std::vector<int> split = boundariesOf(p.parts);
    // The equal cut is the default's: said by no split at all.
    if (split == boundariesOf(splitLayers(partitionableLayers(o), o.schedule.parts())))
        split.clear();
    return split;
}

PartitionGoal partitionGoal(const RunOptions& o) {
    PartitionGoal goal;
    goal.config = o.schedule;
    goal.config.batches = std::max(1, goal.config.batches);  // --epochs: not known yet
    // bytes per cost unit: the profile's units are ms
    if (o.bandwidthGBs > 0.0)
        goal.bandwidth = o.bandwidthGBs * 1e6;
    else if (o.profile)
        goal.bandwidth = o.profile->bandwidthBytesPerMs;
    goal.memoryLimit = o.memoryLimit;
    return goal;
}

std::vector<LayerCost> layerCosts(const RunOptions& o) {
    return o.profile ? o.profile->layers : estimateLayerCosts(o);
}

void adoptProfile(RunOptions& o, LayerProfile profile) {
    const int layers = partitionableLayers(o);
    if (profile.model != o.model)
        throw ConfigError("the profile is of --model " + profile.model + ", the run's is " +
                          o.model);
    if (profile.shape != profileShape(o))
        throw ConfigError("the profile is of \"" + profile.shape + "\", the run is \"" +
                          profileShape(o) + "\"");
    if (static_cast<int>(profile.layers.size()) != layers)
        throw ConfigError("the profile has " + std::to_string(profile.layers.size()) +
                          " layers, the model " + std::to_string(layers));
    // Another microbatch size: times and activations scale with the rows.
    const int rows = std::max(1, o.microbatchSize());
    if (profile.rows > 0 && profile.rows != rows) {
        const double k = static_cast<double>(rows) / profile.rows;
        for (LayerCost& c : profile.layers) {
            c.forward *= k;
            c.backward *= k;
            c.activationBytes = static_cast<std::int64_t>(std::llround(c.activationBytes * k));
            c.outputBytes = static_cast<std::int64_t>(std::llround(c.outputBytes * k));
        }
        profile.source += " (scaled from " + std::to_string(profile.rows) + " to " +
                          std::to_string(rows) + " rows per microbatch)";
        profile.rows = rows;
    }
    o.profile = std::move(profile);
    if (o.partition != "uniform" && o.partition != "split")
        o.split = choosePartition(o, o.profile->layers);
}

bool measuresProfile(const RunOptions& o) {
    if (!o.profileOut.empty()) return true;
    return !o.profile && !o.dryRun && o.partition != "uniform" && o.partition != "split";
}

std::string profileShape(const RunOptions& o) {
    std::string s = o.model + " " + std::to_string(partitionableLayers(o)) + " layers, hidden " +
                    std::to_string(o.hidden);
    if (o.model == "gpt")
        s += ", heads " + std::to_string(o.heads) + ", context " + std::to_string(o.seqLen);
    return s + ", data " + o.data;
}

std::vector<std::string> layerNames(const RunOptions& o) {
    const int n = partitionableLayers(o);
    std::vector<std::string> names;
    for (int l = 1; l <= n; ++l) {
        if (o.model == "cnn")
            names.push_back(l <= 4 ? "conv" + std::to_string(l) : l == 5 ? "fc" : "head");
        else if (o.model == "gpt")
            names.push_back(l == 1 ? "embed" : l == n ? "head" : "block" + std::to_string(l - 1));
        else
            names.push_back("L" + std::to_string(l) + (l == n ? "+head" : ""));
    }
    return names;
}

int partitionableLayers(const RunOptions& o) {
    return o.model == "gpt" ? o.layers + 2 : o.layers;  // gpt: embedding and head beside
}

std::vector<LayerRange> layerSplit(const RunOptions& o) {
    if (o.split.empty()) return splitLayers(partitionableLayers(o), o.schedule.parts());
    std::string text;
    for (int b : o.split) text += (text.empty() ? "" : ",") + std::to_string(b);
    return parseSplit(text, partitionableLayers(o), o.schedule.parts());
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

namespace {

// flops forward, flops backward (input and weight gradients), floats kept
// per microbatch, floats sent on, parameters: one layer's estimate.
LayerCost estimate(double fwd, double bwd, double kept, double out, double params) {
    LayerCost c;
    c.forward = fwd;
    c.backward = bwd;
    c.activationBytes = static_cast<std::int64_t>(4.0 * kept);
    c.outputBytes = static_cast<std::int64_t>(4.0 * out);
    c.paramBytes = static_cast<std::int64_t>(4.0 * params);
    return c;
}

// The cnn of engine/model/model.cpp on 28 x 28 images: 3x3 convolutions
// 1-16 (28 x 28), 16-32 (28, then pooled to 14), 32-64 (14, pooled to 7),
// 64-64 (7), then fc 3136-hidden and the head.
std::vector<LayerCost> estimateCnn(const RunOptions& o, double rows) {
    const double ch[] = {1, 16, 32, 64, 64}, side[] = {28, 28, 14, 7}, outSide[] = {28, 14, 7, 7};
    std::vector<LayerCost> out;
    for (int l = 1; l <= 4; ++l) {
        const double at = side[l - 1] * side[l - 1];
        const double flops = 2.0 * rows * at * ch[l - 1] * ch[l] * 9.0;
        const double in = rows * at * ch[l - 1], conv = rows * at * ch[l];
        const double next = rows * outSide[l - 1] * outSide[l - 1] * ch[l];
        out.push_back(estimate(flops, l == 1 ? flops : 2.0 * flops, in + 2.0 * conv, next,
                               ch[l - 1] * ch[l] * 9.0 + ch[l]));
    }
    const double flat = 64.0 * 7 * 7, h = o.hidden, k = o.classes;
    out.push_back(estimate(2.0 * rows * flat * h, 4.0 * rows * flat * h, rows * (flat + 2 * h),
                           rows * h, flat * h + h));
    out.push_back(
        estimate(2.0 * rows * h * k, 4.0 * rows * h * k, rows * (h + 3 * k), rows * k, h * k + k));
    return out;
}

// The gpt: embedding (a gather), pre-norm blocks (qkv, attention over the
// context, projection, 4x MLP), final norm and head over the characters
// (about 96 in English text).
std::vector<LayerCost> estimateGpt(const RunOptions& o, double rows) {
    const double T = o.seqLen, H = o.hidden, V = 96.0, n = rows * T;
    std::vector<LayerCost> out;
    out.push_back(estimate(n * H, 2.0 * n * H, n, n * H, (V + T) * H));
    const double blockFlops = n * (24.0 * H * H + 4.0 * T * H);
    const double kept = n * (16.0 * H) + rows * o.heads * T * T * 2.0;
    for (int b = 0; b < o.layers; ++b)
        out.push_back(estimate(blockFlops, 2.0 * blockFlops, kept, n * H, 12.0 * H * H + 13.0 * H));
    out.push_back(estimate(2.0 * n * H * V, 4.0 * n * H * V, n * (2.0 * H + 3.0 * V), n * V,
                           H * V + V + 2.0 * H));
    return out;
}

}  // namespace

std::vector<LayerCost> estimateLayerCosts(const RunOptions& o) {
    // The MLP of engine/model/model.cpp: layer 1 from the input, L-1 hidden
    // layers, the class head inside the last layer's part. Forward: 2 x rows
    // x in x out flops; backward: twice that (input and weight gradients),
    // the first layer's without the input gradient. Per microbatch it keeps
    // each layer's input and pre-activation.
    const double rows = std::max(1, o.microbatchSize());
    if (o.model == "cnn") return estimateCnn(o, rows);
    if (o.model == "gpt") return estimateGpt(o, rows);
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
