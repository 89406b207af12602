#include "ui/model/runwalker.h"

#include <algorithm>

#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"

namespace pd {

RunWalker::RunWalker(RunModel& model, EngineController& engine, std::function<void()> restart,
                     QObject* parent)
    : QObject(parent), model_(model), engine_(engine), restart_(std::move(restart)) {}

void RunWalker::setPlaying(bool on) {
    model_.setPlaying(on);
    // The engine runs freely while playing (its times are real); paused, it
    // waits for the cursor so that stepping runs one slot at a time.
    if (on)
        engine_.resume();
    else
        engine_.pause();
}

void RunWalker::startIfNotRunning() {
    if (!model_.hasRun() || model_.source() == RunModel::Source::Schedule) restart_();
}

void RunWalker::playPause(bool canStart) {
    if (model_.playing()) {
        setPlaying(false);
        return;
    }
    if (!canStart && !model_.hasRun()) return;
    startIfNotRunning();
    setPlaying(true);
}

void RunWalker::stepForward() {
    if (!model_.hasRun()) return;
    setPlaying(false);
    startIfNotRunning();
    const int target = std::max(model_.cursor(), model_.requestedCursor()) + 1;
    model_.requestCursor(target);
    if (target > model_.frontier() && engine_.running()) engine_.stepSlot();
}

void RunWalker::stepBack() {
    setPlaying(false);
    model_.setCursor(model_.cursor() - 1);
}

void RunWalker::batchForward() {
    if (!model_.hasRun()) return;
    setPlaying(false);
    startIfNotRunning();
    const int target =
        model_.grid().nextBatchEnd(std::max(model_.cursor(), model_.requestedCursor()));
    model_.requestCursor(target);
    if (target > model_.frontier() && engine_.running()) engine_.stepBatch();
}

void RunWalker::batchBack() {
    setPlaying(false);
    model_.setCursor(model_.grid().previousBatchEnd(model_.cursor()));
}

void RunWalker::toStart() {
    setPlaying(false);
    model_.setCursor(0);
}

void RunWalker::toNewest() {
    setPlaying(false);
    model_.setCursor(model_.frontier());
}

void RunWalker::replay() {
    if (!model_.hasRun()) return;
    model_.setCursor(0);
    setPlaying(true);
}

}  // namespace pd
