// Internal to engine/run (torch types): the private state of a TrainingRun,
// shared by the runtime's .cpp files: each stage's state (its chunks, the
// microbatches in flight, its weight versions, mailboxes and clock) and the
// run's Impl, whose members are defined by role in runtime.cpp (API, worker
// loop), setup.cpp, channels.cpp, compute.cpp, control.cpp, evaluation.cpp,
// reporting.cpp, warmup.cpp and deviceclock.cpp. Never include it from a header or from
// outside engine/run (tests and other layers use runtime_internal.h).
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/model/data.h"
#include "engine/model/model.h"
#include "engine/run/channels.h"
#include "engine/run/runtime.h"
#include "engine/run/runtime_internal.h"
#include "engine/run/weightstore.h"
#include "engine/schedule/slotgrid.h"
#include "engine/schedule/stageclock.h"

#if defined(PD_TORCH_CUDA) && __has_include(<c10/cuda/CUDAStream.h>)
#define PD_CUDA 1
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>
#endif

namespace pd::runtimedetail {

using Clock = std::chrono::steady_clock;

// A microbatch-chunk forwarded at a stage whose backward is not done yet.
struct InFlight {
    model::ForwardTrace trace;
    // cnn and gpt (autograd): the part's input (a leaf requiring its
    // gradient, except in the first part), its output (the loss in the head
    // part) with the graph, and the parameter leaves the graph was built on.
    torch::Tensor input, output;
    std::vector<torch::Tensor> leaves;
    torch::Tensor logits, labels;      // head part only
    std::vector<torch::Tensor> gradZ;  // after I, until W
    torch::Tensor gradOut;             // kept only when recording
    int forwardVersion = 0;
    std::int64_t bytes = 0;
};

struct ChunkState {
    int part = 0;
    bool head = false;
    model::PartParams gradSum;
    int gradCount = 0;
    // The optimizer's state for the newest version: momentum's buffer or
    // Adam's first moment, Adam's second moment, and the updates so far.
    std::vector<torch::Tensor> moment1, moment2;
    std::int64_t steps = 0;
    std::map<std::pair<int, int>, InFlight> inFlight;
};

struct StageState {
    int index = 0;
    torch::Device device{torch::kCPU};
    std::vector<ChunkState> chunks;
    WeightStore weights;
    std::vector<int> endsBatch;         // per action: batch it completes, or -1
    std::vector<std::size_t> batchEnd;  // per batch: index of its last action
    std::vector<int> batchMinVersion;   // per batch: lowest version its forwards read
    Mailbox activations, gradients;
    StageClock clock;  // training time: real time less the waits a pause caused
    std::int64_t activationBytes = 0;
    int inFlightCount = 0;
    MemoryEvent lastMemory;
    bool memorySent = false;
    std::vector<int> lastHeld;
    std::vector<BackwardRecord> records;
    std::thread thread;
#ifdef PD_CUDA
    std::optional<c10::cuda::CUDAStream> stream;  // this stage's own stream
    // Around each action on that stream; timing enabled (ATen's default
    // flags disable it).
    at::cuda::CUDAEvent slotBegin{cudaEventDefault}, slotEnd{cudaEventDefault};
#endif
};

#ifdef PD_CUDA
// Slot times on a GPU are device times. One reference event per device is
// recorded at time zero and the host clock is read once it has completed;
// every stage on that device places its slot events on the run's timeline as
// reference + elapsed time, so the stages of one device share one time base.
struct DeviceTimeBase {
    at::cuda::CUDAEvent reference{cudaEventDefault};
    std::int64_t referenceUs = 0;
    std::int64_t at(const at::cuda::CUDAEvent& e) const {
        return referenceUs + std::llround(1000.0 * reference.elapsed_time(e));
    }
};
#endif

// Held-out samples per forward of an evaluation (evaluation.cpp).
constexpr std::int64_t kEvalChunk = 256;

// warmup.cpp: process-wide settings made once a run starts.
void keepFreedMemoryMapped();
void setBlasThreads(int n);

}  // namespace pd::runtimedetail

namespace pd {

struct TrainingRun::Impl {
    using Clock = runtimedetail::Clock;
    using StageState = runtimedetail::StageState;
    using ChunkState = runtimedetail::ChunkState;
    using InFlight = runtimedetail::InFlight;
    using Outgoing = runtimedetail::Outgoing;
    using Version = runtimedetail::Version;
    using Tensor = torch::Tensor;

    Impl(const RunOptions& o, EventSink& s, std::shared_ptr<StageTransport> t)
        : options(o), sink(s), transport(std::move(t)) {}

    RunOptions options;
    EventSink& sink;
    // Distributed: the one stage of this process and the way to the others.
    std::shared_ptr<StageTransport> transport;
    bool isLocal(int s) const { return !transport || transport->localStage() == s; }
    int localCount() const { return transport ? 1 : S; }
    // Message tag of the activation (dir 0) or gradient (dir 1) into `part`.
    int tag(int batch, int microbatch, int part, int dir) const {
        return ((batch * M + microbatch) * S * V + part) * 2 + dir;
    }
    Schedule schedule;
    model::ModelSpec spec;
    std::unique_ptr<data::Dataset> data;
    std::vector<std::unique_ptr<StageState>> stages;
    int S = 1, V = 1, M = 1, rows = 1;
    int workerThreads = 1;
    bool keepAll = false;
    Clock::time_point t0;
    int warming = 0;   // workers still pre-faulting; guarded by controlMutex
    int rehoming = 0;  // workers still moving their weights; guarded by controlMutex
#ifdef PD_CUDA
    std::map<int, std::unique_ptr<runtimedetail::DeviceTimeBase>> timeBases;  // by GPU; set with t0
#endif

    mutable std::mutex controlMutex;
    std::condition_variable controlCv;
    bool pausedFlag = false;
    // While paused, actions whose slot (slotgrid.h) is below the frontier
    // may still run: stepping raises it. nextAction: per stage, the first
    // action not yet past its gate.
    SlotGrid grid;
    int frontier = 0;
    std::vector<std::size_t> nextAction;
    // Held-out evaluations (evaluation.cpp): the batches after which one is
    // taken, the slot every stage is held at until the next one is (-1:
    // none), per stage the action waiting at its gate (-1: none) and
    // whether its worker is done; all guarded by controlMutex.
    std::vector<int> evalAfter;
    int evalFrontier = -1;
    std::vector<std::int64_t> waitingAt;
    std::vector<char> workerDone;
    std::thread evaluatorThread;
    std::atomic<std::int64_t> lastEndUs{0};  // latest slot end, training time
    std::atomic<bool> stop{false};
    std::atomic<bool> userCancelled{false};
    std::atomic<bool> failed{false};
    std::atomic<int> batchesDone{0};

    std::mutex batchMutex;
    std::vector<int> stagesDone;
    std::vector<double> lossSum;
    std::vector<BatchEvent> pending;

    std::mutex finishMutex;
    std::condition_variable finishCv;
    bool started = false;
    std::atomic<bool> finishedFlag{false};
    bool finishSent = false;
    int running = 0;
    std::mutex joinMutex;
    std::mutex errorMutex;
    bool errorSent = false;

    std::int64_t us(Clock::time_point t) const {
        return std::chrono::duration_cast<std::chrono::microseconds>(t - t0).count();
    }
    // The clock every reading of the run takes (steady_clock unless a test
    // set another before start()).
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
    std::int64_t realUs() const {
        return us(now());
    }

    // setup.cpp
    void setUp();
    void resolveEpochs();
    void precompute(StageState& st);
    // runtime.cpp: the worker loop and the run's end.
    void worker(int s);
    void runAction(StageState& st, std::size_t i, const Action& a);
    void fail(int stage, const std::string& message);
    void requestStop();
    void finishWorker();
    void markDone(int s);  // the worker has no more actions (or stopped)
    void sendFinished();
    void joinWorkers();
    // evaluation.cpp
    model::PartParams newestOf(int part) const;
    Tensor forwardNewest(int part, const model::PartParams& params, const Tensor& in) const;
    Evaluation evaluateNewest(std::int64_t maxSamples = -1) const;
    std::optional<Evaluation> evaluateAcrossRanks(std::size_t k) const;
    void planEvaluations();
    int evalFrontierOf(std::size_t k) const;
    bool settledAt(int frontier) const;  // controlMutex held
    void releaseEvaluation(std::size_t k);
    void evaluator();
    // control.cpp: the gate at each action boundary.
    bool gate(int s, std::size_t i, std::int64_t* heldUs);
    int pausedFrontier() const;  // controlMutex held
    // channels.cpp
    Tensor receive(StageState& st, const Action& a, MessageStamp* stamp);
    Outgoing sendActivation(int p, const Action& a, const Tensor& y);
    Outgoing sendGradient(int p, const Action& a, const Tensor& dx);
    // compute.cpp: the actions of the MLP, and of cnn and gpt with autograd.
    Outgoing execute(StageState& st, const Action& a, const Tensor& in);
    Outgoing forward(StageState& st, const Action& a, const Tensor& in);
    Outgoing backward(StageState& st, const Action& a, const Tensor& in);
    void weightGrad(StageState& st, const Action& a);
    Outgoing forwardAutograd(StageState& st, const Action& a, const Tensor& in);
    Outgoing backwardAutograd(StageState& st, const Action& a, const Tensor& in);
    void weightGradAutograd(StageState& st, const Action& a);
    void addGradients(StageState& st, ChunkState& ch, const Action& a, InFlight& f,
                      std::vector<Tensor> grads);
    void addGrad(StageState& st, ChunkState& ch, const Action& a, InFlight& f);
    void update(StageState& st, const Action& a);
    // reporting.cpp: events after each action.
    void afterAction(StageState& st, std::size_t i, const Action& a);
    void reportMemory(StageState& st);
    void reportVersions(StageState& st);
    // warmup.cpp: before the first slot.
    void rehome(StageState& st);
    void prefault(const StageState& st);
    void waitForTimeZero();
    // deviceclock.cpp: a slot's begin and end (device times on a GPU).
    void startDeviceClocks();
    std::int64_t slotStart(StageState& st);
    std::int64_t slotFinish(StageState& st, std::int64_t* begin);

    // Placement (round robin, or the V of zb-v and dualpipev): schedule.h.
    int stageOfPart(int p) const {
        return pd::stageOfPart(options.schedule, p);
    }
    int chunkOfPart(int p) const {
        return pd::chunkOfPart(options.schedule, p);
    }
};

}  // namespace pd
