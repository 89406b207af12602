#include "model.h"

#include <cmath>

namespace pd::model {

namespace {
constexpr double kNoise = 0.1;
}  // namespace

ModelSpec makeSpec(int layers, int hidden, int classes, int inputDim, int parts) {
    ModelSpec spec;
    spec.layers = layers;
    spec.hidden = hidden;
    spec.classes = classes;
    spec.inputDim = inputDim;
    spec.split = splitLayers(layers, parts);
    return spec;
}

bool hasHead(const ModelSpec& spec, int part) {
    return part == spec.parts() - 1;
}

std::pair<torch::Tensor, torch::Tensor> initLayer(const ModelSpec& spec, int layer,
                                                  std::uint64_t seed) {
    const bool head = layer == spec.layers + 1;
    const int in = layer == 1 ? spec.inputDim : spec.hidden;
    const int out = head ? spec.classes : spec.hidden;
    // splitmix-style mixing so neighbouring seeds and layers do not correlate
    std::uint64_t z =
        seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(layer) * 0xBF58476D1CE4E5B9ULL;
    z ^= z >> 31;
    auto gen = at::detail::createCPUGenerator(z);
    torch::Tensor w;
    if (head) {
        w = at::normal(0.0, 0.1 / std::sqrt(static_cast<double>(in)), {out, in}, gen);
    } else if (in != out) {
        w = at::normal(0.0, std::sqrt(2.0 / static_cast<double>(in)), {out, in}, gen);  // Kaiming
    } else {
        // Identity plus small noise: a deep ReLU stack of these keeps the
        // signal (and its class information) instead of collapsing it, and
        // the scale grows only by about (1 + kNoise^2) per layer.
        w = torch::eye(in) +
            at::normal(0.0, kNoise / std::sqrt(static_cast<double>(in)), {out, in}, gen);
    }
    torch::Tensor b = torch::zeros({out});
    return {w, b};
}

std::vector<PartParams> initParameters(const ModelSpec& spec, std::uint64_t seed) {
    std::vector<PartParams> parts(spec.parts());
    for (int p = 0; p < spec.parts(); ++p) {
        for (int l = spec.split[p].first; l <= spec.split[p].last; ++l) {
            auto [w, b] = initLayer(spec, l, seed);
            parts[p].push_back(w);
            parts[p].push_back(b);
        }
        if (hasHead(spec, p)) {
            auto [w, b] = initLayer(spec, spec.layers + 1, seed);
            parts[p].push_back(w);
            parts[p].push_back(b);
        }
    }
    return parts;
}

torch::Tensor forwardPart(const PartParams& params, bool head, const torch::Tensor& x,
                          ForwardTrace* trace) {
    torch::Tensor h = x;
    const std::size_t linears = params.size() / 2;
    for (std::size_t k = 0; k < linears; ++k) {
        const bool isHead = head && k + 1 == linears;
        if (trace) trace->layerInputs.push_back(h);
        torch::Tensor z = torch::addmm(params[2 * k + 1], h, params[2 * k].t());
        if (trace) trace->preActivations.push_back(z);
        h = isHead ? z : torch::relu(z);
    }
    return h;
}

torch::Tensor backwardInput(const PartParams& params, bool head, const ForwardTrace& trace,
                            const torch::Tensor& gradOut, bool needInputGrad,
                            std::vector<torch::Tensor>& gradZ) {
    const std::size_t linears = params.size() / 2;
    gradZ.assign(linears, torch::Tensor());
    torch::Tensor g = gradOut;
    for (std::size_t k = linears; k-- > 0;) {
        const bool isHead = head && k + 1 == linears;
        torch::Tensor dz = isHead ? g : torch::threshold_backward(g, trace.preActivations[k], 0);
        gradZ[k] = dz;
        if (k > 0 || needInputGrad)
            g = dz.mm(params[2 * k]);
        else
            g = torch::Tensor();
    }
    return g;
}

void accumulateWeightGrad(const std::vector<torch::Tensor>& layerInputs,
                          const std::vector<torch::Tensor>& gradZ, PartParams& gradSum) {
    const std::size_t linears = gradZ.size();
    if (gradSum.size() != 2 * linears) {
        gradSum.clear();
        for (std::size_t k = 0; k < linears; ++k) {
            gradSum.push_back(gradZ[k].t().mm(layerInputs[k]));
            gradSum.push_back(gradZ[k].sum(0));
        }
        return;
    }
    for (std::size_t k = 0; k < linears; ++k) {
        gradSum[2 * k].addmm_(gradZ[k].t(), layerInputs[k]);
        gradSum[2 * k + 1].add_(gradZ[k].sum(0));
    }
}

torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& labels) {
    return torch::nll_loss(torch::log_softmax(logits, 1), labels);
}

torch::Tensor crossEntropyGrad(const torch::Tensor& logits, const torch::Tensor& labels) {
    torch::Tensor g = torch::softmax(logits, 1);
    torch::Tensor idx = labels.unsqueeze(1);
    g.scatter_(1, idx, g.gather(1, idx) - 1.0);
    return g.div_(static_cast<double>(logits.size(0)));
}

std::int64_t bytesOf(const torch::Tensor& t) {
    return t.defined() ? static_cast<std::int64_t>(t.numel() * t.element_size()) : 0;
}

std::int64_t bytesOf(const std::vector<torch::Tensor>& ts) {
    std::int64_t n = 0;
    for (const auto& t : ts) n += bytesOf(t);
    return n;
}

std::vector<float> flatten(const PartParams& params) {
    std::vector<float> out;
    for (const auto& p : params) {
        torch::Tensor c = p.detach().to(torch::kCPU, torch::kFloat).contiguous();
        out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return out;
}

}  // namespace pd::model
