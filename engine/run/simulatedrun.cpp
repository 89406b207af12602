#include "engine/run/simulatedrun.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine/config/report.h"
#include "engine/run/comparison.h"
#include "engine/schedule/schedule.h"
#include "engine/schedule/slotgrid.h"

namespace pd {

namespace {

enum class Kind { Slot, Memory, Version, Batch };

struct Emission {
    double t = 0.0;  // simulator units
    Kind kind = Kind::Slot;
    std::size_t index = 0;
    int gate = -1;  // slot of the action that caused it (slotgrid.h); -1: before any
};

std::int64_t toUs(double units) {
    return static_cast<std::int64_t>(std::llround(units * 1000.0));
}

}  // namespace

struct SimulatedRun::Impl {
    EventSink& sink;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<VersionEvent> versions;
    std::vector<BatchEvent> batches;
    std::vector<Emission> order;
    double makespan = 0.0;
    SlotGrid grid;
    std::vector<std::size_t> emittedPerStage;  // slot events emitted, per stage

    mutable std::mutex mutex;
    std::condition_variable cv;
    bool pausedFlag = false;
    bool cancelFlag = false;
    bool done = false;
    int frontier = 0;      // while paused: emissions whose slot is below it may go
    std::size_t next = 0;  // next emission
    std::thread worker;

    explicit Impl(EventSink& s) : sink(s) {}

    void build(const RunOptions& options);
    void loop();
    bool mayEmit(const Emission& e) const {  // mutex held
        return !pausedFlag || e.gate < frontier;
    }
    int pausedFrontier() const { return grid.frontier(emittedPerStage); }
    void emit(const Emission& e) {
        switch (e.kind) {
            case Kind::Slot:
                sink.onSlot(slots[e.index]);
                break;
            case Kind::Memory:
                sink.onMemory(memory[e.index]);
                break;
            case Kind::Version:
                sink.onVersion(versions[e.index]);
                break;
            case Kind::Batch:
                sink.onBatch(batches[e.index]);
                break;
        }
    }
};

void SimulatedRun::Impl::build(const RunOptions& options) {
    const DryRun run = makeDryRun(options);  // throws ConfigError
    const ScheduleConfig& c = run.options.schedule;
    const int S = c.stages;
    makespan = run.timeline.makespan;
    grid = slotGrid(run.schedule, run.timeline);
    emittedPerStage.assign(static_cast<std::size_t>(S), 0);
    int gate = -1;  // of the action being swept

    // Memory estimates from the model shape (comparison.h: stageMemory).
    std::vector<StageMemory> stageMem;
    for (int s = 0; s < S; ++s) stageMem.push_back(stageMemory(options, s));

    // Sweep the actions in time order, stage by stage state.
    std::vector<const TimedAction*> byEnd;
    for (const TimedAction& t : run.timeline.actions) byEnd.push_back(&t);
    std::stable_sort(byEnd.begin(), byEnd.end(),
                     [](const TimedAction* a, const TimedAction* b) { return a->end < b->end; });
    std::vector<int> current(static_cast<std::size_t>(S), 0);
    std::vector<int> inFlight(static_cast<std::size_t>(S), 0);
    // Per stage: stream (batch, microbatch, chunk) -> version its forward read.
    std::vector<std::map<std::tuple<int, int, int>, int>> stash(static_cast<std::size_t>(S));
    std::map<int, double> batchEnd;
    std::map<int, std::vector<int>> batchFirstVersion;
    for (const TimedAction& t : run.timeline.actions) {
        batchEnd[t.action.batch] = std::max(batchEnd[t.action.batch], t.end);
        auto& v = batchFirstVersion[t.action.batch];
        if (v.empty()) v.assign(static_cast<std::size_t>(S), std::numeric_limits<int>::max());
        if (t.action.op == Op::F)
            v[static_cast<std::size_t>(t.stage)] =
                std::min(v[static_cast<std::size_t>(t.stage)], t.action.version);
    }

    auto stashedOf = [&](int s) {
        std::set<int> held;
        for (const auto& [key, version] : stash[static_cast<std::size_t>(s)])
            if (version != current[static_cast<std::size_t>(s)]) held.insert(version);
        return std::vector<int>(held.begin(), held.end());
    };
    auto pushVersion = [&](int s, double t) {
        VersionEvent v;
        v.stage = s;
        v.version = current[static_cast<std::size_t>(s)];
        v.stashed = stashedOf(s);
        v.timeUs = toUs(t);
        versions.push_back(v);
        order.push_back({t, Kind::Version, versions.size() - 1, gate});
    };
    auto pushMemory = [&](int s, double t) {
        MemoryEvent m;
        m.stage = s;
        m.timeUs = toUs(t);
        m.activationsInFlight = inFlight[static_cast<std::size_t>(s)];
        const auto held = stashedOf(s);
        m.versionsHeld = 1 + static_cast<int>(held.size());
        const StageMemory& bytes = stageMem[static_cast<std::size_t>(s)];
        m.activationBytes =
            static_cast<std::int64_t>(m.activationsInFlight * bytes.keptPerMicrobatch);
        m.stashBytes =
            static_cast<std::int64_t>(static_cast<double>(held.size()) * bytes.versionBytes);
        memory.push_back(m);
        order.push_back({t, Kind::Memory, memory.size() - 1, gate});
    };

    for (int s = 0; s < S; ++s) pushVersion(s, 0.0);
    std::set<int> batchesDone;
    for (const TimedAction* t : byEnd) {
        const Action& a = t->action;
        const int s = t->stage;
        const auto k = static_cast<std::size_t>(t - run.timeline.actions.data()) -
                       run.timeline.stageBegin[static_cast<std::size_t>(s)];
        gate = grid.gate[static_cast<std::size_t>(s)][k];
        slots.push_back(slotEvent(s, a, toUs(t->start), toUs(t->end)));
        order.push_back({t->end, Kind::Slot, slots.size() - 1, gate});
        const auto key = std::make_tuple(a.batch, a.microbatch, a.chunk);
        auto& st = stash[static_cast<std::size_t>(s)];
        switch (a.op) {
            case Op::F:
                ++inFlight[static_cast<std::size_t>(s)];
                st[key] = a.version;
                pushMemory(s, t->end);
                break;
            // A microbatch holds its activations until its weight gradient
            // is made: at B, or at W where the backward is split.
            case Op::B:
            case Op::W: {
                --inFlight[static_cast<std::size_t>(s)];
                const bool changed = st.erase(key) > 0;
                pushMemory(s, t->end);
                if (changed && !isFlushKind(c.kind)) pushVersion(s, t->end);
                break;
            }
            case Op::I:
                break;
            case Op::U:
                current[static_cast<std::size_t>(s)] = a.version;
                pushVersion(s, t->end);
                pushMemory(s, t->end);
                break;
        }
        // A batch is done when its last action anywhere ended.
        auto end = batchEnd.find(a.batch);
        if (end != batchEnd.end() && t->end >= end->second && !batchesDone.count(a.batch)) {
            batchesDone.insert(a.batch);
            BatchEvent b;
            b.batch = a.batch;
            b.loss = std::numeric_limits<double>::quiet_NaN();  // no training in a simulation
            b.versionUsed = batchFirstVersion[a.batch];
            for (int& v : b.versionUsed)
                if (v == std::numeric_limits<int>::max()) v = 0;
            b.versionAfter = current;
            b.timeUs = toUs(t->end);
            batches.push_back(b);
            order.push_back({t->end, Kind::Batch, batches.size() - 1, gate});
        }
    }
    // By slot first, so that a paused run emits exactly the slots it was
    // stepped through; by time within a slot.
    std::stable_sort(order.begin(), order.end(), [](const Emission& a, const Emission& b) {
        return a.gate != b.gate ? a.gate < b.gate : a.t < b.t;
    });
}

void SimulatedRun::Impl::loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (next < order.size() && !cancelFlag) {
        const Emission e = order[next];
        if (!mayEmit(e)) {
            cv.wait(lock);
            continue;
        }
        ++next;
        if (e.kind == Kind::Slot) ++emittedPerStage[static_cast<std::size_t>(slots[e.index].stage)];
        lock.unlock();
        emit(e);  // outside the lock: the sink takes its own
        lock.lock();
    }
    const bool cancelled = cancelFlag;
    lock.unlock();
    RunSummary summary;
    summary.cancelled = cancelled;
    summary.timeUs = toUs(cancelled ? 0.0 : makespan);
    summary.batchesDone = static_cast<int>(
        std::count_if(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(next),
                      [](const Emission& x) { return x.kind == Kind::Batch; }));
    if (!cancelled) sink.onFinished(summary);
    lock.lock();
    done = true;
    cv.notify_all();
}

SimulatedRun::SimulatedRun(const RunOptions& options, EventSink& sink)
    : impl_(std::make_unique<Impl>(sink)) {
    impl_->build(options);
}

SimulatedRun::~SimulatedRun() {
    cancel();
}

void SimulatedRun::start() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->worker.joinable() || impl_->done) return;
    impl_->worker = std::thread([this] { impl_->loop(); });
}

void SimulatedRun::pause() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->pausedFlag) return;
    impl_->pausedFlag = true;
    impl_->frontier = impl_->pausedFrontier();
}

void SimulatedRun::resume() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->pausedFlag = false;
    impl_->cv.notify_all();
}

void SimulatedRun::stepSlot() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl& d = *impl_;
    if (!d.pausedFlag) return;
    d.frontier = d.grid.afterStepSlot(d.frontier, d.pausedFrontier());
    d.cv.notify_all();
}

void SimulatedRun::stepBatch() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl& d = *impl_;
    if (!d.pausedFlag) return;
    d.frontier = d.grid.afterStepBatch(d.frontier, d.pausedFrontier());
    d.cv.notify_all();
}

void SimulatedRun::cancel() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->cancelFlag = true;
        impl_->cv.notify_all();
    }
    if (impl_->worker.joinable()) impl_->worker.join();
}

bool SimulatedRun::paused() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->pausedFlag;
}

bool SimulatedRun::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    if (!impl_->worker.joinable() && !impl_->done) return false;
    const auto pred = [this] { return impl_->done; };
    if (timeout == std::chrono::milliseconds::max()) {
        impl_->cv.wait(lock, pred);
        return true;
    }
    return impl_->cv.wait_for(lock, timeout, pred);
}

bool SimulatedRun::finished() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->done;
}

}  // namespace pd
