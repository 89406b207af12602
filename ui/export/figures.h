// Building blocks shared by the main window and the headless export: load
// a run into a timeline view, compare schedules, and write the tutorial's
// five figures plus the run's timeline, CSV and Chrome trace.
#pragma once

#include <QString>
#include <QTextStream>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/run/comparison.h"
#include "ui/model/runresult.h"
#include "ui/views/timelineplot.h"

namespace pd {

class GroupedBarChart;

class RunModel;

// Loads `run` into `model` (a measured run when it has events, else the
// ideal schedule) and shows it whole on `view`, on the measured axis when
// measured, else the ideal one. The model must outlive the view's use.
void loadTimeline(TimelineView* view, RunModel& model, RunResult run);
QString runTitle(const RunResult& run);

// Mean utilization of the run's measured slots (NaN when none).
double measuredUtilization(const RunResult& run);

// Writes every file of `pipedream-viz --headless --export DIR`. Returns 0
// on success, 1 on a failure at run time (message on `err`).
// --headless --open FILE --export DIR: the timeline (PNG, SVG, PDF) of a run
// saved as CSV or Chrome trace. Exit status 2 when the file cannot be opened.
int headlessExportOpened(const QString& file, const RunOptions& options, const QString& dir,
                         QTextStream& out, QTextStream& err);
// DIR may be empty when --export-animation FILE is given: then only the
// animation is written. With it, the animation comes from the configured
// run (the opened file's); its slot range is checked before the run.
int headlessExport(const RunOptions& options, const QString& dir, QTextStream& out,
                   QTextStream& err);

struct AnimationSettings;
AnimationSettings animationSettings(const RunOptions& options);
// --export-animation FILE of `run` (the slots base, or --anim-base measured;
// titled `title`): 0,
// 1 when encoding or writing failed, 2 for settings the run cannot take.
int headlessAnimation(const RunResult& run, const QString& title, const RunOptions& options,
                      QTextStream& out, QTextStream& err);

}  // namespace pd
