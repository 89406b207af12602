// Held-out evaluation: the newest weights of every part over the held-out
// split. During a run it is taken at batch boundaries by the evaluator
// thread while every stage is held at the boundary's slot (the same gate a
// pause uses, so the hold is not training time); in a distributed run each
// rank's evaluator forwards its own parts and passes the activations on.
// After the run, TrainingRun::evaluate takes it on demand.
#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>

#include "engine/run/runtimeimpl.h"

namespace pd {

using namespace runtimedetail;
using model::PartParams;
using torch::Tensor;

namespace {

// Loss and correct predictions summed over chunks.
struct Tally {
    double lossSum = 0.0;
    std::int64_t correct = 0, predictions = 0;

    void add(const model::ModelSpec& spec, const Tensor& logits, Tensor labels) {
        labels = labels.to(logits.device());
        lossSum += model::lossOf(spec, logits, labels).item<double>() *
                   static_cast<double>(labels.numel());
        correct += model::correctOf(logits, labels);
        predictions += labels.numel();
    }

    Evaluation result(std::int64_t samples, bool text) const {
        Evaluation e;
        e.samples = samples;
        if (predictions == 0) {
            e.loss = e.accuracy = std::numeric_limits<double>::quiet_NaN();
            return e;
        }
        e.loss = lossSum / static_cast<double>(predictions);
        e.accuracy = text ? std::numeric_limits<double>::quiet_NaN()
                          : static_cast<double>(correct) / static_cast<double>(predictions);
        return e;
    }
};

}  // namespace

PartParams TrainingRun::Impl::newestOf(int part) const {
    const StageState& st = *stages[stageOfPart(part)];
    return st.weights.held().at(st.weights.newest())[chunkOfPart(part)];
}

Tensor TrainingRun::Impl::forwardNewest(int part, const PartParams& params,
                                        const Tensor& in) const {
    const Tensor h = in.to(stages[stageOfPart(part)]->device);
    return spec.autograd() ? model::forwardLayers(spec, part, params, h)
                           : model::forwardPart(params, model::hasHead(spec, part), h);
}

Evaluation TrainingRun::Impl::evaluateNewest(std::int64_t maxSamples) const {
    torch::NoGradGuard noGrad;
    const int parts = spec.parts();
    std::vector<PartParams> newest(parts);
    for (int p = 0; p < parts; ++p) newest[p] = newestOf(p);
#ifdef PD_CUDA
    for (const auto& st : stages)
        if (st->device.is_cuda()) torch::cuda::synchronize(st->device.index());
#endif
    const torch::Device device = stages[stageOfPart(0)]->device;
    std::int64_t n = data->heldoutSamples();
    if (maxSamples >= 0) n = std::min(n, maxSamples);
    Tally tally;
    for (std::int64_t first = 0; first < n; first += kEvalChunk) {
        const std::int64_t count = std::min(kEvalChunk, n - first);
        auto [x, y] = data->heldout(first, count);
        Tensor h = x.to(device);
        for (int p = 0; p < parts; ++p) h = forwardNewest(p, newest[p], h);
        tally.add(spec, h, y);
    }
    return tally.result(n, data->isText());
}

// One rank's share of the k-th evaluation of a distributed run: the
// held-out split flows through the parts in chunks, each rank forwarding
// its own parts with its newest weights and passing the activation on over
// the transport, under tags above every training message's. The rank
// holding the last part returns the figures; the others nullopt.
std::optional<Evaluation> TrainingRun::Impl::evaluateAcrossRanks(std::size_t k) const {
    torch::NoGradGuard noGrad;
    const int parts = spec.parts();
    const int local = transport->localStage();
    std::vector<PartParams> newest(parts);
    for (int p = 0; p < parts; ++p)
        if (stageOfPart(p) == local) newest[p] = newestOf(p);
    const std::int64_t n = data->heldoutSamples();
    const std::int64_t chunks = (n + kEvalChunk - 1) / kEvalChunk;
    const std::int64_t base = static_cast<std::int64_t>(options.schedule.batches) * M * S * V * 2;
    auto tagOf = [&](std::int64_t c, int p) {
        const std::int64_t t = base + (static_cast<std::int64_t>(k) * chunks + c) * parts + p;
        if (t > std::numeric_limits<int>::max())
            throw Error("too many messages for the transport's tags");
        return static_cast<int>(t);
    };
    const bool last = stageOfPart(parts - 1) == local;
    Tally tally;
    for (std::int64_t c = 0; c < chunks; ++c) {
        const std::int64_t first = c * kEvalChunk, count = std::min(kEvalChunk, n - first);
        Tensor h;
        for (int p = 0; p < parts; ++p) {
            if (stageOfPart(p) != local) continue;
            if (p == 0) {
                h = data->heldout(first, count).first;
            } else if (stageOfPart(p - 1) != local) {
                MessageStamp stamp;
                h = transport->recv(stageOfPart(p - 1), tagOf(c, p),
                                    model::boundaryShape(spec, p, static_cast<int>(count)), &stamp);
                if (!h.defined()) throw RunStopped{};
            }
            h = forwardNewest(p, newest[p], h);
            if (p + 1 < parts && stageOfPart(p + 1) != local)
                transport->send(stageOfPart(p + 1), tagOf(c, p + 1), h, MessageStamp{});
        }
        if (last) tally.add(spec, h, data->heldout(first, count).second);
    }
    transport->flush();
    if (!last) return std::nullopt;
    return tally.result(n, data->isText());
}

// The batches after which the run evaluates: every --eval-every, each
// epoch's end, and the last batch; none where nothing is held out.
void TrainingRun::Impl::planEvaluations() {
    evalAfter.clear();
    if (!options.evaluates() || data->heldoutSamples() == 0) return;
    const int B = options.schedule.batches;
    const std::int64_t perEpoch = options.epochs > 0 ? data->batchesPerEpoch() : 0;
    // NCCL matches a pair's sends and receives in the order they were
    // posted, whatever their tags: an evaluation's messages must not
    // overtake a training message still on its way across the boundary,
    // which asynchronous schedules always have in flight.
    std::vector<bool> clean;
    if (transport && options.backend == "nccl") clean = cleanBatchEnds(schedule, grid);
    for (int b = 0; b < B; ++b) {
        const bool every = options.evalEvery > 0 && (b + 1) % options.evalEvery == 0;
        const bool epochEnd = perEpoch > 0 && (b + 1) % perEpoch == 0;
        const bool ordered = clean.empty() || clean[static_cast<std::size_t>(b)];
        if (b == B - 1 || ((every || epochEnd) && ordered)) evalAfter.push_back(b);
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
        if (!isLocal(s) || workerDone[s]) continue;
        const std::int64_t i = waitingAt[s];
        if (i < 0 || grid.gate[s][static_cast<std::size_t>(i)] < frontier) return false;
    }
    return true;
}

// The k-th evaluation is taken: the stages go on to the next one's slot.
void TrainingRun::Impl::releaseEvaluation(std::size_t k) {
    std::lock_guard<std::mutex> lock(controlMutex);
    evalFrontier = evalFrontierOf(k + 1);
    controlCv.notify_all();
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
            std::optional<Evaluation> taken =
                transport ? evaluateAcrossRanks(k) : std::optional(evaluateNewest());
            if (!taken) {  // another rank reports it
                releaseEvaluation(k);
                continue;
            }
            const Evaluation& r = *taken;
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
            releaseEvaluation(k);
        }
    } catch (const RunStopped&) {
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
