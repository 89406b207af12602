#include "ui/panels/chartspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <thread>

#include "engine/config/resources.h"
#include "engine/distributed/distributed.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/views/charts.h"
#include "ui/views/palette.h"

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

// Every field that changes a comparison's rows (the kind does not: every
// kind is compared).
// A comparison of cuts is of one schedule: its kind is in the key too.
QString comparisonKey(const RunOptions& o, bool cuts) {
    return QStringLiteral("%1|%2|%3|%4|%5|%6|%7|%8|%9")
        .arg(comparedConfiguration(o))
        .arg(std::max(2, o.schedule.chunks))
        .arg(o.batchSize)
        .arg(o.layers)
        .arg(o.hidden)
        .arg(o.classes)
        .arg(QString::fromStdString(o.data + "|" + o.device))
        .arg(o.seed)
        .arg(cuts ? QString::fromLatin1(toString(o.schedule.kind)) : QString());
}

// The CLI's note on stage workers sharing cores, for the run on screen. Its
// ranks all on this machine (local processes, or attached ranks started
// here) share its cores as threads would.
QString coreNote(const RunModel& model, unsigned cores) {
    RunOptions o = model.options();
    const QStringList& hosts = model.stageHosts();
    const QString here = QString::fromStdString(hostName());
    if (!hosts.isEmpty() &&
        std::all_of(hosts.begin(), hosts.end(), [&](const QString& h) { return h == here; }))
        o.launch = true;
    return QString::fromStdString(coreSharingNote(o, cores));
}

// Why a run holds fewer actions than its schedule, or empty.
QString partialNote(const RunModel& model) {
    const std::size_t done = model.measuredBoxes().size();
    const std::size_t all = model.idealBoxes().size();
    if (done >= all || (model.finished() && !model.cancelled())) return {};
    const QString counts = QObject::tr("%1 of the schedule's %2 actions").arg(done).arg(all);
    if (model.source() == RunModel::Source::File)
        return QObject::tr(
                   "The file holds %1: the measured figures cover those, the analytic "
                   "ones the whole schedule.")
            .arg(counts);
    if (!model.error().isEmpty())
        return QObject::tr(
                   "The run failed after %1: the measured figures cover those, the "
                   "analytic ones the whole schedule.")
            .arg(counts);
    return QObject::tr(
               "The run is not over (%1 so far): the measured figures cover what has "
               "run, the analytic ones the whole schedule.")
        .arg(counts);
}

}  // namespace

QString comparedConfiguration(const RunOptions& o) {
    const ScheduleConfig& c = o.schedule;
    return QObject::tr("S=%1, M=%2, %3%4")
        .arg(c.stages)
        .arg(c.microbatches)
        .arg(countText(c.batches, QObject::tr("batch"), QObject::tr("batches")))
        .arg(c.chunks > 2 ? QStringLiteral(", V=%1").arg(c.chunks) : QString());
}

QString measuredVsAnalyticNote(const RunModel& model, unsigned cores) {
    if (!model.hasRun() || model.source() == RunModel::Source::Schedule ||
        model.figures().slotCount() == 0)
        return {};
    const double measured = model.figures().utilization().bubbleFraction;
    const double analytic = model.ideal().analysis.bubbleFraction;
    // Two percentage points: less is noise on a run of a few batches.
    const bool differ = std::abs(measured - analytic) >= 0.02;
    const QString partial = partialNote(model);
    if (!differ && partial.isEmpty()) return {};
    QStringList why;
    if (!partial.isEmpty()) why << partial;
    if (differ && model.source() == RunModel::Source::Live) {
        const QString shared = coreNote(model, cores);
        if (!shared.isEmpty()) why << shared;
        // A hand-over between stages in one process takes tens of
        // microseconds (bench_distributed: about 20 us); ops under ten of
        // those spend a tenth of their time or more on it.
        constexpr double kHandOverMs = 0.05;
        const double forwardMs = model.figures().msPerUnit();
        if (forwardMs < 10.0 * kHandOverMs)
            why << QObject::tr(
                       "A stage's forward takes only %1 ms, so handing tensors between "
                       "stages (up to %2 ms each) weighs as much as the work; the "
                       "analytic figures count hand-overs as free.")
                       .arg(forwardMs, 0, 'f', 2)
                       .arg(kHandOverMs, 0, 'f', 2);
        if (why.isEmpty())
            why << QObject::tr(
                "The analytic figures assume fixed op lengths (a backward twice a "
                "forward) and free hand-overs; measured ops vary in length and "
                "wait for their inputs.");
    } else if (differ && model.source() == RunModel::Source::File && partial.isEmpty()) {
        why << QObject::tr(
            "The file was measured on the machine that recorded it (its cores "
            "and its load are not known here); the analytic figures assume fixed "
            "op lengths and free hand-overs.");
    } else if (differ && model.source() == RunModel::Source::Simulated && partial.isEmpty()) {
        why << QObject::tr(
            "The run is simulated: its figures come from the simulator's op "
            "lengths, not from a clock.");
    }
    if (!differ) return why.join(QLatin1Char(' '));
    return QObject::tr("Measured bubble %1 against %2 analytic. %3")
        .arg(pctText(measured), pctText(analytic), why.join(QLatin1Char(' ')));
}

ChartsPanel::ChartsPanel(QWidget* parent) : QTabWidget(parent) {
    utilChart_ = new GroupedBarChart(this);
    bubbleChart_ = new GroupedBarChart(this);
    memoryChart_ = new GroupedBarChart(this);
    memoryChart_->setFormat(GroupedBarChart::Format::Bytes);
    lossChart_ = new LossChart(this);
    addTab(utilChart_, tr("Utilization"));
    addTab(bubbleChart_, tr("Bubble"));
    addTab(buildLoss(), tr("Loss"));
    addTab(memoryChart_, tr("Memory"));
    addTab(buildComparison(), tr("Schedule comparison"));
}

// The loss chart with its x axis chooser: batches, or measured training
// time (how fast a schedule learns, not only how much per batch).
QWidget* ChartsPanel::buildLoss() {
    lossPage_ = new QWidget(this);
    auto* v = new QVBoxLayout(lossPage_);
    v->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    lossAxis_ = new QComboBox(lossPage_);
    lossAxis_->addItem(tr("against batches"), false);
    lossAxis_->addItem(tr("against measured training time"), true);
    lossAxis_->setToolTip(
        tr("Measured training time leaves out pauses and held-out evaluations: the "
           "schedules' learning per second, side by side"));
    connect(lossAxis_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { lossChart_->setTimeAxis(lossAxis_->currentData().toBool()); });
    row->addWidget(new QLabel(tr("Loss"), lossPage_));
    row->addWidget(lossAxis_);
    row->addStretch(1);
    v->addLayout(row);
    v->addWidget(lossChart_, 1);
    return lossPage_;
}

QWidget* ChartsPanel::buildComparison() {
    auto* compare = new QWidget(this);
    auto* v = new QHBoxLayout(compare);
    auto* left = new QVBoxLayout;
    auto* what = new QHBoxLayout;
    auto* button = new QPushButton(tr("Compare"), compare);
    compareWhat_ = new QComboBox(compare);
    compareWhat_->addItem(tr("every schedule on this configuration"), false);
    compareWhat_->addItem(tr("every partition of this schedule"), true);
    compareWhat_->setToolTip(
        tr("Partitions: each partitioner's cut of the model (and a dragged one), from the "
           "layers' costs; analytic figures with each part's own costs, measured when run"));
    what->addWidget(button);
    what->addWidget(compareWhat_, 1);
    compareReal_ =
        new QCheckBox(tr("Real runs (LibTorch; takes a few seconds per schedule)"), compare);
    compareReal_->setEnabled(EngineController::engineAvailable());
    compareReal_->setChecked(EngineController::engineAvailable());
    if (!EngineController::engineAvailable())
        compareReal_->setToolTip(tr("This build has no training engine: simulated figures only"));
    connect(button, &QPushButton::clicked, this, [this] {
        Q_EMIT compareRequested(compareReal_->isChecked(), compareWhat_->currentData().toBool());
    });
    compareStatus_ = new QLabel(compare);
    compareTable_ = new QTableWidget(compare);
    compareTable_->setColumnCount(8);
    // Two short lines each: a stretched column stays narrow and a header
    // line is never cut.
    compareTable_->setHorizontalHeaderLabels(
        {tr("schedule"), tr("utilization"), tr("bubble"), tr("peak\nmemory"), tr("versions\nheld"),
         tr("final\nloss"), tr("time vs\nrow 1"), tr("held\nout")});
    compareTable_->horizontalHeaderItem(6)->setToolTip(
        tr("The run's makespan against the first row's: measured, with the simulated ratio "
           "in parentheses (each model part's own costs where the cut has them)"));
    compareTable_->horizontalHeaderItem(7)->setToolTip(
        tr("Statistical efficiency, on real runs of real data: the held-out accuracy (text: "
           "loss) at the run's end, and the seconds of training each row took to first reach "
           "the figure every row reached (the lowest final accuracy, or the highest final "
           "loss). Set Evaluate every for more points on the way."));
    compareTable_->horizontalHeaderItem(3)->setToolTip(
        tr("The most memory any stage holds: activations kept for the backward plus stashed "
           "weight versions"));
    compareTable_->horizontalHeaderItem(4)->setToolTip(
        tr("The most weight versions any stage keeps at once"));
    compareTable_->horizontalHeader()->setTextElideMode(Qt::ElideNone);
    // Columns share the width (text wraps) instead of scrolling sideways.
    compareTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    compareTable_->setWordWrap(true);
    compareTable_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    compareTable_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    compareTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    left->addLayout(what);
    left->addWidget(compareReal_);
    left->addWidget(compareStatus_);
    left->addWidget(compareTable_, 1);
    v->addLayout(left, 1);
    compareChart_ = new GroupedBarChart(compare);
    // Twelve schedules x three bars: the numbers are in the table, not on the bars.
    compareChart_->setValueLabels(false);
    compareChart_->setData({}, {});  // the percent axis, empty
    compareChart_->setNote(tr("Press \"Compare\" to rank the schedules (or the partitions) here"));
    v->addWidget(compareChart_, 1);
    return compare;
}

QList<QCustomPlot*> ChartsPanel::runCharts() const {
    return {utilChart_, bubbleChart_, lossChart_, memoryChart_};
}

QCustomPlot* ChartsPanel::currentPlot() const {
    if (currentWidget() == lossPage_) return lossChart_;
    auto* plot = qobject_cast<QCustomPlot*>(currentWidget());
    return plot ? plot : compareChart_;
}

void ChartsPanel::showRun(const RunModel& model) {
    if (!comparedKey_.isEmpty() &&
        (!model.hasRun() || comparisonKey(model.options(), cuts_) != comparedKey_))
        dropComparison(model.hasRun()
                           ? tr("The comparison was for %1.\nPress \"Compare\" for this run's.")
                                 .arg(comparedTitle_)
                           : tr("No run on screen: nothing to compare"));
    if (!model.hasRun())
        showNoRun();
    else
        showRunCharts(model, RunModel::AllFigures);
}

void ChartsPanel::watch(const RunModel* model) {
    connect(model, &RunModel::figuresChanged, this, [this, model](unsigned which) {
        if (which == RunModel::AllFigures || !model->hasRun())
            showRun(*model);
        else
            showRunCharts(*model, which);
    });
}

// No run on screen (settings not valid, ranks awaited): nothing stale stays.
void ChartsPanel::showNoRun() {
    const QString none = tr("No run on screen: nothing to chart");
    for (GroupedBarChart* chart : {utilChart_, bubbleChart_, memoryChart_}) {
        chart->setData({}, {});
        chart->setCaption(QString());
        chart->setNote(none);
    }
    utilChart_->setTitle(tr("Utilization per stage (busy / makespan) \u2014 not run"));
    bubbleChart_->setTitle(tr("Bubble: measured vs analytic \u2014 not run"));
    memoryChart_->setTitle(tr("Memory per stage \u2014 not run"));
    lossChart_->setTitle(tr("Training loss per batch \u2014 not run"));
    lossChart_->clear();
    batchesShown_ = evaluationsShown_ = 0;
    lossChart_->setNote(none);
}

void ChartsPanel::showRunCharts(const RunModel& model, unsigned which) {
    const int S = static_cast<int>(model.stageNames().size());
    QStringList stages;
    for (const QString& n : model.stageNames()) stages << shortName(n);
    // Each chart names the run, so an exported image says what it shows.
    const ScheduleConfig& c = model.options().schedule;
    const QString run =
        tr(" \u2014 %1, %2")
            .arg(QString::fromUtf8(displayName(c.kind)), comparedConfiguration(model.options()));
    if (which & RunModel::TimingFigures) {
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
            real.push_back(have && k < measured.stages.size() ? measured.stages[k].utilization
                                                              : kNaN);
        }
        std::vector<BarSeries> util;
        if (have) util.push_back({name, measuredColor(), real});
        util.push_back({tr("analytic (simulated schedule)"), analyticColor(), analytic});
        utilChart_->setData(stages, util);
        utilChart_->setTitle(tr("Utilization per stage (busy / makespan)") + run);
        // Why measured and analytic differ, under both charts that show them.
        const QString why = measuredVsAnalyticNote(model, std::thread::hardware_concurrency());
        utilChart_->setCaption(why);
        bubbleChart_->setCaption(why);

        std::vector<BarSeries> bubble;
        if (have) bubble.push_back({name, measuredColor(), {measured.bubbleFraction}});
        bubble.push_back(
            {tr("analytic (simulated schedule)"), analyticColor(), {ideal.bubbleFraction}});
        const ClosedForm& closed = model.ideal().closed;
        if (closed.bubble)
            bubble.push_back(
                {tr("closed form %1").arg(QString::fromStdString(closed.bubbleFormula)),
                 tutorialColor(),
                 {*closed.bubble}});
        bubbleChart_->setData({tr("bubble fraction (idle / (S x makespan))")}, bubble);
        bubbleChart_->setTitle(tr("Bubble: measured vs analytic") + run);
    }
    if (which & RunModel::MemoryFigures) {
        const RunFigures::Peaks& p = model.figures().peaks();
        std::vector<double> act, stash;
        for (int s = 0; s < S; ++s) {
            const auto k = static_cast<std::size_t>(s);
            act.push_back(k < p.activationBytes.size() ? static_cast<double>(p.activationBytes[k])
                                                       : 0.0);
            stash.push_back(k < p.stashBytes.size() ? static_cast<double>(p.stashBytes[k]) : 0.0);
        }
        // No run has reported memory yet: the cut's prediction instead.
        const bool predicted =
            !model.figures().hasMemory() && showPredictedMemory(model.options(), stages, run);
        if (!predicted) {
            memoryChart_->setData(
                stages, {{tr("activations in flight (peak bytes)"), opColor(Op::F), act},
                         {tr("stashed weight versions (peak bytes)"), opColor(Op::U), stash}});
            memoryChart_->setTitle(
                model.source() == RunModel::Source::Simulated
                    ? tr("Memory per stage (estimated from the model shape; simulated run)") + run
                    : tr("Memory per stage") + run);
        }
    }
    if (which & RunModel::LossFigures) showLoss(model, run, which != RunModel::AllFigures);
}

// The loss chart: new batches are appended to what it holds (a long run's
// chart is not rebuilt on every arrival); a new run redraws it.
void ChartsPanel::showLoss(const RunModel& model, const QString& run, bool appendOnly) {
    lossChart_->setTitle((model.evaluations().empty()
                              ? tr("Training loss per batch")
                              : tr("Training loss per batch and held-out evaluations")) +
                         run);
    const std::vector<BatchEvent>& batches = model.batches();
    if (!appendOnly || batchesShown_ > batches.size()) {
        lossChart_->clear();
        batchesShown_ = 0;
    }
    lossChart_->addPoints(batches, batchesShown_);
    batchesShown_ = batches.size();
    // Evaluations are few (one per --eval-every batches): redrawn when one arrives.
    if (!appendOnly || evaluationsShown_ != model.evaluations().size())
        lossChart_->setHeldOut(model.evaluations());
    evaluationsShown_ = model.evaluations().size();
    lossChart_->setNote(model.source() == RunModel::Source::File
                            ? tr("No loss: the file records the schedule's slots only")
                        : model.source() == RunModel::Source::Simulated
                            ? tr("No loss: the run is simulated (no training engine)")
                        : batches.empty() ? tr("No batch has finished yet")
                                          : QString());
}

// Before a run reports memory: each stage's memory as the cut predicts it
// from the layers' bytes (weights x the versions the schedule holds, plus
// activations x the microbatches in flight), so that dragging a boundary
// shows what it does to memory at once. False when the options do not cut.
bool ChartsPanel::showPredictedMemory(const RunOptions& options, const QStringList& stages,
                                      const QString& run) {
    // Arithmetic over the layers only (no schedule simulated): this runs on
    // every refresh of the charts until a run reports memory.
    std::vector<std::int64_t> memory;
    try {
        memory = partitionMemory(layerCosts(options), layerSplit(options), options.schedule);
    } catch (const std::exception&) {
        return false;
    }
    std::vector<double> bytes;
    for (std::int64_t b : memory) bytes.push_back(static_cast<double>(b));
    if (bytes.size() != static_cast<std::size_t>(stages.size())) return false;
    memoryChart_->setData(stages, {{tr("predicted peak bytes (weights and versions held, "
                                       "activations in flight)"),
                                    analyticColor(), bytes}});
    memoryChart_->setTitle(tr("Memory per stage, predicted from the layers' %1 before the run")
                               .arg(options.profile ? tr("profile") : tr("shapes")) +
                           run);
    return true;
}

void ChartsPanel::beginComparison(const RunOptions& base, const QString& status, bool cuts) {
    rows_.clear();
    cuts_ = cuts;
    comparedKey_ = comparisonKey(base, cuts);
    compareChart_->setNote(QString());
    compareTable_->setRowCount(0);
    compareTable_->horizontalHeaderItem(0)->setText(cuts ? tr("partition") : tr("schedule"));
    comparedTitle_ = comparedConfiguration(base);
    compareChart_->setTitle(
        cuts ? tr("Every partition of %1 on %2")
                   .arg(QString::fromUtf8(displayName(base.schedule.kind)), comparedTitle_)
             : tr("Every schedule on %1").arg(comparedTitle_));
    // Real runs of the comparison share this machine's cores as the run's do.
    RunOptions threads = base;
    threads.backend = "threads";
    coreNote_ =
        QString::fromStdString(coreSharingNote(threads, std::thread::hardware_concurrency()));
    setComparisonStatus(status);
    redrawComparison();
}

QString ChartsPanel::comparisonTitle() const {
    return compareChart_->title();
}

void ChartsPanel::dropComparison(const QString& why) {
    comparedKey_.clear();
    rows_.clear();
    coreNote_.clear();
    compareTable_->setRowCount(0);
    compareStatus_->setText(QString());
    compareChart_->setTitle(tr("Schedule comparison"));
    compareChart_->setData({}, {});
    compareChart_->setNote(why);
}

void ChartsPanel::setComparisonStatus(const QString& status) {
    if (comparedKey_.isEmpty()) return;  // dropped: its job's end says nothing here
    const bool measured = std::any_of(rows_.begin(), rows_.end(), [](const ComparisonRow& r) {
        return std::isfinite(r.measuredUtilization);
    });
    compareStatus_->setText(measured && !coreNote_.isEmpty()
                                ? status + QLatin1Char(' ') +
                                      tr("Measured figures: %1").arg(coreNote_)
                                : status);
    compareStatus_->setWordWrap(true);
}

void ChartsPanel::addComparisonRow(const ComparisonRow& r) {
    if (comparedKey_.isEmpty()) return;  // dropped: the run on screen moved on
    // A real run's row replaces the analytic one of its configuration.
    const auto same = std::find_if(rows_.begin(), rows_.end(),
                                   [&](const ComparisonRow& x) { return x.name == r.name; });
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
        for (int c = 2; c < 8; ++c) cell(c, QString());
    } else {
        const bool measured = std::isfinite(r.measuredUtilization);
        cell(1, measured ? tr("%1 (analytic %2)")
                               .arg(pctText(r.measuredUtilization), pctText(r.analyticUtilization))
                         : pctText(r.analyticUtilization));
        cell(2,
             measured
                 ? tr("%1 (analytic %2)").arg(pctText(r.measuredBubble), pctText(r.analyticBubble))
                 : pctText(r.analyticBubble));
        cell(3, tr("%1%2 (%3)")
                    .arg(formatBytes(r.peakMemoryBytes), r.memoryMeasured ? QString() : tr(" est."),
                         countText(r.peakActivations, tr("activation"), tr("activations"))));
        compareTable_->item(i, 3)->setToolTip(
            (r.memoryMeasured ? tr("Measured on the real run: ")
                              : tr("Estimated from the model shape: ")) +
            tr("the activations a forward keeps for its backward (each layer's input and its "
               "output before the ReLU, fp32) times the microbatches in flight, plus stashed "
               "weight versions; the most of any stage. %1 in flight at most on stage 0.")
                .arg(countText(r.peakActivations, tr("microbatch"), tr("microbatches"))));
        cell(4, QString::number(r.versionsHeld));
        cell(5, std::isfinite(r.finalLoss) ? QString::number(r.finalLoss, 'f', 4)
                                           : tr("n/a (simulated)"));
        if (!r.problem.empty())
            compareTable_->item(i, 0)->setToolTip(QString::fromStdString(r.problem));
    }
    // Each row's makespan against the first's (the first may arrive later),
    // and its time to the held-out figure every row reached.
    const HeldOutTarget target = heldOutTarget(rows_);
    for (int k = 0; k < static_cast<int>(rows_.size()); ++k) {
        if (!rows_[k].valid) continue;
        compareTable_->setItem(k, 6, new QTableWidgetItem(timeText(rows_[k])));
        compareTable_->setItem(k, 7, new QTableWidgetItem(heldOutText(rows_[k], target)));
    }
    redrawComparison();
}

// "0.84 (0.82)": the row's measured makespan over the first row's, the
// simulated ratio in parentheses; the simulated one alone before real runs.
QString ChartsPanel::timeText(const ComparisonRow& r) const {
    const ComparisonRow& first = rows_.front();
    const double analytic = r.analyticMakespan / first.analyticMakespan;
    const double measured = r.measuredMakespanMs / first.measuredMakespanMs;
    const QString a = std::isfinite(analytic) ? QString::number(analytic, 'f', 2) : QString();
    return std::isfinite(measured) ? tr("%1 (%2)").arg(QString::number(measured, 'f', 2), a) : a;
}

// "0.8120 (3.1 s)": the final held-out accuracy (text: loss in nats) and
// the training seconds to the comparison's target; empty without evaluations.
QString ChartsPanel::heldOutText(const ComparisonRow& r, const HeldOutTarget& target) const {
    if (r.evaluations.empty()) return {};
    const EvaluationEvent& last = r.evaluations.back();
    const QString value = target.accuracy ? QString::number(last.accuracy, 'f', 4)
                                          : tr("%1 nats").arg(QString::number(last.loss, 'f', 3));
    const double s = secondsToTarget(r, target);
    return std::isfinite(s) ? tr("%1 (%2 s)").arg(value, QString::number(s, 'f', 1)) : value;
}

void ChartsPanel::redrawComparison() {
    QStringList names, tips;
    std::vector<double> measuredUtil, util, bubble;
    bool anyMeasured = false;
    for (const ComparisonRow& r : rows_) {
        if (!r.valid) continue;
        anyMeasured = anyMeasured || std::isfinite(r.measuredUtilization);
        names << QString::fromStdString(r.label);
        tips << QString::fromStdString(r.name);
        measuredUtil.push_back(r.measuredUtilization);
        util.push_back(r.analyticUtilization);
        bubble.push_back(r.analyticBubble);
    }
    std::vector<BarSeries> series;
    if (anyMeasured)
        series.push_back({tr("utilization (measured)"), measuredColor(), measuredUtil});
    series.push_back({tr("utilization (analytic)"), analyticColor(), util});
    series.push_back({tr("bubble (analytic)"), tutorialColor(), bubble});
    compareChart_->setCategoryToolTips(tips);
    compareChart_->setData(names, series);
}

}  // namespace pd
