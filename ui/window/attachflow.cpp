#include "ui/window/attachflow.h"

#include <QAction>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include "engine/distributed/distributed.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runwalker.h"
#include "ui/model/settings.h"
#include "ui/panels/explainpanel.h"
#include "ui/views/timelineplot.h"

namespace pd {

namespace {

// "hostA, hostB" (each host once, in rank order).
QString hostList(const QStringList& hosts) {
    QStringList unique;
    for (const QString& h : hosts)
        if (!unique.contains(h)) unique << h;
    return unique.join(QStringLiteral(", "));
}

}  // namespace

QString AttachFlow::waitingText(int connected, int world) {
    // The world size comes with the first rank's hello: before it, the
    // window cannot know how many to expect, and says so.
    if (world > 0) return tr("waiting for ranks (%1 of %2 connected)").arg(connected).arg(world);
    if (connected == 0) return tr("waiting for the first rank (it says how many to expect)");
    return tr("waiting for ranks (%1 connected; how many to expect is not known yet)")
        .arg(connected);
}

AttachFlow::AttachFlow(const Parts& parts, QWidget* window)
    : QObject(window), parts_(parts), window_(window) {
    connect(parts_.controller, &EngineController::ranksWaiting, this, &AttachFlow::showListening);
    connect(parts_.controller, &EngineController::ranksConnected, this,
            &AttachFlow::showAttachedRun);
}

QString AttachFlow::rankCommand(RunOptions options, int world, QString host, int port,
                                const QString& secret) {
    if (host == QLatin1String("0.0.0.0") || host.isEmpty())
        host = QString::fromStdString(hostName());
    options.backend = "threads";  // toArgs leaves the backend flags out then; added here
    QStringList args;
    // In the environment, not in argv: ps shows every process's argv.
    if (!secret.isEmpty())
        args << QStringLiteral("%1=%2").arg(QString::fromLatin1(kSecretVariable), secret);
    args << QStringLiteral("pipedream-train");
    for (const std::string& a : toArgs(options)) args << QString::fromStdString(a);
    args << QStringLiteral("--backend gloo --rank R --world-size %1").arg(world)
         << QStringLiteral("--master-addr RANK0_HOST --master-port 29500")
         << QStringLiteral("--events %1:%2").arg(host).arg(port);
    return args.join(QLatin1Char(' '));
}

void AttachFlow::addTo(QMenu* menu) {
    attach_ = menu->addAction(tr("&Attach to a run..."), QKeySequence(tr("Ctrl+Shift+A")), this,
                              &AttachFlow::dialog);
    attach_->setToolTip(
        tr("Listen for the ranks of a run started on other machines (pipedream-train "
           "--backend gloo ... --events HOST:PORT) and show it live"));
    stopListening_ = menu->addAction(tr("&Stop listening"), this, &AttachFlow::stopListening);
    stopListening_->setEnabled(false);
}

void AttachFlow::updateActions() {
    if (stopListening_) stopListening_->setEnabled(parts_.controller->listening());
}

void AttachFlow::dialog() {
    QSettings s = appSettings();
    QString address =
        s.value(QStringLiteral("attach/address"), QStringLiteral("127.0.0.1:29600")).toString();
    for (;;) {
        bool ok = false;
        address = QInputDialog::getText(
            window_, tr("Attach to a run"),
            tr("Listen for the ranks on HOST:PORT (127.0.0.1: ranks on this machine only; for "
               "ranks on other machines, this machine's address on their network, or 0.0.0.0 "
               "for every interface; start the ranks with --events THIS_HOST:PORT):"),
            QLineEdit::Normal, address, &ok);
        if (!ok) return;
        QString error;
        if (attachTo(address, &error)) {
            s.setValue(QStringLiteral("attach/address"), address.trimmed());
            return;
        }
        QMessageBox::warning(window_, tr("Cannot listen"), error);
    }
}

bool AttachFlow::attachTo(const QString& hostPort, QString* error) {
    EngineController& controller = *parts_.controller;
    Q_EMIT leavingRun();
    parts_.walker->setPlaying(false);
    controller.cancelComparison();
    const bool wasRunning = controller.running();
    if (!controller.attach(hostPort, error)) {
        // A bad address changes nothing; a port that cannot be listened on
        // has stopped the run that was there: the controls' schedule again.
        if (wasRunning && !controller.running()) Q_EMIT backToControls();
        return false;
    }
    parts_.model->reset(RunResult{}, RunModel::Source::Schedule);  // the ranks say what runs
    parts_.timeline->setTitle(QString());
    showListening(0, 0);
    return true;
}

void AttachFlow::showListening(int connected, int world) {
    const EngineController& controller = *parts_.controller;
    if (!controller.listening()) return;
    const QString where =
        QStringLiteral("%1:%2").arg(controller.listenHost()).arg(controller.listenPort());
    listening_ = tr("Listening on %1 \u2014 %2").arg(where, waitingText(connected, world));
    const RunOptions o = parts_.options();
    const int W = world > 0 ? world : o.schedule.stages;
    parts_.explain->showListening(
        listening_, rankCommand(o, W, controller.listenHost(), controller.listenPort(),
                                controller.listenSecret()));
    parts_.statusBar->showMessage(listening_);
    parts_.timeline->setTitle(listening_);
    parts_.timeline->replot(
        QCustomPlot::rpQueuedReplot);  // nothing else changes on it while waiting
    Q_EMIT changed();
}

void AttachFlow::showAttachedRun(const RunOptions& options, const QStringList& hosts) {
    RunResult prepared;
    QString problem;
    if (!prepareRun(options, prepared, &problem)) {
        parts_.controller->cancel();
        listening_.clear();
        QMessageBox::warning(
            window_, tr("Cannot show the run"),
            tr("The ranks run a configuration this window cannot show: %1").arg(problem));
        Q_EMIT backToControls();
        return;
    }
    prepared.stageHosts = hosts;
    listening_.clear();
    parts_.statusBar->clearMessage();
    Q_EMIT adopting(options, prepared.ideal);
    parts_.model->reset(std::move(prepared), RunModel::Source::Live);
    parts_.timeline->setTitle(tr("Attached run: %1, %2 ranks on %3")
                                  .arg(QString::fromUtf8(displayName(options.schedule.kind)))
                                  .arg(options.schedule.stages)
                                  .arg(hostList(hosts)));
    parts_.walker->setPlaying(true);  // the ranks run freely; the cursor follows at its pace
    Q_EMIT changed();
}

void AttachFlow::stopListening() {
    if (!parts_.controller->listening()) return;
    parts_.controller->cancel();
    listening_.clear();
    parts_.statusBar->showMessage(tr("Stopped listening"), 5000);
    Q_EMIT backToControls();
}

}  // namespace pd
