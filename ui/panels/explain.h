// The explain panel's text: what the chosen schedule does (in our words),
// its bubble and memory formulas with the current numbers filled in, and
// what to look at in the timeline.
#pragma once

#include <QString>

#include "engine/config/report.h"

namespace pd {

QString explainHtml(const DryRun& run);

class RunModel;
// What each stage runs in the slot just before the model's cursor (or, at
// t0, how to walk the run): the caption above the explanation.
QString cursorCaption(const RunModel& model);

}  // namespace pd
