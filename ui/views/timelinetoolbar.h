// The timeline's toolbar: the run actions, the time base (slots, measured,
// ideal, measured + ideal), the colour mode, a legend of the colours in use
// (the same entries as the legend row under the plot) and the search box.
#pragma once

#include <QList>
#include <QToolBar>
#include <vector>

#include "ui/views/colourlegend.h"

class QComboBox;
class QLineEdit;

namespace pd {

class TimelineView;

class TimelineToolbar : public QToolBar {
    Q_OBJECT
public:
    explicit TimelineToolbar(const QList<QAction*>& runActions, QWidget* parent = nullptr);

    QComboBox* timeBaseCombo() const { return timeBase_; }
    QComboBox* colorCombo() const { return color_; }
    QLineEdit* searchBox() const { return search_; }
    // Shows these swatches (the plot's legend) as chips.
    void setLegend(const std::vector<ColourLegend::Entry>& entries);
    int legendChips() const { return static_cast<int>(legend_.size()); }
    // Drives `view`: its time base, colour mode, search filter and fit; its
    // legend's entries become chips; after a drop-down is used the keys go
    // back to it (F fits again).
    void driveTimeline(TimelineView* view);

Q_SIGNALS:
    void timeBaseChanged(int index);   // 0 slots, 1 measured, 2 ideal, 3 measured + ideal
    void colorModeChanged(int index);  // 0 by op, 1 by weight version, 2 by staleness
    void searchChanged(const QString& text);
    void searchProblem(const QString& problem);  // the search text is not understood
    void fitRequested();

private:
    QAction* chip(const QString& text, const QString& tip, const QColor& color);
    QAction* rampChip(const ColourLegend::Entry& entry);

    QComboBox* timeBase_ = nullptr;
    QComboBox* color_ = nullptr;
    QLineEdit* search_ = nullptr;
    QAction* legendAnchor_ = nullptr;
    QList<QAction*> legend_;
};

}  // namespace pd
