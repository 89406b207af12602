// The staged model. `mlp`: the tutorial's MLP of L Linear+ReLU layers of
// width H plus a class head in the last model part, with an explicit
// backward. `cnn` (a small convolutional network for square grayscale
// images) and `gpt` (a character-level decoder-only transformer) are
// sequences of layers run with LibTorch autograd (forwardLayers, lossOf).
// Internal to pd_engine (torch types): ui/ and app/ never include this
// header.
//
// Parameters are plain tensors, one list per model part
// ([W, b] per layer, the head's last), so that a weight version is simply a
// list of tensors that the weight store can keep, stash and drop.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/schedule/schedule.h"

namespace pd::model {

enum class ModelKind { Mlp, Cnn, Gpt };

struct ModelSpec {
    ModelKind kind = ModelKind::Mlp;
    int layers = 48;  // mlp: hidden layers; gpt: transformer blocks; cnn: 6
    int hidden = 512;
    int classes = 10;  // gpt: the vocabulary
    int inputDim = 512;
    int heads = 4;                  // gpt
    int seqLen = 64;                // gpt
    std::vector<LayerRange> split;  // per model part, 1-based layer ranges
    int parts() const { return static_cast<int>(split.size()); }
    // Layers the split divides: mlp: its hidden layers (the head goes with
    // the last); cnn: 6 (4 conv blocks, 2 fully connected, the last the
    // head); gpt: the embedding, the blocks, and the final norm with the head.
    int partitionLayers() const;
    bool autograd() const { return kind != ModelKind::Mlp; }
};

ModelSpec makeSpec(int layers, int hidden, int classes, int inputDim, int parts);
// Any kind ("mlp", "cnn", "gpt"); throws ConfigError with a
// user-facing line when the data does not fit the model.
ModelSpec makeModelSpec(const std::string& kind, int layers, int hidden, int heads, int seqLen,
                        int classes, int inputDim, int parts);
// Layers of the cnn.
constexpr int kCnnLayers = 6;

using PartParams = std::vector<torch::Tensor>;  // W0, b0, W1, b1, ... (head last)

// Deterministic initialisation, independent of the split: layer l is seeded
// from (seed, l). Hidden layers: Kaiming normal (std sqrt(2 / fan_in)),
// zero bias; head: small weights so the first loss is close to ln(classes).
std::vector<PartParams> initParameters(const ModelSpec& spec, std::uint64_t seed);

// One layer's weight and bias from the same seeding (for references that
// build the unsplit model layer by layer). `layer` is 1-based; L+1 = head.
std::pair<torch::Tensor, torch::Tensor> initLayer(const ModelSpec& spec, int layer,
                                                  std::uint64_t seed);

bool hasHead(const ModelSpec& spec, int part);

// Tensors a forward keeps for its backward: the input of every linear layer
// and its pre-activation output (what autograd saves as well).
struct ForwardTrace {
    std::vector<torch::Tensor> layerInputs;
    std::vector<torch::Tensor> preActivations;
};

// Forward through one model part. The last part returns logits.
torch::Tensor forwardPart(const PartParams& params, bool head, const torch::Tensor& x,
                          ForwardTrace* trace = nullptr);

// Explicit backward of one part (no autograd, so that the input gradient I
// and the weight gradient W can run as separate actions, as zero-bubble
// needs). `gradOut` is dL/d(output of the part); fills `gradZ` with
// dL/d(pre-activation) per linear layer. Returns dL/d(input), or an
// undefined tensor when `needInputGrad` is false (the first part).
torch::Tensor backwardInput(const PartParams& params, bool head, const ForwardTrace& trace,
                            const torch::Tensor& gradOut, bool needInputGrad,
                            std::vector<torch::Tensor>& gradZ);
// Adds the weight and bias gradients of one microbatch to `gradSum`
// (allocated on first use), from the layer inputs and `gradZ`.
void accumulateWeightGrad(const std::vector<torch::Tensor>& layerInputs,
                          const std::vector<torch::Tensor>& gradZ, PartParams& gradSum);

// --- cnn and gpt (autograd) ---
// Forward through the layers of model part `part` with `params` (that
// part's list, in layer order); the graph is recorded when grad mode is
// on and the tensors require it. The last part returns logits ([rows,
// classes]; gpt: [rows, seqLen, vocab]).
torch::Tensor forwardLayers(const ModelSpec& spec, int part, const PartParams& params,
                            const torch::Tensor& x);
// Mean cross-entropy over every prediction (gpt: every position).
torch::Tensor lossOf(const ModelSpec& spec, const torch::Tensor& logits,
                     const torch::Tensor& labels);
// Correct predictions among them.
std::int64_t correctOf(const torch::Tensor& logits, const torch::Tensor& labels);
// Shape of the activation entering part `part` (> 0) for `rows` samples.
std::vector<std::int64_t> boundaryShape(const ModelSpec& spec, int part, int rows);

// Mean cross-entropy of logits against labels, and its gradient w.r.t. the logits.
torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& labels);
torch::Tensor crossEntropyGrad(const torch::Tensor& logits, const torch::Tensor& labels);

std::int64_t bytesOf(const torch::Tensor& t);
std::int64_t bytesOf(const std::vector<torch::Tensor>& ts);

// Flattened copy (float, CPU) of a parameter list, in order.
std::vector<float> flatten(const PartParams& params);

}  // namespace pd::model
