#include "ui/panels/runstatus.h"

#include <QFileInfo>
#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>
#include <algorithm>

#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/views/charts.h"

namespace pd {

RunStatus::RunStatus(const RunModel& model, const EngineController& engine, QStatusBar* bar)
    : QObject(bar), model_(model), engine_(engine) {
    text_ = new QLabel(bar);
    origin_ = new QLabel(bar);
    progress_ = new QProgressBar(bar);
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(180);
    progress_->setToolTip(tr("Slots run so far"));
    // The run's line is a normal widget: a temporary message (export
    // written, file opened, run failed) takes its place for its time and the
    // line comes back; as a permanent widget it left the message no room.
    // Where the run came from and the progress stay in view.
    bar->addWidget(text_, 1);
    bar->addPermanentWidget(origin_);
    bar->addPermanentWidget(progress_);
}

void RunStatus::update(const QString& waiting) {
    const QString origin = this->origin();
    if (!model_.hasRun()) {
        text_->setText(waiting.isEmpty() ? tr("No run: the configuration is not valid") : waiting);
        // The waiting text already says where the window listens.
        origin_->setText(waiting.isEmpty() ? origin : QString());
        progress_->setValue(0);
        return;
    }
    const RunOptions& o = model_.options();
    QString text = tr("cursor at t%1 of %2  \u00B7  batch %3/%4 done")
                       .arg(model_.cursor())
                       .arg(countText(model_.slotCount(), tr("slot"), tr("slots")))
                       .arg(model_.batchesAtCursor())
                       .arg(o.schedule.batches);
    QStringList versions;
    for (const StageSnapshot& s : model_.stateAtCursor())
        versions << QStringLiteral("v%1").arg(s.newest);
    text += tr("  \u00B7  versions %1").arg(versions.join(QLatin1Char(' ')));
    const double secs = model_.figures().makespanUs() / 1e6;
    const int done = static_cast<int>(model_.batches().size());
    if (model_.source() == RunModel::Source::Live && done > 0 && secs > 0.0)
        text += tr("  \u00B7  %1 samples/s (training time, pauses excluded)")
                    .arg(done * o.batchSize / secs, 0, 'f', 1);
    text_->setText(text);
    origin_->setText(model_.source() == RunModel::Source::File
                         ? tr("run opened from %1").arg(QFileInfo(model_.sourceFile()).fileName())
                         : origin);
    const int slots = std::max(1, model_.slotCount());
    progress_->setValue(static_cast<int>(1000.0 * model_.frontier() / slots));
}

QString RunStatus::origin() const {
    const QString where =
        QStringLiteral("%1:%2").arg(engine_.listenHost()).arg(engine_.listenPort());
    if (engine_.listening()) return tr("listening on %1, waiting for ranks").arg(where);
    if (engine_.attached())
        return tr("attached run: %1, events on %2")
            .arg(countText(model_.stageNames().size(), tr("rank"), tr("ranks")), where);
    if (!EngineController::engineAvailable())
        return tr("simulated: no training engine in this build");
    if (engine_.preferSimulated()) return tr("simulated schedule (engine not used)");
    if (engine_.distributed())
        return tr("LibTorch engine, %1 (Gloo)")
            .arg(countText(model_.stageNames().size(), tr("local process"), tr("local processes")));
    return tr("LibTorch engine");
}

}  // namespace pd
