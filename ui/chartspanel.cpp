#include "chartspanel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "charts.h"
#include "enginecontroller.h"
#include "palette.h"
#include "runmodel.h"

namespace pd {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString shortName(const QString& lane) {
    return lane.section(QLatin1Char(' '), 0, 0);
}

QString pctText(double v) {
    return std::isfinite(v) ? QString::number(v * 100.0, 'f', 1) + QLatin1Char('%')
                            : QStringLiteral("n/a");
}

}  // namespace

ChartsPanel::ChartsPanel(QWidget* parent) : QTabWidget(parent) {
    utilChart_ = new GroupedBarChart(this);
    bubbleChart_ = new GroupedBarChart(this);
    memoryChart_ = new GroupedBarChart(this);
    memoryChart_->setFormat(GroupedBarChart::Format::Bytes);
    lossChart_ = new LossChart(this);
    addTab(utilChart_, tr("Utilization"));
    addTab(bubbleChart_, tr("Bubble"));
    addTab(lossChart_, tr("Loss"));
    addTab(memoryChart_, tr("Memory"));
    addTab(buildComparison(), tr("Schedule comparison"));
}

QWidget* ChartsPanel::buildComparison() {
    auto* compare = new QWidget(this);
    auto* v = new QHBoxLayout(compare);
    auto* left = new QVBoxLayout;
    auto* button = new QPushButton(tr("Compare every schedule on this configuration"), compare);
    compareReal_ =
        new QCheckBox(tr("Real runs (LibTorch; takes a few seconds per schedule)"), compare);
    compareReal_->setEnabled(EngineController::engineAvailable());
    compareReal_->setChecked(EngineController::engineAvailable());
    if (!EngineController::engineAvailable())
        compareReal_->setToolTip(tr("This build has no training engine: simulated figures only"));
    connect(button, &QPushButton::clicked, this,
            [this] { Q_EMIT compareRequested(compareReal_->isChecked()); });
    compareStatus_ = new QLabel(compare);
    compareTable_ = new QTableWidget(compare);
    compareTable_->setColumnCount(6);
    compareTable_->setHorizontalHeaderLabels({tr("schedule"), tr("utilization"), tr("bubble"),
                                              tr("peak memory / stage"), tr("versions held"),
                                              tr("final loss")});
    // Columns share the width (text wraps) instead of scrolling sideways.
    compareTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    compareTable_->setWordWrap(true);
    compareTable_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    compareTable_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    compareTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    left->addWidget(button);
    left->addWidget(compareReal_);
    left->addWidget(compareStatus_);
    left->addWidget(compareTable_, 1);
    v->addLayout(left, 1);
    compareChart_ = new GroupedBarChart(compare);
    // Twelve schedules x three bars: the numbers are in the table, not on the bars.
    compareChart_->setValueLabels(false);
    compareChart_->setNote(tr("Press \"Compare every schedule\" to rank the schedules here"));
    v->addWidget(compareChart_, 1);
    return compare;
}

QList<QCustomPlot*> ChartsPanel::runCharts() const {
    return {utilChart_, bubbleChart_, lossChart_, memoryChart_};
}

QCustomPlot* ChartsPanel::currentPlot() const {
    auto* plot = qobject_cast<QCustomPlot*>(currentWidget());
    return plot ? plot : compareChart_;
}

void ChartsPanel::showRun(const RunModel& model) {
    const int S = static_cast<int>(model.stageNames().size());
    QStringList stages;
    for (const QString& n : model.stageNames()) stages << shortName(n);
    const bool have =
        model.figures().slotCount() > 0 && model.source() != RunModel::Source::Schedule;
    const QString name = model.source() == RunModel::Source::File ? tr("measured (opened file)")
                         : model.source() == RunModel::Source::Simulated
                             ? tr("replayed (simulated)")
                             : tr("measured");
    const Analysis& ideal = model.ideal().analysis;
    const Analysis measured = model.figures().utilization();
    std::vector<double> analytic, real;
    for (int s = 0; s < S; ++s) {
        const auto k = static_cast<std::size_t>(s);
        analytic.push_back(k < ideal.stages.size() ? ideal.stages[k].utilization : kNaN);
        real.push_back(have && k < measured.stages.size() ? measured.stages[k].utilization : kNaN);
    }
    std::vector<BarSeries> util;
    if (have) util.push_back({name, measuredColor(), real});
    util.push_back({tr("analytic (simulated schedule)"), analyticColor(), analytic});
    utilChart_->setData(stages, util);
    // Each chart names the run, so an exported image says what it shows.
    const ScheduleConfig& c = model.options().schedule;
    const QString run = tr(" \u2014 %1, S=%2, M=%3, %4 batches")
                            .arg(QString::fromUtf8(displayName(c.kind)))
                            .arg(c.stages)
                            .arg(c.microbatches)
                            .arg(c.batches);
    utilChart_->setTitle(tr("Utilization per stage (busy / makespan)") + run);

    std::vector<BarSeries> bubble;
    if (have) bubble.push_back({name, measuredColor(), {measured.bubbleFraction}});
    bubble.push_back(
        {tr("analytic (simulated schedule)"), analyticColor(), {ideal.bubbleFraction}});
    const ClosedForm& closed = model.ideal().closed;
    if (closed.bubble)
        bubble.push_back({tr("closed form %1").arg(QString::fromStdString(closed.bubbleFormula)),
                          tutorialColor(),
                          {*closed.bubble}});
    bubbleChart_->setData({tr("bubble fraction (idle / (S x makespan))")}, bubble);
    bubbleChart_->setTitle(tr("Bubble: measured vs analytic") + run);

    const RunFigures::Peaks& p = model.figures().peaks();
    std::vector<double> act, stash;
    for (int s = 0; s < S; ++s) {
        const auto k = static_cast<std::size_t>(s);
        act.push_back(k < p.activationBytes.size() ? static_cast<double>(p.activationBytes[k])
                                                   : 0.0);
        stash.push_back(k < p.stashBytes.size() ? static_cast<double>(p.stashBytes[k]) : 0.0);
    }
    memoryChart_->setData(stages,
                          {{tr("activations in flight (peak bytes)"), opColor(Op::F), act},
                           {tr("stashed weight versions (peak bytes)"), opColor(Op::U), stash}});
    memoryChart_->setTitle(
        model.source() == RunModel::Source::Simulated
            ? tr("Memory per stage (estimated from the model shape; simulated run)") + run
            : tr("Memory per stage") + run);
    lossChart_->setTitle(tr("Training loss per batch") + run);

    lossChart_->clear();
    for (const BatchEvent& b : model.batches()) lossChart_->addPoint(b.batch, b.loss);
    lossChart_->setNote(model.source() == RunModel::Source::File
                            ? tr("No loss: the file records the schedule's slots only")
                        : model.source() == RunModel::Source::Simulated
                            ? tr("No loss: the run is simulated (no training engine)")
                            : QString());
}

void ChartsPanel::beginComparison(const QString& title, const QString& status) {
    rows_.clear();
    compareChart_->setNote(QString());
    compareTable_->setRowCount(0);
    compareChart_->setTitle(title);
    compareStatus_->setText(status);
    redrawComparison();
}

void ChartsPanel::setComparisonStatus(const QString& status) {
    compareStatus_->setText(status);
}

void ChartsPanel::addComparisonRow(const ComparisonRow& r) {
    // A real run's row replaces the analytic one of its kind.
    const auto same = std::find_if(rows_.begin(), rows_.end(),
                                   [&](const ComparisonRow& x) { return x.kind == r.kind; });
    const int i = static_cast<int>(same - rows_.begin());
    if (same != rows_.end())
        *same = r;
    else
        rows_.push_back(r);
    if (i >= compareTable_->rowCount()) compareTable_->setRowCount(i + 1);
    auto cell = [&](int c, const QString& s) {
        compareTable_->setItem(i, c, new QTableWidgetItem(s));
    };
    cell(0, QString::fromStdString(r.name));
    if (!r.valid) {
        cell(1, tr("not valid here: %1").arg(QString::fromStdString(r.problem)));
        for (int c = 2; c < 6; ++c) cell(c, QString());
    } else {
        const bool measured = std::isfinite(r.measuredUtilization);
        cell(1, measured ? tr("%1 (analytic %2)")
                               .arg(pctText(r.measuredUtilization), pctText(r.analyticUtilization))
                         : pctText(r.analyticUtilization));
        cell(2,
             measured
                 ? tr("%1 (analytic %2)").arg(pctText(r.measuredBubble), pctText(r.analyticBubble))
                 : pctText(r.analyticBubble));
        cell(3, tr("%1%2 (%3 activations)")
                    .arg(formatBytes(r.peakMemoryBytes), r.memoryMeasured ? QString() : tr(" est."))
                    .arg(r.peakActivations));
        cell(4, QString::number(r.versionsHeld));
        cell(5, std::isfinite(r.finalLoss) ? QString::number(r.finalLoss, 'f', 4)
                                           : tr("n/a (simulated)"));
        if (!r.problem.empty())
            compareTable_->item(i, 0)->setToolTip(QString::fromStdString(r.problem));
    }
    redrawComparison();
}

void ChartsPanel::redrawComparison() {
    QStringList names;
    std::vector<double> measuredUtil, util, bubble;
    bool anyMeasured = false;
    for (const ComparisonRow& r : rows_) {
        if (!r.valid) continue;
        anyMeasured = anyMeasured || std::isfinite(r.measuredUtilization);
        names << QString::fromLatin1(toString(r.kind));
        measuredUtil.push_back(r.measuredUtilization);
        util.push_back(r.analyticUtilization);
        bubble.push_back(r.analyticBubble);
    }
    std::vector<BarSeries> series;
    if (anyMeasured)
        series.push_back({tr("utilization (measured)"), measuredColor(), measuredUtil});
    series.push_back({tr("utilization (analytic)"), analyticColor(), util});
    series.push_back({tr("bubble (analytic)"), tutorialColor(), bubble});
    compareChart_->setData(names, series);
}

}  // namespace pd
