// The explain panel's text: what the chosen schedule does (in our words),
// its bubble and memory formulas with the current numbers filled in, and
// what to look at in the timeline.
#pragma once

#include <QString>

#include "report.h"

namespace pd {

QString explainHtml(const DryRun& run);

}  // namespace pd
