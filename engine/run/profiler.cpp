#include "engine/run/profiler.h"

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "engine/run/runtimeimpl.h"

namespace pd {

using model::PartParams;
using torch::Tensor;

namespace {

// Counts the bytes allocated and not yet freed on every device while it is
// installed (LibTorch reports each allocation to the profiler's hook, on
// this thread and the intra-op threads it starts).
class AllocationCounter : public c10::MemoryReportingInfoBase {
public:
    void reportMemoryUsage(void*, int64_t size, int64_t, int64_t, c10::Device) override {
        live_ += size;
    }
    bool memoryProfilingEnabled() const override { return true; }
    std::int64_t live() const { return live_.load(); }

private:
    std::atomic<std::int64_t> live_{0};
};

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void sync(const torch::Device& device) {
#ifdef PD_CUDA
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
#else
    (void)device;
#endif
}

torch::Device profileDevice(const std::string& device) {
    if (device == "cpu") return torch::Device(torch::kCPU);
    if (!torch::cuda::is_available())
        throw ConfigError("--device " + device + ": no CUDA device to profile on");
    return device == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(device);
}

struct Timings {
    std::vector<double> fwd, bwd, upd;
    std::vector<std::int64_t> kept;
    std::exception_ptr error;
};

struct Sample {
    double forwardMs = 0, backwardMs = 0, updateMs = 0;
    std::int64_t kept = 0;
};

// One layer (one model part of a spec cut at every layer): forward with
// the graph, then backward from the output's gradient (the loss's for the
// last layer). Returns the output, detached, for the next layer.
Tensor runLayer(const model::ModelSpec& spec, int part, const PartParams& weights,
                const Tensor& input, const Tensor& labels, const torch::Device& device,
                Sample& sample) {
    const bool last = part + 1 == spec.parts();
    const bool floatInput = input.is_floating_point();
    Tensor x = floatInput && part > 0 ? input.detach().requires_grad_() : input;
    PartParams p;
    for (const Tensor& w : weights) p.push_back(w.detach().requires_grad_());
    auto counter = std::make_shared<AllocationCounter>();
    Tensor out, loss;
    sync(device);
    const auto t0 = Clock::now();
    {
        c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, counter);
        torch::AutoGradMode grad(true);
        out = model::forwardLayers(spec, part, p, x);
        if (last) loss = model::lossOf(spec, out, labels);
        sync(device);
    }
    const auto t1 = Clock::now();
    sample.kept = counter->live();
    {
        torch::AutoGradMode grad(true);
        if (last)
            loss.backward();
        else
            out.backward(torch::ones_like(out) / static_cast<double>(out.numel()));
        sync(device);
    }
    const auto t2 = Clock::now();
    sample.forwardMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    sample.backwardMs = std::chrono::duration<double, std::milli>(t2 - t1).count();
    return out.detach();
}

// The MLP's explicit forward and backward (what compute.cpp runs).
Tensor runMlpLayer(const model::ModelSpec& spec, int part, const PartParams& weights,
                   const Tensor& input, const Tensor& labels, const torch::Device& device,
                   Sample& sample) {
    torch::NoGradGuard noGrad;
    const bool head = model::hasHead(spec, part);
    auto counter = std::make_shared<AllocationCounter>();
    model::ForwardTrace trace;
    Tensor out;
    sync(device);
    const auto t0 = Clock::now();
    {
        c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, counter);
        out = model::forwardPart(weights, head, input, &trace);
        sync(device);
    }
    const auto t1 = Clock::now();
    sample.kept = counter->live();
    const Tensor gradOut = head ? model::crossEntropyGrad(out, labels)
                                : torch::ones_like(out) / static_cast<double>(out.numel());
    std::vector<Tensor> gradZ;
    model::backwardInput(weights, head, trace, gradOut, part > 0, gradZ);
    PartParams gradSum;
    model::accumulateWeightGrad(trace.layerInputs, gradZ, gradSum);
    sync(device);
    const auto t2 = Clock::now();
    sample.forwardMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    sample.backwardMs = std::chrono::duration<double, std::milli>(t2 - t1).count();
    return out;
}

// One optimizer step on a layer's weights, as compute.cpp's update makes it
// (the state is made once, outside the timing).
double timeUpdate(const RunOptions& o, const PartParams& layer, const torch::Device& device) {
    torch::NoGradGuard noGrad;
    PartParams weights, grads, m, v;
    for (const Tensor& w : layer) {
        weights.push_back(w.clone());
        grads.push_back(torch::rand_like(w));
        m.push_back(torch::zeros_like(w));
        v.push_back(torch::zeros_like(w));
    }
    sync(device);
    const auto t0 = Clock::now();
    for (std::size_t k = 0; k < weights.size(); ++k) {
        if (o.optimizer == "momentum") {
            m[k].mul_(0.9).add_(grads[k]);
            weights[k].sub_(m[k], o.lr);
        } else if (o.optimizer == "adam") {
            m[k].mul_(0.9).add_(grads[k], 0.1);
            v[k].mul_(0.999).addcmul_(grads[k], grads[k], 0.001);
            weights[k].addcdiv_(m[k], v[k].sqrt().add_(1e-8), -o.lr);
        } else {
            weights[k].sub_(grads[k], o.lr);
        }
    }
    sync(device);
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Bytes per ms of copying a boundary-sized tensor as a channel between two
// stages would (to the next device, or a copy in memory on one).
double measureBandwidth(std::int64_t bytes, const torch::Device& device, int repetitions) {
    const std::int64_t n = std::max<std::int64_t>(bytes / 4, 1 << 18);
    Tensor t = torch::rand({n}, torch::TensorOptions().device(device));
    std::vector<double> ms;
    for (int r = 0; r < repetitions + 2; ++r) {
        sync(device);
        const auto t0 = Clock::now();
        Tensor c = t.clone();
        sync(device);
        if (r >= 2)
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    const double m = median(ms);
    return m > 0.0 ? static_cast<double>(n * 4) / m : 0.0;
}

}  // namespace

LayerProfile profileLayers(const RunOptions& options, const ProfileSettings& settings) {
    checkRunOptions(options);
    const int layers = partitionableLayers(options);
    const int rows = std::max(1, options.microbatchSize());
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int threads = settings.threads > 0
                            ? settings.threads
                            : std::max(1, static_cast<int>(cores) / options.schedule.stages);
    const torch::Device device = profileDevice(options.device);

    std::unique_ptr<data::Dataset> data;
    model::ModelSpec spec;
    try {
        data::DataConfig dc;
        dc.batchSize = std::max(options.batchSize, rows);
        dc.hidden = options.model == "cnn" ? 28 * 28 : options.hidden;
        dc.classes = options.classes;
        dc.seed = options.seed;
        dc.seqLen = options.seqLen;
        data = data::createDataset(options.data, dc);
        spec = model::makeModelSpec(options.model, options.layers, options.hidden, options.heads,
                                    options.seqLen, data->classes(), data->inputDim(), layers);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    std::vector<PartParams> params = model::initParameters(spec, options.seed);
    for (PartParams& p : params)
        for (Tensor& t : p) t = t.to(device);
    auto [input, labels] = data->microbatch(0, 0, rows);
    input = input.to(device);
    labels = labels.to(device);

    const int before = at::get_num_threads();
    runtimedetail::keepFreedMemoryMapped();
    at::set_num_threads(threads);
    runtimedetail::setBlasThreads(threads);
    at::globalContext().setFlushDenormal(true);
    LayerProfile out;
    out.model = options.model;
    out.shape = profileShape(options);
    out.rows = rows;
    out.device = device.str();
    out.threads = threads;
    out.warmups = std::max(0, settings.warmups);
    out.repetitions = std::max(1, settings.repetitions);
    out.names = layerNames(options);
    // On a CPU the stages run at once on the cores: each layer is measured
    // under that load (a GPU per stage has no such sharing).
    out.concurrent = settings.concurrent > 0 ? settings.concurrent
                     : device.is_cpu()
                         ? std::clamp(static_cast<int>(cores) / threads, 1, options.schedule.stages)
                         : 1;
    out.source = "measured";
    std::int64_t largestOutput = 0;
    try {
        Tensor x = input;
        for (int l = 0; l < layers; ++l) {
            // The layer on `concurrent` threads at once, as the run's stages
            // share the cores and the memory bus; every thread's samples count.
            std::vector<Timings> timings(static_cast<std::size_t>(out.concurrent));
            Tensor next;
            auto repeat = [&](std::size_t k) {
                Timings& t = timings[k];
                try {
                    at::set_num_threads(threads);
                    for (int r = 0; r < out.warmups + out.repetitions; ++r) {
                        Sample s;
                        Tensor y = spec.autograd()
                                       ? runLayer(spec, l, params[l], x, labels, device, s)
                                       : runMlpLayer(spec, l, params[l], x, labels, device, s);
                        if (k == 0) next = y;
                        if (r < out.warmups) continue;
                        t.fwd.push_back(s.forwardMs);
                        t.bwd.push_back(s.backwardMs);
                        t.upd.push_back(timeUpdate(options, params[l], device));
                        t.kept.push_back(s.kept);
                    }
                } catch (...) {
                    t.error = std::current_exception();
                }
            };
            std::vector<std::thread> others;
            for (std::size_t k = 1; k < timings.size(); ++k) others.emplace_back(repeat, k);
            repeat(0);
            for (std::thread& t : others) t.join();
            std::vector<double> fwd, bwd, upd;
            for (const Timings& t : timings) {
                if (t.error) std::rethrow_exception(t.error);
                fwd.insert(fwd.end(), t.fwd.begin(), t.fwd.end());
                bwd.insert(bwd.end(), t.bwd.begin(), t.bwd.end());
                upd.insert(upd.end(), t.upd.begin(), t.upd.end());
            }
            std::vector<std::int64_t> kept = timings.front().kept;
            LayerCost c;
            c.forward = median(fwd);
            c.backward = median(bwd);
            c.update = median(upd);
            std::sort(kept.begin(), kept.end());
            c.activationBytes = kept[kept.size() / 2];
            c.outputBytes = model::bytesOf(next);
            c.paramBytes = model::bytesOf(params[l]);
            largestOutput = std::max(largestOutput, c.outputBytes);
            out.layers.push_back(c);
            x = next;
        }
        out.bandwidthBytesPerMs = measureBandwidth(largestOutput, device, out.repetitions);
    } catch (...) {
        at::set_num_threads(before);
        throw;
    }
    at::set_num_threads(before);
    return out;
}

}  // namespace pd
