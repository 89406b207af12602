// Held-out evaluation: the newest weights of every part over the held-out
// split. During a run it is taken at batch boundaries by the evaluator
// thread while every stage is held at the boundary's slot (the same gate a
// pause uses, so the hold is not training time); after the run,
// TrainingRun::evaluate takes it on demand.
#include <algorithm>
#include <limits>
#include <thread>

#include "engine/run/runtimeimpl.h"

namespace pd {

using namespace runtimedetail;
using model::PartParams;
using torch::Tensor;

Evaluation TrainingRun::Impl::evaluateNewest(std::int64_t maxSamples) const {
    torch::NoGradGuard noGrad;
    const int parts = spec.parts();
    std::vector<PartParams> newest(parts);
    for (int p = 0; p < parts; ++p) {
        const StageState& st = *stages[stageOfPart(p)];
        newest[p] = st.weights.held().at(st.weights.newest())[chunkOfPart(p)];
    }
#ifdef PD_CUDA
    for (const auto& st : stages)
        if (st->device.is_cuda()) torch::cuda::synchronize(st->device.index());
#endif
    const torch::Device device = stages[stageOfPart(0)]->device;
    std::int64_t n = data->heldoutSamples();
    if (maxSamples >= 0) n = std::min(n, maxSamples);
    Evaluation e;
    double lossSum = 0.0;
    std::int64_t correct = 0, predictions = 0;
    constexpr std::int64_t kChunk = 256;
    for (std::int64_t first = 0; first < n; first += kChunk) {
        const std::int64_t count = std::min(kChunk, n - first);
        auto [x, y] = data->heldout(first, count);
        Tensor h = x.to(device);
        for (int p = 0; p < parts; ++p) {
            const torch::Device on = stages[stageOfPart(p)]->device;
            h = spec.autograd() ? model::forwardLayers(spec, p, newest[p], h.to(on))
                                : model::forwardPart(newest[p], model::hasHead(spec, p), h.to(on));
        }
        y = y.to(h.device());
        lossSum += model::lossOf(spec, h, y).item<double>() * static_cast<double>(y.numel());
        correct += model::correctOf(h, y);
        predictions += y.numel();
    }
    e.samples = n;
    if (predictions == 0) {
        e.loss = e.accuracy = std::numeric_limits<double>::quiet_NaN();
        return e;
    }
    e.loss = lossSum / static_cast<double>(predictions);
    e.accuracy = data->isText() ? std::numeric_limits<double>::quiet_NaN()
                                : static_cast<double>(correct) / static_cast<double>(predictions);
    return e;
}

// The batches after which the run evaluates: every --eval-every, each
// epoch's end, and the last batch; none where nothing is held out or the
// stages are in other processes.
void TrainingRun::Impl::planEvaluations() {
    evalAfter.clear();
    if (!options.evaluates() || transport || data->heldoutSamples() == 0) return;
    const int B = options.schedule.batches;
    const std::int64_t perEpoch = options.epochs > 0 ? data->batchesPerEpoch() : 0;
    for (int b = 0; b < B; ++b) {
        const bool every = options.evalEvery > 0 && (b + 1) % options.evalEvery == 0;
        const bool epochEnd = perEpoch > 0 && (b + 1) % perEpoch == 0;
        if (every || epochEnd || b == B - 1) evalAfter.push_back(b);
    }
}

// The slot every stage waits at while the k-th evaluation is pending: the
// end of its batch (the run's last: no hold, the workers finish first).
int TrainingRun::Impl::evalFrontierOf(std::size_t k) const {
    if (k >= evalAfter.size()) return -1;
    const int b = evalAfter[k];
    if (b + 1 >= options.schedule.batches) return std::numeric_limits<int>::max();
    return grid.batchEnd[static_cast<std::size_t>(b)];
}

// controlMutex held. Every stage has run every action below `frontier` and
// started none at or beyond it.
bool TrainingRun::Impl::settledAt(int frontier) const {
    for (int s = 0; s < S; ++s) {
        if (workerDone[s]) continue;
        const std::int64_t i = waitingAt[s];
        if (i < 0 || grid.gate[s][static_cast<std::size_t>(i)] < frontier) return false;
    }
    return true;
}

void TrainingRun::Impl::evaluator() {
    try {
        torch::NoGradGuard noGrad;
        // No at::set_num_threads here: it sets ATen's process-wide count,
        // which each worker's first parallel region adopts (ATen's lazy
        // per-thread init), so a worker starting after it ran with this many
        // OpenMP threads: 4 workers x 4 threads on 2 cores, at random.
        for (std::size_t k = 0; k < evalAfter.size(); ++k) {
            const int frontier = evalFrontierOf(k);
            {
                std::unique_lock<std::mutex> lock(controlMutex);
                controlCv.wait(lock, [&] { return stop.load() || settledAt(frontier); });
                if (stop) break;
            }
            if (failed) break;
            const Evaluation r = evaluateNewest();
            EvaluationEvent e;
            e.batch = evalAfter[k] + 1;
            const std::int64_t perEpoch = data->batchesPerEpoch();
            e.epoch = options.epochs > 0 && perEpoch > 0
                          ? static_cast<int>((evalAfter[k]) / perEpoch) + 1
                          : 0;
            e.trainUs = lastEndUs.load();
            e.samples = r.samples;
            e.loss = r.loss;
            e.accuracy = r.accuracy;
            sink.onEvaluation(e);
            std::lock_guard<std::mutex> lock(controlMutex);
            evalFrontier = evalFrontierOf(k + 1);
            controlCv.notify_all();
        }
    } catch (const c10::Error& e) {
        fail(-1, std::string("evaluation: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
        fail(-1, std::string("evaluation: ") + e.what());
    }
    {
        std::lock_guard<std::mutex> lock(controlMutex);
        evalFrontier = -1;
        controlCv.notify_all();
    }
    finishWorker();
}

}  // namespace pd
