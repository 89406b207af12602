// The Explain dock: above, what each stage runs in the slot before the
// cursor (or, at t0, how to walk a run); below, what the schedule does, its
// formulas with the current numbers and what to look at (explain.h). A
// configuration that cannot run is explained here instead.
#pragma once

#include <QWidget>

#include "engine/config/report.h"

class QLabel;
class QTextBrowser;

namespace pd {

class RunModel;

class ExplainPanel : public QWidget {
    Q_OBJECT
public:
    explicit ExplainPanel(QWidget* parent = nullptr);

    void showSchedule(const DryRun& run);
    void showProblem(const QString& problem);
    // Attach: where the window listens, how many ranks came, and the command
    // that starts a rank on another machine.
    void showListening(const QString& state, const QString& command);
    void showCursor(const RunModel& model);
    QTextBrowser* text() const { return text_; }

private:
    QLabel* caption_ = nullptr;
    QTextBrowser* text_ = nullptr;
};

}  // namespace pd
