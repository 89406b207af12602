// The timeline's toolbar: the run actions, the time base (slots, measured,
// ideal, measured + ideal), the colour mode and a legend of the colours in
// use, which follows the colour mode.
#pragma once

#include <QList>
#include <QToolBar>

class QComboBox;

namespace pd {

class TimelineToolbar : public QToolBar {
    Q_OBJECT
public:
    explicit TimelineToolbar(const QList<QAction*>& runActions, QWidget* parent = nullptr);

    QComboBox* timeBaseCombo() const { return timeBase_; }
    QComboBox* colorCombo() const { return color_; }

Q_SIGNALS:
    void timeBaseChanged(int index);  // 0 slots, 1 measured, 2 ideal, 3 measured + ideal
    void colorModeChanged(int index);  // 0 by op, 1 by weight version
    void fitRequested();

private:
    QAction* chip(const QString& text, const QString& tip, const QColor& color);

    QComboBox* timeBase_ = nullptr;
    QComboBox* color_ = nullptr;
    QList<QAction*> opLegend_, versionLegend_;
};

}  // namespace pd
