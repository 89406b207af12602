// Building a run before it starts: the options checked, the devices chosen,
// the data and model made, and each stage's state (its chunks, its initial
// weights, and what its action list tells in advance: when each version is
// last read, where each batch ends).
#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include "engine/base/parse.h"
#include "engine/run/runtimeimpl.h"
#include "engine/schedule/simulator.h"

namespace pd {

using namespace runtimedetail;

namespace {

std::string deviceError(const std::string& device, const std::string& why) {
    return "--device " + device + ": " + why;
}

// The device of every stage from --device (cpu, cuda: round robin, cuda:K).
std::vector<torch::Device> stageDevices(const std::string& dev, int S) {
    std::vector<torch::Device> devices(S, torch::Device(torch::kCPU));
    if (dev.rfind("cuda", 0) == 0) {
#ifdef PD_CUDA
        if (!torch::cuda::is_available())
            throw ConfigError(deviceError(dev, "no CUDA device is available"));
        const int n = static_cast<int>(torch::cuda::device_count());
        int fixed = -1;
        if (dev.size() > 5 && !parseNumber(std::string_view(dev).substr(5), fixed))
            throw ConfigError(deviceError(dev, "expected cuda or cuda:N"));
        if (fixed >= n)
            throw ConfigError(deviceError(dev, "there are only " + std::to_string(n) + " GPUs"));
        for (int s = 0; s < S; ++s)
            devices[s] = torch::Device(torch::kCUDA,
                                       static_cast<c10::DeviceIndex>(fixed >= 0 ? fixed : s % n));
#else
        throw ConfigError(deviceError(dev, "this build's LibTorch has no CUDA support (CPU only)"));
#endif
    } else if (dev != "cpu") {
        throw ConfigError(deviceError(dev, "expected cpu, cuda or cuda:K"));
    }
    return devices;
}

}  // namespace

// --epochs: the batches of that many passes over the training split (fewer
// when --batches caps them), each pass in its own seeded order.
void TrainingRun::Impl::resolveEpochs() {
    const int epochs = options.epochs;
    if (epochs <= 0) return;
    const std::int64_t perEpoch = data->batchesPerEpoch();
    if (perEpoch <= 0)
        throw ConfigError("--epochs needs a data set of finite size (--data " + options.data +
                          " has no epochs)");
    const std::int64_t all = perEpoch * epochs;
    int& batches = options.schedule.batches;
    // Every rank and the collector schedule --batches; the window drew them.
    if ((transport || options.exactBatches) && batches > all)
        throw ConfigError(std::to_string(epochs) + " epoch" + (epochs == 1 ? "" : "s") + " of " +
                          std::to_string(perEpoch) + " batches make " + std::to_string(all) +
                          ", fewer than the " + std::to_string(batches) + " batches asked for: " +
                          (transport ? "a distributed run trains exactly --batches"
                                     : "lower Batches or raise Epochs"));
    if (batches <= 0 || batches > all) {
        if (all > kMaxBatches)
            throw ConfigError("--epochs " + std::to_string(epochs) + " is " + std::to_string(all) +
                              " batches of " + std::to_string(options.batchSize) + "; at most " +
                              std::to_string(kMaxBatches) +
                              " (fewer epochs, a bigger --batch-size or --batches to cap)");
        batches = static_cast<int>(all);
    }
    data->setShuffle(true, options.seed);
}

void TrainingRun::Impl::setUp() {
    checkRunOptions(options);
    S = options.schedule.stages;
    V = options.schedule.chunks;
    M = options.schedule.microbatches;
    rows = options.microbatchSize();
    if (rows < 1) throw ConfigError("batch size must be at least the number of microbatches");

    const std::vector<torch::Device> devices = stageDevices(options.device, S);
    const bool gpt = options.model == "gpt";
    try {
        data::DataConfig dc;
        dc.batchSize = options.batchSize;
        // The cnn on synthetic data: 28 x 28 "images".
        dc.hidden = options.model == "cnn" ? 28 * 28 : options.hidden;
        dc.classes = options.classes;
        dc.seed = options.seed;
        dc.seqLen = options.seqLen;
        data = data::createDataset(options.data, dc);
        if (gpt != data->isText())
            throw ConfigError(gpt ? "--model gpt trains on text (--data text or text:PATH)"
                                  : "--data " + options.data + " is text: it needs --model gpt");
        if (!gpt && data->classes() != options.classes)
            throw ConfigError("the data has " + std::to_string(data->classes()) +
                              " classes, the model " + std::to_string(options.classes));
        resolveEpochs();
        spec = model::makeModelSpec(options.model, options.layers, options.hidden, options.heads,
                                    options.seqLen, data->classes(), data->inputDim(), S * V);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    schedule = generateSchedule(options.schedule);
    // A cut given by --split (or chosen by --partition) replaces the equal one.
    if (!options.split.empty())
        spec.split = rangesFromBoundaries(spec.partitionLayers(), options.split);
    std::vector<model::PartParams> parts = model::initParameters(spec, options.seed);
    if (transport) {
        const int ts = transport->localStage();
        if (ts < 0 || ts >= S)
            throw ConfigError("rank " + std::to_string(ts) + " has no stage in a pipeline of " +
                              std::to_string(S));
    }

    const std::size_t capacity = static_cast<std::size_t>(M) * V + 2 * S + 2;
    grid = slotGrid(schedule);
    nextAction.assign(S, 0);
    waitingAt.assign(S, -1);
    workerDone.assign(S, 0);
    planEvaluations();
    if (transport) {  // training messages, then each evaluation's (evaluation.cpp)
        const double chunks = std::ceil(static_cast<double>(data->heldoutSamples()) / kEvalChunk);
        const double maxTag = 2.0 * options.schedule.batches * M * S * V +
                              static_cast<double>(evalAfter.size()) * chunks * spec.parts();
        if (maxTag > 2147483647.0)
            throw ConfigError("too many batches x microbatches x parts for message tags");
    }
    stagesDone.assign(options.schedule.batches, 0);
    lossSum.assign(options.schedule.batches, 0.0);
    pending.assign(options.schedule.batches, BatchEvent{});
    for (int b = 0; b < options.schedule.batches; ++b) {
        pending[b].batch = b;
        pending[b].versionUsed.assign(S, 0);
        pending[b].versionAfter.assign(S, 0);
    }
    for (int s = 0; s < S; ++s) {
        auto st = std::make_unique<StageState>();
        st->index = s;
        st->device = devices[s];
        st->weights = WeightStore(s);
        st->activations.setCapacity(capacity);
        st->gradients.setCapacity(capacity);
        Version v0;
        std::int64_t bytes = 0;
        for (int c = 0; c < V; ++c) {
            const int p = partOf(options.schedule, s, c);
            ChunkState ch;
            ch.part = p;
            ch.head = model::hasHead(spec, p);
            st->chunks.push_back(std::move(ch));
            if (!isLocal(s)) continue;  // another process holds its weights
            model::PartParams params;
            for (const Tensor& t : parts[p]) params.push_back(t.to(devices[s]));
            bytes += model::bytesOf(params);
            v0.push_back(std::move(params));
        }
        if (isLocal(s)) {
            st->weights.setInitial(std::move(v0), bytes);
            precompute(*st);
        }
        stages.push_back(std::move(st));
    }
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    workerThreads = std::max(1, cores / S);
}

void TrainingRun::Impl::precompute(StageState& st) {
    const auto& actions = schedule.stages[st.index];
    const int batches = options.schedule.batches;
    st.endsBatch.assign(actions.size(), -1);
    st.batchEnd.assign(batches, 0);
    st.batchMinVersion.assign(batches, -1);
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const Action& a = actions[i];
        const int read = a.op == Op::U ? a.version - 1 : a.version;
        st.weights.noteRead(read, i);
        st.batchEnd[a.batch] = i;
        if (a.op == Op::F) {
            int& mv = st.batchMinVersion[a.batch];
            mv = mv < 0 ? a.version : std::min(mv, a.version);
        }
    }
    for (int b = 0; b < batches; ++b) st.endsBatch[st.batchEnd[b]] = b;
}

}  // namespace pd
