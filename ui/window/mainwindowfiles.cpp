// MainWindow, continued: opening runs saved as files (the dialog, drag and
// drop, the title and the note on what a file does not record) and every
// export (images, charts, CSV, trace, animations). The rest of the window
// is in mainwindow.cpp.
#include <QAction>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>

#include "ui/export/animationdialog.h"
#include "ui/export/runexport.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runsession.h"
#include "ui/model/settings.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/controlspanel.h"
#include "ui/views/timelineplot.h"
#include "ui/window/mainwindow.h"

namespace pd {

// ---------------------------------------------------------------------------
// Files

bool MainWindow::openRun(const QString& path, QString* error) {
    // What the file does not record comes from the defaults, not from the
    // controls' previous run; where the stages run stays this machine's choice.
    RunOptions base = defaultRunOptions();
    const RunOptions shown = currentOptions();
    base.device = shown.device;
    base.backend = shown.backend;
    // The session says why a file cannot be opened by its signal; the
    // caller of this call gets those words.
    const QMetaObject::Connection why = connect(session_, &RunSession::openFailed, this,
                                                [error](const QString&, const QString& problem) {
                                                    if (error) *error = problem;
                                                });
    const std::optional<RunSession::Opened> opened = session_->open(path, base);
    disconnect(why);
    if (!opened) return false;
    showOpened(path, *opened);
    return true;
}

// The title names the file and its schedule; the controls' note says what
// the file does not record.
void MainWindow::showOpened(const QString& path, const RunSession::Opened& opened) {
    const ScheduleConfig& c = opened.options.schedule;
    timeline_->setTitle(tr("%1: %2, %3, %4, %5%6")
                            .arg(QFileInfo(path).fileName(), QString::fromUtf8(displayName(c.kind)),
                                 counted(c.stages, tr("stage"), tr("stages")),
                                 counted(c.microbatches, tr("microbatch"), tr("microbatches")),
                                 counted(c.batches, tr("batch"), tr("batches")),
                                 cutShortNote(opened.id)));
    timeline_->fit();
    updateActions();
    QString note = tr("Settings of the run in %1.").arg(QFileInfo(path).fileName());
    if (!opened.unrecorded.isEmpty())
        note += QLatin1Char(' ') + tr("The file does not record its %1: the defaults are shown.")
                                       .arg(opened.unrecorded.join(QStringLiteral(", ")));
    controls_->setNote(note);
    statusBar()->showMessage(tr("Opened %1").arg(path), 15000);
}

QString MainWindow::openedFile() const {
    return model_->source() == RunModel::Source::File ? model_->sourceFile() : QString();
}

void MainWindow::openDialog() {
    QSettings s = appSettings();
    const QString folder = s.value(QStringLiteral("open/folder")).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open run"), folder,
                                                      tr("Runs (*.csv *.json);;All files (*)"));
    if (path.isEmpty()) return;
    s.setValue(QStringLiteral("open/folder"), QFileInfo(path).absolutePath());
    openWithMessage(path);
}

void MainWindow::showOpenError(const QString& error) {
    // After the event loop starts: the window is shown behind the message.
    QTimer::singleShot(0, this,
                       [this, error] { QMessageBox::warning(this, tr("Open failed"), error); });
    statusBar()->showMessage(error, 15000);
}

void MainWindow::openWithMessage(const QString& path) {
    QString error;
    if (!openRun(path, &error)) QMessageBox::warning(this, tr("Open failed"), error);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedRunFile(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedRunFile(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    // After the drop returns: the message box must not block the drag source.
    QTimer::singleShot(0, this, [this, path] { openWithMessage(path); });
}

// What an exported image says it shows: the schedule and its size, the
// source and the time base (the axis label and the legend say the rest).
bool MainWindow::exportTimeline(const QString& path, const QSize& size, QString* error) {
    return exports().timelineImage(path, size, timeBase_->currentText(), error);
}

bool MainWindow::exportCharts(const QString& path, const QSize& size, QString* error) {
    return exports().chartsImage(path, size, error);
}

bool MainWindow::exportCsv(const QString& path, QString* error) {
    return exports().csv(path, error);
}

bool MainWindow::exportTrace(const QString& path, QString* error) {
    return exports().trace(path, error);
}

AnimationLook MainWindow::animationLook() const {
    AnimationLook look;
    look.mode = timeline_->mode();
    look.colors = timeline_->colorMode();
    look.title = timeline_->title().isEmpty() ? exports().title(timeBase_->currentText())
                                              : timeline_->title();
    // An animation in the measured base names that base, whatever the window shows.
    if (timeline_->title().isEmpty()) look.measuredTitle = exports().title(timeBase_->itemText(1));
    return look;
}

bool MainWindow::exportAnimation(const QString& path, const AnimationSettings& settings,
                                 QString* error) {
    if (AnimationFrames::check(*model_, settings)) setPlaying(false);
    return pd::exportAnimation(*model_, animationLook(), path, settings, {}, error);
}

void MainWindow::exportAnimationDialog() {
    // A run still going is said before anything stops (playing a finished
    // run stops: the walk takes the cursor).
    if (QString problem; !AnimationFrames::check(*model_, AnimationSettings(), &problem)) {
        QMessageBox::warning(this, tr("Export animation"), problem);
        return;
    }
    setPlaying(false);
    bool ok = false;
    const QString message = exportAnimationInteractive(this, *model_, animationLook(), &ok);
    if (ok)
        statusBar()->showMessage(message, 5000);
    else if (!message.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), message);
}

RunExport MainWindow::exports() const {
    return RunExport(*model_, timeline_, charts_);
}

void MainWindow::exportDialog(int what) {
    bool ok = false;
    const QString message = exports().interactive(this, static_cast<RunExport::What>(what),
                                                  timeBase_->currentText(), &ok);
    if (ok)
        statusBar()->showMessage(message, 5000);
    else if (!message.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), message);
}

}  // namespace pd
