#include "ui/window/cutflow.h"

#include <QAction>
#include <QComboBox>
#include <QSignalBlocker>
#include <QStatusBar>

#include "ui/model/enginecontroller.h"
#include "ui/model/layerprofiler.h"
#include "ui/model/runsession.h"
#include "ui/panels/controlspanel.h"
#include "ui/views/layerstrip.h"

namespace pd {

CutFlow::CutFlow(const Parts& parts, QWidget* window) : QObject(window), parts_(parts) {
    strip_ = new LayerStrip(window);
    strip_->setToolTip(
        tr("The model's layers, as wide as their cost, coloured by stage; drag a "
           "boundary to cut elsewhere"));
    connect(strip_, &LayerStrip::cutChanged, this,
            [this](const std::vector<int>& b) { cutMoved(b, false); });
    connect(strip_, &LayerStrip::cutCommitted, this,
            [this](const std::vector<int>& b) { cutMoved(b, true); });
    connect(parts_.session, &RunSession::scheduled, this, [this](const DryRun& ideal) {
        if (!strip_->isDragging()) show(ideal.options);
    });
    profiler_ = new LayerProfiler(this);
    profile_ = new QAction(tr("&Profile layers"), this);
    profile_->setStatusTip(
        tr("Measure every layer's forward, backward and update time and bytes on this machine; "
           "the layer strip, the ideal timeline and the partitioners then use them"));
    connect(profile_, &QAction::triggered, this, &CutFlow::profileLayers);
    connect(profiler_, &LayerProfiler::profiled, this, &CutFlow::adopt);
    connect(profiler_, &LayerProfiler::failed, this, [this](const QString& why) {
        profile_->setEnabled(true);
        if (parts_.statusBar) parts_.statusBar->showMessage(tr("No profile: %1").arg(why), 15000);
    });
}

void CutFlow::profileLayers() {
    RunOptions o = parts_.options();
    o.profile.reset();
    // Measured alone: a run on the same cores would slow every layer.
    parts_.session->cancelRestart();
    if (parts_.controller) parts_.controller->cancel();
    if (!profiler_->start(o)) return;
    profile_->setEnabled(false);
    if (parts_.statusBar)
        parts_.statusBar->showMessage(
            tr("Measuring %1 layers (a few seconds)...").arg(partitionableLayers(o)));
}

void CutFlow::adopt(const LayerProfile& profile, double seconds) {
    profile_->setEnabled(true);
    RunOptions o = parts_.options();
    try {
        adoptProfile(o, profile);
    } catch (const std::exception& e) {  // the controls changed while it measured
        if (parts_.statusBar)
            parts_.statusBar->showMessage(tr("Profile not used: %1").arg(e.what()), 15000);
        return;
    }
    parts_.session->setBase(o);
    parts_.session->configure(parts_.options());
    if (parts_.statusBar)
        parts_.statusBar->showMessage(
            tr("Profiled %1 layers in %2 s: the strip, the ideal timeline and the partitioners "
               "use their measured costs")
                .arg(profile.layers.size())
                .arg(seconds, 0, 'f', 1),
            15000);
}

void CutFlow::show(const RunOptions& o) {
    std::vector<QString> names;
    for (const std::string& n : layerNames(o)) names.push_back(QString::fromStdString(n));
    std::vector<LayerCost> costs;
    try {
        costs = layerCosts(o);
        strip_->setLayers(std::move(names), std::move(costs),
                          o.profile ? QStringLiteral("ms") : QString());
        strip_->setCut(boundariesOf(layerSplit(o)), o.schedule.parts(), o.schedule.stages);
    } catch (const std::exception&) {
        strip_->setLayers({}, {}, QString());  // sizes that do not cut: the strip says so
    }
}

RunOptions CutFlow::withCut(const std::vector<int>& boundaries) const {
    RunOptions o = parts_.options();
    o.partition = "split";
    o.split = boundaries;
    if (o.split == boundariesOf(splitLayers(partitionableLayers(o), o.schedule.parts())))
        o.split.clear();
    return o;
}

void CutFlow::cutMoved(const std::vector<int>& boundaries, bool committed) {
    if (parts_.showTime) parts_.showTime();
    const RunOptions o = withCut(boundaries);
    {
        // The chooser says the cut is the user's own, without a change of its own.
        QComboBox* chooser = parts_.controls->partitionCombo();
        const QSignalBlocker block(chooser);
        chooser->setCurrentIndex(chooser->findData(QStringLiteral("split")));
    }
    parts_.session->setBase(o);
    if (committed)
        parts_.session->configure(o);
    else
        parts_.session->preview(o);
}

}  // namespace pd
