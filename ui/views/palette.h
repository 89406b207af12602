// Colours of the timeline and charts. The op palette is Okabe-Ito (reads
// well with the common colour-vision deficiencies); microbatches shade the
// op colour in four steps; mismatches get a hatch and a heavy outline so
// that they stand out without relying on hue.
#pragma once

#include <QColor>

#include "engine/schedule/schedule.h"

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
// With more than a handful of versions, neighbours would be a few percent
// of the scale apart (v0, v1, v2 the same dark purple): then the lightness
// also steps in a cycle of three (darker, mid, lighter) around the scale's
// rising lightness, so consecutive versions always differ clearly in
// lightness (which reads with every colour-vision deficiency) and the hue
// still runs purple, blue, green, yellow from the first to the last.
QColor versionColor(int version, int maxVersion);
// The same scale at t in [0, 1] with the cycle's `phase` (version % 3):
// for colours shared by several versions of a very long run.
QColor versionShade(double t, int phase, int maxVersion);
// Pipeline stage `stage` of `stages` (the layer strip's cells): up to eight
// stages Paul Tol's "light" qualitative set (light enough for black text,
// neighbours clearly apart, safe with colour-vision deficiencies), the same
// colour for a stage whatever the count; beyond, the version scale (ordered,
// neighbours apart in lightness).
QColor stageColor(int stage, int stages);
// Perceptual distance of two colours (Euclidean in OKLab; 0.02 is about
// the smallest visible step, 0.1 reads as clearly different).
double colourDistance(const QColor& a, const QColor& b);
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
