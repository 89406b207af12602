// Run > Attach to a run: the window listens on HOST:PORT for the ranks of a
// run started on other machines, says so while they come (status bar,
// timeline title, and in the Explain dock the command that starts a rank),
// and shows their run live once every rank is there. Owns the listening
// text and the Attach and Stop listening actions; what belongs to the
// window (its restart timer, its configuration) it asks for by signals.
#pragma once

#include <QObject>
#include <QString>
#include <functional>

#include "ui/model/runresult.h"

class QAction;
class QMenu;
class QStatusBar;
class QWidget;

namespace pd {

class EngineController;
class ExplainPanel;
class RunModel;
class RunWalker;
class TimelineView;

class AttachFlow : public QObject {
    Q_OBJECT
public:
    // What the flow acts on; all owned by the window.
    struct Parts {
        EngineController* controller = nullptr;
        RunModel* model = nullptr;
        RunWalker* walker = nullptr;
        TimelineView* timeline = nullptr;
        ExplainPanel* explain = nullptr;
        QStatusBar* statusBar = nullptr;
        std::function<RunOptions()> options;  // the controls' configuration
    };
    // `window`: the parent of the flow and of its dialogs.
    AttachFlow(const Parts& parts, QWidget* window);

    // The command that starts rank R of `options`' run of `world` ranks on
    // another machine, sending its events to HOST:PORT (host 0.0.0.0 or
    // empty: this machine's name), with the listening session's run secret
    // in the environment (PIPEDREAM_SECRET=... pipedream-train ...; none
    // when `secret` is empty).
    static QString rankCommand(RunOptions options, int world, QString host, int port,
                               const QString& secret);

    void addTo(QMenu* menu);  // Attach to a run..., Stop listening
    QAction* attachAction() const { return attach_; }
    QAction* stopListeningAction() const { return stopListening_; }
    void updateActions();  // Stop listening while listening

    // "waiting for ranks (2 of 4 connected)"; `world` 0: not known yet.
    static QString waitingText(int connected, int world);

    // Listens on "HOST:PORT" for the ranks (MainWindow::attachTo).
    bool attachTo(const QString& hostPort, QString* error);
    // "Listening on HOST:PORT - ..." while waiting for ranks, else empty.
    QString listeningText() const { return listening_; }
    // The window moved on to another run: nothing is waited for.
    void clearListening() { listening_.clear(); }

Q_SIGNALS:
    void leavingRun();      // before listening: the window's run stops playing and restarting
    void backToControls();  // the controls' configuration again (stopped, failed)
    // The ranks' run is about to be shown: the window takes its configuration.
    void adopting(const pd::RunOptions& options, const pd::DryRun& ideal);
    void changed();  // the listening text or the run changed: status and actions again

private:
    void dialog();
    void showListening(int connected, int world);
    void showAttachedRun(const RunOptions& options, const QStringList& hosts);
    void stopListening();

    Parts parts_;
    QWidget* window_ = nullptr;
    QAction* attach_ = nullptr;
    QAction* stopListening_ = nullptr;
    QString listening_;  // while attached and waiting for ranks
};

}  // namespace pd
