#include "engine/model/model.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace pd::model {

namespace {
constexpr double kNoise = 0.1;

at::Generator layerGenerator(std::uint64_t seed, int layer) {
    // splitmix-style mixing so neighbouring seeds and layers do not correlate
    std::uint64_t z =
        seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(layer) * 0xBF58476D1CE4E5B9ULL;
    z ^= z >> 31;
    return at::detail::createCPUGenerator(z);
}

int cnnSide(const ModelSpec& spec) {
    return static_cast<int>(std::lround(std::sqrt(static_cast<double>(spec.inputDim))));
}

// Conv channels after cnn layer l (1..4).
constexpr int kCnnChannels[] = {1, 16, 32, 64, 64};

torch::Tensor kaiming(std::vector<std::int64_t> shape, std::int64_t fanIn, at::Generator& gen) {
    return at::normal(0.0, std::sqrt(2.0 / static_cast<double>(fanIn)), shape, gen);
}

// Parameters of one layer of the cnn or gpt, seeded from (seed, layer).
PartParams initAutogradLayer(const ModelSpec& spec, int layer, std::uint64_t seed) {
    auto gen = layerGenerator(seed, layer);
    PartParams p;
    if (spec.kind == ModelKind::Cnn) {
        if (layer <= 4) {
            const int in = kCnnChannels[layer - 1], out = kCnnChannels[layer];
            p.push_back(kaiming({out, in, 3, 3}, in * 9, gen));
            p.push_back(torch::zeros({out}));
        } else if (layer == 5) {
            const int q = cnnSide(spec) / 4;
            const int in = kCnnChannels[4] * q * q;
            p.push_back(kaiming({spec.hidden, in}, in, gen));
            p.push_back(torch::zeros({spec.hidden}));
        } else {
            p.push_back(at::normal(0.0, 0.1 / std::sqrt(static_cast<double>(spec.hidden)),
                                   {spec.classes, spec.hidden}, gen));
            p.push_back(torch::zeros({spec.classes}));
        }
        return p;
    }
    const std::int64_t H = spec.hidden, V = spec.classes;
    const double std = 0.02;
    const double proj = std / std::sqrt(2.0 * spec.layers);
    if (layer == 1) {
        p.push_back(at::normal(0.0, std, {V, H}, gen));            // token embedding
        p.push_back(at::normal(0.0, std, {spec.seqLen, H}, gen));  // position embedding
    } else if (layer <= spec.layers + 1) {
        p.push_back(torch::ones({H}));  // ln1
        p.push_back(torch::zeros({H}));
        p.push_back(at::normal(0.0, std, {3 * H, H}, gen));  // q, k, v
        p.push_back(torch::zeros({3 * H}));
        p.push_back(at::normal(0.0, proj, {H, H}, gen));  // attention output
        p.push_back(torch::zeros({H}));
        p.push_back(torch::ones({H}));  // ln2
        p.push_back(torch::zeros({H}));
        p.push_back(at::normal(0.0, std, {4 * H, H}, gen));  // MLP
        p.push_back(torch::zeros({4 * H}));
        p.push_back(at::normal(0.0, proj, {H, 4 * H}, gen));
        p.push_back(torch::zeros({H}));
    } else {
        p.push_back(torch::ones({H}));  // final norm
        p.push_back(torch::zeros({H}));
        p.push_back(at::normal(0.0, std, {V, H}, gen));  // head
        p.push_back(torch::zeros({V}));
    }
    return p;
}

std::size_t paramCount(const ModelSpec& spec, int layer) {
    if (spec.kind == ModelKind::Cnn) return 2;
    if (layer == 1) return 2;
    return layer <= spec.layers + 1 ? 12 : 4;
}

torch::Tensor cnnLayer(const ModelSpec& spec, int layer, const torch::Tensor* p,
                       const torch::Tensor& x) {
    if (layer == 1) {
        const int side = cnnSide(spec);
        torch::Tensor img = x.reshape({x.size(0), 1, side, side});
        return torch::relu(torch::conv2d(img, p[0], p[1], 1, 1));
    }
    if (layer <= 4) {
        torch::Tensor y = torch::relu(torch::conv2d(x, p[0], p[1], 1, 1));
        return layer == 2 || layer == 3 ? torch::max_pool2d(y, 2) : y;
    }
    if (layer == 5) return torch::relu(torch::linear(x.flatten(1), p[0], p[1]));
    return torch::linear(x, p[0], p[1]);
}

torch::Tensor gptLayer(const ModelSpec& spec, int layer, const torch::Tensor* p,
                       const torch::Tensor& x) {
    const std::int64_t H = spec.hidden;
    if (layer == 1) {
        const std::int64_t T = x.size(1);
        return torch::embedding(p[0], x) + p[1].narrow(0, 0, T).unsqueeze(0);
    }
    if (layer > spec.layers + 1) {
        torch::Tensor h = torch::layer_norm(x, {H}, p[0], p[1]);
        return torch::linear(h, p[2], p[3]);
    }
    const std::int64_t N = x.size(0), T = x.size(1), nh = spec.heads, d = H / nh;
    torch::Tensor h = torch::layer_norm(x, {H}, p[0], p[1]);
    torch::Tensor qkv = torch::linear(h, p[2], p[3]).view({N, T, 3, nh, d});
    torch::Tensor q = qkv.select(2, 0).transpose(1, 2);  // [N, nh, T, d]
    torch::Tensor k = qkv.select(2, 1).transpose(1, 2);
    torch::Tensor v = qkv.select(2, 2).transpose(1, 2);
    torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
    torch::Tensor future =
        torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
    att = torch::softmax(att.masked_fill(future, -std::numeric_limits<float>::infinity()), -1);
    torch::Tensor y = torch::matmul(att, v).transpose(1, 2).reshape({N, T, H});
    torch::Tensor r = x + torch::linear(y, p[4], p[5]);
    torch::Tensor m = torch::layer_norm(r, {H}, p[6], p[7]);
    m = torch::linear(torch::gelu(torch::linear(m, p[8], p[9])), p[10], p[11]);
    return r + m;
}

}  // namespace

int ModelSpec::partitionLayers() const {
    switch (kind) {
        case ModelKind::Mlp:
            return layers;
        case ModelKind::Cnn:
            return kCnnLayers;
        case ModelKind::Gpt:
            return layers + 2;
    }
    return layers;
}

ModelSpec makeModelSpec(const std::string& kind, int layers, int hidden, int heads, int seqLen,
                        int classes, int inputDim, int parts) {
    ModelSpec spec;
    spec.layers = layers;
    spec.hidden = hidden;
    spec.classes = classes;
    spec.inputDim = inputDim;
    spec.heads = heads;
    spec.seqLen = seqLen;
    if (kind == "mlp") {
        spec.kind = ModelKind::Mlp;
    } else if (kind == "cnn") {
        spec.kind = ModelKind::Cnn;
        spec.layers = kCnnLayers;
        const int side = cnnSide(spec);
        if (side * side != inputDim || side % 4 != 0 || side < 4)
            throw ConfigError(
                "--model cnn needs square images whose side is a multiple of "
                "4 (28 x 28 for MNIST); the data has " +
                std::to_string(inputDim) + " values per sample");
    } else if (kind == "gpt") {
        spec.kind = ModelKind::Gpt;
        if (heads < 1 || hidden % heads != 0)
            throw ConfigError("--heads " + std::to_string(heads) + " must divide --hidden " +
                              std::to_string(hidden));
    } else {
        throw ConfigError("unknown model '" + kind + "' (mlp, cnn or gpt)");
    }
    spec.split = splitLayers(spec.partitionLayers(), parts);
    return spec;
}

torch::Tensor forwardLayers(const ModelSpec& spec, int part, const PartParams& params,
                            const torch::Tensor& x) {
    torch::Tensor h = x;
    std::size_t at = 0;
    for (int l = spec.split[part].first; l <= spec.split[part].last; ++l) {
        const std::size_t n = paramCount(spec, l);
        if (at + n > params.size()) throw std::logic_error("too few parameters for a model part");
        h = spec.kind == ModelKind::Cnn ? cnnLayer(spec, l, params.data() + at, h)
                                        : gptLayer(spec, l, params.data() + at, h);
        at += n;
    }
    return h;
}

torch::Tensor lossOf(const ModelSpec& spec, const torch::Tensor& logits,
                     const torch::Tensor& labels) {
    (void)spec;
    const std::int64_t classes = logits.size(-1);
    return torch::nll_loss(torch::log_softmax(logits.reshape({-1, classes}), 1),
                           labels.reshape({-1}));
}

std::int64_t correctOf(const torch::Tensor& logits, const torch::Tensor& labels) {
    const std::int64_t classes = logits.size(-1);
    return logits.reshape({-1, classes})
        .argmax(1)
        .eq(labels.reshape({-1}))
        .sum()
        .item<std::int64_t>();
}

std::vector<std::int64_t> boundaryShape(const ModelSpec& spec, int part, int rows) {
    const int last = spec.split[part - 1].last;  // layer whose output enters `part`
    switch (spec.kind) {
        case ModelKind::Mlp:
            return {rows, spec.hidden};
        case ModelKind::Gpt:
            return {rows, spec.seqLen, spec.hidden};
        case ModelKind::Cnn: {
            const int side = cnnSide(spec);
            if (last == 1) return {rows, kCnnChannels[1], side, side};
            if (last == 2) return {rows, kCnnChannels[2], side / 2, side / 2};
            if (last <= 4) return {rows, kCnnChannels[last], side / 4, side / 4};
            return {rows, spec.hidden};
        }
    }
    return {};
}

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
    if (spec.autograd()) {
        for (int p = 0; p < spec.parts(); ++p)
            for (int l = spec.split[p].first; l <= spec.split[p].last; ++l)
                for (torch::Tensor& t : initAutogradLayer(spec, l, seed))
                    parts[p].push_back(std::move(t));
        return parts;
    }
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
