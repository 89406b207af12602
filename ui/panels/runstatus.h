// The status bar's view of the run model: where the cursor stands, the
// batches done there, the stages' versions, the measured throughput; what
// produced the run; and how many slots have run.
#pragma once

#include <QObject>

class QLabel;
class QProgressBar;
class QStatusBar;

namespace pd {

class EngineController;
class RunModel;

class RunStatus : public QObject {
    Q_OBJECT
public:
    RunStatus(const RunModel& model, const EngineController& engine, QStatusBar* bar);

    // `waiting`: what the window waits for when it has no run (attach).
    void update(const QString& waiting = QString());
    // What produced a run made here ("LibTorch engine", "attached on ...").
    QString origin() const;
    QLabel* label() const { return text_; }

private:
    const RunModel& model_;
    const EngineController& engine_;
    QLabel* text_ = nullptr;
    QLabel* origin_ = nullptr;
    QProgressBar* progress_ = nullptr;
};

}  // namespace pd
