// Benchmark of the pipeline runtime; every figure is measured in this run.
//   speedup   S=2, M=8, hidden 1024: pipelined (one thread per stage) vs
//             sequential (one thread, unsplit model, gradient accumulation,
//             the same kernels); prints speedup, ideal S*M/(M+S-1), ratio.
//   overhead  engine cost per slot (events, channels, versioning, control):
//             tiny model, S=1 run vs the same math in a plain loop; and as
//             a share of a default slot's compute.
//   stash     pipedream: measured stash bytes per stage vs (S-s) x stage
//             parameter bytes.
//   loss      the loss per batch of a default run (20 batches).
//   stepped   the default run free and stepped slot by slot with pauses:
//             makespan, utilization and samples/s side by side.
// Usage: bench_engine [all|speedup|overhead|stash|stepped|loss]
//        [stepped: PAUSE_MS [STEPS]] [loss: schedule batches lr]
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/options.h"
#include "engine/model/data.h"
#include "engine/model/model.h"
#include "engine/run/runtime.h"

using namespace pd;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

void setThreads(int n) {
    at::set_num_threads(n);
    using SetThreads = void (*)(int);
    if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        f(n);
}

struct CollectingSink : EventSink {
    std::mutex mutex;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<std::string> errors;
    std::size_t slots = 0;
    std::vector<std::int64_t> busyUs = std::vector<std::int64_t>(64, 0);
    void onSlot(const SlotEvent& e) override {
        std::lock_guard<std::mutex> l(mutex);
        ++slots;
        busyUs[e.stage] += e.endUs - e.startUs;
    }
    void onMemory(const MemoryEvent& e) override {
        std::lock_guard<std::mutex> l(mutex);
        memory.push_back(e);
    }
    void onBatch(const BatchEvent& e) override {
        std::lock_guard<std::mutex> l(mutex);
        batches.push_back(e);
    }
    void onError(const std::string& m) override {
        std::lock_guard<std::mutex> l(mutex);
        errors.push_back(m);
    }
};

// Wall time of one pipelined run (thread start to last event).
double timePipelined(const RunOptions& o, int threadsPerWorker, std::size_t* slots = nullptr,
                     std::vector<double>* busy = nullptr) {
    CollectingSink sink;
    TrainingRun run(o, sink);
    if (threadsPerWorker > 0) run.setThreadsPerWorker(threadsPerWorker);
    const auto t = Clock::now();
    run.start();
    run.wait();
    const double s = seconds(t, Clock::now());
    if (!sink.errors.empty()) std::fprintf(stderr, "run error: %s\n", sink.errors[0].c_str());
    if (slots) *slots = sink.slots;
    if (busy)
        for (int st = 0; st < o.schedule.stages; ++st) busy->push_back(sink.busyUs[st] * 1e-6);
    return s;
}

// The same training with the same kernels, unsplit, on the calling thread:
// per batch, forward and backward of every microbatch, gradients summed,
// one SGD step with their mean. Returns seconds; `slots` gets the count of
// actions a one-stage schedule would have (2 per microbatch + 1 per batch).
double timeSequential(const RunOptions& o, int parts, std::size_t* slots = nullptr) {
    torch::NoGradGuard noGrad;
    auto data = data::createDataset(o.data, o.batchSize, o.hidden, o.classes, o.seed);
    const auto spec = model::makeSpec(o.layers, o.hidden, o.classes, data->inputDim(), parts);
    auto params = model::initParameters(spec, o.seed);
    const int M = o.schedule.microbatches, rows = o.microbatchSize();
    std::vector<model::PartParams> grads(parts);
    const auto t = Clock::now();
    for (int b = 0; b < o.schedule.batches; ++b) {
        for (int m = 0; m < M; ++m) {
            auto [x, y] = data->microbatch(b, m, rows);
            std::vector<model::ForwardTrace> traces(parts);
            torch::Tensor h = x;
            for (int p = 0; p < parts; ++p)
                h = model::forwardPart(params[p], model::hasHead(spec, p), h, &traces[p]);
            volatile double loss = model::crossEntropy(h, y).item<double>();
            (void)loss;
            torch::Tensor g = model::crossEntropyGrad(h, y);
            for (int p = parts - 1; p >= 0; --p) {
                std::vector<torch::Tensor> gradZ;
                g = model::backwardInput(params[p], model::hasHead(spec, p), traces[p], g, p > 0,
                                         gradZ);
                model::accumulateWeightGrad(traces[p].layerInputs, gradZ, grads[p]);
            }
        }
        for (int p = 0; p < parts; ++p)
            for (std::size_t j = 0; j < params[p].size(); ++j) {
                params[p][j] = torch::add(params[p][j], grads[p][j], -o.lr / M);
                grads[p][j].zero_();
            }
    }
    if (slots) *slots = static_cast<std::size_t>(o.schedule.batches) * (2 * M + 1) * parts;
    return seconds(t, Clock::now());
}

template <typename F>
double best(int reps, F f) {
    double b = 1e30;
    for (int i = 0; i < reps; ++i) b = std::min(b, f());
    return b;
}

void benchSpeedup() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = 2;
    o.schedule.microbatches = 8;
    o.schedule.batches = 3;
    o.layers = 8;
    o.hidden = 1024;
    o.batchSize = 8 * 32;
    o.lr = 0.01;
    const int S = o.schedule.stages, M = o.schedule.microbatches;
    std::printf("speedup  schedule 1f1b S=%d M=%d layers=%d hidden=%d batch=%d batches=%d\n", S, M,
                o.layers, o.hidden, o.batchSize, o.schedule.batches);
    setThreads(1);
    timeSequential(o, 1);  // warm up allocator and caches
    const double seq = best(3, [&] { return timeSequential(o, 1); });
    std::vector<double> busy;
    double pipe = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
        std::vector<double> b;
        const double t = timePipelined(o, 1, nullptr, &b);
        if (t < pipe) {
            pipe = t;
            busy = b;
        }
    }
    // What the machine gives two threads right now: each thread trains half
    // the layers with no dependency between them (no pipeline, no engine).
    RunOptions half = o;
    half.layers = o.layers / S;
    const double parallel = best(3, [&] {
        const auto t = Clock::now();
        std::vector<std::thread> threads;
        for (int s = 0; s < S; ++s)
            threads.emplace_back([&] {
                setThreads(1);
                timeSequential(half, 1);
            });
        for (auto& th : threads) th.join();
        return seconds(t, Clock::now());
    });
    std::printf(
        "speedup  machine check: %d independent threads, each 1/%d of the work: %.3f s "
        "(parallel capacity %.2f of %d)\n",
        S, S, parallel, seq / parallel, S);
    const double speedup = seq / pipe;
    const double ideal = double(S * M) / (M + S - 1);
    std::printf(
        "speedup  sequential (1 thread, unsplit) %.3f s, pipelined (%d workers x 1 thread) %.3f "
        "s\n",
        seq, S, pipe);
    for (int s = 0; s < S; ++s)
        std::printf("speedup  stage %d busy %.3f s of %.3f s (%.0f %%)\n", s, busy[s], pipe,
                    100 * busy[s] / pipe);
    std::printf("speedup  measured %.3f  ideal S*M/(M+S-1) %.3f  ratio %.3f  (target >= 0.9)\n",
                speedup, ideal, speedup / ideal);
    const double capacity = seq / parallel;
    std::printf(
        "speedup  against what this machine allows now, min(ideal, capacity %.2f): ratio %.3f\n",
        capacity, speedup / std::min(ideal, capacity));
}

void benchOverhead() {
    setThreads(1);
    RunOptions tiny = defaultRunOptions();
    tiny.schedule.kind = ScheduleKind::GPipe;
    tiny.schedule.stages = 1;
    tiny.schedule.microbatches = 8;
    tiny.schedule.batches = 400;
    tiny.layers = 2;
    tiny.hidden = 16;
    tiny.batchSize = 16;
    std::size_t slots = 0;
    timePipelined(tiny, 1);
    const double engine = best(5, [&] { return timePipelined(tiny, 1, &slots); });
    const double plain = best(5, [&] { return timeSequential(tiny, 1); });
    const double perSlotUs = (engine - plain) / double(slots) * 1e6;
    std::printf(
        "overhead tiny model (2 layers, hidden 16, S=1): engine %.1f us/slot, plain loop %.1f "
        "us/slot\n",
        engine / double(slots) * 1e6, plain / double(slots) * 1e6);
    std::printf("overhead engine overhead per slot %.2f us  (target < 50 us)\n", perSlotUs);
    // With two stages the channels and the hand-off between threads count too:
    // each stage's wall time per own slot, against the plain loop's per slot.
    RunOptions tiny2 = tiny;
    tiny2.schedule.stages = 2;
    tiny2.schedule.kind = ScheduleKind::OneFOneB;
    std::size_t slots2 = 0;
    const double engine2 = best(5, [&] { return timePipelined(tiny2, 1, &slots2); });
    const double perStageSlotUs = engine2 / (double(slots2) / 2) * 1e6;
    const double plainSlotUs = plain / double(slots) * 1e6;
    std::printf(
        "overhead tiny model S=2 (channels, hand-off, idle included): %.1f us per stage slot vs "
        "plain %.1f us: upper bound %.1f us per slot\n",
        perStageSlotUs, plainSlotUs, perStageSlotUs - plainSlotUs);

    // A default slot: one stage of the default configuration (48 layers / 4
    // stages, hidden 512, microbatch 8 rows), timed with the same kernels.
    RunOptions def = defaultRunOptions();
    def.schedule.batches = 3;
    const int S = def.schedule.stages;
    RunOptions part = def;
    part.layers = def.layers / S;  // one stage's share of the layers
    std::size_t partSlots = 0;
    const double partTime = best(3, [&] { return timeSequential(part, 1, &partSlots); });
    const double defaultSlotUs = partTime / double(partSlots) * 1e6;
    std::printf(
        "overhead default slot compute %.1f us (%d layers x hidden %d, microbatch %d rows)\n",
        defaultSlotUs, part.layers, def.hidden, def.microbatchSize());
    std::printf("overhead share of a default slot %.3f %%  (target < 2 %%)\n",
                100.0 * std::max(0.0, perSlotUs) / defaultSlotUs);
}

void benchStash() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::PipeDream;
    o.schedule.batches = 4;
    o.layers = 8;
    o.hidden = 256;
    const int S = o.schedule.stages;
    CollectingSink sink;
    TrainingRun run(o, sink);
    run.start();
    run.wait();
    std::vector<std::int64_t> stash(S, 0), held(S, 0);
    std::vector<int> versions(S, 0);
    for (const MemoryEvent& m : sink.memory) {
        stash[m.stage] = std::max(stash[m.stage], m.stashBytes);
        versions[m.stage] = std::max(versions[m.stage], m.versionsHeld);
    }
    std::printf("stash    pipedream S=%d M=%d layers=%d hidden=%d batches=%d\n", S,
                o.schedule.microbatches, o.layers, o.hidden, o.schedule.batches);
    for (int s = 0; s < S; ++s) {
        const std::int64_t param = run.stageParameterBytes(s);
        held[s] = stash[s] + param;
        std::printf(
            "stash    stage %d: max versions %d, stashed %lld B + current %lld B = %lld B; "
            "(S-s) x params = %lld B  %s\n",
            s, versions[s], (long long)stash[s], (long long)param, (long long)held[s],
            (long long)((S - s) * param), held[s] <= (S - s) * param ? "ok" : "EXCEEDS");
    }
}

void benchLoss(const std::string& kind, int batches, double lr) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = *parseScheduleKind(kind);
    if (o.schedule.kind == ScheduleKind::Interleaved) o.schedule.chunks = 2;
    o.schedule.batches = batches;
    if (lr > 0) o.lr = lr;
    CollectingSink sink;
    TrainingRun run(o, sink);
    const auto t = Clock::now();
    run.start();
    run.wait();
    std::printf(
        "loss     %s, defaults (S=%d M=%d batch %d, %d layers x %d, lr %g, plain SGD), %s\n",
        kind.c_str(), o.schedule.stages, o.schedule.microbatches, o.batchSize, o.layers, o.hidden,
        o.lr, run.dataDescription().c_str());
    for (const BatchEvent& b : sink.batches)
        std::printf("loss     batch %2d  %.4f\n", b.batch, b.loss);
    for (const auto& e : sink.errors) std::printf("loss     error: %s\n", e.c_str());
    std::printf("loss     %.2f s\n", seconds(t, Clock::now()));
}

// The tutorial's default run, free and stepped slot by slot, the way a
// person walks it: a step, then a pause of `pauseMs`, for the first
// `pausedSteps` steps (all of them when negative), then resumed. Measured
// time excludes the pauses, whatever their length, so the figures agree up
// to noise (and to the overlap a step boundary removes).
struct StepFigures {
    double makespanMs = 0.0, utilization = 0.0, samplesPerSecond = 0.0;
    std::size_t slots = 0;
};

struct FigureSink : CollectingSink {
    std::int64_t first = -1, last = 0;
    void onSlot(const SlotEvent& e) override {
        CollectingSink::onSlot(e);
        std::lock_guard<std::mutex> l(mutex);
        first = first < 0 ? e.startUs : std::min(first, e.startUs);
        last = std::max(last, e.endUs);
    }
};

StepFigures runDefault(bool stepped, int pauseMs, int pausedSteps, double* wallSeconds) {
    RunOptions o = defaultRunOptions();
    FigureSink sink;
    TrainingRun run(o, sink);
    if (stepped) run.pause();
    const auto t = Clock::now();
    run.start();
    for (int k = 0; stepped && !run.finished(); ++k) {
        if (pausedSteps >= 0 && k >= pausedSteps) {
            run.resume();
            break;
        }
        run.stepSlot();
        std::this_thread::sleep_for(std::chrono::milliseconds(pauseMs));
    }
    run.wait();
    *wallSeconds = seconds(t, Clock::now());
    StepFigures f;
    f.slots = sink.slots;
    f.makespanMs = (sink.last - sink.first) / 1000.0;
    double busy = 0.0;
    for (int s = 0; s < o.schedule.stages; ++s) busy += sink.busyUs[s] / 1000.0;
    f.utilization = busy / (o.schedule.stages * f.makespanMs);
    f.samplesPerSecond = o.schedule.batches * o.batchSize / (f.makespanMs / 1000.0);
    return f;
}

void benchStepped(int pauseMs, int pausedSteps) {
    const std::string steps = pausedSteps < 0 ? "every slot"
                                              : "each of the first " + std::to_string(pausedSteps) +
                                                    " slots, then resumed";
    std::printf(
        "stepped  defaults (1f1b, S=4 M=4, 5 batches, 48 x 512): free vs stepped one slot at a "
        "time, %d ms pause after %s\n",
        pauseMs, steps.c_str());
    double wallFree = 0.0, wallStepped = 0.0;
    const StepFigures free = runDefault(false, 0, 0, &wallFree);
    const StepFigures stepped = runDefault(true, pauseMs, pausedSteps, &wallStepped);
    std::printf(
        "stepped  free:    %zu slots, makespan %.1f ms, utilization %.1f %%, %.0f samples/s "
        "(wall %.2f s)\n",
        free.slots, free.makespanMs, 100.0 * free.utilization, free.samplesPerSecond, wallFree);
    std::printf(
        "stepped  stepped: %zu slots, makespan %.1f ms, utilization %.1f %%, %.0f samples/s "
        "(wall %.2f s, pauses excluded)\n",
        stepped.slots, stepped.makespanMs, 100.0 * stepped.utilization, stepped.samplesPerSecond,
        wallStepped);
    std::printf(
        "stepped  ratio stepped/free (%d ms pauses): makespan %.2f, utilization %.2f, samples/s "
        "%.2f\n",
        pauseMs, stepped.makespanMs / free.makespanMs, stepped.utilization / free.utilization,
        stepped.samplesPerSecond / free.samplesPerSecond);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "all";
    at::globalContext().setFlushDenormal(true);
    if (what == "all" || what == "speedup") benchSpeedup();
    if (what == "all" || what == "overhead") benchOverhead();
    if (what == "all" || what == "stash") benchStash();
    if (what == "all" || what == "stepped") {
        if (what == "stepped" && argc > 2) {
            // stepped PAUSE_MS [STEPS]: one walk with that pause (after every
            // slot, or after the first STEPS slots and then resumed).
            benchStepped(std::atoi(argv[2]), argc > 3 ? std::atoi(argv[3]) : -1);
        } else {
            benchStepped(30, -1);
            benchStepped(3000, 12);
        }
    }
    if (what == "loss" || what == "all") {
        const std::string kind = argc > 2 ? argv[2] : "1f1b";
        if (!parseScheduleKind(kind)) {
            std::fprintf(stderr, "error: unknown schedule '%s'\n", kind.c_str());
            return 2;
        }
        benchLoss(kind, argc > 3 ? std::atoi(argv[3]) : 20, argc > 4 ? std::atof(argv[4]) : 0.0);
    }
    return 0;
}
