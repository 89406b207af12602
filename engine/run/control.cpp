// Control at action boundaries: each stage's gate (an action passes at once
// unless the run is paused, where only the slots below the frontier may
// run), and the TrainingRun calls that pause, resume and step the run by
// moving that frontier.
#include "engine/run/runtimeimpl.h"

namespace pd {

// Passes once the action may run: at once unless paused, where only the
// slots below the frontier may. `heldUs`: how long a pause held it here.
bool TrainingRun::Impl::gate(int s, std::size_t i, std::int64_t* heldUs) {
    std::unique_lock<std::mutex> lock(controlMutex);
    const int slot = grid.gate[s][i];
    auto open = [&] {
        return stop.load() ||
               ((!pausedFlag || slot < frontier) && (evalFrontier < 0 || slot < evalFrontier));
    };
    *heldUs = 0;
    if (!open()) {
        const std::int64_t from = realUs();
        waitingAt[s] = static_cast<std::int64_t>(i);
        controlCv.notify_all();  // the evaluator waits for every stage to stand still
        controlCv.wait(lock, open);
        waitingAt[s] = -1;
        *heldUs = realUs() - from;
    }
    if (stop) return false;
    nextAction[s] = i + 1;
    return true;
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

}  // namespace pd
