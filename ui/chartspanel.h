// The Charts dock: utilization, bubble, loss and memory of the run on
// screen (read from the run model's figures) and the schedule comparison
// (rows arrive one by one from the comparison job).
#pragma once

#include <QTabWidget>
#include <vector>

#include "comparison.h"

class QCheckBox;
class QLabel;
class QTableWidget;
class QCustomPlot;

namespace pd {

class GroupedBarChart;
class LossChart;
class RunModel;

class ChartsPanel : public QTabWidget {
    Q_OBJECT
public:
    explicit ChartsPanel(QWidget* parent = nullptr);

    // Redraws the run charts from `model` (its figures, loss and memory).
    void showRun(const RunModel& model);
    // A comparison starts (rows cleared) / gets a row / ends.
    void beginComparison(const QString& title, const QString& status);
    void addComparisonRow(const ComparisonRow& row);
    void setComparisonStatus(const QString& status);

    QList<QCustomPlot*> runCharts() const;
    QCustomPlot* currentPlot() const;  // the comparison chart on its tab
    QTableWidget* comparisonTable() const { return compareTable_; }
    LossChart* lossChart() const { return lossChart_; }
    GroupedBarChart* memoryChart() const { return memoryChart_; }

Q_SIGNALS:
    void compareRequested(bool realRuns);

private:
    QWidget* buildComparison();
    void redrawComparison();

    GroupedBarChart* utilChart_ = nullptr;
    GroupedBarChart* bubbleChart_ = nullptr;
    GroupedBarChart* memoryChart_ = nullptr;
    GroupedBarChart* compareChart_ = nullptr;
    LossChart* lossChart_ = nullptr;
    QTableWidget* compareTable_ = nullptr;
    QCheckBox* compareReal_ = nullptr;
    QLabel* compareStatus_ = nullptr;
    std::vector<ComparisonRow> rows_;
};

}  // namespace pd
