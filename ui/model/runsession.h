// The run on screen and where it comes from. Validates a configuration
// (its schedule, then the memory a real run needs), starts it after a short
// delay on the live engine (simulated where there is none, or when asked),
// opens a run saved as a file, and takes on a run made elsewhere (attached
// ranks). Owns the walker that plays and steps the run. Failures reach the
// window as signals; no widgets here.
#pragma once

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <optional>

#include "ui/model/runresult.h"

namespace pd {

class EngineController;
class RunModel;
class RunWalker;

class RunSession : public QObject {
    Q_OBJECT
public:
    RunSession(EngineController& controller, RunModel& model, QObject* parent = nullptr);

    RunWalker* walker() const { return walker_; }
    // The configuration of the run on screen (the controls' fields lie on top of it).
    const RunOptions& options() const { return options_; }
    // Whether that configuration can run (a run made elsewhere always can).
    bool valid() const { return valid_; }
    // Takes `options` as the base under the controls' fields, unchecked
    // (configure checks what the controls make of it).
    void setBase(const RunOptions& options) {
        options_ = options;
        prepared_.reset();
    }
    void setRestartDelay(int ms) { restartTimer_.setInterval(ms); }
    void cancelRestart() { restartTimer_.stop(); }

    // A new configuration (a control changed): valid, its schedule is shown
    // at once (scheduled) and its run starts after the restart delay; else
    // the screen empties and `invalid` says why.
    void configure(const RunOptions& options);
    // The same without starting a run: the schedule of `options` is shown
    // (a layer boundary being dragged); configure() runs it.
    void preview(const RunOptions& options);
    // A new run of the configuration now, paused at slot 0 unless playing.
    void restart();

    // A run saved as CSV or Chrome trace, shown in place of the current one.
    struct Opened {
        RunOptions options;
        QStringList unrecorded;  // what the file does not record (the defaults)
        IdentifiedSchedule id;
    };
    // `base`: the settings the file does not record. Nothing changes when
    // it cannot be read: `openFailed` says why.
    std::optional<Opened> open(const QString& path, const RunOptions& base);
    // A run not made from the controls (opened, attached): its configuration
    // becomes the session's.
    void adopt(const RunOptions& options, const DryRun& ideal);

Q_SIGNALS:
    void replacingRun();  // before the model takes a run of the session's: no wait for ranks
    void scheduled(const pd::DryRun& ideal);      // a valid configuration's schedule
    void adopted(const pd::RunOptions& options);  // the controls show a run made elsewhere
    void invalid(const QString& problem);         // the configuration cannot run (or start)
    void started();                               // a run started (live or simulated)
    void openFailed(const QString& path, const QString& problem);

private:
    // Fills `next`; false with why when the configuration cannot run.
    bool check(const RunOptions& options, RunResult& next, QString* problem) const;
    // configure() without the restart: false (and `invalid`) when it cannot run.
    bool show(const RunOptions& options);
    void showInvalid(const QString& problem);

    EngineController& controller_;
    RunModel& model_;
    RunWalker* walker_ = nullptr;
    RunOptions options_;
    bool valid_ = false;
    // What show() prepared for options_ (its schedule generated and
    // simulated, its options checked), which the next restart() takes
    // instead of preparing the same run again.
    std::optional<RunResult> prepared_;
    QTimer restartTimer_;
};

}  // namespace pd
