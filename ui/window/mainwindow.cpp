#include "ui/window/mainwindow.h"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStatusBar>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <cmath>
#include <cstdio>

#include "ui/export/animationdialog.h"
#include "ui/export/runexport.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runsession.h"
#include "ui/model/runwalker.h"
#include "ui/model/settings.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/controlspanel.h"
#include "ui/panels/detailspanel.h"
#include "ui/panels/explainpanel.h"
#include "ui/panels/helpdialog.h"
#include "ui/panels/runstatus.h"
#include "ui/panels/versionpanel.h"
#include "ui/views/layerstrip.h"
#include "ui/views/presentation.h"
#include "ui/views/timelineplot.h"
#include "ui/views/timelinetoolbar.h"
#include "ui/window/attachflow.h"
#include "ui/window/cutflow.h"
#include "ui/window/runactions.h"

// The icon lives in a resource file compiled into this static library: it
// must be registered by name, from the global namespace.
static void initResources() {
    Q_INIT_RESOURCE(pipedream_viz);
}

namespace pd {

namespace {

// The Controls dock's scroll area: as wide as the controls need (they
// scroll only vertically), and as tall unless `fitHeight` is off.
class ControlsScroll : public QScrollArea {
public:
    using QScrollArea::QScrollArea;
    bool fitHeight = true;
    QSize minimumSizeHint() const override {
        const QSize base = QScrollArea::minimumSizeHint();
        if (!widget()) return base;
        const QSize need = widget()->minimumSizeHint();
        const int frame = 2 * frameWidth();
        // Wrapped lines (the note, an error) need the height at this width.
        const int width = std::max(viewport()->width(), need.width());
        const int tall = widget()->hasHeightForWidth()
                             ? std::max(need.height(), widget()->heightForWidth(width))
                             : need.height();
        return QSize(need.width() + verticalScrollBar()->sizeHint().width() + frame,
                     fitHeight ? tall + frame : base.height());
    }

protected:
    // A message shown or hidden under the controls changes what they need.
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == widget() && event->type() == QEvent::LayoutRequest) updateGeometry();
        return QScrollArea::eventFilter(watched, event);
    }
};

}  // namespace

MainWindow::MainWindow(const RunOptions& options, QWidget* parent, bool autoStart)
    : QMainWindow(parent) {
    initResources();
    setWindowTitle(tr("PipeDream Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/pipedream-viz.svg")));
    setAcceptDrops(true);
    controller_ = new EngineController(this);
    model_ = new RunModel(this);
    session_ = new RunSession(*controller_, *model_, this);
    walker_ = session_->walker();
    timeline_ = new TimelineView(this);
    timeline_->setMinimumSize(480, 220);
    timeline_->setSources(&model_->measuredBoxes(), &model_->idealBoxes());
    auto* central = new QWidget(this);
    auto* column = new QVBoxLayout(central);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    column->addWidget(timeline_, 1);
    setCentralWidget(central);

    buildDocks();
    cut_ = new CutFlow({session_, controls_, [this] { return currentOptions(); },
                        [this] {
                            // Slots are the same for every cut: its effect is in time.
                            if (timeBase_ && timeBase_->currentIndex() == 0)
                                timeBase_->setCurrentIndex(2);
                        },
                        controller_, statusBar()},
                       this);
    column->insertWidget(0, cut_->strip());
    buildMenus();
    buildToolbar();
    addHelpMenu(menuBar(), this);
    connectEngine();
    connectModel();
    connectSession();
    outputs_ = new RunOutputs(*model_, QString::fromStdString(options.csvPath),
                              QString::fromStdString(options.tracePath), this);
    connect(outputs_, &RunOutputs::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 15000); });

    status_ = new RunStatus(*model_, *controller_, statusBar());

    resize(1400, 900);
    {
        QSettings s = appSettings();
        if (QString why; !settingsWritable(s, &why)) {
            statusBar()->showMessage(why, 15000);
            status_->label()->setToolTip(why);
            std::fprintf(stderr, "note: %s\n", why.toLocal8Bit().constData());
        }
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
        timeBase_->setCurrentIndex(
            std::clamp(s.value(QStringLiteral("view/timeBase"), 0).toInt(), 0, 3));
    }
    setOptions(options);
    session_->cancelRestart();
    if (autoStart && session_->valid()) restartRun();
    updateStatus();
}

MainWindow::~MainWindow() {
    controller_->cancelComparison();
    controller_->cancel();
}

// ---------------------------------------------------------------------------
// Layout

void MainWindow::buildDocks() {
    setDockNestingEnabled(true);
    controls_ = new ControlsPanel(this);
    auto* controlsDock = new QDockWidget(tr("Controls"), this);
    controlsDock->setObjectName(QStringLiteral("controls"));
    // Scrolls rather than growing the window (presentation mode's larger
    // text, a small screen).
    auto* controlsScroll = new ControlsScroll(controlsDock);
    controlsScroll->setWidget(controls_);
    controlsScroll->setWidgetResizable(true);
    controlsScroll->setFrameShape(QFrame::NoFrame);
    controlsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    controlsDock->setWidget(controlsScroll);
    fitControls();
    addDockWidget(Qt::LeftDockWidgetArea, controlsDock);
    connect(controls_, &ControlsPanel::optionsChanged, this, &MainWindow::controlsChanged);
    connect(controls_, &ControlsPanel::playPauseClicked, this, &MainWindow::playPause);
    connect(controls_, &ControlsPanel::stepForwardClicked, this, &MainWindow::stepForward);
    connect(controls_, &ControlsPanel::stepBackClicked, this, &MainWindow::stepBack);
    connect(controls_, &ControlsPanel::batchForwardClicked, this, &MainWindow::batchForward);
    connect(controls_, &ControlsPanel::newRunClicked, this, &MainWindow::newRun);
    connect(controls_, &ControlsPanel::defaultsClicked, this, &MainWindow::resetToDefaults);
    // A value committed with Enter: the walking keys step the run again.
    connect(controls_, &ControlsPanel::editCommitted, this,
            [this] { timeline_->setFocus(Qt::OtherFocusReason); });
    connect(controls_, &ControlsPanel::replayClicked, this, &MainWindow::replay);
    connect(controls_, &ControlsPanel::paceChanged, model_, &RunModel::setPace);
    model_->setPace(controls_->pace());

    versions_ = new VersionPanel(this);
    auto* versionDock = new QDockWidget(tr("Weight versions at the cursor"), this);
    versionDock->setObjectName(QStringLiteral("versions"));
    // Scrolls with many stages instead of growing the window (and replotting as it grows).
    auto* versionScroll = new QScrollArea(versionDock);
    versionScroll->setWidget(versions_);
    versionScroll->setWidgetResizable(true);
    versionScroll->setFrameShape(QFrame::NoFrame);
    versionDock->setWidget(versionScroll);
    addDockWidget(Qt::RightDockWidgetArea, versionDock);

    details_ = new DetailsPanel(this);
    auto* detailsDock = new QDockWidget(tr("Details of the selection"), this);
    detailsDock->setObjectName(QStringLiteral("details"));
    detailsDock->setWidget(details_);
    addDockWidget(Qt::RightDockWidgetArea, detailsDock);
    auto showDetails = [this, detailsDock] {
        details_->showSelection(*model_, timeline_->selection());
        if (timeline_->selection().valid()) detailsDock->raise();  // tabbed with Explain
    };
    connect(timeline_, &TimelineView::selectionChanged, this, showDetails);
    connect(timeline_, &TimelineView::rangeMeasured, this, [this, detailsDock](const QString& s) {
        details_->showRange(s);
        detailsDock->raise();
    });
    details_->showSelection(*model_, timeline_->selection());

    explain_ = new ExplainPanel(this);
    auto* explainDock = new QDockWidget(tr("Explain"), this);
    explainDock->setObjectName(QStringLiteral("explain"));
    explainDock->setWidget(explain_);
    addDockWidget(Qt::RightDockWidgetArea, explainDock);
    tabifyDockWidget(explainDock, detailsDock);
    explainDock->raise();

    charts_ = new ChartsPanel(this);
    connect(charts_, &ChartsPanel::compareRequested, this, &MainWindow::compareSchedules);
    auto* chartsDock = new QDockWidget(tr("Charts"), this);
    chartsDock->setObjectName(QStringLiteral("charts"));
    chartsDock->setWidget(charts_);
    addDockWidget(Qt::BottomDockWidgetArea, chartsDock);
    resizeDocks({chartsDock}, {280}, Qt::Vertical);
    resizeDocks({controlsDock, versionDock}, {320, 300}, Qt::Horizontal);
    // Four stages and the legend without scrolling (plus the dock's title).
    resizeDocks({versionDock}, {versions_->heightFor(4, 300) + 2 * fontMetrics().height()},
                Qt::Vertical);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open run (CSV or Chrome trace)..."), QKeySequence::Open, this,
                    &MainWindow::openDialog);
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("Timeline image (PNG, SVG, PDF)..."), QKeySequence(tr("Ctrl+E")), this,
                          [this] { exportDialog(0); });
    exportMenu->addAction(tr("Current chart image..."), this, [this] { exportDialog(1); });
    exportMenu->addAction(tr("All charts image..."), this, [this] { exportDialog(2); });
    exportMenu->addAction(tr("Run as CSV..."), this, [this] { exportDialog(3); });
    exportMenu->addAction(tr("Run as Chrome trace..."), this, [this] { exportDialog(4); });
    exportMenu->addAction(tr("Animation (GIF, WebP)..."), this, &MainWindow::exportAnimationDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    actions_ = new RunActions(this);
    QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
    actions_->addTo(runMenu);
    connect(actions_->play, &QAction::triggered, this, &MainWindow::playPause);
    connect(actions_->forward, &QAction::triggered, this, &MainWindow::stepForward);
    connect(actions_->back, &QAction::triggered, this, &MainWindow::stepBack);
    connect(actions_->batchForward, &QAction::triggered, this, &MainWindow::batchForward);
    connect(actions_->batchBack, &QAction::triggered, this, &MainWindow::batchBack);
    connect(actions_->toStart, &QAction::triggered, walker_, &RunWalker::toStart);
    connect(actions_->toNewest, &QAction::triggered, walker_, &RunWalker::toNewest);
    connect(actions_->newRun, &QAction::triggered, this, &MainWindow::newRun);
    connect(actions_->resetDefaults, &QAction::triggered, this, &MainWindow::resetToDefaults);
    connect(actions_->replay, &QAction::triggered, this, &MainWindow::replay);
    runMenu->addAction(cut_->profileAction());
    runMenu->addSeparator();
    attach_ = new AttachFlow({controller_, model_, walker_, timeline_, explain_, statusBar(),
                              [this] { return currentOptions(); }},
                             this);
    attach_->addTo(runMenu);
    connect(attach_, &AttachFlow::leavingRun, session_, &RunSession::cancelRestart);
    connect(attach_, &AttachFlow::backToControls, this, &MainWindow::controlsChanged);
    connect(attach_, &AttachFlow::adopting, session_,
            [this](const RunOptions& o, const DryRun& ideal) {
                session_->cancelRestart();
                session_->adopt(o, ideal);
            });
    connect(attach_, &AttachFlow::changed, this, [this] {
        updateStatus();
        updateActions();
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Fit timeline"), QKeySequence(Qt::Key_F), timeline_, &TimelineView::fit);
    view->addAction(tr("Zoom in"), QKeySequence(Qt::CTRL | Qt::Key_Plus), timeline_,
                    [this] { timeline_->zoomBy(1.5); });
    view->addAction(tr("Zoom out"), QKeySequence(Qt::CTRL | Qt::Key_Minus), timeline_,
                    [this] { timeline_->zoomBy(1.0 / 1.5); });
    view->addAction(tr("Clear selection, range and search"), QKeySequence(Qt::Key_Escape), this,
                    [this] {
                        timeline_->clearSelection();
                        timeline_->measureRange(std::nan(""), std::nan(""));
                        details_->showRange(QString());
                        if (toolbar_) toolbar_->searchBox()->clear();
                    });
    view->addAction(tr("Search the timeline"), QKeySequence::Find, this, [this] {
        toolbar_->searchBox()->setFocus();
        toolbar_->searchBox()->selectAll();
    });
    presentation_ = view->addAction(tr("Presentation mode (large text)"));
    presentation_->setShortcut(QKeySequence(Qt::Key_F11));
    presentation_->setCheckable(true);
    connect(presentation_, &QAction::toggled, this, &MainWindow::setPresentation);
    view->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
}

void MainWindow::buildToolbar() {
    auto* bar = new TimelineToolbar(actions_->toolbarActions(), this);
    toolbar_ = bar;
    addToolBar(bar);
    bar->driveTimeline(timeline_);
    timeBase_ = bar->timeBaseCombo();
    connect(bar, &TimelineToolbar::searchProblem, this,
            [this](const QString& problem) { statusBar()->showMessage(problem, 4000); });
    // After the toolbar set the time base's mode: the cursor in its units.
    // The view keeps its range policy across time bases (a chosen range shows
    // the same slots), so no fit here.
    connect(bar, &TimelineToolbar::timeBaseChanged, this, [this] { showCursor(); });
}

// ---------------------------------------------------------------------------
// Wiring: engine -> model -> views

void MainWindow::connectEngine() {
    connect(controller_, &EngineController::slotsArrived, model_, &RunModel::appendSlots);
    connect(controller_, &EngineController::memoryArrived, model_, &RunModel::appendMemory);
    connect(controller_, &EngineController::batchesArrived, model_, &RunModel::appendBatches);
    connect(controller_, &EngineController::evaluationsArrived, model_,
            &RunModel::appendEvaluations);
    connect(controller_, &EngineController::finished, model_, [this](const RunSummary& s) {
        // A run that failed says why first; should the reason not have
        // come (a rank's error lost on its way), the failure still shows.
        if (s.failed && model_->error().isEmpty())
            model_->fail(tr("the run failed without saying why (see the ranks' output)"));
        if (!s.cancelled) model_->finish(s);
    });
    connect(controller_, &EngineController::failed, model_, &RunModel::fail);
    connect(controller_, &EngineController::comparisonRow, charts_,
            [this](quint64, const ComparisonRow& row) { charts_->addComparisonRow(row); });
    connect(controller_, &EngineController::comparisonFinished, charts_, [this] {
        charts_->setComparisonStatus(tr("Measured on real runs of this configuration."));
    });
}

// The session's run replaces the one on screen: the controls and the
// Explain dock say whether its configuration can run, and why not.
void MainWindow::connectSession() {
    connect(session_, &RunSession::replacingRun, attach_, [this] { attach_->clearListening(); });
    connect(session_, &RunSession::adopted, controls_,
            [this](const RunOptions& o) { controls_->showOptions(o); });
    connect(session_, &RunSession::scheduled, explain_, [this](const DryRun& ideal) {
        controls_->setError(QString());
        explain_->showSchedule(ideal);
    });
    connect(session_, &RunSession::invalid, this, [this](const QString& problem) {
        controls_->setError(problem);
        explain_->showProblem(problem);
        updateActions();
    });
    connect(session_, &RunSession::started, this, &MainWindow::updateActions);
}

void MainWindow::connectModel() {
    connect(model_, &RunModel::modelReset, this, [this] {
        followRunOnScreen();
        timeline_->clearSelection();
        timeline_->setLanes(model_->laneLabels());
        versions_->setStages(model_->stageNames());
        versions_->setMaxVersion(model_->idealBoxes().maxVersion());
        timeline_->showStart();  // one batch, labelled; Fit shows the whole run
        showCursor();
    });
    connect(model_, &RunModel::appended, timeline_, &TimelineView::refresh);
    connect(model_, &RunModel::appended, this, [this] {
        versions_->setMaxVersion(
            std::max(model_->idealBoxes().maxVersion(), model_->measuredBoxes().maxVersion()));
        if (timeline_->selection().valid())
            details_->showSelection(*model_, timeline_->selection());
    });
    charts_->watch(model_);  // each chart redraws what the new events change
    connect(model_, &RunModel::figuresChanged, this, &MainWindow::updateStatus);
    connect(model_, &RunModel::cursorMoved, this, &MainWindow::showCursor);
    connect(model_, &RunModel::playingChanged, this, [this](bool playing) {
        if (playing) timeline_->followCursor();  // Play shows what it plays
        updateActions();
    });
    connect(model_, &RunModel::runFinished, this, [this] {
        outputs_->runFinished();
        updateStatus();
        updateActions();
    });
    connect(model_, &RunModel::runFailed, this, [this](const QString& message) {
        outputs_->runFinished();  // failed: nothing written, said
        controls_->setError(tr("Run failed: %1").arg(message));
        statusBar()->showMessage(tr("Run failed: %1").arg(message), 10000);
        // One process per stage: what the other ranks sent before one failed stays.
        if (controller_->distributed() && model_->hasRun())
            timeline_->setTitle(
                tr("Failed run (partial: %1 received before the failure)")
                    .arg(counted(static_cast<long long>(model_->measuredBoxes().size()),
                                 tr("action"), tr("actions"))));
        attach_->clearListening();
        setPlaying(false);
        updateStatus();
        updateActions();
    });
}

// The titles say what is on screen: an opened file names itself (window and
// timeline); any other run clears the file's title (attaching and failures
// set theirs after the reset).
void MainWindow::followRunOnScreen() {
    outputs_->modelReset();
    const bool file = model_->source() == RunModel::Source::File;
    if (!file) timeline_->setTitle(QString());
    setWindowTitle(
        file ? tr("%1 \u2014 PipeDream Studio").arg(QFileInfo(model_->sourceFile()).fileName())
             : tr("PipeDream Studio"));
}

void MainWindow::showCursor() {
    const double x = model_->hasRun() ? model_->cursorX(timeline_->timeBase())
                                      : std::numeric_limits<double>::quiet_NaN();
    timeline_->setCursor(
        model_->cursor(), x,
        model_->playing() ? TimelineView::CursorMove::Play : TimelineView::CursorMove::Step);
    versions_->showState(model_->stateAtCursor());
    explain_->showCursor(*model_);
    updateStatus();
    updateActions();
}

// ---------------------------------------------------------------------------
// Configuration

RunOptions MainWindow::currentOptions() const {
    return controls_->options(session_->options());
}

void MainWindow::setOptions(const RunOptions& o) {
    session_->setBase(o);
    controls_->showOptions(o);
    controlsChanged();
}

QString MainWindow::inlineError() const {
    return controls_->error();
}

void MainWindow::controlsChanged() {
    session_->configure(currentOptions());
}

// ---------------------------------------------------------------------------
// Walking a run

void MainWindow::restartRun() {
    session_->restart();
}

void MainWindow::setPlaying(bool on) {
    walker_->setPlaying(on);
}

void MainWindow::playPause() {
    walker_->playPause(session_->valid());
}

void MainWindow::stepForward() {
    walker_->stepForward();
}

void MainWindow::stepBack() {
    walker_->stepBack();
}

void MainWindow::batchForward() {
    walker_->batchForward();
}

void MainWindow::batchBack() {
    walker_->batchBack();
}

void MainWindow::newRun() {
    setPlaying(false);
    controls_->setNote(QString());
    restartRun();
}

void MainWindow::resetToDefaults() {
    setPlaying(false);
    const RunOptions d = defaultRunOptions();
    setOptions(d);
    if (session_->valid()) restartRun();  // at once: a new run, as the button says
    const QString said = tr("Reset to the defaults: %1.").arg(describeConfiguration(d));
    controls_->setNote(said);
    statusBar()->showMessage(said, 10000);
}

void MainWindow::replay() {
    walker_->replay();
}

void MainWindow::updateActions() {
    // Listening, the window waits for the ranks' run: Play would start one of its own.
    actions_->update(*model_, session_->valid() && !controller_->listening());
    if (attach_) attach_->updateActions();
    controls_->setRunnable(model_->hasRun(), model_->playing());
}

QString MainWindow::outputsProblem() const {
    return outputs_->problem();
}

void MainWindow::setPresentation(bool on) {
    if (presentation_->isChecked() != on) {
        presentation_->setChecked(on);  // toggled() comes back here
        return;
    }
    // The docks widen for the larger text: off puts the layout back as it was.
    if (on) layoutBeforePresentation_ = saveState();
    timeline_->setPresentation(on);
    applyPresentation();
    if (!on && !layoutBeforePresentation_.isEmpty()) restoreState(layoutBeforePresentation_);
}

// The docks' widgets inherit a larger font; plots draw with fonts of their
// own, scaled one by one (and kept off the docks' inherited scale).
void MainWindow::applyPresentation() {
    const double k = presentation_->isChecked() ? kPresentationScale : 1.0;
    for (QDockWidget* dock : findChildren<QDockWidget*>()) {
        for (QCustomPlot* plot : dock->findChildren<QCustomPlot*>()) {
            if (!plot->testAttribute(Qt::WA_SetFont)) plot->setFont(plot->font());
            setPlotFontScale(plot, k);
        }
        setWidgetFontScale(dock, k);
    }
    fitControls();
}

// Presentation mode's larger text scrolls instead of growing the window
// past the screen; otherwise the controls' dock is as tall as they need.
void MainWindow::fitControls() {
    if (auto* scroll = dynamic_cast<ControlsScroll*>(controls_->parentWidget()->parentWidget())) {
        scroll->fitHeight = !(presentation_ && presentation_->isChecked());
        scroll->updateGeometry();
    }
}

bool MainWindow::attachTo(const QString& hostPort, QString* error) {
    return attach_->attachTo(hostPort, error);
}

QString MainWindow::listeningText() const {
    return attach_->listeningText();
}

void MainWindow::updateStatus() {
    status_->update(attach_->listeningText());
}

void MainWindow::compareSchedules(bool realRuns, bool cuts) {
    RunOptions base = currentOptions();
    base.backend = "threads";  // compared in one process, whatever runs the stages
    const bool real = realRuns && EngineController::engineAvailable();
    charts_->beginComparison(base,
                             real   ? (cuts ? tr("Running every partition for real...")
                                            : tr("Running every schedule for real..."))
                             : cuts ? tr("Simulated partitions (analytic figures).")
                                    : tr("Simulated schedules (analytic figures)."),
                             cuts);
    std::vector<ComparisonEntry> entries = cuts ? partitionEntries(base) : scheduleEntries(base);
    // The analytic rows at once; a real comparison replaces them one by one.
    for (const ComparisonEntry& e : entries) charts_->addComparisonRow(compareEntry(e, {}));
    if (real) controller_->compare(std::move(entries), true);
}

// ---------------------------------------------------------------------------
// Settings

void MainWindow::saveSettings() const {
    QSettings s = appSettings();
    saveRunOptions(s, currentOptions());
    s.setValue(QStringLiteral("view/timeBase"), timeBase_->currentIndex());
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
}

RunOptions MainWindow::restoredOptions(const RunOptions& fallback) {
    QSettings s = appSettings();
    return restoreRunOptions(s, fallback);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    outputs_->windowClosing();
    controller_->cancelComparison();
    controller_->cancel();
    saveSettings();
    QMainWindow::closeEvent(event);
}

}  // namespace pd
