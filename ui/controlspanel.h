// The Controls dock: the run's configuration (schedule, stages and
// microbatch sliders, model and data settings, where the stages run:
// threads of one process or local processes over Gloo) and the buttons that walk a
// run (play, step forward and back by slot and batch, reset, replay, pace).
// It says what is wrong with a configuration and holds no run state: the
// main window reads options() when optionsChanged() fires.
#pragma once

#include <QWidget>

#include "options.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;

namespace pd {

class ControlsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ControlsPanel(QWidget* parent = nullptr);

    // The controls' configuration on top of `base` (fields not shown here).
    RunOptions options(const RunOptions& base) const;
    // Shows `options` without emitting optionsChanged().
    void showOptions(const RunOptions& options);
    // Ranges grow to hold a run opened from a file.
    void growRanges(const ScheduleConfig& config);
    // The message under the controls; empty hides it.
    void setError(const QString& message);
    QString error() const;
    // What the buttons can do now.
    void setRunnable(bool canRun, bool playing);
    double pace() const;  // slots per second

    QComboBox* scheduleCombo() const { return schedule_; }
    QSlider* stagesSlider() const { return stagesSlider_; }
    QSlider* microbatchesSlider() const { return microSlider_; }
    QSpinBox* stagesSpin() const { return stagesSpin_; }
    QSpinBox* microbatchesSpin() const { return microSpin_; }
    QSpinBox* batchSizeSpin() const { return batchSize_; }
    QSpinBox* chunksSpin() const { return chunks_; }
    QCheckBox* stashCheck() const { return stash_; }
    QComboBox* paceCombo() const { return pace_; }
    QComboBox* placementCombo() const { return placement_; }  // data: the backend

Q_SIGNALS:
    void optionsChanged();
    void playPauseClicked();
    void stepBackClicked();
    void stepForwardClicked();
    void batchForwardClicked();
    void resetClicked();
    void replayClicked();
    void paceChanged(double slotsPerSecond);

private:
    void buildForm();
    void buildButtons();
    void syncEnabled();  // chunks, PipeDream options, ranges

    struct {
        int stages = 0, microbatches = 0, batches = 0, chunks = 0;
    } grown_;  // the largest opened run
    bool updating_ = false;

    QComboBox* schedule_ = nullptr;
    QSlider* stagesSlider_ = nullptr;
    QSpinBox* stagesSpin_ = nullptr;
    QSlider* microSlider_ = nullptr;
    QSpinBox* microSpin_ = nullptr;
    QSpinBox* batches_ = nullptr;
    QSpinBox* batchSize_ = nullptr;
    QSpinBox* layers_ = nullptr;
    QSpinBox* hidden_ = nullptr;
    QSpinBox* chunks_ = nullptr;
    QDoubleSpinBox* lr_ = nullptr;
    QComboBox* device_ = nullptr;
    QCheckBox* vsync_ = nullptr;
    QCheckBox* stash_ = nullptr;
    QComboBox* placement_ = nullptr;
    QLabel* error_ = nullptr;
    QPushButton* play_ = nullptr;
    QPushButton* back_ = nullptr;
    QPushButton* forward_ = nullptr;
    QPushButton* batch_ = nullptr;
    QComboBox* pace_ = nullptr;
};

}  // namespace pd
