#include "ui/window/cutflow.h"

#include <QComboBox>
#include <QSignalBlocker>

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
