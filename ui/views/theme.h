// Light or dark, after the system palette: the plots' background, axes,
// grid and text follow QPalette, so a dark desktop gets a dark timeline.
#pragma once

class QCustomPlot;

namespace pd {

// True when the application palette's window colour is dark.
bool darkTheme();
// Background, axis, tick, label, grid and legend colours of `plot` from
// the application palette (call again on QEvent::PaletteChange).
void applyPlotTheme(QCustomPlot* plot);

}  // namespace pd
