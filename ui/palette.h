// Colours of the timeline and charts. The op palette is Okabe-Ito (reads
// well with the common colour-vision deficiencies); microbatches shade the
// op colour in four steps; mismatches get a hatch and a heavy outline so
// that they stand out without relying on hue.
#pragma once

#include <QColor>

#include "schedule.h"

namespace pd {

constexpr int kMicrobatchShades = 4;

QColor opColor(Op op);
// The op colour lightened for microbatch m (m % kMicrobatchShades steps).
QColor boxColor(Op op, int microbatch);
// A sequential scale (viridis stops: dark purple, blue, green, yellow) at
// t in [0, 1]: ordered, readable in grey and with colour-vision deficiencies.
QColor sequentialColor(double t);
// Weight version `version` of a run whose versions go up to `maxVersion`:
// the sequential scale across the run, so it never wraps (v8 is not v0).
QColor versionColor(int version, int maxVersion);
// Versions behind the stage's newest (0 = current weights) up to
// `maxStaleness`: pale yellow for 0 to dark red.
QColor stalenessColor(int staleness, int maxStaleness);
QColor mismatchOutline();
// The selected microbatch's outline and its activation arrows; gradient arrows.
QColor highlightColor();
QColor gradientFlowColor();
QColor timelineBackground();
// A lane's background where it has no box: idle time reads as idle.
QColor idleColor();
QColor idealOutline();
// Black or white, whichever reads better on `background`.
QColor textColorOn(const QColor& background);
QString opName(Op op);  // "Forward", "Backward", ...

// Chart series colours shared by all charts: measured vs analytic.
QColor measuredColor();
QColor analyticColor();
QColor tutorialColor();

}  // namespace pd
