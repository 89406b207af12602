// The pipeline runtime: one worker thread per stage executes its action list
// from generateSchedule() exactly, with real weight versions (immutable
// parameter tensors per version, kept alive exactly as long as a later action
// of the stage reads them), keyed bounded channels between stages, per-slot
// events from a steady clock (CUDA events on a GPU), and control at action
// boundaries.
#include "engine/run/runtime.h"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "engine/base/parse.h"
#include "engine/model/data.h"
#include "engine/model/model.h"
#include "engine/run/runtime_internal.h"
#include "engine/schedule/simulator.h"
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

namespace pd {

namespace {

using Clock = std::chrono::steady_clock;
using model::PartParams;
using torch::Tensor;

// Thrown inside a worker when the run stops while it waits; not an error.
struct RunStopped {};

struct Key {
    int batch = 0;
    int microbatch = 0;
    int part = 0;  // the receiving model part
    bool operator<(const Key& o) const {
        return std::tie(batch, microbatch, part) < std::tie(o.batch, o.microbatch, o.part);
    }
};

// A bounded channel into one stage, keyed by (batch, microbatch, part) so
// that the receiver takes exactly the message its next action needs.
class Mailbox {
public:
    void setCapacity(std::size_t capacity) { capacity_ = capacity; }

    void put(const Key& key, Tensor t, const MessageStamp& stamp, const std::atomic<bool>& stop) {
        std::unique_lock<std::mutex> lock(mutex_);
        notFull_.wait(lock, [&] { return stop.load() || items_.size() < capacity_; });
        if (stop) throw RunStopped{};
        items_.emplace(key, Message{std::move(t), stamp});
        notEmpty_.notify_all();
    }

    Tensor take(const Key& key, const std::atomic<bool>& stop, MessageStamp* stamp) {
        std::unique_lock<std::mutex> lock(mutex_);
        auto it = items_.end();
        notEmpty_.wait(lock, [&] {
            if (stop) return true;
            it = items_.find(key);
            return it != items_.end();
        });
        if (stop) throw RunStopped{};
        Tensor t = std::move(it->second.tensor);
        *stamp = it->second.stamp;
        items_.erase(it);
        notFull_.notify_all();
        return t;
    }

    void wake() {
        std::lock_guard<std::mutex> lock(mutex_);
        notEmpty_.notify_all();
        notFull_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable notEmpty_, notFull_;
    struct Message {
        Tensor tensor;
        MessageStamp stamp;  // when its sender made it, for the receiver's clock
    };
    std::map<Key, Message> items_;
    std::size_t capacity_ = 1;
};

// A microbatch-chunk forwarded at a stage whose backward is not done yet.
// A message an action sends once it has finished (so that, in measured time,
// every dependency ends before its dependant starts).
struct Outgoing {
    Mailbox* box = nullptr;
    Key key;
    Tensor tensor;
    int remoteStage = -1;  // a stage of another process (distributed): by its transport
    int tag = 0;
};

struct InFlight {
    model::ForwardTrace trace;
    // cnn and gpt (autograd): the part's input (a leaf requiring its
    // gradient, except in the first part), its output (the loss in the head
    // part) with the graph, and the parameter leaves the graph was built on.
    Tensor input, output;
    std::vector<Tensor> leaves;
    Tensor logits, labels;      // head part only
    std::vector<Tensor> gradZ;  // after I, until W
    Tensor gradOut;             // kept only when recording
    int forwardVersion = 0;
    std::int64_t bytes = 0;
};

std::int64_t traceBytes(const InFlight& f) {
    // Autograd parts: their input and output (the tensors the graph saves
    // inside the part are not counted).
    if (f.input.defined())
        return model::bytesOf(f.input) + model::bytesOf(f.output) + model::bytesOf(f.gradOut);
    return model::bytesOf(f.trace.layerInputs) + model::bytesOf(f.trace.preActivations) +
           model::bytesOf(f.logits) + model::bytesOf(f.gradZ);
}

struct ChunkState {
    int part = 0;
    bool head = false;
    PartParams gradSum;
    int gradCount = 0;
    std::map<std::pair<int, int>, InFlight> inFlight;
};

using Version = std::vector<PartParams>;  // per chunk

struct StageState {
    int index = 0;
    torch::Device device{torch::kCPU};
    std::vector<ChunkState> chunks;
    std::map<int, Version> versions;  // held now
    std::map<int, std::int64_t> versionBytes;
    std::map<int, Version> archive;  // keepAllVersions only
    std::vector<Version> spare;      // storage of dropped versions, reused by updates
    int newest = 0;
    std::map<int, std::size_t> lastUse;  // version -> last action index reading it
    std::vector<int> endsBatch;          // per action: batch it completes, or -1
    std::vector<std::size_t> batchEnd;   // per batch: index of its last action
    std::vector<int> batchMinVersion;    // per batch: lowest version its forwards read
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

using OpenBlasSetThreads = void (*)(int);

void setBlasThreads(int n) {
    if (auto f =
            reinterpret_cast<OpenBlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        f(n);
}

// glibc returns every large block (>= 128 KiB by default: every weight and
// activation tensor here) to the kernel on free and maps fresh zeroed pages
// on the next allocation, so each new weight version and each batch's
// activations paid thousands of page faults inside the measured slot (an
// update took 30-80 ms instead of about 1 ms). Keep freed blocks in the heap.
void keepFreedMemoryMapped() {
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    });
}

std::string deviceError(const std::string& device, const std::string& why) {
    return "--device " + device + ": " + why;
}

}  // namespace

struct TrainingRun::Impl {
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
    void rehome(StageState& st);
#ifdef PD_CUDA
    std::map<int, std::unique_ptr<DeviceTimeBase>> timeBases;  // by GPU; set with t0
    void startDeviceClocks();
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
    int pausedFrontier() const;  // controlMutex held

    void setUp();
    void precompute(StageState& st);
    void worker(int s);
    void prefault(const StageState& st);
    void recycle(StageState& st, Version&& dropped);
    bool gate(int s, std::size_t i, std::int64_t* heldUs);
    Tensor receive(StageState& st, const Action& a, MessageStamp* stamp);
    Outgoing execute(StageState& st, const Action& a, const Tensor& in);
    Outgoing forward(StageState& st, const Action& a, const Tensor& in);
    Outgoing backward(StageState& st, const Action& a, const Tensor& in);
    void weightGrad(StageState& st, const Action& a);
    // cnn and gpt: the same actions with autograd.
    Outgoing forwardAutograd(StageState& st, const Action& a, const Tensor& in);
    Outgoing backwardAutograd(StageState& st, const Action& a, const Tensor& in);
    void weightGradAutograd(StageState& st, const Action& a);
    void addGradients(StageState& st, ChunkState& ch, const Action& a, InFlight& f,
                      std::vector<Tensor> grads);
    Outgoing sendActivation(int p, const Action& a, const Tensor& y);
    Outgoing sendGradient(int p, const Action& a, const Tensor& dx);
    void update(StageState& st, const Action& a);
    void afterAction(StageState& st, std::size_t i, const Action& a);
    void addGrad(StageState& st, ChunkState& ch, const Action& a, InFlight& f);
    const Version& version(StageState& st, int v) const;
    void reportMemory(StageState& st);
    void reportVersions(StageState& st);
    void fail(int stage, const std::string& message);
    void requestStop();
    void finishWorker();
    void sendFinished();
    void joinWorkers();
    // Placement (round robin, or the V of zb-v and dualpipev): schedule.h.
    int stageOfPart(int p) const {
        return pd::stageOfPart(options.schedule, p);
    }
    int chunkOfPart(int p) const {
        return pd::chunkOfPart(options.schedule, p);
    }
};

void TrainingRun::Impl::setUp() {
    const std::string error = checkRunOptions(options);
    if (!error.empty()) throw ConfigError(error);
    schedule = generateSchedule(options.schedule);
    S = options.schedule.stages;
    V = options.schedule.chunks;
    M = options.schedule.microbatches;
    rows = options.microbatchSize();
    if (rows < 1) throw ConfigError("batch size must be at least the number of microbatches");

    std::vector<torch::Device> devices(S, torch::Device(torch::kCPU));
    const std::string& dev = options.device;
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
        spec = model::makeModelSpec(options.model, options.layers, options.hidden, options.heads,
                                    options.seqLen, data->classes(), data->inputDim(), S * V);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    // A cut given by --split (or chosen by --partition) replaces the equal one.
    if (!options.split.empty())
        spec.split = rangesFromBoundaries(spec.partitionLayers(), options.split);
    std::vector<PartParams> parts = model::initParameters(spec, options.seed);
    if (transport) {
        const int ts = transport->localStage();
        if (ts < 0 || ts >= S)
            throw ConfigError("rank " + std::to_string(ts) + " has no stage in a pipeline of " +
                              std::to_string(S));
        const double maxTag = 2.0 * options.schedule.batches * M * S * V;
        if (maxTag > 2147483647.0)
            throw ConfigError("too many batches x microbatches x parts for message tags");
    }

    const std::size_t capacity = static_cast<std::size_t>(M) * V + 2 * S + 2;
    grid = slotGrid(schedule);
    nextAction.assign(S, 0);
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
            PartParams params;
            for (const Tensor& t : parts[p]) params.push_back(t.to(devices[s]));
            bytes += model::bytesOf(params);
            v0.push_back(std::move(params));
        }
        if (isLocal(s)) {
            st->versions[0] = v0;
            st->versionBytes[0] = bytes;
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
        st.lastUse[read] = i;
        st.batchEnd[a.batch] = i;
        if (a.op == Op::F) {
            int& mv = st.batchMinVersion[a.batch];
            mv = mv < 0 ? a.version : std::min(mv, a.version);
        }
    }
    for (int b = 0; b < batches; ++b) st.endsBatch[st.batchEnd[b]] = b;
}

const Version& TrainingRun::Impl::version(StageState& st, int v) const {
    auto it = st.versions.find(v);
    if (it == st.versions.end())
        throw std::logic_error("weight version " + std::to_string(v) + " is not held at stage " +
                               std::to_string(st.index));
    return it->second;
}

// Passes once the action may run: at once unless paused, where only the
// slots below the frontier may. `heldUs`: how long a pause held it here.
bool TrainingRun::Impl::gate(int s, std::size_t i, std::int64_t* heldUs) {
    std::unique_lock<std::mutex> lock(controlMutex);
    auto open = [&] { return stop.load() || !pausedFlag || grid.gate[s][i] < frontier; };
    *heldUs = 0;
    if (!open()) {
        const std::int64_t from = realUs();
        controlCv.wait(lock, open);
        *heldUs = realUs() - from;
    }
    if (stop) return false;
    nextAction[s] = i + 1;
    return true;
}

// Waits for the message the action needs (before its slot starts).
Tensor TrainingRun::Impl::receive(StageState& st, const Action& a, MessageStamp* stamp) {
    const ChunkState& ch = st.chunks[a.chunk];
    Tensor t;
    const bool activation = a.op == Op::F && ch.part > 0;
    const bool gradient = (a.op == Op::B || a.op == Op::I) && !ch.head;
    const int from = activation ? stageOfPart(ch.part - 1) : stageOfPart(ch.part + 1);
    if ((activation || gradient) && !isLocal(from)) {
        t = transport->recv(from, tag(a.batch, a.microbatch, ch.part, activation ? 0 : 1),
                            model::boundaryShape(spec, activation ? ch.part : ch.part + 1, rows),
                            stamp);
        if (!t.defined()) throw RunStopped{};
        t = t.to(st.device);
    } else if (activation) {
        t = st.activations.take({a.batch, a.microbatch, ch.part}, stop, stamp).to(st.device);
    } else if (gradient) {
        t = st.gradients.take({a.batch, a.microbatch, ch.part}, stop, stamp).to(st.device);
    }
#ifdef PD_CUDA
    // Made on the sender's stream, used and freed on ours.
    if (t.defined() && st.stream)
        c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), *st.stream);
#endif
    return t;
}

Outgoing TrainingRun::Impl::sendActivation(int p, const Action& a, const Tensor& y) {
    Outgoing out;
    if (!isLocal(stageOfPart(p + 1))) {
        out.remoteStage = stageOfPart(p + 1);
        out.tag = tag(a.batch, a.microbatch, p + 1, 0);
        out.tensor = y;
    } else {
        out = {&stages[stageOfPart(p + 1)]->activations, {a.batch, a.microbatch, p + 1}, y};
    }
    return out;
}

Outgoing TrainingRun::Impl::sendGradient(int p, const Action& a, const Tensor& dx) {
    Outgoing out;
    if (p > 0 && !isLocal(stageOfPart(p - 1))) {
        out.remoteStage = stageOfPart(p - 1);
        out.tag = tag(a.batch, a.microbatch, p - 1, 1);
        out.tensor = dx;
    } else if (p > 0) {
        out = {&stages[stageOfPart(p - 1)]->gradients, {a.batch, a.microbatch, p - 1}, dx};
    }
    return out;
}

namespace {

void checkLoss(double loss, const Action& a) {
    if (!std::isfinite(loss))
        throw std::runtime_error("loss became " +
                                 std::string(std::isnan(loss) ? "NaN" : "infinite") + " at batch " +
                                 std::to_string(a.batch) + ", microbatch " +
                                 std::to_string(a.microbatch) + " (try a smaller --lr)");
}

// Leaves sharing the tensors' storage, for a graph whose gradient is taken
// with respect to them.
std::vector<Tensor> leavesOf(const PartParams& params) {
    std::vector<Tensor> leaves;
    leaves.reserve(params.size());
    for (const Tensor& t : params) leaves.push_back(t.detach().requires_grad_(true));
    return leaves;
}

}  // namespace

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
    f.leaves = leavesOf(version(st, a.version)[a.chunk]);
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
        f.leaves = leavesOf(version(st, a.version)[a.chunk]);
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

namespace {

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

Outgoing TrainingRun::Impl::forward(StageState& st, const Action& a, const Tensor& in) {
    if (spec.autograd()) return forwardAutograd(st, a, in);
    ChunkState& ch = st.chunks[a.chunk];
    const int p = ch.part;
    Outgoing out;
    Tensor x = p == 0 ? data->microbatch(a.batch, a.microbatch, rows).first.to(st.device) : in;
    InFlight f;
    f.forwardVersion = a.version;
    Tensor y = model::forwardPart(version(st, a.version)[a.chunk], ch.head, x, &f.trace);
    if (ch.head) {
        f.labels = data->microbatch(a.batch, a.microbatch, rows).second.to(st.device);
        const double loss = model::crossEntropy(y, f.labels).item<double>();
        if (!std::isfinite(loss))
            throw std::runtime_error("loss became " +
                                     std::string(std::isnan(loss) ? "NaN" : "infinite") +
                                     " at batch " + std::to_string(a.batch) + ", microbatch " +
                                     std::to_string(a.microbatch) + " (try a smaller --lr)");
        f.logits = y;
        std::lock_guard<std::mutex> lock(batchMutex);
        lossSum[a.batch] += loss;
    } else if (!isLocal(stageOfPart(p + 1))) {
        out.remoteStage = stageOfPart(p + 1);
        out.tag = tag(a.batch, a.microbatch, p + 1, 0);
        out.tensor = y;
    } else {
        out = {&stages[stageOfPart(p + 1)]->activations, {a.batch, a.microbatch, p + 1}, y};
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
    Tensor dx = model::backwardInput(version(st, a.version)[a.chunk], ch.head, f.trace, gradOut,
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

// new = newest - lr * (mean of the gradients since the last update).
void TrainingRun::Impl::update(StageState& st, const Action& a) {
    if (a.version != st.newest + 1)
        throw std::logic_error("update to version " + std::to_string(a.version) + " at stage " +
                               std::to_string(st.index) + " whose newest is " +
                               std::to_string(st.newest));
    const Version& base = version(st, st.newest);
    // The new version goes into the storage of a dropped one when there is
    // one: no allocation (and no page faults) inside the measured slot.
    Version next;
    const bool reuse = !st.spare.empty();
    if (reuse) {
        next = std::move(st.spare.back());
        st.spare.pop_back();
    } else {
        next.resize(base.size());
    }
    std::int64_t bytes = 0;
    for (std::size_t c = 0; c < base.size(); ++c) {
        ChunkState& ch = st.chunks[c];
        if (ch.gradCount == 0)
            throw std::logic_error("update without a gradient at stage " +
                                   std::to_string(st.index));
        const double scale = options.lr / ch.gradCount;
        for (std::size_t j = 0; j < base[c].size(); ++j) {
            if (reuse)
                torch::add_out(next[c][j], base[c][j], ch.gradSum[j], -scale);
            else
                next[c].push_back(torch::add(base[c][j], ch.gradSum[j], -scale));
            ch.gradSum[j].zero_();
        }
        ch.gradCount = 0;
        bytes += model::bytesOf(next[c]);
    }
    if (keepAll) st.archive[a.version] = next;
    st.versions[a.version] = std::move(next);
    st.versionBytes[a.version] = bytes;
    st.newest = a.version;
}

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

void TrainingRun::Impl::reportVersions(StageState& st) {
    std::vector<int> held;
    for (const auto& [v, params] : st.versions) held.push_back(v);
    if (held == st.lastHeld) return;
    st.lastHeld = held;
    VersionEvent e;
    e.stage = st.index;
    e.version = st.newest;
    for (int v : held)
        if (v != st.newest) e.stashed.push_back(v);
    e.timeUs = st.clock.training(realUs());
    sink.onVersion(e);
}

void TrainingRun::Impl::reportMemory(StageState& st) {
    MemoryEvent e;
    e.stage = st.index;
    e.activationsInFlight = st.inFlightCount;
    e.versionsHeld = static_cast<int>(st.versions.size());
    e.activationBytes = st.activationBytes;
    for (const auto& [v, bytes] : st.versionBytes)
        if (v != st.newest) e.stashBytes += bytes;
    const MemoryEvent& l = st.lastMemory;
    if (st.memorySent && l.activationsInFlight == e.activationsInFlight &&
        l.versionsHeld == e.versionsHeld && l.activationBytes == e.activationBytes &&
        l.stashBytes == e.stashBytes)
        return;
    e.timeUs = st.clock.training(realUs());
    st.lastMemory = e;
    st.memorySent = true;
    sink.onMemory(e);
}

// Keeps a dropped version's tensors for the next update when nothing else
// (the test archive, a record) still refers to them. One spare is enough:
// a stage drops at most one version per update.
void TrainingRun::Impl::recycle(StageState& st, Version&& dropped) {
    if (!st.spare.empty()) return;
    for (const PartParams& part : dropped)
        for (const torch::Tensor& t : part)
            if (t.use_count() != 1) return;
    st.spare.push_back(std::move(dropped));
}

void TrainingRun::Impl::afterAction(StageState& st, std::size_t i, const Action& a) {
    // Drop every version that no later action of this stage reads.
    for (auto it = st.versions.begin(); it != st.versions.end();) {
        const auto use = st.lastUse.find(it->first);
        if (it->first != st.newest && (use == st.lastUse.end() || use->second <= i)) {
            st.versionBytes.erase(it->first);
            recycle(st, std::move(it->second));
            it = st.versions.erase(it);
        } else {
            ++it;
        }
    }
    reportVersions(st);
    reportMemory(st);
    const int b = st.endsBatch[i];
    if (b < 0) return;
    std::lock_guard<std::mutex> lock(batchMutex);
    pending[b].versionUsed[st.index] = std::max(0, st.batchMinVersion[b]);
    pending[b].versionAfter[st.index] = st.newest;
    if (++stagesDone[b] < localCount()) return;  // distributed: the collector merges
    BatchEvent e = pending[b];
    e.loss = lossSum[b] / M;
    e.timeUs = st.clock.training(realUs());
    sink.onBatch(e);
    batchesDone.fetch_add(1);
    (void)a;
}

// The initial weights were made on the calling thread, in its malloc arena.
// Each worker copies its stage's into its own arena, where every later
// version of the stage lives, and the last one hands the originals' memory
// back to the system before anyone pre-faults: otherwise the first
// version's arena stays mapped for the whole run beside the workers' (the
// default run held about a model's worth more than it needs).
void TrainingRun::Impl::rehome(StageState& st) {
    if (!keepAll && !st.device.is_cuda()) {
        Version copy;
        for (const PartParams& part : st.versions.at(0)) {
            PartParams p;
            for (const Tensor& t : part) p.push_back(t.clone());
            copy.push_back(std::move(p));
        }
        st.versions[0] = std::move(copy);
    }
    std::unique_lock<std::mutex> lock(controlMutex);
    if (--rehoming == 0) {
        malloc_trim(0);
        controlCv.notify_all();
    } else {
        controlCv.wait(lock, [&] { return rehoming == 0 || stop.load(); });
    }
}

// Warm-up before the first slot, outside every measured slot: this worker
// thread's malloc arena grows to about what the run will need (a few weight
// versions and the activations in flight) and its pages are touched once.
// Otherwise the first batches' slots measure page faults, not training (the
// first updates took 60-80 ms where later ones take about 1 ms).
void TrainingRun::Impl::prefault(const StageState& st) {
    // Beyond the current version, which is already allocated: the other
    // versions the stage holds at most, the one being built (or the spare
    // it reuses) and the gradient sum. One more made every stage keep an
    // unused version's worth mapped (the default run's RSS was 1 x the
    // model's parameters higher).
    const std::vector<int> held = closedForm(options.schedule).versionsHeld;
    const int versions = (st.index < static_cast<int>(held.size()) ? held[st.index] : 1) + 1;
    std::int64_t bytes = 0;
    for (const auto& [v, b] : st.versionBytes) bytes += versions * b;
    const std::int64_t layersHere = static_cast<std::int64_t>(options.layers) / S + 2;
    bytes += 2LL * options.microbatchSize() * options.hidden * 4 * layersHere *
             std::min(options.schedule.microbatches, S + 1) * options.schedule.chunks;
    bytes = std::min<std::int64_t>(bytes, 1LL << 30);
    if (bytes <= 0) return;
#ifdef PD_CUDA
    if (st.device.is_cuda()) {
        // One block: the caching allocator keeps the segment and splits it
        // for the run's tensors. A product creates this thread's cuBLAS
        // handle on the stage's stream; neither belongs in a measured slot.
        const auto on = torch::TensorOptions().device(st.device).dtype(torch::kFloat32);
        {
            const torch::Tensor block = torch::empty({bytes / 4}, on);
            const torch::Tensor w = torch::ones({64, 64}, on);
            (void)w.mm(w).sum().item<float>();
        }
        if (st.stream) st.stream->synchronize();
        return;
    }
#endif
    // In blocks: one block above glibc's per-thread heap size (64 MiB) would
    // be mapped on its own and unmapped again on free.
    constexpr std::int64_t kBlock = 1 << 20;
    std::vector<torch::Tensor> blocks;
    for (std::int64_t done = 0; done < bytes; done += kBlock)
        blocks.push_back(torch::zeros({kBlock / 4}, torch::kFloat32));
}

#ifdef PD_CUDA
// Called with t0 just taken, before any worker starts its first slot (under
// controlMutex by the last worker to get ready).
void TrainingRun::Impl::startDeviceClocks() {
    for (const auto& st : stages) {
        if (!st->device.is_cuda()) continue;
        auto& base = timeBases[st->device.index()];
        if (base) continue;
        base = std::make_unique<DeviceTimeBase>();
        base->reference.record(c10::cuda::getDefaultCUDAStream(st->device.index()));
        base->reference.synchronize();
        base->referenceUs = realUs();
    }
}
#endif

void TrainingRun::Impl::worker(int s) {
    StageState& st = *stages[s];
    try {
        torch::NoGradGuard noGrad;
        at::set_num_threads(workerThreads);
        at::globalContext().setFlushDenormal(true);
#ifdef PD_CUDA
        std::optional<c10::cuda::CUDAStreamGuard> streamGuard;
        if (st.device.is_cuda()) {
            st.stream = c10::cuda::getStreamFromPool(false, st.device.index());
            streamGuard.emplace(*st.stream);
        }
#endif
        rehome(st);
        prefault(st);
        {
            // Time zero is when every worker is ready: the warm-up is not
            // part of the run's timeline.
            std::unique_lock<std::mutex> lock(controlMutex);
            if (--warming == 0 && transport) {
                // Every rank's time zero is the same instant (the collector's).
                lock.unlock();
                const auto zero = transport->ready();
                lock.lock();
                if (!zero) throw RunStopped{};
                t0 = *zero;
#ifdef PD_CUDA
                startDeviceClocks();
#endif
                controlCv.notify_all();
            } else if (warming == 0) {
                t0 = now();
#ifdef PD_CUDA
                startDeviceClocks();
#endif
                controlCv.notify_all();
            } else {
                controlCv.wait(lock, [&] { return warming == 0 || stop.load(); });
            }
        }
        if (stop.load()) throw RunStopped{};
        reportVersions(st);
        reportMemory(st);
        const auto& actions = schedule.stages[s];
        for (std::size_t i = 0; i < actions.size(); ++i) {
            std::int64_t held = 0;
            if (!gate(s, i, &held)) break;
            st.clock.heldAtGate(held);
            const Action& a = actions[i];
            const std::int64_t waitFrom = realUs();
            MessageStamp stamp;
            const Tensor in = receive(st, a, &stamp);
            if (in.defined()) st.clock.received(waitFrom, realUs(), stamp);
            std::int64_t begin = realUs();
#ifdef PD_CUDA
            if (st.stream) st.slotBegin.record(*st.stream);
#endif
            Outgoing out = execute(st, a, in);
            std::int64_t end = 0;
#ifdef PD_CUDA
            if (st.stream) {
                // The message leaves only once its kernels are done; the slot
                // is what the device executed, not when the host launched it.
                st.slotEnd.record(*st.stream);
                st.slotEnd.synchronize();
                const DeviceTimeBase& base = *timeBases.at(st.device.index());
                begin = base.at(st.slotBegin);
                end = base.at(st.slotEnd);
            } else
#endif
                end = realUs();
            if (out.box) out.box->put(out.key, std::move(out.tensor), st.clock.stamp(end), stop);
            if (out.remoteStage >= 0)
                transport->send(out.remoteStage, out.tag, out.tensor, st.clock.stamp(end));
            begin = st.clock.training(begin);
            end = st.clock.training(end);
            for (std::int64_t last = lastEndUs.load();
                 end > last && !lastEndUs.compare_exchange_weak(last, end);) {
            }
            const SlotEvent e = slotEvent(s, a, begin, end);
            sink.onSlot(e);
            afterAction(st, i, a);
        }
        if (transport && !stop) transport->flush();  // the last messages reach their ranks
    } catch (const RunStopped&) {
    } catch (const c10::Error& e) {
        fail(s, e.what_without_backtrace());
    } catch (const std::exception& e) {
        fail(s, e.what());
    } catch (...) {
        fail(s, "unknown error");
    }
    finishWorker();
}

void TrainingRun::Impl::fail(int stage, const std::string& message) {
    {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (errorSent || stop) return;  // the first error wins; later ones are consequences
        errorSent = true;
        failed = true;
        try {
            sink.onError("stage " + std::to_string(stage) + ": " + message);
        } catch (...) {
        }
    }
    requestStop();
}

void TrainingRun::Impl::requestStop() {
    stop = true;
    {
        std::lock_guard<std::mutex> lock(controlMutex);
        controlCv.notify_all();
    }
    for (auto& st : stages) {
        st->activations.wake();
        st->gradients.wake();
    }
    if (transport) transport->abort();
}

void TrainingRun::Impl::finishWorker() {
    {
        std::lock_guard<std::mutex> lock(finishMutex);
        if (--running > 0) return;
    }
    sendFinished();
}

void TrainingRun::Impl::sendFinished() {
    {
        std::lock_guard<std::mutex> lock(finishMutex);
        if (finishSent) return;
        finishSent = true;
    }
    RunSummary summary;
    summary.cancelled = userCancelled && !failed;
    summary.failed = failed;
    summary.batchesDone = batchesDone;
    summary.timeUs = started ? lastEndUs.load() : 0;
    try {
        sink.onFinished(summary);
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(finishMutex);
    finishedFlag = true;
    finishCv.notify_all();
}

void TrainingRun::Impl::joinWorkers() {
    std::lock_guard<std::mutex> lock(joinMutex);
    const auto self = std::this_thread::get_id();
    for (auto& st : stages)
        if (st->thread.get_id() == self) return;  // called from a sink callback
    for (auto& st : stages)
        if (st->thread.joinable()) st->thread.join();
}

// --- TrainingRun ---------------------------------------------------------

TrainingRun::TrainingRun(const RunOptions& options, EventSink& sink)
    : TrainingRun(options, sink, nullptr) {}

TrainingRun::TrainingRun(const RunOptions& options, EventSink& sink,
                         std::shared_ptr<StageTransport> transport)
    : impl_(std::make_unique<Impl>(options, sink, std::move(transport))) {
    try {
        impl_->setUp();
    } catch (const ConfigError&) {
        throw;
    } catch (const c10::Error& e) {
        throw ConfigError(e.what_without_backtrace());
    }
}

TrainingRun::~TrainingRun() {
    cancel();
}

const Schedule& TrainingRun::schedule() const {
    return impl_->schedule;
}
std::vector<LayerRange> TrainingRun::layerSplit() const {
    return impl_->spec.split;
}

void TrainingRun::start() {
    Impl& d = *impl_;
    {
        std::lock_guard<std::mutex> lock(d.finishMutex);
        if (d.started || d.finishSent) return;
        d.started = true;
        d.running = d.localCount();
    }
    keepFreedMemoryMapped();
    at::set_num_threads(d.workerThreads);
    setBlasThreads(d.workerThreads);
    d.t0 = d.now();
    {
        std::lock_guard<std::mutex> lock(d.controlMutex);
        d.warming = d.localCount();
        d.rehoming = d.localCount();
    }
    for (int s = 0; s < d.S; ++s)
        if (d.isLocal(s)) d.stages[s]->thread = std::thread([&d, s] { d.worker(s); });
}

// The slot the paused run stands at: no stage has started an action at or
// beyond it, and every action before it has passed its gate.
int TrainingRun::Impl::pausedFrontier() const {
    return grid.frontier(nextAction);
}

void TrainingRun::pause() {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.controlMutex);
    if (d.pausedFlag) return;
    d.pausedFlag = true;
    d.frontier = d.pausedFrontier();
}

void TrainingRun::resume() {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    impl_->pausedFlag = false;
    impl_->controlCv.notify_all();
}

void TrainingRun::stepSlot() {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.controlMutex);
    if (!d.pausedFlag) return;
    d.frontier = d.grid.afterStepSlot(d.frontier, d.pausedFrontier());
    d.controlCv.notify_all();
}

void TrainingRun::stepBatch() {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.controlMutex);
    if (!d.pausedFlag) return;
    d.frontier = d.grid.afterStepBatch(d.frontier, d.pausedFrontier());
    d.controlCv.notify_all();
}

void TrainingRun::cancel() {
    Impl& d = *impl_;
    bool started = false;
    {
        std::lock_guard<std::mutex> lock(d.finishMutex);
        started = d.started;
        if (!d.finishSent) d.userCancelled = true;
    }
    d.requestStop();
    if (!started) {
        d.sendFinished();
        return;
    }
    d.joinWorkers();
}

void TrainingRun::pauseAtFrontier(int frontier) {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.controlMutex);
    d.pausedFlag = true;
    d.frontier = frontier;
    d.controlCv.notify_all();
}

std::size_t TrainingRun::actionsStarted(int stage) const {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    return stage >= 0 && stage < impl_->S ? impl_->nextAction[stage] : 0;
}

bool TrainingRun::paused() const {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    return impl_->pausedFlag;
}

bool TrainingRun::wait(std::chrono::milliseconds timeout) {
    Impl& d = *impl_;
    {
        std::unique_lock<std::mutex> lock(d.finishMutex);
        if (!d.started && !d.finishedFlag) return false;
        auto done = [&] { return d.finishedFlag.load(); };
        if (timeout == std::chrono::milliseconds::max())
            d.finishCv.wait(lock, done);
        else if (!d.finishCv.wait_for(lock, timeout, done))
            return false;
    }
    d.joinWorkers();
    return true;
}

bool TrainingRun::finished() const {
    return impl_->finishedFlag;
}

std::string TrainingRun::dataDescription() const {
    return impl_->data->describe();
}

DataInfo TrainingRun::dataInfo() const {
    const data::Dataset& d = *impl_->data;
    DataInfo info;
    info.name = d.name();
    info.trainSamples = d.trainSamples();
    info.heldoutSamples = d.heldoutSamples();
    info.unigramLoss = d.unigramLoss();
    info.batchesPerEpoch = d.batchesPerEpoch();
    return info;
}

Evaluation TrainingRun::evaluate(std::int64_t maxSamples) const {
    Impl& d = *impl_;
    if (d.transport) throw std::runtime_error("evaluation needs every stage in this process");
    {
        std::lock_guard<std::mutex> lock(d.finishMutex);
        if (d.started && !d.finishedFlag)
            throw std::runtime_error("evaluation while the run is running");
    }
    torch::NoGradGuard noGrad;
    const int parts = d.spec.parts();
    std::vector<PartParams> newest(parts);
    for (int p = 0; p < parts; ++p) {
        const StageState& st = *d.stages[d.stageOfPart(p)];
        newest[p] = st.versions.at(st.newest)[d.chunkOfPart(p)];
    }
    const torch::Device device = d.stages[d.stageOfPart(0)]->device;
    std::int64_t n = d.data->heldoutSamples();
    if (maxSamples >= 0) n = std::min(n, maxSamples);
    Evaluation e;
    double lossSum = 0.0;
    std::int64_t correct = 0, predictions = 0;
    constexpr std::int64_t kChunk = 256;
    for (std::int64_t first = 0; first < n; first += kChunk) {
        const std::int64_t count = std::min(kChunk, n - first);
        auto [x, y] = d.data->heldout(first, count);
        Tensor h = x.to(device);
        for (int p = 0; p < parts; ++p) {
            const Tensor& in = h;
            const torch::Device on = d.stages[d.stageOfPart(p)]->device;
            h = d.spec.autograd()
                    ? model::forwardLayers(d.spec, p, newest[p], in.to(on))
                    : model::forwardPart(newest[p], model::hasHead(d.spec, p), in.to(on));
        }
        y = y.to(h.device());
        lossSum += model::lossOf(d.spec, h, y).item<double>() * static_cast<double>(y.numel());
        correct += model::correctOf(h, y);
        predictions += y.numel();
    }
    e.samples = n;
    if (predictions == 0) {
        e.loss = e.accuracy = std::numeric_limits<double>::quiet_NaN();
        return e;
    }
    e.loss = lossSum / static_cast<double>(predictions);
    e.accuracy = d.data->isText() ? std::numeric_limits<double>::quiet_NaN()
                                  : static_cast<double>(correct) / static_cast<double>(predictions);
    return e;
}
int TrainingRun::threadsPerWorker() const {
    return impl_->workerThreads;
}
void TrainingRun::setThreadsPerWorker(int threads) {
    impl_->workerThreads = std::max(1, threads);
}

std::int64_t TrainingRun::stageParameterBytes(int stage) const {
    if (stage < 0 || stage >= impl_->S || impl_->stages[stage]->versions.empty()) return 0;
    std::int64_t n = 0;
    for (const PartParams& p : impl_->stages[stage]->versions.begin()->second)
        n += model::bytesOf(p);
    return n;
}

std::vector<float> TrainingRun::parameters(int part, int version) const {
    const auto all = RuntimeAccess::versions(*this, part);
    if (all.empty()) return {};
    if (version < 0) version = impl_->stages[impl_->stageOfPart(part)]->newest;
    auto it = all.find(version);
    return it == all.end() ? std::vector<float>{} : model::flatten(it->second);
}

void TrainingRun::setKeepAllVersions(bool keep) {
    impl_->keepAll = keep;
    if (keep)
        for (auto& st : impl_->stages) st->archive = st->versions;
}

void TrainingRun::setClock(std::function<std::chrono::steady_clock::time_point()> now) {
    if (now) impl_->now = std::move(now);
}

std::vector<BackwardRecord> RuntimeAccess::backwardRecords(const TrainingRun& run) {
    std::vector<BackwardRecord> out;
    for (const auto& st : run.impl_->stages)
        out.insert(out.end(), st->records.begin(), st->records.end());
    return out;
}

std::map<int, model::PartParams> RuntimeAccess::versions(const TrainingRun& run, int part) {
    const auto& d = *run.impl_;
    std::map<int, model::PartParams> out;
    if (part < 0 || part >= d.S * d.V) return out;
    const StageState& st = *d.stages[d.stageOfPart(part)];
    const int c = d.chunkOfPart(part);
    for (const auto& [v, params] : st.versions) out[v] = params[c];
    for (const auto& [v, params] : st.archive) out[v] = params[c];
    return out;
}

const model::ModelSpec& RuntimeAccess::spec(const TrainingRun& run) {
    return run.impl_->spec;
}

}  // namespace pd
