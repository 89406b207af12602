// Helpers shared by the engine tests: a recording sink and the sequential
// reference (plain autograd training of the unsplit model).
#pragma once

#include <torch/torch.h>

#include <mutex>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/model/data.h"
#include "engine/model/model.h"
#include "engine/run/runtime.h"
#include "engine/schedule/events.h"
#include "model_test_data.h"

namespace pd::test {

class RecordingSink : public EventSink {
public:
    using Lock = std::lock_guard<std::mutex>;
    void onSlot(const SlotEvent& e) override {
        Lock l(mutex);
        slots.push_back(e);
    }
    void onMemory(const MemoryEvent& e) override {
        Lock l(mutex);
        memory.push_back(e);
    }
    void onBatch(const BatchEvent& e) override {
        Lock l(mutex);
        batches.push_back(e);
    }
    void onVersion(const VersionEvent& e) override {
        Lock l(mutex);
        versions.push_back(e);
    }
    void onEvaluation(const EvaluationEvent& e) override {
        Lock l(mutex);
        evaluations.push_back(e);
    }
    void onFinished(const RunSummary& s) override {
        Lock l(mutex);
        summary = s;
        ++finishedCount;
    }
    void onError(const std::string& m) override {
        Lock l(mutex);
        errors.push_back(m);
    }

    std::vector<SlotEvent> slotsCopy() const {
        std::lock_guard<std::mutex> l(mutex);
        return slots;
    }
    std::size_t slotCount() const {
        std::lock_guard<std::mutex> l(mutex);
        return slots.size();
    }
    int batchCount() const {
        std::lock_guard<std::mutex> l(mutex);
        return static_cast<int>(batches.size());
    }

    mutable std::mutex mutex;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<EvaluationEvent> evaluations;
    std::vector<VersionEvent> versions;
    std::vector<std::string> errors;
    RunSummary summary;
    int finishedCount = 0;
};

inline RunOptions smallOptions(ScheduleKind kind, int stages = 2, int microbatches = 4) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = kind;
    o.schedule.stages = stages;
    o.schedule.microbatches = microbatches;
    o.schedule.batches = 3;
    o.schedule.chunks = chunksFor(kind, 2);
    o.layers = 4 * o.schedule.chunks;
    o.hidden = 24;
    o.batchSize = 4 * microbatches;
    o.lr = 0.1;
    o.seed = 7;
    return o;
}

inline std::vector<float> concat(const std::vector<std::vector<float>>& parts) {
    std::vector<float> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// All parts of a finished run at their newest version, in layer order.
inline std::vector<float> runParameters(const TrainingRun& run) {
    std::vector<std::vector<float>> parts;
    for (std::size_t p = 0; p < run.layerSplit().size(); ++p)
        parts.push_back(run.parameters(static_cast<int>(p)));
    return concat(parts);
}

// Plain sequential training of the unsplit model with autograd: per batch,
// gradients of loss_m / M accumulated over the M microbatches, then one SGD step.
inline std::vector<float> sequentialReference(const RunOptions& o, int batches) {
    auto data = data::createDataset(o.data, o.batchSize, o.hidden, o.classes, o.seed);
    auto spec = model::makeSpec(o.layers, o.hidden, o.classes, data->inputDim(), 1);
    model::PartParams params = model::initParameters(spec, o.seed)[0];
    for (auto& p : params) p.set_requires_grad(true);
    const int M = o.schedule.microbatches;
    const int rows = o.microbatchSize();
    for (int b = 0; b < batches; ++b) {
        for (int m = 0; m < M; ++m) {
            auto [x, y] = data->microbatch(b, m, rows);
            torch::Tensor loss = model::crossEntropy(model::forwardPart(params, true, x), y) / M;
            loss.backward();
        }
        torch::NoGradGuard noGrad;
        for (auto& p : params) {
            p.sub_(p.grad() * o.lr);
            p.mutable_grad().zero_();
        }
    }
    return model::flatten(params);
}

inline float maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 1e30f;
    float d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
    return d;
}

// Weight gradient of one part recomputed with autograd at `params`, from the
// part's input and either the upstream gradient or (head part) the labels.
inline model::PartParams recomputeGrad(const model::PartParams& params, bool head,
                                       const torch::Tensor& input, const torch::Tensor& gradOut,
                                       const torch::Tensor& labels) {
    model::PartParams leaves;
    for (const auto& p : params) leaves.push_back(p.detach().clone().set_requires_grad(true));
    torch::Tensor out = model::forwardPart(leaves, head, input);
    if (head)
        model::crossEntropy(out, labels).backward();
    else
        out.backward(gradOut);
    model::PartParams grads;
    for (const auto& l : leaves) grads.push_back(l.grad());
    return grads;
}

inline double maxAbsDiff(const model::PartParams& a, const model::PartParams& b) {
    if (a.size() != b.size()) return 1e30;
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        d = std::max(d, (a[i] - b[i]).abs().max().item<double>());
    return d;
}

// The small cnn (on the images) or gpt (on the text) the model tests train.
inline RunOptions modelOptions(const std::string& model, const Data& d, ScheduleKind kind,
                               int batches) {
    RunOptions o = test::smallOptions(kind, 2, 4);
    o.model = model;
    o.schedule.batches = batches;
    if (model == "cnn") {
        o.layers = 6;
        o.hidden = 16;
        o.data = d.images();
        o.batchSize = 16;
        o.lr = 0.05;
    } else {
        o.layers = 2;  // 4 partitionable layers: embedding, 2 blocks, head
        o.hidden = 16;
        o.heads = 2;
        o.seqLen = 8;
        o.data = d.text();
        o.batchSize = 8;
        o.lr = 0.5;
    }
    return o;
}

}  // namespace pd::test
