// Building blocks shared by the main window and the headless export: load
// a run into a timeline view, compare schedules, and write the tutorial's
// five figures plus the run's timeline, CSV and Chrome trace.
#pragma once

#include <QString>
#include <QTextStream>
#include <cmath>
#include <limits>
#include <vector>

#include "runresult.h"
#include "timelineplot.h"

namespace pd {

class GroupedBarChart;

// Milliseconds per simulator unit that make the ideal timeline comparable
// with the measured one (the mean measured forward on a stage = tF).
double idealScale(const RunResult& run);

// Lanes, measured boxes (when the run has them) and ideal boxes.
void loadTimeline(TimelineView* view, const RunResult& run);
QString runTitle(const RunResult& run);

struct ComparisonRow {
    ScheduleKind kind = ScheduleKind::Naive;
    QString name;
    bool valid = false;
    QString problem;  // why the kind does not fit the configuration
    double analyticUtilization = std::numeric_limits<double>::quiet_NaN();
    double analyticBubble = std::numeric_limits<double>::quiet_NaN();
    double measuredUtilization = std::numeric_limits<double>::quiet_NaN();
    double measuredBubble = std::numeric_limits<double>::quiet_NaN();
    int peakActivations = 0;  // stage 0, microbatch(-chunk)s in flight
    int versionsHeld = 0;     // most versions any stage keeps
    double finalLoss = std::numeric_limits<double>::quiet_NaN();
    // Activations in flight plus stashed weight versions, the most of any
    // stage, in bytes: measured when the run reported memory, else estimated
    // from the analytic peaks and the model shape.
    double peakMemoryBytes = std::numeric_limits<double>::quiet_NaN();
    bool memoryMeasured = false;
};

// Estimate of ComparisonRow::peakMemoryBytes from the analysis (fp32, one
// hidden-wide activation per layer and sample, hidden x hidden + bias weights).
double estimatedPeakMemoryBytes(const RunOptions& options, const Analysis& analysis);
// Simulates (and, with `realRuns` and the engine, runs) each kind on the
// options' configuration.
ComparisonRow compareOne(const RunOptions& options, ScheduleKind kind, bool realRun);
void fillComparisonRow(ComparisonRow& row, const RunResult& run);
std::vector<ComparisonRow> compareSchedules(const RunOptions& options,
                                            const std::vector<ScheduleKind>& kinds, bool realRuns);

// Mean utilization and bubble of the run's measured boxes (NaN when none).
double measuredUtilization(const RunResult& run);

// Writes every file of `pipedream-viz --headless --export DIR`. Returns 0
// on success, 1 on a failure at run time (message on `err`).
// --headless --open FILE --export DIR: the timeline (PNG, SVG, PDF) of a run
// saved as CSV or Chrome trace. Exit status 2 when the file cannot be opened.
int headlessExportOpened(const QString& file, const RunOptions& options, const QString& dir,
                         QTextStream& out, QTextStream& err);
int headlessExport(const RunOptions& options, const QString& dir, QTextStream& out,
                   QTextStream& err);

}  // namespace pd
