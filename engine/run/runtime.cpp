// The pipeline runtime: one worker thread per stage executes its action list
// from generateSchedule() exactly, with real weight versions (immutable
// parameter tensors per version, kept alive exactly as long as a later action
// of the stage reads them), keyed bounded channels between stages, per-slot
// events from a steady clock (CUDA events on a GPU), and control at action
// boundaries. This file: the worker loop, the run's end, and the TrainingRun
// API; the other roles are in runtimeimpl.h's list of files.
#include "engine/run/runtime.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "engine/run/runtimeimpl.h"

namespace pd {

using namespace runtimedetail;
using model::PartParams;
using torch::Tensor;

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
        waitForTimeZero();
        reportVersions(st);
        reportMemory(st);
        const auto& actions = schedule.stages[s];
        for (std::size_t i = 0; i < actions.size(); ++i) {
            std::int64_t held = 0;
            if (!gate(s, i, &held)) break;
            st.clock.heldAtGate(held);
            runAction(st, i, actions[i]);
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
    markDone(s);
    finishWorker();
}

void TrainingRun::Impl::markDone(int s) {
    std::lock_guard<std::mutex> lock(controlMutex);
    workerDone[s] = 1;
    controlCv.notify_all();
}

// One action past its gate: its message received, the action executed and
// timed, its message sent once it finished, its slot and what changed after
// it reported.
void TrainingRun::Impl::runAction(StageState& st, std::size_t i, const Action& a) {
    const std::int64_t waitFrom = realUs();
    MessageStamp stamp;
    const Tensor in = receive(st, a, &stamp);
    if (in.defined()) st.clock.received(waitFrom, realUs(), stamp);
    std::int64_t begin = slotStart(st);
    Outgoing out = execute(st, a, in);
    std::int64_t end = slotFinish(st, &begin);
    if (out.box) out.box->put(out.key, std::move(out.tensor), st.clock.stamp(end), stop);
    if (out.remoteStage >= 0)
        transport->send(out.remoteStage, out.tag, out.tensor, st.clock.stamp(end));
    begin = st.clock.training(begin);
    end = st.clock.training(end);
    for (std::int64_t last = lastEndUs.load();
         end > last && !lastEndUs.compare_exchange_weak(last, end);) {
    }
    const SlotEvent e = slotEvent(st.index, a, begin, end);
    sink.onSlot(e);
    afterAction(st, i, a);
}

void TrainingRun::Impl::fail(int stage, const std::string& message) {
    {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (errorSent || stop) return;  // the first error wins; later ones are consequences
        errorSent = true;
        failed = true;
        try {
            sink.onError(stage < 0 ? message : "stage " + std::to_string(stage) + ": " + message);
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
    if (evaluatorThread.get_id() == self) return;
    for (auto& st : stages)
        if (st->thread.joinable()) st->thread.join();
    if (evaluatorThread.joinable()) evaluatorThread.join();
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
        d.running = d.localCount() + (d.evalAfter.empty() ? 0 : 1);
    }
    keepFreedMemoryMapped();
    at::set_num_threads(d.workerThreads);
    setBlasThreads(d.workerThreads);
    d.t0 = d.now();
    {
        std::lock_guard<std::mutex> lock(d.controlMutex);
        d.warming = d.localCount();
        d.rehoming = d.localCount();
        d.evalFrontier = d.evalFrontierOf(0);
    }
    for (int s = 0; s < d.S; ++s)
        if (d.isLocal(s)) d.stages[s]->thread = std::thread([&d, s] { d.worker(s); });
    if (!d.evalAfter.empty()) d.evaluatorThread = std::thread([&d] { d.evaluator(); });
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
    if (d.transport) throw std::logic_error("evaluation needs every stage in this process");
    {
        std::lock_guard<std::mutex> lock(d.finishMutex);
        if (d.started && !d.finishedFlag)
            throw std::logic_error("evaluation while the run is running");
    }
    return d.evaluateNewest(maxSamples);
}
int TrainingRun::threadsPerWorker() const {
    return impl_->workerThreads;
}
void TrainingRun::setThreadsPerWorker(int threads) {
    impl_->workerThreads = std::max(1, threads);
}

std::int64_t TrainingRun::stageParameterBytes(int stage) const {
    if (stage < 0 || stage >= impl_->S) return 0;
    const auto& held = impl_->stages[stage]->weights.held();
    if (held.empty()) return 0;
    std::int64_t n = 0;
    for (const PartParams& p : held.begin()->second) n += model::bytesOf(p);
    return n;
}

std::vector<float> TrainingRun::parameters(int part, int version) const {
    const auto all = RuntimeAccess::versions(*this, part);
    if (all.empty()) return {};
    if (version < 0) version = impl_->stages[impl_->stageOfPart(part)]->weights.newest();
    auto it = all.find(version);
    return it == all.end() ? std::vector<float>{} : model::flatten(it->second);
}

void TrainingRun::setKeepAllVersions(bool keep) {
    impl_->keepAll = keep;
    for (auto& st : impl_->stages) st->weights.setKeepAll(keep);
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
    for (const auto& [v, params] : st.weights.held()) out[v] = params[c];
    for (const auto& [v, params] : st.weights.archive()) out[v] = params[c];
    return out;
}

const model::ModelSpec& RuntimeAccess::spec(const TrainingRun& run) {
    return run.impl_->spec;
}

}  // namespace pd
