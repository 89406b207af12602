#include "ui/model/runmodel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

namespace pd {

namespace {

// Each stage's actions in execution order (the order they map onto the
// grid), ties kept in file order. Sorted through 4-byte indices and then
// permuted in place: a stable sort of the 48-byte events themselves takes a
// buffer of half of them (24 MB at a million).
void sortByStageAndStart(std::vector<SlotEvent>& slots) {
    auto before = [](const SlotEvent& a, const SlotEvent& b) {
        return a.stage != b.stage ? a.stage < b.stage : a.startUs < b.startUs;
    };
    if (std::is_sorted(slots.begin(), slots.end(), before)) return;
    if (slots.size() > std::numeric_limits<std::uint32_t>::max()) {
        std::stable_sort(slots.begin(), slots.end(), before);
        return;
    }
    std::vector<std::uint32_t> order(slots.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return before(slots[a], slots[b]); });
    // slots[j] = old slots[order[j]], one cycle of the permutation at a time;
    // order[j] = j marks a place done.
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        if (order[i] == i) continue;
        const SlotEvent first = slots[i];
        std::uint32_t j = i;
        while (order[j] != i) {
            const std::uint32_t k = order[j];
            slots[j] = slots[k];
            order[j] = j;
            j = k;
        }
        slots[j] = first;
        order[j] = j;
    }
}

}  // namespace

RunModel::RunModel(QObject* parent) : QObject(parent) {
    connect(&timer_, &QTimer::timeout, this, &RunModel::tick);
    setPace(pace_);
}

void RunModel::reset(RunResult prepared, Source source) {
    prepared.slots.clear();
    prepared.memory.clear();
    prepared.batches.clear();
    prepared.versions.clear();
    run_ = std::move(prepared);
    run_.measured = false;
    source_ = source;
    DryRun& ideal = run_.ideal;
    // Slots are the schedule's steps under the default costs (the engine
    // steps by them); a cut's own part costs move the boxes in time only.
    grid_ = ideal.schedule.stages.empty() ? SlotGrid{}
            : ideal.partCosts.empty()     ? slotGrid(ideal.schedule, ideal.timeline)
                                          : slotGrid(ideal.schedule);
    msPerUnit_ = 1.0;
    // Kept once, as the ideal boxes: release the lists, each as soon as it
    // is not needed (a million actions take 25 MB as the schedule).
    std::vector<std::vector<Action>>().swap(ideal.schedule.stages);
    fillIdeal(idealBoxes_, ideal.timeline, grid_, msPerUnit_);
    std::vector<TimedAction>().swap(ideal.timeline.actions);
    std::vector<std::size_t>().swap(ideal.timeline.stageBegin);
    for (auto* lists : {&grid_.start, &grid_.end, &grid_.gate})
        std::vector<std::vector<int>>().swap(*lists);
    const int S = idealBoxes_.lanes();
    std::vector<std::size_t> sizes;
    for (int s = 0; s < S; ++s) sizes.push_back(idealBoxes_.lane(s).size());
    measured_.reset(S, sizes);
    figures_ = RunFigures(S, run_.options.schedule.chunks);
    memory_.clear();
    batches_.clear();
    evaluations_.clear();
    arrived_.assign(static_cast<std::size_t>(S), 0);
    summary_ = {};
    error_.clear();
    finished_ = source == Source::Schedule;
    cursor_ = 0;
    requested_ = 0;
    walkers_.clear();
    walked_ = nullptr;
    updateFrontier();
    Q_EMIT modelReset();
    Q_EMIT figuresChanged(AllFigures);
    Q_EMIT cursorMoved(cursor_);
}

void RunModel::load(RunResult&& run, Source source, bool complete) {
    std::vector<SlotEvent> slots = std::move(run.slots);
    std::vector<MemoryEvent> memory = std::move(run.memory);
    reset(std::move(run), source);
    sortByStageAndStart(slots);
    appendSlots(slots);
    appendMemory(memory);
    finished_ = complete;
    summary_.cancelled = !complete;
    updateFrontier();
    setCursor(frontier_);
}

void RunModel::appendSlots(const std::vector<SlotEvent>& events) {
    for (const SlotEvent& e : events) {
        if (e.stage < 0 || e.stage >= static_cast<int>(arrived_.size())) continue;
        const auto s = static_cast<std::size_t>(e.stage);
        TimelineBox b = toBox(e);
        const std::size_t k = arrived_[s]++;
        const auto& ideal = idealBoxes_.lane(e.stage);
        if (k < ideal.size()) {  // the k-th action of the stage: its place on the grid
            b.slot0 = ideal[k].slot0;
            b.slot1 = ideal[k].slot1;
            b.gate = ideal[k].gate;
        } else {  // more than the schedule has: keep it after the end
            b.slot0 = b.slot1 = b.gate = grid_.slots;
        }
        measured_.append(b);
        figures_.addSlot(e);
    }
    if (events.empty()) return;
    rescaleIdeal();
    updateFrontier();
    Q_EMIT appended();
    Q_EMIT figuresChanged(TimingFigures);
}

void RunModel::appendMemory(const std::vector<MemoryEvent>& events) {
    if (events.empty()) return;
    memory_.insert(memory_.end(), events.begin(), events.end());
    for (const MemoryEvent& e : events) figures_.addMemory(e);
    Q_EMIT figuresChanged(MemoryFigures);
}

void RunModel::appendBatches(const std::vector<BatchEvent>& events) {
    if (events.empty()) return;
    batches_.insert(batches_.end(), events.begin(), events.end());
    Q_EMIT appended();
    Q_EMIT figuresChanged(LossFigures);
}

void RunModel::appendEvaluations(const std::vector<EvaluationEvent>& events) {
    if (events.empty()) return;
    evaluations_.insert(evaluations_.end(), events.begin(), events.end());
    Q_EMIT figuresChanged(LossFigures);
}

void RunModel::finish(const RunSummary& summary) {
    summary_ = summary;
    finished_ = true;
    updateFrontier();
    Q_EMIT runFinished();
}

void RunModel::fail(const QString& message) {
    error_ = message;
    Q_EMIT runFailed(message);
}

// Once real forwards are measured, the ideal timeline is drawn in their
// scale (one unit = the mean measured forward of a stage); redrawn only
// when the scale moved by more than 5 %.
void RunModel::rescaleIdeal() {
    const double scale = figures_.msPerUnit();
    if (!(scale > 0.0) || std::abs(scale - msPerUnit_) <= 0.05 * msPerUnit_) return;
    idealBoxes_.rescale(scale / msPerUnit_);
    msPerUnit_ = scale;
}

int RunModel::nextGate(std::size_t stage) const {
    const auto& lane = idealBoxes_.lane(static_cast<int>(stage));
    const std::size_t k = arrived_[stage];
    return k < lane.size() ? lane[k].gate : grid_.slots;
}

void RunModel::updateFrontier() {
    int f = grid_.slots;
    for (std::size_t s = 0; s < arrived_.size(); ++s) f = std::min(f, nextGate(s));
    frontier_ = finished_ && !summary_.cancelled ? grid_.slots : f;
    moveCursor(std::min(requested_, frontier_));
}

void RunModel::moveCursor(int slot) {
    if (slot == cursor_) return;
    cursor_ = slot;
    Q_EMIT cursorMoved(cursor_);
}

void RunModel::setCursor(int slot) {
    requested_ = std::clamp(slot, 0, frontier_);
    moveCursor(requested_);
}

void RunModel::requestCursor(int slot) {
    requested_ = std::clamp(slot, 0, grid_.slots);
    moveCursor(std::min(requested_, frontier_));
}

double RunModel::cursorX(TimeBase base) const {
    switch (base) {
        case TimeBase::Slots:
            return cursor_;
        case TimeBase::Ideal:
            return cursor_ * grid_.unit * msPerUnit_;
        case TimeBase::Measured:
            break;
    }
    double x = 0.0;
    for (int s = 0; s < measured_.lanes(); ++s) {
        const std::size_t n = measured_.revealedCount(s, cursor_);
        if (n > 0) x = std::max(x, measured_.lane(s)[n - 1].end);
    }
    return x;
}

std::vector<StageSnapshot> RunModel::stateAtCursor() const {
    // The ideal boxes when nothing was recorded: the schedule shows its state too.
    const TimelineData& data = measured_.empty() ? idealBoxes_ : measured_;
    if (walked_ != &data || walkers_.size() != static_cast<std::size_t>(data.lanes())) {
        walkers_.assign(static_cast<std::size_t>(data.lanes()), StageWalker{});
        walked_ = &data;
    }
    std::vector<StageSnapshot> out;
    for (int s = 0; s < data.lanes(); ++s) {
        const auto& lane = data.lane(s);
        const std::size_t n = data.revealedCount(s, cursor_);
        StageWalker& w = walkers_[static_cast<std::size_t>(s)];
        if (w.count() > n) w = StageWalker{};
        for (std::size_t k = w.count(); k < n; ++k) w.add(lane[k]);
        out.push_back(w.snapshot());
    }
    return out;
}

int RunModel::batchesAtCursor() const {
    int n = 0;
    for (int end : grid_.batchEnd)
        if (end <= cursor_) ++n;
    return n;
}

std::vector<SlotEvent> RunModel::slotEvents() const {
    const TimelineData& data = measured_.empty() ? idealBoxes_ : measured_;
    const double usPerMs = 1000.0 / (measured_.empty() ? msPerUnit_ : 1.0);
    std::vector<SlotEvent> out;
    out.reserve(data.size());
    for (int s = 0; s < data.lanes(); ++s)
        for (const TimelineBox& b : data.lane(s)) {
            SlotEvent e;
            e.batch = b.batch;
            e.stage = b.stage;
            e.microbatch = b.microbatch;
            e.op = b.op;
            e.chunk = b.chunk;
            e.version = b.version;
            e.startUs = std::llround(b.start * usPerMs);
            e.endUs = std::llround(b.end * usPerMs);
            e.mismatch = b.mismatch;
            out.push_back(e);
        }
    std::stable_sort(out.begin(), out.end(),
                     [](const SlotEvent& a, const SlotEvent& b) { return a.startUs < b.startUs; });
    return out;
}

RunRecord RunModel::record() const {
    RunRecord r;
    for (const QString& n : run_.stageNames) r.stageNames.push_back(n.toStdString());
    for (const QString& h : run_.stageHosts) r.stageHosts.push_back(h.toStdString());
    r.slots = slotEvents();
    r.memory = memory_;
    if (measured()) {
        r.status = !error_.isEmpty()                  ? "failed"
                   : finished_ && !summary_.cancelled ? "completed"
                                                      : "cancelled";
        r.statusMessage = error_.toStdString();
    }
    // The run's flags, where they are known: a run of this window, or a file
    // that recorded them (an opened CSV does not: its defaults are guesses).
    if (run_.unrecorded.isEmpty()) r.runArgs = toArgs(run_.options);
    return r;
}

void RunModel::setPlaying(bool on) {
    if (on == playing()) return;
    if (on) {
        if (cursor_ >= grid_.slots) setCursor(0);  // play again from the start
        timer_.start();
    } else {
        timer_.stop();
    }
    Q_EMIT playingChanged(on);
}

void RunModel::setPace(double slotsPerSecond) {
    pace_ = std::max(0.1, slotsPerSecond);
    // At most about 30 cursor moves a second; faster paces take bigger steps.
    timer_.setInterval(static_cast<int>(std::max(33.0, 1000.0 / pace_)));
}

void RunModel::tick() {
    const int step = std::max(1, static_cast<int>(std::lround(pace_ * timer_.interval() / 1000.0)));
    if (cursor_ < frontier_) {
        requestCursor(std::min(frontier_, cursor_ + step));
    } else if (finished_ || !error_.isEmpty()) {
        setPlaying(false);  // the end of a run: nothing more will come
    }
}

}  // namespace pd
