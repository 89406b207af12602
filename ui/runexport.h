// Exports of the run on screen (File > Export and the window's export
// functions): the timeline and the charts as PNG, SVG or PDF with a title
// naming the run, and the run as CSV or Chrome trace. Formats come from the
// suffix; every file is written atomically.
#pragma once

#include <QCoreApplication>
#include <QSize>
#include <QString>

class QWidget;

namespace pd {

class ChartsPanel;
class RunModel;
class TimelineView;

class RunExport {
    Q_DECLARE_TR_FUNCTIONS(RunExport)
public:
    RunExport(const RunModel& model, TimelineView* timeline, ChartsPanel* charts)
        : model_(model), timeline_(timeline), charts_(charts) {}

    // "1F1B — S=4 stages, M=4 microbatches, 5 batches — measured run, Slots"
    QString title(const QString& timeBase) const;
    bool timelineImage(const QString& path, const QSize& size, const QString& timeBase,
                       QString* error) const;
    bool chartsImage(const QString& path, const QSize& size, QString* error) const;
    bool csv(const QString& path, QString* error) const;
    bool trace(const QString& path, QString* error) const;

    enum class What { Timeline, CurrentChart, AllCharts, Csv, Trace };
    // Asks for a file (and an image size), writes it; the message to show:
    // "Wrote PATH", the error, or empty when the user cancelled.
    QString interactive(QWidget* parent, What what, const QString& timeBase, bool* ok) const;

private:
    const RunModel& model_;
    TimelineView* timeline_;
    ChartsPanel* charts_;
};

}  // namespace pd
