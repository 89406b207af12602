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
// A distinct colour per weight version (cycles through eight).
// Weight versions cycle through kVersionColors colours.
inline constexpr int kVersionColors = 8;
QColor versionColor(int version);
QColor mismatchOutline();
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
