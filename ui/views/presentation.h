// Presentation mode (View > Presentation mode, F11) beyond the timeline,
// which scales its own text: the docks' widgets and the charts' plots get
// fonts `scale` times the ones they had; scale 1 gives those back exactly.
#pragma once

class QCustomPlot;
class QWidget;

namespace pd {

// Presentation mode's text scale for the docks and the charts.
constexpr double kPresentationScale = 1.5;

// `widget`'s font (and so its children's that inherit it) at `scale`.
void setWidgetFontScale(QWidget* widget, double scale);
// Every font of `plot` (axes, legend and its items, text elements, text
// items) at `scale` of its own; kept as the plot is rebuilt (applied again
// before each replot, to new elements too).
void setPlotFontScale(QCustomPlot* plot, double scale);

}  // namespace pd
