// The application window: wiring only. The run on screen lives in the
// RunModel; the EngineController produces its events; the RunSession checks
// configurations, restarts runs and chooses their source; the timeline, the
// version panel, the charts, the explanation and the status bar read the
// model and follow its signals. Menus and shortcuts act on the model's
// cursor and on the controller; configuration and layout are remembered.
// The tests reach its parts through MainWindowProbe (tests/mainwindowprobe.h).
#pragma once

#include <QMainWindow>

#include "ui/model/runresult.h"
#include "ui/model/runsession.h"

class QAction;
class QCloseEvent;
class QComboBox;

namespace pd {

class AttachFlow;
class CutFlow;
class ChartsPanel;
class ControlsPanel;
class DetailsPanel;
class TimelineToolbar;
class EngineController;
class ExplainPanel;
class RunActions;
class RunExport;
struct AnimationLook;
struct AnimationSettings;
class RunOutputs;
class RunStatus;
class RunWalker;
class RunModel;
class TimelineView;
class VersionPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
    friend class MainWindowProbe;  // the tests' view of the parts (tests/mainwindowprobe.h)

public:
    // `autoStart`: start a run (paused at slot 0) as soon as the window exists.
    explicit MainWindow(const RunOptions& options, QWidget* parent = nullptr,
                        bool autoStart = true);
    ~MainWindow() override;

    // The last configuration saved by a previous session, or `fallback`.
    static RunOptions restoredOptions(const RunOptions& fallback);

    RunOptions currentOptions() const;           // what the controls say
    void setOptions(const RunOptions& options);  // sets the controls (restarts, debounced)
    QString inlineError() const;                 // empty when the controls are valid

    // Exports (format from the suffix; atomic). Also used by the File menu.
    bool exportTimeline(const QString& path, const QSize& size, QString* error);
    bool exportCharts(const QString& path, const QSize& size, QString* error);
    bool exportCsv(const QString& path, QString* error);
    bool exportTrace(const QString& path, QString* error);
    // The walk as an animated GIF or WebP, looking like the timeline on
    // screen (time base, colours, title); the cursor on screen stays.
    AnimationLook animationLook() const;
    bool exportAnimation(const QString& path, const AnimationSettings& settings, QString* error);

    // Opens a run saved as CSV or Chrome trace: recognises its schedule and
    // shows it with the cursor at its end, without starting a run; every
    // control shows its configuration (what the file does not record: the
    // defaults, said in the status bar). False with one message when it
    // cannot; the window is unchanged then.
    bool openRun(const QString& path, QString* error);
    QString openedFile() const;
    // Says that a file could not be opened (a message over the window, once
    // it is shown): for `pipedream-viz --open FILE` started from a launcher.
    void showOpenError(const QString& error);

    // pipedream-viz --csv / --trace: why a file asked for was not written
    // (the run replaced or cancelled before its end, a failed write); empty
    // when written or none was asked for. See RunOutputs.
    QString outputsProblem() const;

    // Listens on "HOST:PORT" for the ranks of a run started elsewhere
    // (Run > Attach to a run...): the window waits for them, then shows
    // their run live. False with one message (bad address, port in use).
    bool attachTo(const QString& hostPort, QString* error);
    // What the window says while it waits: "Listening on HOST:PORT - ...".
    QString listeningText() const;

public Q_SLOTS:
    void playPause();
    void stepForward();
    void stepBack();
    void batchForward();
    void batchBack();
    void newRun();           // a new run of the controls' configuration, paused at slot 0
    void resetToDefaults();  // the controls back to defaultRunOptions(), and a new run of them
    void restartRun();
    void replay();
    void compareSchedules(bool realRuns, bool cuts = false);
    // Larger text for a projector: the timeline (its own), the docks and
    // the charts; off gives back the fonts they had.
    void setPresentation(bool on);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildDocks();
    void buildMenus();
    void buildToolbar();
    void connectEngine();
    void connectModel();
    void connectSession();
    void controlsChanged();
    void setPlaying(bool on);
    void showCursor();
    void updateStatus();
    void updateActions();
    void openDialog();
    void openWithMessage(const QString& path);
    void exportDialog(int what);  // a RunExport::What
    void exportAnimationDialog();
    void showOpened(const QString& path, const RunSession::Opened& opened);
    void followRunOnScreen();  // titles after the model's reset
    void applyPresentation();
    void fitControls();
    RunExport exports() const;
    void saveSettings() const;

    EngineController* controller_ = nullptr;
    RunModel* model_ = nullptr;
    TimelineView* timeline_ = nullptr;
    ControlsPanel* controls_ = nullptr;
    VersionPanel* versions_ = nullptr;
    DetailsPanel* details_ = nullptr;
    TimelineToolbar* toolbar_ = nullptr;
    ChartsPanel* charts_ = nullptr;
    ExplainPanel* explain_ = nullptr;
    QComboBox* timeBase_ = nullptr;
    RunActions* actions_ = nullptr;
    RunSession* session_ = nullptr;  // validation, restarts, the run's source
    RunWalker* walker_ = nullptr;    // the session's
    RunStatus* status_ = nullptr;
    AttachFlow* attach_ = nullptr;
    CutFlow* cut_ = nullptr;
    RunOutputs* outputs_ = nullptr;
    QAction* presentation_ = nullptr;
    QByteArray layoutBeforePresentation_;  // dock sizes, given back when it ends
};

}  // namespace pd
