#include "ui/model/runsession.h"

#include "engine/config/resources.h"
#include "engine/distributed/distributed.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runwalker.h"

namespace pd {

RunSession::RunSession(EngineController& controller, RunModel& model, QObject* parent)
    : QObject(parent), controller_(controller), model_(model) {
    walker_ = new RunWalker(
        model_, controller_, [this] { restart(); }, this);
    restartTimer_.setSingleShot(true);
    restartTimer_.setInterval(350);
    connect(&restartTimer_, &QTimer::timeout, this, &RunSession::restart);
}

bool RunSession::check(const RunOptions& options, RunResult& next, QString* problem) const {
    if (!prepareRun(options, next, problem)) return false;
    // A real run that cannot fit is refused before anything is built.
    try {
        if (EngineController::engineAvailable() && !controller_.preferSimulated())
            checkRunMemory(next.options);
    } catch (const ConfigError& e) {
        *problem = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

void RunSession::configure(const RunOptions& options) {
    if (show(options)) restartTimer_.start();
}

void RunSession::preview(const RunOptions& options) {
    restartTimer_.stop();
    show(options);
}

bool RunSession::show(const RunOptions& options) {
    RunResult next;
    QString problem;
    valid_ = check(options, next, &problem);
    if (!valid_) {
        showInvalid(problem);
        return false;
    }
    controller_.cancel();
    Q_EMIT replacingRun();
    options_ = next.options;
    prepared_ = next;
    Q_EMIT scheduled(next.ideal);
    model_.reset(std::move(next), RunModel::Source::Schedule);
    return true;
}

// Nothing stale stays on screen: the model empties before `invalid` says why.
void RunSession::showInvalid(const QString& problem) {
    restartTimer_.stop();
    prepared_.reset();
    walker_->setPlaying(false);
    controller_.cancel();
    Q_EMIT replacingRun();
    model_.reset(RunResult{}, RunModel::Source::Schedule);
    Q_EMIT invalid(problem);
}

void RunSession::restart() {
    restartTimer_.stop();
    if (!valid_) return;
    const bool play = model_.playing();
    RunResult prepared;
    QString problem;
    bool ready = true;
    if (prepared_) {  // the schedule on screen: not generated and simulated again
        prepared = std::move(*prepared_);
        prepared_.reset();
    } else {
        ready = prepareRun(options_, prepared, &problem);
    }
    // Paused at t0 unless the user was playing: the first start shows the
    // schedule before anything runs.
    if (!ready || !controller_.start(options_, &problem, !play)) {
        showInvalid(problem);
        return;
    }
    if (controller_.distributed())  // local processes: every rank on this machine
        for (int s = 0; s < prepared.stageNames.size(); ++s)
            prepared.stageHosts << QString::fromStdString(hostName());
    Q_EMIT replacingRun();
    model_.reset(std::move(prepared),
                 controller_.simulated() ? RunModel::Source::Simulated : RunModel::Source::Live);
    if (play) model_.setPlaying(true);
    Q_EMIT started();
}

std::optional<RunSession::Opened> RunSession::open(const QString& path, const RunOptions& base) {
    RunResult opened;
    Opened said;
    QString problem;
    if (!loadRunFile(path, base, opened, &said.id, &problem)) {
        Q_EMIT openFailed(path, problem);
        return std::nullopt;
    }
    restartTimer_.stop();
    walker_->setPlaying(false);
    controller_.cancelComparison();
    controller_.cancel();
    Q_EMIT replacingRun();  // an opened run ends any wait for ranks
    said.options = opened.options;
    said.unrecorded = opened.unrecorded;
    adopt(said.options, opened.ideal);
    model_.load(std::move(opened), RunModel::Source::File, said.id.complete);
    return said;
}

void RunSession::adopt(const RunOptions& options, const DryRun& ideal) {
    valid_ = true;
    options_ = options;
    prepared_.reset();
    Q_EMIT adopted(options);
    Q_EMIT scheduled(ideal);
}

}  // namespace pd
