// The details of the selected box: where it ran (stage and layers), what it
// is (batch, microbatch, op, chunk, weight version), when (measured and
// ideal), what the stage waited for before it, and for stashing schedules
// when its weights were stashed and freed. A dock; MainWindow wires it.
#pragma once

#include <QString>
#include <QWidget>

#include "ui/views/timelineplot.h"

class QTextBrowser;

namespace pd {

class RunModel;

// The panel's text for `selection` of `model` (empty selection: a hint).
QString boxDetailsHtml(const RunModel& model, const TimelineView::Selection& selection);

class DetailsPanel : public QWidget {
    Q_OBJECT
public:
    explicit DetailsPanel(QWidget* parent = nullptr);

    void showSelection(const RunModel& model, const TimelineView::Selection& selection);
    // A measured time range (Shift + drag) in the panel, under the box.
    void showRange(const QString& summary);
    QString text() const;

private:
    QTextBrowser* view_ = nullptr;
    QString box_;
    QString range_;
    void render();
};

}  // namespace pd
