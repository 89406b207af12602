// The application window: timeline in the centre, controls, versions,
// explanation and charts in docks, run controls with shortcuts, export in
// the File menu, configuration and layout remembered between sessions.
#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>
#include <QVector>
#include <atomic>
#include <memory>
#include <vector>

#include "runresult.h"

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;
class QTabWidget;
class QThread;
class QTextBrowser;

namespace pd {

class EngineController;
class GroupedBarChart;
class LossChart;
class TimelineView;
class VersionPanel;
struct ComparisonRow;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // `autoStart`: start the run as soon as the window exists.
    explicit MainWindow(const RunOptions& options, QWidget* parent = nullptr,
                        bool autoStart = true);
    ~MainWindow() override;

    // The last configuration saved by a previous session, or `fallback`.
    static RunOptions restoredOptions(const RunOptions& fallback);

    RunOptions currentOptions() const;           // what the controls say
    void setOptions(const RunOptions& options);  // sets the controls (restarts, debounced)
    const RunResult& result() const { return result_; }
    QString inlineError() const;  // empty when the controls are valid

    // Debounce of control changes before the run restarts (ms).
    void setRestartDelay(int ms) { restartTimer_.setInterval(ms); }

    // Exports (format from the suffix; atomic). Also used by the File menu.
    bool exportTimeline(const QString& path, const QSize& size, QString* error);
    bool exportCharts(const QString& path, const QSize& size, QString* error);
    bool exportCsv(const QString& path, QString* error);
    bool exportTrace(const QString& path, QString* error);

    // Opens a run saved as CSV or Chrome trace (ours, from either executable):
    // recognises its schedule, shows its measured timeline next to the
    // analytic one and sets the controls to its configuration without
    // starting a run. False with one message when the file cannot be read,
    // is not such a run, or matches no schedule; the window is unchanged then.
    bool openRun(const QString& path, QString* error);
    QString openedFile() const { return openedFrom_; }

    // Widgets, for tests.
    TimelineView* timeline() const { return timeline_; }
    EngineController* controller() const { return controller_; }
    VersionPanel* versionPanel() const { return versions_; }
    QComboBox* scheduleCombo() const { return schedule_; }
    QSlider* stagesSlider() const { return stagesSlider_; }
    QSlider* microbatchesSlider() const { return microSlider_; }
    QSpinBox* stagesSpin() const { return stagesSpin_; }
    QSpinBox* microbatchesSpin() const { return microSpin_; }
    QSpinBox* batchSizeSpin() const { return batchSize_; }
    QSpinBox* chunksSpin() const { return chunks_; }
    QCheckBox* stashCheck() const { return stash_; }
    QAction* runAction() const { return runAct_; }
    QAction* stepSlotAction() const { return stepSlotAct_; }
    QAction* stepBatchAction() const { return stepBatchAct_; }
    QAction* resetAction() const { return resetAct_; }
    QAction* replayAction() const { return replayAct_; }
    QTabWidget* chartTabs() const { return charts_; }
    QTableWidget* comparisonTable() const { return compareTable_; }
    bool comparing() const { return compareThread_ != nullptr; }
    QTextBrowser* explainView() const { return explain_; }
    QLabel* statusBatchLabel() const { return statusBatch_; }

public Q_SLOTS:
    void runOrPause();
    void stepSlot();
    void stepBatch();
    void reset();
    void restartRun();
    void replay();
    void compareSchedules();

protected:
    void closeEvent(QCloseEvent* event) override;
    // A saved run (.csv or .json) dropped on the window opens like File > Open run.
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildControls();
    void buildDocks();
    void buildActions();
    void connectController();
    void controlsChanged();
    void showInControls(const RunOptions& options);  // no restart
    void openDialog();
    void openWithMessage(const QString& path);  // openRun; a failure in a message box
    void syncEnabledControls();
    void showIdeal();
    void updateCharts();
    void updateStatus();
    void updateRunAction();
    void saveSettings() const;
    void onSlots(const QVector<SlotEvent>& events);
    void onMemory(const QVector<MemoryEvent>& events);
    void onVersions(const QVector<VersionEvent>& events);
    void onBatches(const QVector<BatchEvent>& events);
    void onFinished(const RunSummary& summary);
    void onFailed(const QString& message);
    void replayTick();
    double speed() const;
    void exportDialog(int what);
    void showComparison(const std::vector<ComparisonRow>& rows, const RunOptions& base);
    void stopComparison();

    RunResult result_;
    bool valid_ = false;
    bool finished_ = false;
    bool running_ = false;
    double idealMsPerUnit_ = 1.0;
    double forwardMsSum_ = 0.0;
    int forwardCount_ = 0;
    QElapsedTimer runClock_;
    QTimer restartTimer_;
    QTimer replayTimer_;
    double replayAt_ = 0.0;
    bool updatingControls_ = false;
    QString openedFrom_;  // file shown now, when the run on screen was opened from one
    struct {
        int stages = 0, microbatches = 0, batches = 0, chunks = 0;
    } openedRange_;  // the largest opened run: control ranges grow to hold it

    EngineController* controller_ = nullptr;
    TimelineView* timeline_ = nullptr;
    VersionPanel* versions_ = nullptr;
    QTextBrowser* explain_ = nullptr;
    QTabWidget* charts_ = nullptr;
    GroupedBarChart* utilChart_ = nullptr;
    GroupedBarChart* bubbleChart_ = nullptr;
    GroupedBarChart* memoryChart_ = nullptr;
    GroupedBarChart* compareChart_ = nullptr;
    QTableWidget* compareTable_ = nullptr;
    QCheckBox* compareReal_ = nullptr;
    QLabel* compareStatus_ = nullptr;
    QThread* compareThread_ = nullptr;
    std::shared_ptr<std::atomic<bool>> compareCancel_;
    LossChart* lossChart_ = nullptr;
    QWidget* controls_ = nullptr;

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
    QComboBox* speed_ = nullptr;
    QComboBox* mode_ = nullptr;
    QComboBox* colorMode_ = nullptr;
    QList<QAction*> opLegend_, versionLegend_;  // toolbar colour legends
    QLabel* error_ = nullptr;
    QPushButton* runButton_ = nullptr;

    QAction* runAct_ = nullptr;
    QAction* stepSlotAct_ = nullptr;
    QAction* stepBatchAct_ = nullptr;
    QAction* resetAct_ = nullptr;
    QAction* replayAct_ = nullptr;

    QLabel* statusBatch_ = nullptr;
    QLabel* statusVersions_ = nullptr;
    QLabel* statusRate_ = nullptr;
    QLabel* statusMode_ = nullptr;
    QProgressBar* progress_ = nullptr;
};

}  // namespace pd
