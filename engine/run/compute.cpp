// A stage's compute: the forward, backward (B, or I then W) and update
// actions on real weight versions, for the MLP (hand-written backward) and
// for cnn and gpt (autograd), with the gradient sums they feed and the
// records a test reads of every backward.
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/run/runtimeimpl.h"

namespace pd {

using namespace runtimedetail;
using torch::Tensor;

namespace {

std::int64_t traceBytes(const InFlight& f) {
    // Autograd parts: their input and output (the tensors the graph saves
    // inside the part are not counted).
    if (f.input.defined())
        return model::bytesOf(f.input) + model::bytesOf(f.output) + model::bytesOf(f.gradOut);
    return model::bytesOf(f.trace.layerInputs) + model::bytesOf(f.trace.preActivations) +
           model::bytesOf(f.logits) + model::bytesOf(f.gradZ);
}

void checkLoss(double loss, const Action& a) {
    if (!std::isfinite(loss))
        throw Error("loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                    " at batch " + std::to_string(a.batch) + ", microbatch " +
                    std::to_string(a.microbatch) + " (try a smaller --lr)");
}

// Leaves sharing the tensors' storage, for a graph whose gradient is taken
// with respect to them.
std::vector<Tensor> leavesOf(const model::PartParams& params) {
    std::vector<Tensor> leaves;
    leaves.reserve(params.size());
    for (const Tensor& t : params) leaves.push_back(t.detach().requires_grad_(true));
    return leaves;
}

// What a test reads of one backward (keepAll): where it ran, the versions
// its forward and it read, what it started from and the gradients it made.
BackwardRecord recordOf(const StageState& st, const ChunkState& ch, const Action& a,
                        const InFlight& f, Tensor input) {
    BackwardRecord r;
    r.stage = st.index;
    r.chunk = a.chunk;
    r.part = ch.part;
    r.batch = a.batch;
    r.microbatch = a.microbatch;
    r.forwardVersion = f.forwardVersion;
    r.backwardVersion = a.version;
    r.input = std::move(input);
    r.gradOut = f.gradOut;
    r.labels = f.labels;
    return r;
}

// Adds one microbatch's gradients to the batch's sum (a copy the first time).
void addToSum(model::PartParams& sum, const std::vector<Tensor>& grads) {
    if (sum.empty()) {
        for (const Tensor& g : grads) sum.push_back(g.clone());
    } else {
        for (std::size_t j = 0; j < grads.size(); ++j) sum[j].add_(grads[j]);
    }
}

}  // namespace

Outgoing TrainingRun::Impl::execute(StageState& st, const Action& a, const Tensor& in) {
    switch (a.op) {
        case Op::F:
            return forward(st, a, in);
        case Op::B:
        case Op::I:
            return backward(st, a, in);
        case Op::W:
            weightGrad(st, a);
            break;
        case Op::U:
            update(st, a);
            break;
    }
    return {};
}

// --- MLP: the forward's activations, the hand-written backward ----------

Outgoing TrainingRun::Impl::forward(StageState& st, const Action& a, const Tensor& in) {
    if (spec.autograd()) return forwardAutograd(st, a, in);
    ChunkState& ch = st.chunks[a.chunk];
    const int p = ch.part;
    Outgoing out;
    Tensor x = p == 0 ? data->microbatch(a.batch, a.microbatch, rows).first.to(st.device) : in;
    InFlight f;
    f.forwardVersion = a.version;
    Tensor y = model::forwardPart(st.weights.at(a.version)[a.chunk], ch.head, x, &f.trace);
    if (ch.head) {
        f.labels = data->microbatch(a.batch, a.microbatch, rows).second.to(st.device);
        const double loss = model::crossEntropy(y, f.labels).item<double>();
        checkLoss(loss, a);
        f.logits = y;
        std::lock_guard<std::mutex> lock(batchMutex);
        lossSum[a.batch] += loss;
    } else {
        out = sendActivation(p, a, y);
    }
    f.bytes = traceBytes(f);
    st.activationBytes += f.bytes;
    ++st.inFlightCount;
    ch.inFlight[{a.batch, a.microbatch}] = std::move(f);
    return out;
}

void TrainingRun::Impl::addGrad(StageState& st, ChunkState& ch, const Action& a, InFlight& f) {
    if (!keepAll) {
        model::accumulateWeightGrad(f.trace.layerInputs, f.gradZ, ch.gradSum);
    } else {
        BackwardRecord r = recordOf(st, ch, a, f, f.trace.layerInputs.front());
        model::accumulateWeightGrad(f.trace.layerInputs, f.gradZ, r.grads);
        addToSum(ch.gradSum, r.grads);
        st.records.push_back(std::move(r));
    }
    ++ch.gradCount;
}

// B and I: the input gradient goes upstream at once; B adds the weight
// gradient right after, I leaves it to its W.
Outgoing TrainingRun::Impl::backward(StageState& st, const Action& a, const Tensor& in) {
    if (spec.autograd()) return backwardAutograd(st, a, in);
    ChunkState& ch = st.chunks[a.chunk];
    const int p = ch.part;
    auto it = ch.inFlight.find({a.batch, a.microbatch});
    if (it == ch.inFlight.end())
        throw std::logic_error("backward before forward at stage " + std::to_string(st.index));
    InFlight& f = it->second;
    Tensor gradOut = ch.head ? model::crossEntropyGrad(f.logits, f.labels) : in;
    if (keepAll) f.gradOut = gradOut;
    Tensor dx = model::backwardInput(st.weights.at(a.version)[a.chunk], ch.head, f.trace, gradOut,
                                     p > 0, f.gradZ);
    Outgoing out = sendGradient(p, a, dx);
    if (a.op == Op::B) {
        addGrad(st, ch, a, f);
        st.activationBytes -= f.bytes;
        --st.inFlightCount;
        ch.inFlight.erase(it);
        return out;
    }
    f.trace.preActivations.clear();  // W needs the layer inputs and gradZ only
    f.logits = Tensor();
    st.activationBytes -= f.bytes;
    f.bytes = traceBytes(f);
    st.activationBytes += f.bytes;
    return out;
}

void TrainingRun::Impl::weightGrad(StageState& st, const Action& a) {
    if (spec.autograd()) return weightGradAutograd(st, a);
    ChunkState& ch = st.chunks[a.chunk];
    auto it = ch.inFlight.find({a.batch, a.microbatch});
    if (it == ch.inFlight.end() || it->second.gradZ.empty())
        throw std::logic_error("W before I at stage " + std::to_string(st.index));
    addGrad(st, ch, a, it->second);
    st.activationBytes -= it->second.bytes;
    --st.inFlightCount;
    ch.inFlight.erase(it);
}

// --- cnn and gpt: the same actions with autograd ------------------------

// The forward of a cnn or gpt part records its graph on leaves of the
// version's tensors (and, past the first part, of its input).
Outgoing TrainingRun::Impl::forwardAutograd(StageState& st, const Action& a, const Tensor& in) {
    ChunkState& ch = st.chunks[a.chunk];
    const int p = ch.part;
    torch::AutoGradMode grad(true);
    InFlight f;
    f.forwardVersion = a.version;
    f.input = p == 0 ? data->microbatch(a.batch, a.microbatch, rows).first.to(st.device)
                     : in.detach().requires_grad_(true);
    f.leaves = leavesOf(st.weights.at(a.version)[a.chunk]);
    Tensor y = model::forwardLayers(spec, p, f.leaves, f.input);
    Outgoing out;
    if (ch.head) {
        f.labels = data->microbatch(a.batch, a.microbatch, rows).second.to(st.device);
        f.output = model::lossOf(spec, y, f.labels);
        const double loss = f.output.item<double>();
        checkLoss(loss, a);
        std::lock_guard<std::mutex> lock(batchMutex);
        lossSum[a.batch] += loss;
    } else {
        f.output = y;
        out = sendActivation(p, a, y.detach());
    }
    f.bytes = traceBytes(f);
    st.activationBytes += f.bytes;
    ++st.inFlightCount;
    ch.inFlight[{a.batch, a.microbatch}] = std::move(f);
    return out;
}

// B: the input and weight gradients in one pass; I: the input gradient,
// keeping the graph for W. Without stashing, a backward that reads a newer
// version than its forward recomputes the part's forward on that version
// from the saved input first (the MLP instead uses the forward's
// activations with the newer weights).
Outgoing TrainingRun::Impl::backwardAutograd(StageState& st, const Action& a, const Tensor& in) {
    ChunkState& ch = st.chunks[a.chunk];
    const int p = ch.part;
    auto it = ch.inFlight.find({a.batch, a.microbatch});
    if (it == ch.inFlight.end())
        throw std::logic_error("backward before forward at stage " + std::to_string(st.index));
    InFlight& f = it->second;
    if (a.version != f.forwardVersion) {
        torch::AutoGradMode grad(true);
        f.leaves = leavesOf(st.weights.at(a.version)[a.chunk]);
        Tensor y = model::forwardLayers(spec, p, f.leaves, f.input);
        f.output = ch.head ? model::lossOf(spec, y, f.labels) : y;
    }
    if (!ch.head) f.gradOut = in;
    std::vector<Tensor> gradOuts;
    if (!ch.head) gradOuts.push_back(in);
    Outgoing out;
    if (a.op == Op::B) {
        std::vector<Tensor> targets;
        if (p > 0) targets.push_back(f.input);
        targets.insert(targets.end(), f.leaves.begin(), f.leaves.end());
        std::vector<Tensor> grads =
            torch::autograd::grad({f.output}, targets, gradOuts, false, false, true);
        if (p > 0) {
            out = sendGradient(p, a, grads.front());
            grads.erase(grads.begin());
        }
        addGradients(st, ch, a, f, std::move(grads));
        st.activationBytes -= f.bytes;
        --st.inFlightCount;
        ch.inFlight.erase(it);
        return out;
    }
    if (p > 0) {
        std::vector<Tensor> dx =
            torch::autograd::grad({f.output}, {f.input}, gradOuts, true, false, true);
        out = sendGradient(p, a, dx.front());
    }
    st.activationBytes -= f.bytes;
    f.bytes = traceBytes(f);
    st.activationBytes += f.bytes;
    return out;
}

void TrainingRun::Impl::weightGradAutograd(StageState& st, const Action& a) {
    ChunkState& ch = st.chunks[a.chunk];
    auto it = ch.inFlight.find({a.batch, a.microbatch});
    if (it == ch.inFlight.end() || !it->second.output.defined())
        throw std::logic_error("W before F at stage " + std::to_string(st.index));
    InFlight& f = it->second;
    std::vector<Tensor> gradOuts;
    if (!ch.head) gradOuts.push_back(f.gradOut);
    std::vector<Tensor> grads =
        torch::autograd::grad({f.output}, f.leaves, gradOuts, false, false, true);
    addGradients(st, ch, a, f, std::move(grads));
    st.activationBytes -= f.bytes;
    --st.inFlightCount;
    ch.inFlight.erase(it);
}

void TrainingRun::Impl::addGradients(StageState& st, ChunkState& ch, const Action& a, InFlight& f,
                                     std::vector<Tensor> grads) {
    for (std::size_t j = 0; j < grads.size(); ++j)
        if (!grads[j].defined()) grads[j] = torch::zeros_like(f.leaves[j]);
    addToSum(ch.gradSum, grads);
    if (keepAll) {
        BackwardRecord r = recordOf(st, ch, a, f, f.input.detach());
        r.grads = std::move(grads);
        st.records.push_back(std::move(r));
    }
    ++ch.gradCount;
}

// --- U: a new version ----------------------------------------------------

// new = newest - lr * step, where the step is the mean g of the gradients
// since the last update (sgd), the momentum buffer m = 0.9 m + g (momentum,
// PyTorch's form), or Adam's m / (sqrt(v) + 1e-8) with bias-corrected
// moments (0.9, 0.999). The optimizer's state follows the newest version:
// stashed versions are only read.
void TrainingRun::Impl::update(StageState& st, const Action& a) {
    WeightStore& w = st.weights;
    if (a.version != w.newest() + 1)
        throw std::logic_error("update to version " + std::to_string(a.version) + " at stage " +
                               std::to_string(st.index) + " whose newest is " +
                               std::to_string(w.newest()));
    const Version& base = w.at(w.newest());
    // The new version goes into the storage of a dropped one when there is
    // one: no allocation (and no page faults) inside the measured slot.
    Version next;
    const bool reuse = w.takeSpare(next);
    if (!reuse) next.resize(base.size());
    std::int64_t bytes = 0;
    const bool sgd = options.optimizer == "sgd", adam = options.optimizer == "adam";
    for (std::size_t c = 0; c < base.size(); ++c) {
        ChunkState& ch = st.chunks[c];
        if (ch.gradCount == 0)
            throw std::logic_error("update without a gradient at stage " +
                                   std::to_string(st.index));
        const double mean = 1.0 / ch.gradCount;
        if (!sgd && ch.moment1.empty()) {
            for (const Tensor& g : ch.gradSum) {
                ch.moment1.push_back(torch::zeros_like(g));
                if (adam) ch.moment2.push_back(torch::zeros_like(g));
            }
        }
        ++ch.steps;
        for (std::size_t j = 0; j < base[c].size(); ++j) {
            Tensor& g = ch.gradSum[j];
            double scale = options.lr * mean;
            if (!sgd) {
                g.mul_(mean);
                if (adam) {
                    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
                    ch.moment1[j].mul_(b1).add_(g, 1.0 - b1);
                    ch.moment2[j].mul_(b2).addcmul_(g, g, 1.0 - b2);
                    const double c1 = 1.0 - std::pow(b1, static_cast<double>(ch.steps));
                    const double c2 = 1.0 - std::pow(b2, static_cast<double>(ch.steps));
                    // g <- m / (sqrt(v / c2) + eps), and the step is lr / c1 of it.
                    torch::sqrt_out(g, ch.moment2[j]);
                    g.mul_(1.0 / std::sqrt(c2)).add_(eps);
                    torch::div_out(g, ch.moment1[j], g);
                    scale = options.lr / c1;
                } else {
                    ch.moment1[j].mul_(0.9).add_(g);
                    g.copy_(ch.moment1[j]);
                    scale = options.lr;
                }
            }
            if (reuse)
                torch::add_out(next[c][j], base[c][j], g, -scale);
            else
                next[c].push_back(torch::add(base[c][j], g, -scale));
            g.zero_();
        }
        ch.gradCount = 0;
        bytes += model::bytesOf(next[c]);
    }
    w.add(a.version, std::move(next), bytes);
}

}  // namespace pd
