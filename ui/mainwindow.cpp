#include "mainwindow.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QThread>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "charts.h"
#include "enginecontroller.h"
#include "explain.h"
#include "exporter.h"
#include "figures.h"
#include "measured.h"
#include "palette.h"
#include "timelineplot.h"
#include "trace.h"
#include "versionpanel.h"

// The icon lives in a resource file compiled into this static library: it
// must be registered by name, from the global namespace.
static void initResources() {
    Q_INIT_RESOURCE(pipedream_viz);
}

namespace pd {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QSettings settings() {
    return QSettings(QStringLiteral("PipeDreamStudio"), QStringLiteral("pipedream-viz"));
}

QSpinBox* spin(int lo, int hi, QWidget* parent) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setKeyboardTracking(false);
    return s;
}

QString shortName(const QString& lane) {
    return lane.section(QLatin1Char(' '), 0, 0);
}

}  // namespace

MainWindow::MainWindow(const RunOptions& options, QWidget* parent, bool autoStart)
    : QMainWindow(parent) {
    initResources();
    setWindowTitle(tr("PipeDream Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/pipedream-viz.svg")));
    setAcceptDrops(true);
    controller_ = new EngineController(this);
    timeline_ = new TimelineView(this);
    timeline_->setMinimumSize(480, 220);
    setCentralWidget(timeline_);

    restartTimer_.setSingleShot(true);
    restartTimer_.setInterval(350);
    connect(&restartTimer_, &QTimer::timeout, this, &MainWindow::restartRun);
    replayTimer_.setInterval(33);
    connect(&replayTimer_, &QTimer::timeout, this, &MainWindow::replayTick);

    buildControls();
    buildDocks();
    buildActions();
    connectController();

    statusBatch_ = new QLabel(this);
    statusVersions_ = new QLabel(this);
    statusRate_ = new QLabel(this);
    statusMode_ = new QLabel(this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(180);
    // Permanent widgets: a temporary message (export done...) never hides them.
    statusBar()->addPermanentWidget(statusBatch_);
    statusBar()->addPermanentWidget(statusVersions_);
    statusBar()->addPermanentWidget(statusRate_, 1);
    statusBar()->addPermanentWidget(statusMode_);
    statusBar()->addPermanentWidget(progress_);

    resize(1400, 900);
    {
        QSettings s = settings();
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    }
    setOptions(options);
    restartTimer_.stop();
    if (autoStart && valid_) restartRun();
    updateStatus();
}

MainWindow::~MainWindow() {
    controller_->cancel();
}

// ---------------------------------------------------------------------------
// Controls

void MainWindow::buildControls() {
    controls_ = new QWidget(this);
    auto* form = new QFormLayout(controls_);

    schedule_ = new QComboBox(controls_);
    for (ScheduleKind k : allScheduleKinds())
        schedule_->addItem(QString::fromUtf8(displayName(k)), QString::fromLatin1(toString(k)));
    form->addRow(tr("&Schedule"), schedule_);

    auto sliderRow = [&](const QString& label, int lo, int hi, QSlider*& slider, QSpinBox*& box) {
        auto* row = new QWidget(controls_);
        auto* h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        slider = new QSlider(Qt::Horizontal, row);
        slider->setRange(lo, hi);
        slider->setPageStep(1);
        slider->setTickPosition(QSlider::TicksBelow);
        box = spin(lo, hi, row);
        h->addWidget(slider, 1);
        h->addWidget(box);
        connect(slider, &QSlider::valueChanged, box, &QSpinBox::setValue);
        connect(box, qOverload<int>(&QSpinBox::valueChanged), slider, &QSlider::setValue);
        form->addRow(label, row);
    };
    sliderRow(tr("S&tages"), 1, 8, stagesSlider_, stagesSpin_);
    sliderRow(tr("&Microbatches"), 1, 32, microSlider_, microSpin_);
    batches_ = spin(1, 50, controls_);
    form->addRow(tr("Batches"), batches_);
    batchSize_ = spin(1, 4096, controls_);
    form->addRow(tr("Batch size"), batchSize_);
    layers_ = spin(1, 512, controls_);
    form->addRow(tr("Layers"), layers_);
    hidden_ = spin(8, 8192, controls_);
    hidden_->setSingleStep(64);
    form->addRow(tr("Hidden width"), hidden_);
    chunks_ = spin(1, 8, controls_);
    chunks_->setToolTip(tr("Model chunks per stage (interleaved schedule only)"));
    form->addRow(tr("Chunks (V)"), chunks_);
    lr_ = new QDoubleSpinBox(controls_);
    lr_->setDecimals(4);
    lr_->setRange(0.0001, 10.0);
    lr_->setSingleStep(0.01);
    lr_->setKeyboardTracking(false);
    form->addRow(tr("Learning rate"), lr_);
    device_ = new QComboBox(controls_);
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    device_->setEditable(true);
    form->addRow(tr("Device"), device_);
    vsync_ = new QCheckBox(tr("Vertical sync (PipeDream)"), controls_);
    form->addRow(QString(), vsync_);
    stash_ = new QCheckBox(tr("Weight stashing (PipeDream)"), controls_);
    stash_->setToolTip(
        tr("Off: the no-stash ablation; backwards run on newer weights than their "
           "forwards and are marked as mismatches"));
    form->addRow(QString(), stash_);

    error_ = new QLabel(controls_);
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("QLabel { color: #B00020; font-weight: bold; }"));
    error_->setVisible(false);
    form->addRow(error_);

    auto* buttons = new QWidget(controls_);
    auto* grid = new QGridLayout(buttons);
    grid->setContentsMargins(0, 6, 0, 0);
    runButton_ = new QPushButton(buttons);
    auto* stepSlot = new QPushButton(tr("Step slot"), buttons);
    auto* stepBatch = new QPushButton(tr("Step batch"), buttons);
    auto* resetButton = new QPushButton(tr("Reset"), buttons);
    auto* replayButton = new QPushButton(tr("Replay"), buttons);
    for (QPushButton* b : {runButton_, stepSlot, stepBatch, resetButton, replayButton})
        b->setFocusPolicy(Qt::TabFocus);  // Space stays the Run/Pause shortcut
    grid->addWidget(runButton_, 0, 0);
    grid->addWidget(stepSlot, 0, 1);
    grid->addWidget(stepBatch, 0, 2);
    grid->addWidget(resetButton, 1, 0);
    grid->addWidget(replayButton, 1, 1);
    speed_ = new QComboBox(buttons);
    for (double s : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0})
        speed_->addItem(QStringLiteral("%1x").arg(s), s);
    speed_->setCurrentIndex(2);
    speed_->setToolTip(tr("Speed of the simulated run and of replays"));
    grid->addWidget(speed_, 1, 2);
    form->addRow(buttons);
    connect(runButton_, &QPushButton::clicked, this, &MainWindow::runOrPause);
    connect(stepSlot, &QPushButton::clicked, this, &MainWindow::stepSlot);
    connect(stepBatch, &QPushButton::clicked, this, &MainWindow::stepBatch);
    connect(resetButton, &QPushButton::clicked, this, &MainWindow::reset);
    connect(replayButton, &QPushButton::clicked, this, &MainWindow::replay);
    connect(speed_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { controller_->setSimulatedPace(40.0 / speed()); });

    auto changed = [this] { controlsChanged(); };
    connect(schedule_, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
    for (QSpinBox* s : {stagesSpin_, microSpin_, batches_, batchSize_, layers_, hidden_, chunks_})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, changed);
    connect(lr_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
    connect(device_, &QComboBox::currentTextChanged, this, changed);
    connect(vsync_, &QCheckBox::toggled, this, changed);
    connect(stash_, &QCheckBox::toggled, this, changed);
}

double MainWindow::speed() const {
    return speed_ ? speed_->currentData().toDouble() : 1.0;
}

RunOptions MainWindow::currentOptions() const {
    RunOptions o = result_.options;
    if (auto kind = parseScheduleKind(schedule_->currentData().toString().toStdString()))
        o.schedule.kind = *kind;
    o.schedule.stages = stagesSpin_->value();
    o.schedule.microbatches = microSpin_->value();
    o.schedule.batches = batches_->value();
    o.schedule.chunks = o.schedule.kind == ScheduleKind::Interleaved ? chunks_->value() : 1;
    const bool pipedream = o.schedule.kind == ScheduleKind::PipeDream;
    o.schedule.verticalSync = pipedream && vsync_->isChecked();
    o.schedule.stash = !pipedream || stash_->isChecked();
    o.batchSize = batchSize_->value();
    o.layers = layers_->value();
    o.hidden = hidden_->value();
    o.lr = lr_->value();
    o.device = device_->currentText().trimmed().toStdString();
    o.dryRun = false;
    o.headless = false;
    return o;
}

void MainWindow::setOptions(const RunOptions& o) {
    showInControls(o);
    result_.options = o;
    controlsChanged();
}

void MainWindow::showInControls(const RunOptions& o) {
    updatingControls_ = true;
    const int k = schedule_->findData(QString::fromLatin1(toString(o.schedule.kind)));
    schedule_->setCurrentIndex(std::max(0, k));
    stagesSpin_->setValue(o.schedule.stages);
    microSpin_->setValue(o.schedule.microbatches);
    batches_->setValue(o.schedule.batches);
    batchSize_->setValue(o.batchSize);
    layers_->setValue(o.layers);
    hidden_->setValue(o.hidden);
    chunks_->setValue(
        std::max(o.schedule.kind == ScheduleKind::Interleaved ? 2 : 1, o.schedule.chunks));
    lr_->setValue(o.lr);
    device_->setCurrentText(QString::fromStdString(o.device));
    vsync_->setChecked(o.schedule.verticalSync);
    stash_->setChecked(o.schedule.stash);
    updatingControls_ = false;
}

QString MainWindow::inlineError() const {
    return error_->isHidden() ? QString() : error_->text();
}

void MainWindow::syncEnabledControls() {
    const auto kind = parseScheduleKind(schedule_->currentData().toString().toStdString());
    const bool interleaved = kind == ScheduleKind::Interleaved;
    const bool pipedream = kind == ScheduleKind::PipeDream;
    chunks_->setEnabled(interleaved);
    if (interleaved && chunks_->value() < 2) {
        const QSignalBlocker block(chunks_);
        chunks_->setValue(2);
    }
    vsync_->setEnabled(pipedream);
    stash_->setEnabled(pipedream);
    // Neither the stages nor the microbatches may exceed what the model and
    // the batch can be split into: the widgets say so by their range.
    // Runs opened from files may be larger than the ranges offered here; the
    // ranges then grow to hold them.
    stagesSpin_->setMaximum(std::min(std::max(8, openedRange_.stages), layers_->value()));
    stagesSlider_->setMaximum(stagesSpin_->maximum());
    microSpin_->setMaximum(std::min(std::max(32, openedRange_.microbatches), batchSize_->value()));
    microSlider_->setMaximum(microSpin_->maximum());
    batches_->setMaximum(std::max(50, openedRange_.batches));
    chunks_->setMaximum(std::max(8, openedRange_.chunks));
}

void MainWindow::controlsChanged() {
    if (updatingControls_) return;
    syncEnabledControls();
    const RunOptions o = currentOptions();
    RunResult next;
    QString problem;
    valid_ = prepareRun(o, next, &problem);
    error_->setVisible(!valid_);
    error_->setText(valid_ ? QString() : problem);
    if (runAct_) runAct_->setEnabled(valid_);
    runButton_->setEnabled(valid_);
    if (!valid_) {
        restartTimer_.stop();
        return;  // the previous schedule stays on screen, the message explains
    }
    controller_->cancel();
    running_ = false;
    finished_ = false;
    openedFrom_.clear();
    result_ = std::move(next);
    showIdeal();
    explain_->setHtml(explainHtml(result_.ideal));
    restartTimer_.start();
}

// The ideal schedule at once; the measured lane data is cleared.
void MainWindow::showIdeal() {
    replayTimer_.stop();
    result_.measured = false;
    result_.slots.clear();
    result_.memory.clear();
    result_.batches.clear();
    result_.versions.clear();
    timeline_->setLanes(result_.stageNames);
    idealMsPerUnit_ = 1.0;
    const auto boxes = idealBoxes(result_.ideal.timeline, idealMsPerUnit_);
    timeline_->ideal()->data().append(boxes.begin(), boxes.end());
    timeline_->measured()->setReveal(std::numeric_limits<double>::infinity());
    timeline_->setPlayhead(kNaN);
    timeline_->setTitle(QString());
    timeline_->xAxis->setLabel(controller_->engineAvailable() && !controller_->preferSimulated()
                                   ? tr("time (ms; ideal schedule in forward units until measured)")
                                   : tr("time (simulated units: one forward = 1)"));
    if (mode_ && mode_->currentIndex() == 0) timeline_->setMode(TimelineView::Mode::Ideal);
    versions_->setStages(result_.stageNames);
    lossChart_->clear();
    lossChart_->setNote(
        controller_->engineAvailable() && !controller_->preferSimulated()
            ? QString()
            : tr("No loss: this build has no training engine, the run is simulated"));
    timeline_->fit();
    updateCharts();
    updateStatus();
}

// ---------------------------------------------------------------------------
// Docks, actions, menus

void MainWindow::buildDocks() {
    setDockNestingEnabled(true);
    auto* controlsDock = new QDockWidget(tr("Controls"), this);
    controlsDock->setObjectName(QStringLiteral("controls"));
    controlsDock->setWidget(controls_);
    addDockWidget(Qt::LeftDockWidgetArea, controlsDock);

    versions_ = new VersionPanel(this);
    auto* versionDock = new QDockWidget(tr("Weight versions"), this);
    versionDock->setObjectName(QStringLiteral("versions"));
    versionDock->setWidget(versions_);
    addDockWidget(Qt::RightDockWidgetArea, versionDock);

    explain_ = new QTextBrowser(this);
    explain_->setOpenExternalLinks(false);
    auto* explainDock = new QDockWidget(tr("Explain"), this);
    explainDock->setObjectName(QStringLiteral("explain"));
    explainDock->setWidget(explain_);
    addDockWidget(Qt::RightDockWidgetArea, explainDock);

    charts_ = new QTabWidget(this);
    utilChart_ = new GroupedBarChart(charts_);
    bubbleChart_ = new GroupedBarChart(charts_);
    memoryChart_ = new GroupedBarChart(charts_);
    memoryChart_->setFormat(GroupedBarChart::Format::Bytes);
    lossChart_ = new LossChart(charts_);
    charts_->addTab(utilChart_, tr("Utilization"));
    charts_->addTab(bubbleChart_, tr("Bubble"));
    charts_->addTab(lossChart_, tr("Loss"));
    charts_->addTab(memoryChart_, tr("Memory"));

    auto* compare = new QWidget(charts_);
    auto* v = new QHBoxLayout(compare);
    auto* left = new QVBoxLayout;
    auto* compareButton =
        new QPushButton(tr("Compare every schedule on this configuration"), compare);
    connect(compareButton, &QPushButton::clicked, this, &MainWindow::compareSchedules);
    compareReal_ =
        new QCheckBox(tr("Real runs (LibTorch; takes a few seconds per schedule)"), compare);
    compareReal_->setEnabled(EngineController::engineAvailable());
    compareReal_->setChecked(EngineController::engineAvailable());
    if (!EngineController::engineAvailable())
        compareReal_->setToolTip(tr("This build has no training engine: simulated figures only"));
    compareStatus_ = new QLabel(compare);
    compareTable_ = new QTableWidget(compare);
    compareTable_->setColumnCount(6);
    compareTable_->setHorizontalHeaderLabels({tr("schedule"), tr("utilization"), tr("bubble"),
                                              tr("peak memory / stage"), tr("versions held"),
                                              tr("final loss")});
    compareTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    compareTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    left->addWidget(compareButton);
    left->addWidget(compareReal_);
    left->addWidget(compareStatus_);
    left->addWidget(compareTable_, 1);
    v->addLayout(left, 1);
    compareChart_ = new GroupedBarChart(compare);
    v->addWidget(compareChart_, 1);
    charts_->addTab(compare, tr("Schedule comparison"));

    auto* chartsDock = new QDockWidget(tr("Charts"), this);
    chartsDock->setObjectName(QStringLiteral("charts"));
    chartsDock->setWidget(charts_);
    addDockWidget(Qt::BottomDockWidgetArea, chartsDock);
    resizeDocks({chartsDock}, {280}, Qt::Vertical);
    resizeDocks({controlsDock, versionDock}, {320, 300}, Qt::Horizontal);
}

void MainWindow::buildActions() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QMenu* exportMenu = new QMenu(tr("&Export"), file);
    exportMenu->addAction(tr("Timeline image (PNG, SVG, PDF)..."), QKeySequence(tr("Ctrl+E")), this,
                          [this] { exportDialog(0); });
    exportMenu->addAction(tr("Current chart image..."), this, [this] { exportDialog(1); });
    exportMenu->addAction(tr("All charts image..."), this, [this] { exportDialog(2); });
    exportMenu->addAction(tr("Run as CSV..."), this, [this] { exportDialog(3); });
    exportMenu->addAction(tr("Run as Chrome trace..."), this, [this] { exportDialog(4); });
    file->addAction(tr("&Open run (CSV or Chrome trace)..."), QKeySequence::Open, this,
                    &MainWindow::openDialog);
    file->addMenu(exportMenu);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    runAct_ = run->addAction(tr("Run / Pause"), this, &MainWindow::runOrPause);
    runAct_->setShortcut(Qt::Key_Space);
    stepSlotAct_ = run->addAction(tr("Step slot"), this, &MainWindow::stepSlot);
    stepSlotAct_->setShortcut(Qt::Key_Right);
    stepBatchAct_ = run->addAction(tr("Step batch"), this, &MainWindow::stepBatch);
    stepBatchAct_->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_Right));
    resetAct_ = run->addAction(tr("Reset"), this, &MainWindow::reset);
    resetAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    replayAct_ = run->addAction(tr("Replay finished run"), this, &MainWindow::replay);
    replayAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    for (QAction* a : {runAct_, stepSlotAct_, stepBatchAct_, resetAct_, replayAct_})
        a->setShortcutContext(Qt::WindowShortcut);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Fit timeline"), QKeySequence(Qt::Key_F), timeline_, &TimelineView::fit);
    view->addAction(tr("Zoom in"), QKeySequence(Qt::CTRL | Qt::Key_Plus), timeline_,
                    [this] { timeline_->zoomBy(1.5); });
    view->addAction(tr("Zoom out"), QKeySequence(Qt::CTRL | Qt::Key_Minus), timeline_,
                    [this] { timeline_->zoomBy(1.0 / 1.5); });
    view->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

    auto* bar = addToolBar(tr("Timeline"));
    bar->setObjectName(QStringLiteral("timelineToolbar"));
    bar->addAction(runAct_);
    bar->addAction(stepSlotAct_);
    bar->addAction(stepBatchAct_);
    bar->addAction(resetAct_);
    bar->addAction(replayAct_);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Show: "), bar));
    mode_ = new QComboBox(bar);
    mode_->addItems({tr("Measured"), tr("Ideal (simulated)"), tr("Both overlaid")});
    mode_->setFocusPolicy(Qt::ClickFocus);
    bar->addWidget(mode_);
    connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        timeline_->setMode(i == 0   ? TimelineView::Mode::Measured
                           : i == 1 ? TimelineView::Mode::Ideal
                                    : TimelineView::Mode::Both);
        timeline_->fit();
    });
    bar->addWidget(new QLabel(tr(" Colour: "), bar));
    colorMode_ = new QComboBox(bar);
    colorMode_->addItems({tr("by op"), tr("by weight version")});
    colorMode_->setFocusPolicy(Qt::ClickFocus);
    bar->addWidget(colorMode_);
    bar->addAction(tr("Fit"), timeline_, &TimelineView::fit);
    // Legend of the colours in use: ops, or weight versions.
    bar->addSeparator();
    auto chip = [bar](const QString& text, const QString& tip, const QColor& c) {
        auto* l = new QLabel(QStringLiteral(" %1 ").arg(text), bar);
        l->setToolTip(tip);
        l->setStyleSheet(
            QStringLiteral("QLabel { background: %1; color: %2; font-weight: bold; margin: 2px; }")
                .arg(c.name(), textColorOn(c).name()));
        return bar->addWidget(l);
    };
    for (Op op : {Op::F, Op::B, Op::I, Op::W, Op::U})
        opLegend_.push_back(chip(QString(QLatin1Char(opChar(op))), opName(op), opColor(op)));
    for (int v = 0; v < kVersionColors; ++v) {
        QAction* a = chip(QStringLiteral("v%1").arg(v),
                          tr("weight version %1 (colours repeat every %2 versions: v%3 looks like v%1)")
                              .arg(v)
                              .arg(kVersionColors)
                              .arg(v + kVersionColors),
                          versionColor(v));
        a->setVisible(false);
        versionLegend_.push_back(a);
    }
    connect(colorMode_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        timeline_->setColorMode(i == 0 ? GanttPlottable::ColorMode::ByOp
                                       : GanttPlottable::ColorMode::ByVersion);
        for (QAction* a : opLegend_) a->setVisible(i == 0);
        for (QAction* a : versionLegend_) a->setVisible(i != 0);
        timeline_->replot(QCustomPlot::rpQueuedReplot);
    });
}

void MainWindow::connectController() {
    connect(controller_, &EngineController::started, this, [this] {
        result_.slots.clear();
        result_.memory.clear();
        result_.batches.clear();
        result_.versions.clear();
        timeline_->measured()->data().reset(static_cast<int>(result_.stageNames.size()));
        forwardMsSum_ = 0.0;
        forwardCount_ = 0;
        versions_->setStages(result_.stageNames);
        lossChart_->clear();
        runClock_.start();
    });
    connect(controller_, &EngineController::slotsArrived, this, &MainWindow::onSlots);
    connect(controller_, &EngineController::memoryArrived, this, &MainWindow::onMemory);
    connect(controller_, &EngineController::versionsArrived, this, &MainWindow::onVersions);
    connect(controller_, &EngineController::batchesArrived, this, &MainWindow::onBatches);
    connect(controller_, &EngineController::finished, this, &MainWindow::onFinished);
    connect(controller_, &EngineController::failed, this, &MainWindow::onFailed);
    connect(controller_, &EngineController::pausedChanged, this, [this] { updateRunAction(); });
}

// ---------------------------------------------------------------------------
// Run control

void MainWindow::restartRun() {
    restartTimer_.stop();
    if (!valid_) return;
    replayTimer_.stop();
    timeline_->measured()->setReveal(std::numeric_limits<double>::infinity());
    controller_->setSimulatedPace(40.0 / speed());
    QString problem;
    openedFrom_.clear();
    if (!controller_->start(result_.options, &problem)) {
        onFailed(problem);
        return;
    }
    running_ = true;
    finished_ = false;
    result_.measured = !controller_->simulated();
    lossChart_->setNote(controller_->simulated()
                            ? tr("No loss: the run is simulated (no training engine)")
                            : QString());
    if (mode_ && mode_->currentIndex() == 0) timeline_->setMode(TimelineView::Mode::Measured);
    timeline_->xAxis->setLabel(controller_->simulated()
                                   ? tr("time (simulated units: one forward = 1)")
                                   : tr("time (ms, measured)"));
    timeline_->fit();
    updateRunAction();
    updateStatus();
}

void MainWindow::runOrPause() {
    if (!valid_) return;
    if (!running_) {
        restartRun();
    } else if (controller_->paused()) {
        controller_->resume();
    } else {
        controller_->pause();
    }
    updateRunAction();
}

void MainWindow::stepSlot() {
    if (!valid_) return;
    if (!running_) {
        restartRun();
        controller_->pause();
    }
    controller_->stepSlot();
    updateRunAction();
}

void MainWindow::stepBatch() {
    if (!valid_) return;
    if (!running_) {
        restartRun();
        controller_->pause();
    }
    controller_->stepBatch();
    updateRunAction();
}

void MainWindow::reset() {
    restartTimer_.stop();
    controller_->cancel();
    running_ = false;
    finished_ = false;
    openedFrom_.clear();  // the opened run's events are gone with the rest
    showIdeal();
    updateRunAction();
}

void MainWindow::replay() {
    if (running_ || timeline_->measured()->data().empty()) return;
    replayAt_ = 0.0;
    timeline_->setFollow(false);
    timeline_->fit();
    timeline_->measured()->setReveal(0.0);
    replayTimer_.start();
}

void MainWindow::replayTick() {
    const double end = timeline_->measured()->data().endTime();
    // A whole run replays in about 8 s at 1x, whatever its length.
    replayAt_ += end / 8000.0 * replayTimer_.interval() * speed();
    if (replayAt_ >= end) {
        replayTimer_.stop();
        timeline_->measured()->setReveal(std::numeric_limits<double>::infinity());
        timeline_->setPlayhead(kNaN);
        timeline_->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    timeline_->measured()->setReveal(replayAt_);
    timeline_->setPlayhead(replayAt_);
    timeline_->replot(QCustomPlot::rpQueuedReplot);
}

void MainWindow::updateRunAction() {
    const QString text = running_ && !controller_->paused() ? tr("Pause") : tr("Run");
    runAct_->setText(text);
    runButton_->setText(text + tr(" (Space)"));
    replayAct_->setEnabled(!running_);
}

// ---------------------------------------------------------------------------
// Events from the controller (batched by its drain timer)

void MainWindow::onSlots(const QVector<SlotEvent>& events) {
    double latest = 0.0;
    for (const SlotEvent& e : events) {
        result_.slots.push_back(e);
        timeline_->measured()->data().append(e);
        latest = std::max(latest, static_cast<double>(e.endUs) / 1000.0);
    }
    // Once real forwards are measured, the ideal timeline is drawn in their
    // scale: one simulator unit = the mean measured forward of a stage.
    if (!controller_->simulated() || !openedFrom_.isEmpty()) {
        for (const SlotEvent& e : events)
            if (e.op == Op::F) {
                forwardMsSum_ += static_cast<double>(e.endUs - e.startUs) / 1000.0;
                ++forwardCount_;
            }
        const double scale = forwardCount_ ? forwardMsSum_ / forwardCount_ *
                                                 std::max(1, result_.options.schedule.chunks)
                                           : 0.0;
        if (scale > 0.0 && std::abs(scale - idealMsPerUnit_) > 0.05 * idealMsPerUnit_) {
            idealMsPerUnit_ = scale;
            timeline_->ideal()->data().reset(static_cast<int>(result_.stageNames.size()));
            const auto boxes = idealBoxes(result_.ideal.timeline, idealMsPerUnit_);
            timeline_->ideal()->data().append(boxes.begin(), boxes.end());
        }
    }
    timeline_->setPlayhead(
        std::max(latest, std::isfinite(timeline_->playhead()) ? timeline_->playhead() : 0.0));
    timeline_->refresh();  // one queued replot per drain, never one per event
    updateStatus();
}

void MainWindow::onMemory(const QVector<MemoryEvent>& events) {
    result_.memory.insert(result_.memory.end(), events.begin(), events.end());
}

void MainWindow::onVersions(const QVector<VersionEvent>& events) {
    for (const VersionEvent& e : events) {
        versions_->apply(e);
        result_.versions.push_back(e);
    }
    updateStatus();
}

void MainWindow::onBatches(const QVector<BatchEvent>& events) {
    for (const BatchEvent& b : events) {
        result_.batches.push_back(b);
        lossChart_->addPoint(b.batch, b.loss);
    }
    updateCharts();
    updateStatus();
}

void MainWindow::onFinished(const RunSummary& summary) {
    running_ = false;
    finished_ = !summary.cancelled;
    timeline_->setPlayhead(kNaN);
    timeline_->refresh();
    updateCharts();
    updateRunAction();
    updateStatus();
    if (finished_ && controller_->simulated())
        statusRate_->setText(tr("finished: %1 batches in %2 simulated units")
                                 .arg(summary.batchesDone)
                                 .arg(static_cast<double>(summary.timeUs) / 1000.0, 0, 'f', 1));
}

void MainWindow::onFailed(const QString& message) {
    running_ = false;
    error_->setText(tr("Run failed: %1").arg(message));
    error_->setVisible(true);
    statusBar()->showMessage(tr("Run failed: %1").arg(message), 10000);
    updateRunAction();
}

// ---------------------------------------------------------------------------
// Charts and status

void MainWindow::updateCharts() {
    const int S = static_cast<int>(result_.stageNames.size());
    QStringList stages;
    for (const QString& n : result_.stageNames) stages << shortName(n);
    const bool haveMeasured = !result_.slots.empty();
    const QString measuredName = !openedFrom_.isEmpty()  ? tr("measured (opened file)")
                                 : controller_->simulated() ? tr("replayed (simulated)")
                                                            : tr("measured");

    BoxFigures m;
    if (haveMeasured) m = measure(timeline_->measured()->data());
    std::vector<double> analytic, measured;
    for (int s = 0; s < S; ++s) {
        analytic.push_back(
            s < static_cast<int>(result_.ideal.analysis.stages.size())
                ? result_.ideal.analysis.stages[static_cast<std::size_t>(s)].utilization
                : kNaN);
        measured.push_back(haveMeasured && s < static_cast<int>(m.utilization.size())
                               ? m.utilization[static_cast<std::size_t>(s)]
                               : kNaN);
    }
    std::vector<BarSeries> util;
    if (haveMeasured) util.push_back({measuredName, measuredColor(), measured});
    util.push_back({tr("analytic (simulated schedule)"), analyticColor(), analytic});
    utilChart_->setData(stages, util);
    utilChart_->setTitle(tr("Utilization per stage (busy / makespan)"));

    std::vector<BarSeries> bubble;
    if (haveMeasured) bubble.push_back({measuredName, measuredColor(), {m.bubbleFraction}});
    bubble.push_back({tr("analytic (simulated schedule)"),
                      analyticColor(),
                      {result_.ideal.analysis.bubbleFraction}});
    if (result_.ideal.closed.bubble)
        bubble.push_back(
            {tr("closed form %1").arg(QString::fromStdString(result_.ideal.closed.bubbleFormula)),
             tutorialColor(),
             {*result_.ideal.closed.bubble}});
    bubbleChart_->setData({tr("bubble fraction (idle / (S x makespan))")}, bubble);
    bubbleChart_->setTitle(tr("Bubble: measured vs analytic"));

    // Memory: the peak per stage of each kind of bytes.
    std::vector<double> act(static_cast<std::size_t>(S), 0.0),
        stash(static_cast<std::size_t>(S), 0.0);
    for (const MemoryEvent& e : result_.memory) {
        if (e.stage < 0 || e.stage >= S) continue;
        act[static_cast<std::size_t>(e.stage)] =
            std::max(act[static_cast<std::size_t>(e.stage)], double(e.activationBytes));
        stash[static_cast<std::size_t>(e.stage)] =
            std::max(stash[static_cast<std::size_t>(e.stage)], double(e.stashBytes));
    }
    memoryChart_->setData(stages,
                          {{tr("activations in flight (peak bytes)"), opColor(Op::F), act},
                           {tr("stashed weight versions (peak bytes)"), opColor(Op::U), stash}});
    memoryChart_->setTitle(
        controller_->simulated() && openedFrom_.isEmpty()
            ? tr("Memory per stage (estimated from the model shape; simulated run)")
            : tr("Memory per stage"));
}

void MainWindow::updateStatus() {
    const int B = result_.options.schedule.batches;
    const int done = static_cast<int>(result_.batches.size());
    statusBatch_->setText(tr("batch %1/%2").arg(done).arg(B));
    statusVersions_->setText(tr("versions: %1").arg(versions_->summary()));
    const double secs = runClock_.isValid() ? runClock_.elapsed() / 1000.0 : 0.0;
    if (done > 0 && secs > 0.0 && !controller_->simulated())
        statusRate_->setText(
            tr("%1 samples/s").arg(done * result_.options.batchSize / secs, 0, 'f', 1));
    else
        statusRate_->setText(controller_->simulated() && done > 0 ? tr("samples/s: n/a (simulated)")
                                                                  : QString());
    statusMode_->setText(!controller_->engineAvailable()
                             ? tr("simulated: no training engine in this build")
                             : controller_->preferSimulated() ? tr("simulated schedule (engine not used)")
                                                              : tr("LibTorch engine"));
    if (!openedFrom_.isEmpty()) {
        statusBatch_->setText(tr("opened %1").arg(QFileInfo(openedFrom_).fileName()));
        statusRate_->clear();
        statusMode_->setText(tr("measured run from a file"));
    }
    const std::size_t total = result_.ideal.timeline.actions.size();
    progress_->setValue(
        total ? static_cast<int>(1000.0 * static_cast<double>(result_.slots.size()) / total) : 0);
}

void MainWindow::compareSchedules() {
    const RunOptions base = currentOptions();
    stopComparison();
    // The simulated figures at once; real runs (when asked) replace them.
    showComparison(pd::compareSchedules(base, allScheduleKinds(), false), base);
    if (!compareReal_->isChecked() || !EngineController::engineAvailable()) {
        compareStatus_->setText(tr("Simulated schedules (analytic figures)."));
        return;
    }
    compareStatus_->setText(tr("Running every schedule for real..."));
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto rows = std::make_shared<std::vector<ComparisonRow>>();
    compareCancel_ = cancel;
    compareThread_ = QThread::create([base, rows, cancel] {
        for (ScheduleKind k : allScheduleKinds()) {
            if (cancel->load()) return;
            rows->push_back(compareOne(base, k, true));
        }
    });
    QThread* thread = compareThread_;
    connect(thread, &QThread::finished, this, [this, thread, rows, cancel, base] {
        thread->deleteLater();
        if (compareThread_ == thread) compareThread_ = nullptr;
        if (cancel->load()) return;
        showComparison(*rows, base);
        compareStatus_->setText(tr("Measured on real runs of this configuration."));
    });
    compareThread_->start();
}

void MainWindow::stopComparison() {
    if (!compareThread_) return;
    compareCancel_->store(true);  // takes effect after the schedule being run
    compareThread_->wait();
    compareThread_ = nullptr;
}

void MainWindow::showComparison(const std::vector<ComparisonRow>& rows, const RunOptions& base) {
    compareTable_->setRowCount(static_cast<int>(rows.size()));
    QStringList names;
    std::vector<double> measuredUtil, util, bubble;
    bool anyMeasured = false;
    auto cell = [](const QString& s) { return new QTableWidgetItem(s); };
    auto pctText = [](double v) {
        return std::isfinite(v) ? QString::number(v * 100.0, 'f', 1) + QLatin1Char('%')
                                : QStringLiteral("n/a");
    };
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
        const ComparisonRow& r = rows[static_cast<std::size_t>(i)];
        compareTable_->setItem(i, 0, cell(r.name));
        if (!r.valid) {
            compareTable_->setItem(i, 1, cell(tr("not valid here: %1").arg(r.problem)));
            for (int c = 2; c < 6; ++c) compareTable_->setItem(i, c, cell(QString()));
            continue;
        }
        const bool measured = std::isfinite(r.measuredUtilization);
        anyMeasured = anyMeasured || measured;
        compareTable_->setItem(
            i, 1,
            cell(measured ? tr("%1 (analytic %2)")
                                .arg(pctText(r.measuredUtilization), pctText(r.analyticUtilization))
                          : pctText(r.analyticUtilization)));
        compareTable_->setItem(
            i, 2,
            cell(measured ? tr("%1 (analytic %2)")
                                .arg(pctText(r.measuredBubble), pctText(r.analyticBubble))
                          : pctText(r.analyticBubble)));
        compareTable_->setItem(i, 3,
                               cell(tr("%1%2 (%3 activations)")
                                        .arg(formatBytes(r.peakMemoryBytes),
                                             r.memoryMeasured ? QString() : tr(" est."))
                                        .arg(r.peakActivations)));
        compareTable_->setItem(i, 4, cell(QString::number(r.versionsHeld)));
        compareTable_->setItem(
            i, 5,
            cell(std::isfinite(r.finalLoss) ? QString::number(r.finalLoss, 'f', 4)
                                            : tr("n/a (simulated)")));
        if (!r.problem.isEmpty()) compareTable_->item(i, 0)->setToolTip(r.problem);
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
    compareChart_->setTitle(tr("Every schedule on S=%1, M=%2, %3 batches")
                                .arg(base.schedule.stages)
                                .arg(base.schedule.microbatches)
                                .arg(base.schedule.batches));
}

// ---------------------------------------------------------------------------
// Export

bool MainWindow::exportTimeline(const QString& path, const QSize& size, QString* error) {
    return exportPlot(timeline_, path, size, error);
}

bool MainWindow::exportCharts(const QString& path, const QSize& size, QString* error) {
    updateCharts();
    return exportStacked({utilChart_, bubbleChart_, lossChart_, memoryChart_}, path, size, error);
}

bool MainWindow::exportCsv(const QString& path, QString* error) {
    const std::vector<SlotEvent> slots =
        result_.slots.empty() ? toSlotEvents(result_.ideal.timeline) : result_.slots;
    return writeFileSafely(path, QByteArray::fromStdString(toCsv(slots)), error);
}

bool MainWindow::exportTrace(const QString& path, QString* error) {
    RunRecord record;
    for (const QString& n : result_.stageNames) record.stageNames.push_back(n.toStdString());
    record.slots = result_.slots.empty() ? toSlotEvents(result_.ideal.timeline) : result_.slots;
    record.memory = result_.memory;
    return writeFileSafely(path, QByteArray::fromStdString(toChromeTrace(record)), error);
}

bool MainWindow::openRun(const QString& path, QString* error) {
    RunResult opened;
    IdentifiedSchedule id;
    if (!loadRunFile(path, result_.options, opened, &id, error)) return false;
    const RunOptions o = opened.options;
    const int M = o.schedule.microbatches;

    restartTimer_.stop();
    stopComparison();
    controller_->cancel();
    running_ = false;
    finished_ = id.complete;
    openedRange_.stages = std::max(openedRange_.stages, o.schedule.stages);
    openedRange_.microbatches = std::max(openedRange_.microbatches, o.schedule.microbatches);
    openedRange_.batches = std::max(openedRange_.batches, o.schedule.batches);
    openedRange_.chunks = std::max(openedRange_.chunks, o.schedule.chunks);
    // Ranges first (they depend on layers and batch size), then the values.
    updatingControls_ = true;
    layers_->setValue(o.layers);
    batchSize_->setValue(o.batchSize);
    updatingControls_ = false;
    syncEnabledControls();
    showInControls(o);
    syncEnabledControls();
    valid_ = true;
    error_->setVisible(false);
    runAct_->setEnabled(true);
    runButton_->setEnabled(true);
    const int S = o.schedule.stages;
    std::vector<SlotEvent> slots = std::move(opened.slots);
    std::vector<MemoryEvent> memory = std::move(opened.memory);
    result_ = std::move(opened);
    showIdeal();  // clears the measured events
    explain_->setHtml(explainHtml(result_.ideal));
    openedFrom_ = path;
    result_.measured = true;
    result_.memory = std::move(memory);
    forwardMsSum_ = 0.0;
    forwardCount_ = 0;
    lossChart_->setNote(
        tr("No loss: %1 records the schedule's slots only").arg(QFileInfo(path).fileName()));
    // The newest version each stage reached: that of its last update.
    std::vector<int> newest(static_cast<std::size_t>(S), 0);
    for (const SlotEvent& e : slots)
        if (e.op == Op::U) {
            int& v = newest[static_cast<std::size_t>(e.stage)];
            v = std::max(v, e.version);
        }
    for (int s = 0; s < S; ++s) {
        VersionEvent v;
        v.stage = s;
        v.version = newest[static_cast<std::size_t>(s)];
        versions_->apply(v);
    }
    timeline_->measured()->data().reset(S);
    if (mode_ && mode_->currentIndex() == 0) timeline_->setMode(TimelineView::Mode::Measured);
    timeline_->xAxis->setLabel(tr("time (ms, measured)"));
    timeline_->setTitle(
        tr("%1: %2, %3 stages, %4 microbatches, %5 batches%6")
            .arg(QFileInfo(path).fileName(), QString::fromUtf8(displayName(o.schedule.kind)))
            .arg(S)
            .arg(M)
            .arg(o.schedule.batches)
            .arg(cutShortNote(id)));
    onSlots(QVector<SlotEvent>(slots.begin(), slots.end()));
    timeline_->setPlayhead(kNaN);
    timeline_->fit();
    updateCharts();
    updateRunAction();
    updateStatus();
    return true;
}

namespace {

// The one local .csv or .json file a drag carries, or empty.
QString droppedRun(const QMimeData* mime) {
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1) return {};
    const QUrl url = mime->urls().constFirst();
    if (!url.isLocalFile()) return {};
    const QString path = url.toLocalFile();
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("csv") || suffix == QLatin1String("json") ? path : QString();
}

}  // namespace

void MainWindow::openDialog() {
    QSettings s = settings();
    const QString folder = s.value(QStringLiteral("open/folder")).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open run"), folder,
                                                      tr("Runs (*.csv *.json);;All files (*)"));
    if (path.isEmpty()) return;
    s.setValue(QStringLiteral("open/folder"), QFileInfo(path).absolutePath());
    openWithMessage(path);
}

void MainWindow::openWithMessage(const QString& path) {
    QString error;
    if (openRun(path, &error))
        statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
    else
        QMessageBox::warning(this, tr("Open failed"), error);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedRun(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedRun(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    // After the drop returns: the message box must not block the drag source.
    QTimer::singleShot(0, this, [this, path] { openWithMessage(path); });
}

void MainWindow::exportDialog(int what) {
    const bool image = what <= 2;
    const QString filter = image       ? tr("Images (*.png *.svg *.pdf)")
                           : what == 3 ? tr("CSV (*.csv)")
                                       : tr("Chrome trace (*.json)");
    const QString suggested = what == 0   ? QStringLiteral("timeline.png")
                              : what == 3 ? QStringLiteral("run.csv")
                              : what == 4 ? QStringLiteral("trace.json")
                                          : QStringLiteral("charts.png");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export"), suggested, filter);
    if (path.isEmpty()) return;
    QString error;
    bool ok = false;
    if (image) {
        QDialog dialog(this);
        dialog.setWindowTitle(tr("Image size"));
        auto* form = new QFormLayout(&dialog);
        auto* w = spin(16, 20000, &dialog);
        auto* h = spin(16, 20000, &dialog);
        QWidget* source = what == 0 ? static_cast<QWidget*>(timeline_) : charts_->currentWidget();
        w->setValue(std::max(800, source->width()));
        h->setValue(std::max(400, source->height()));
        form->addRow(tr("Width (px; PDF: pt)"), w);
        form->addRow(tr("Height"), h);
        auto* box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
        form->addRow(box);
        connect(box, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        connect(box, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
        if (dialog.exec() != QDialog::Accepted) return;
        const QSize size(w->value(), h->value());
        if (what == 0) {
            ok = exportTimeline(path, size, &error);
        } else if (what == 1) {
            auto* plot = qobject_cast<QCustomPlot*>(charts_->currentWidget());
            if (!plot) plot = compareChart_;
            ok = exportPlot(plot, path, size, &error);
        } else {
            ok = exportCharts(path, size, &error);
        }
    } else {
        ok = what == 3 ? exportCsv(path, &error) : exportTrace(path, &error);
    }
    if (ok)
        statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
    else
        QMessageBox::warning(this, tr("Export failed"), error);
}

// ---------------------------------------------------------------------------
// Settings

void MainWindow::saveSettings() const {
    QSettings s = settings();
    const RunOptions o = currentOptions();
    s.setValue(QStringLiteral("run/schedule"), QString::fromLatin1(toString(o.schedule.kind)));
    s.setValue(QStringLiteral("run/stages"), o.schedule.stages);
    s.setValue(QStringLiteral("run/microbatches"), o.schedule.microbatches);
    s.setValue(QStringLiteral("run/batches"), o.schedule.batches);
    s.setValue(QStringLiteral("run/chunks"), o.schedule.chunks);
    s.setValue(QStringLiteral("run/verticalSync"), o.schedule.verticalSync);
    s.setValue(QStringLiteral("run/stash"), o.schedule.stash);
    s.setValue(QStringLiteral("run/batchSize"), o.batchSize);
    s.setValue(QStringLiteral("run/layers"), o.layers);
    s.setValue(QStringLiteral("run/hidden"), o.hidden);
    s.setValue(QStringLiteral("run/lr"), o.lr);
    s.setValue(QStringLiteral("run/device"), QString::fromStdString(o.device));
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
}

RunOptions MainWindow::restoredOptions(const RunOptions& fallback) {
    QSettings s = settings();
    if (!s.contains(QStringLiteral("run/schedule"))) return fallback;
    RunOptions o = fallback;
    if (auto k =
            parseScheduleKind(s.value(QStringLiteral("run/schedule")).toString().toStdString()))
        o.schedule.kind = *k;
    o.schedule.stages = s.value(QStringLiteral("run/stages"), o.schedule.stages).toInt();
    o.schedule.microbatches =
        s.value(QStringLiteral("run/microbatches"), o.schedule.microbatches).toInt();
    o.schedule.batches = s.value(QStringLiteral("run/batches"), o.schedule.batches).toInt();
    o.schedule.chunks = s.value(QStringLiteral("run/chunks"), o.schedule.chunks).toInt();
    o.schedule.verticalSync =
        s.value(QStringLiteral("run/verticalSync"), o.schedule.verticalSync).toBool();
    o.schedule.stash = s.value(QStringLiteral("run/stash"), o.schedule.stash).toBool();
    o.batchSize = s.value(QStringLiteral("run/batchSize"), o.batchSize).toInt();
    o.layers = s.value(QStringLiteral("run/layers"), o.layers).toInt();
    o.hidden = s.value(QStringLiteral("run/hidden"), o.hidden).toInt();
    o.lr = s.value(QStringLiteral("run/lr"), o.lr).toDouble();
    o.device = s.value(QStringLiteral("run/device"), QString::fromStdString(o.device))
                   .toString()
                   .toStdString();
    // A stale or hand-edited file must not keep the window from opening.
    return checkRunOptions(o).empty() ? o : fallback;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    stopComparison();
    controller_->cancel();
    saveSettings();
    QMainWindow::closeEvent(event);
}

}  // namespace pd
