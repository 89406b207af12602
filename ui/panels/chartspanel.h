// The Charts dock: utilization, bubble, loss and memory of the run on
// screen (read from the run model's figures) and the schedule comparison
// (rows arrive one by one from the comparison job).
#pragma once

#include <QString>
#include <QTabWidget>
#include <vector>

#include "engine/run/comparison.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QTableWidget;
class QCustomPlot;

namespace pd {

class GroupedBarChart;
class LossChart;
class RunModel;

// Why the run's measured utilization and bubble differ from the analytic
// ones, in plain words, or empty when they agree and the figures are whole:
// a run not over yet (or a file that holds part of one), stage workers
// sharing this machine's `cores` (the CLI's note, coreSharingNote), ops so
// short that the hand-over between stages weighs as much as the work, a
// file recorded elsewhere, a simulated run.
QString measuredVsAnalyticNote(const RunModel& model, unsigned cores);

// "S=4, M=8, 5 batches" (", V=3" for more than two chunks): the
// configuration every schedule of a comparison shares.
QString comparedConfiguration(const RunOptions& options);

class ChartsPanel : public QTabWidget {
    Q_OBJECT
public:
    explicit ChartsPanel(QWidget* parent = nullptr);

    // Redraws the run charts from `model` (its figures, loss and memory).
    void showRun(const RunModel& model);
    // Follows `model` from now on: a new run redraws every chart, new
    // events only the charts they change (RunModel::Figures), and new
    // batches are added to the loss chart without redrawing the others.
    void watch(const RunModel* model);
    // A comparison of every schedule on `base` starts (rows cleared) / gets
    // a row / ends. Once the run on screen has another configuration (or
    // there is none) the comparison is cleared, and rows still on their way
    // are dropped.
    // `cuts`: the rows are cuts of base's schedule (partitionEntries).
    void beginComparison(const RunOptions& base, const QString& status, bool cuts = false);
    void addComparisonRow(const ComparisonRow& row);
    void setComparisonStatus(const QString& status);
    QString comparisonTitle() const;
    GroupedBarChart* comparisonChart() const { return compareChart_; }
    GroupedBarChart* utilizationChart() const { return utilChart_; }
    GroupedBarChart* bubbleChart() const { return bubbleChart_; }

    QList<QCustomPlot*> runCharts() const;
    QCustomPlot* currentPlot() const;  // the comparison chart on its tab
    QTableWidget* comparisonTable() const { return compareTable_; }
    QComboBox* comparisonKindCombo() const { return compareWhat_; }  // data: false | true (cuts)
    LossChart* lossChart() const { return lossChart_; }
    QComboBox* lossAxisCombo() const { return lossAxis_; }  // data: false | true (seconds)
    GroupedBarChart* memoryChart() const { return memoryChart_; }

Q_SIGNALS:
    // `cuts`: every partitioner's cut of the schedule on screen, not every schedule.
    void compareRequested(bool realRuns, bool cuts);

private:
    QWidget* buildComparison();
    QWidget* buildLoss();
    void redrawComparison();
    QString timeText(const ComparisonRow& row) const;
    QString heldOutText(const ComparisonRow& row, const HeldOutTarget& target) const;
    void showRunCharts(const RunModel& model, unsigned which);
    void showLoss(const RunModel& model, const QString& run, bool appendOnly);
    void showNoRun();
    bool showPredictedMemory(const RunOptions& options, const QStringList& stages,
                             const QString& run);
    void dropComparison(const QString& why);

    GroupedBarChart* utilChart_ = nullptr;
    GroupedBarChart* bubbleChart_ = nullptr;
    GroupedBarChart* memoryChart_ = nullptr;
    GroupedBarChart* compareChart_ = nullptr;
    LossChart* lossChart_ = nullptr;
    QTableWidget* compareTable_ = nullptr;
    QCheckBox* compareReal_ = nullptr;
    QComboBox* compareWhat_ = nullptr;  // every schedule | every cut of this schedule
    QWidget* lossPage_ = nullptr;       // the loss chart and its axis chooser
    QComboBox* lossAxis_ = nullptr;     // batches | measured training time
    QLabel* compareStatus_ = nullptr;
    std::vector<ComparisonRow> rows_;
    bool cuts_ = false;             // the comparison's rows are cuts of one schedule
    QString coreNote_;              // the comparison's real runs share this machine's cores
    QString comparedTitle_;         // "S=4, M=8, 5 batches"
    QString comparedKey_;           // the compared configuration; empty: no comparison on screen
    std::size_t batchesShown_ = 0;  // the model's batches the loss chart holds
    std::size_t evaluationsShown_ = 0;  // and its evaluations
};

}  // namespace pd
