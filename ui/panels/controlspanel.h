// The Controls dock: the run's configuration (schedule, stages and
// microbatch sliders, model and data settings, where the stages run:
// threads of one process or local processes over Gloo) and the buttons that walk a
// run (play, step forward and back by slot and batch, a new run, replay,
// pace), plus "Reset to defaults".
// It says what is wrong with a configuration and holds no run state: the
// main window reads options() when optionsChanged() fires.
//
// The number fields take any number typed (within the engine's hard
// limits, which are said when exceeded) instead of dropping keystrokes;
// the run's rules then say what does not fit. A field with focus but no
// typing in progress leaves the walking keys (Left, Right, Shift+arrows,
// Home, End, Space) to the window; Enter commits and emits editCommitted().
#pragma once

#include <QWidget>

#include "engine/config/options.h"

class QAbstractSpinBox;
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
    // The message under the controls; empty hides it.
    void setError(const QString& message);
    QString error() const;
    // A note on where the settings shown came from (an opened file, the
    // defaults); empty hides it, as does any edit.
    void setNote(const QString& note);
    QString note() const;
    // What the buttons can do now.
    void setRunnable(bool canRun, bool playing);
    double pace() const;  // slots per second

    QComboBox* scheduleCombo() const { return schedule_; }
    QSlider* stagesSlider() const { return stagesSlider_; }
    QSlider* microbatchesSlider() const { return microSlider_; }
    QSpinBox* stagesSpin() const { return stagesSpin_; }
    QSpinBox* microbatchesSpin() const { return microSpin_; }
    QSpinBox* batchesSpin() const { return batches_; }
    QSpinBox* batchSizeSpin() const { return batchSize_; }
    QSpinBox* layersSpin() const { return layers_; }
    QSpinBox* hiddenSpin() const { return hidden_; }
    QSpinBox* chunksSpin() const { return chunks_; }
    QDoubleSpinBox* lrSpin() const { return lr_; }
    QCheckBox* stashCheck() const { return stash_; }
    QCheckBox* verticalSyncCheck() const { return vsync_; }
    QComboBox* deviceCombo() const { return device_; }
    QComboBox* paceCombo() const { return pace_; }
    QComboBox* placementCombo() const { return placement_; }  // data: the backend
    QComboBox* modelCombo() const { return model_; }          // data: mlp | cnn | gpt
    QComboBox* dataCombo() const { return data_; }            // editable: --data's value
    QComboBox* optimizerCombo() const { return optimizer_; }  // data: sgd | momentum | adam
    // data: uniform | time | memory | pipedream | schedule | split (dragged)
    QComboBox* partitionCombo() const { return partition_; }
    QSpinBox* epochsSpin() const { return epochs_; }        // 0: off
    QSpinBox* evalEverySpin() const { return evalEvery_; }  // 0: epoch ends and the end

Q_SIGNALS:
    void optionsChanged();
    void playPauseClicked();
    void stepBackClicked();
    void stepForwardClicked();
    void batchForwardClicked();
    void newRunClicked();    // a new run of the configuration shown
    void defaultsClicked();  // every control back to the defaults
    void replayClicked();
    void paceChanged(double slotsPerSecond);
    // Enter in a field committed an acceptable value: the walking keys may
    // go back to the timeline.
    void editCommitted();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildForm();
    void buildButtons();
    void syncEnabled();  // chunks, PipeDream options, sliders
    // A model chosen: its own sizes, learning rate and data in the fields.
    void applyModelDefaults();
    void applyPartition(RunOptions& options) const;
    void watchField(QAbstractSpinBox* box, const QString& name);
    // Typed text the field cannot take (out of its range, empty): said in
    // the error line; true when there was such text.
    bool sayRejected(QAbstractSpinBox* box);

    bool updating_ = false;
    QAbstractSpinBox* commitPending_ = nullptr;  // Enter pressed with a value it takes

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
    QComboBox* model_ = nullptr;
    QComboBox* data_ = nullptr;
    QComboBox* optimizer_ = nullptr;
    std::string optimizerBefore_ = "sgd";  // the optimizer shown before the last change
    QComboBox* partition_ = nullptr;
    QSpinBox* epochs_ = nullptr;
    QSpinBox* evalEvery_ = nullptr;
    QLabel* error_ = nullptr;
    QLabel* note_ = nullptr;
    QPushButton* play_ = nullptr;
    QPushButton* back_ = nullptr;
    QPushButton* forward_ = nullptr;
    QPushButton* batch_ = nullptr;
    QComboBox* pace_ = nullptr;
};

}  // namespace pd
