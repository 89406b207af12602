#include "ui/export/runexport.h"

#include <QFileDialog>
#include <QFileInfo>
#include <cstdio>

#include "engine/formats/trace.h"
#include "ui/export/exporter.h"
#include "ui/model/runmodel.h"
#include "ui/model/runresult.h"
#include "ui/model/settings.h"
#include "ui/panels/chartspanel.h"
#include "ui/views/timelineplot.h"

namespace pd {

namespace {

void printLine(std::FILE* stream, const QString& text) {
    std::fprintf(stream, "%s\n", printable(text.toStdString(), 4096).c_str());
    std::fflush(stream);
}

}  // namespace

QString RunExport::title(const QString& timeBase) const {
    const ScheduleConfig& c = model_.options().schedule;
    const QString source = model_.source() == RunModel::Source::File
                               ? QFileInfo(model_.sourceFile()).fileName()
                           : model_.measured() ? tr("measured run")
                                               : tr("simulated schedule");
    return tr("%1 \u2014 S=%2, M=%3, %4%5 \u2014 %6, %7")
        .arg(QString::fromUtf8(displayName(c.kind)), counted(c.stages, tr("stage"), tr("stages")),
             counted(c.microbatches, tr("microbatch"), tr("microbatches")),
             counted(c.batches, tr("batch"), tr("batches")),
             c.chunks > 1 ? tr(", %1 chunks").arg(c.chunks) : QString(), source, timeBase);
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

namespace pd {

RunOutputs::RunOutputs(const RunModel& model, const QString& csv, const QString& trace,
                       QObject* parent)
    : QObject(parent), model_(model), csv_(csv), trace_(trace) {}

QString RunOutputs::names() const {
    QStringList n;
    if (!csv_.isEmpty()) n << QStringLiteral("--csv ") + csv_;
    if (!trace_.isEmpty()) n << QStringLiteral("--trace ") + trace_;
    return n.join(tr(" and "));
}

void RunOutputs::modelReset() {
    if (!requested()) return;
    const bool started =
        model_.source() == RunModel::Source::Live || model_.source() == RunModel::Source::Simulated;
    if (state_ == State::Waiting && started)
        state_ = State::Running;
    else if (state_ == State::Running)
        abandon(tr("the run was replaced before it ended"));
}

void RunOutputs::runFinished() {
    if (state_ != State::Running) return;
    if (!model_.error().isEmpty()) return abandon(tr("the run failed"));
    const RunExport files(model_, nullptr, nullptr);
    QStringList wrote, failed;
    for (const auto& [path, isCsv] : {std::pair{csv_, true}, std::pair{trace_, false}}) {
        if (path.isEmpty()) continue;
        QString error;
        if (isCsv ? files.csv(path, &error) : files.trace(path, &error))
            wrote << path;
        else
            failed << error;
    }
    state_ = failed.isEmpty() ? State::Written : State::Abandoned;
    if (!wrote.isEmpty()) {
        const QString text = tr("Wrote %1").arg(wrote.join(tr(" and ")));
        printLine(stdout, QStringLiteral("wrote ") + wrote.join(QStringLiteral(", ")));
        Q_EMIT message(text);
    }
    if (!failed.isEmpty()) {
        problem_ = failed.join(QStringLiteral("; "));
        printLine(stderr, QStringLiteral("error: ") + problem_);
        Q_EMIT message(problem_);
    }
}

void RunOutputs::windowClosing() {
    if (state_ == State::Running) abandon(tr("the window closed before the run ended"));
}

void RunOutputs::abandon(const QString& why) {
    state_ = State::Abandoned;
    problem_ = tr("%1 not written: %2 (only the run the command line starts writes them)")
                   .arg(names(), why);
    printLine(stderr, QStringLiteral("note: ") + problem_);
    Q_EMIT message(problem_);
}

}  // namespace pd
