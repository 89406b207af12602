#include "runexport.h"

#include <QFileDialog>
#include <QFileInfo>

#include "chartspanel.h"
#include "exporter.h"
#include "runmodel.h"
#include "settings.h"
#include "timelineplot.h"
#include "trace.h"

namespace pd {

QString RunExport::title(const QString& timeBase) const {
    const ScheduleConfig& c = model_.options().schedule;
    const QString source = model_.source() == RunModel::Source::File
                               ? QFileInfo(model_.sourceFile()).fileName()
                           : model_.measured() ? tr("measured run")
                                               : tr("simulated schedule");
    return tr("%1 \u2014 S=%2 stages, M=%3 microbatches, %4 batches%5 \u2014 %6, %7")
        .arg(QString::fromUtf8(displayName(c.kind)))
        .arg(c.stages)
        .arg(c.microbatches)
        .arg(c.batches)
        .arg(c.chunks > 1 ? tr(", %1 chunks").arg(c.chunks) : QString())
        .arg(source, timeBase);
}

bool RunExport::timelineImage(const QString& path, const QSize& size, const QString& timeBase,
                              QString* error) const {
    // The title on screen (an opened file's) is kept; else one for the image.
    const QString shown = timeline_->title();
    if (shown.isEmpty()) timeline_->setTitle(title(timeBase));
    timeline_->wrapTitle(size.width());
    const bool ok = exportPlot(timeline_, path, size, error);
    if (shown.isEmpty()) timeline_->setTitle(QString());
    timeline_->wrapTitle(timeline_->width());
    return ok;
}

bool RunExport::chartsImage(const QString& path, const QSize& size, QString* error) const {
    charts_->showRun(model_);
    return exportStacked(charts_->runCharts(), path, size, error);
}

bool RunExport::csv(const QString& path, QString* error) const {
    return writeFileSafely(path, QByteArray::fromStdString(toCsv(model_.slotEvents())), error);
}

bool RunExport::trace(const QString& path, QString* error) const {
    return writeFileSafely(path, QByteArray::fromStdString(toChromeTrace(model_.record())), error);
}

QString RunExport::interactive(QWidget* parent, What what, const QString& timeBase,
                               bool* ok) const {
    *ok = false;
    const bool image = what != What::Csv && what != What::Trace;
    const QString filter = image               ? tr("Images (*.png *.svg *.pdf)")
                           : what == What::Csv ? tr("CSV (*.csv)")
                                               : tr("Chrome trace (*.json)");
    const QString suggested = what == What::Timeline ? QStringLiteral("timeline.png")
                              : what == What::Csv    ? QStringLiteral("run.csv")
                              : what == What::Trace  ? QStringLiteral("trace.json")
                                                     : QStringLiteral("charts.png");
    const QString path = QFileDialog::getSaveFileName(parent, tr("Export"), suggested, filter);
    if (path.isEmpty()) return {};
    QString error;
    if (image) {
        QWidget* source =
            what == What::Timeline ? static_cast<QWidget*>(timeline_) : charts_->currentWidget();
        QSize size;
        if (!askImageSize(parent, source->size(), &size)) return {};
        *ok = what == What::Timeline       ? timelineImage(path, size, timeBase, &error)
              : what == What::CurrentChart ? exportPlot(charts_->currentPlot(), path, size, &error)
                                           : chartsImage(path, size, &error);
    } else {
        *ok = what == What::Csv ? csv(path, &error) : trace(path, &error);
    }
    return *ok ? tr("Wrote %1").arg(path) : error;
}

}  // namespace pd
