// Walking a run: the one place that moves the run model's cursor and drives
// the engine to match. Playing lets the engine run freely while the cursor
// moves at its pace; a step beyond what has run asks the paused engine for
// exactly that slot (or batch) and moves the cursor when its events arrive;
// steps back only move the cursor. A run not started yet (the schedule of
// the controls) is started, paused at t0, by `restart`.
#pragma once

#include <QObject>
#include <functional>

namespace pd {

class EngineController;
class RunModel;

class RunWalker : public QObject {
    Q_OBJECT
public:
    RunWalker(RunModel& model, EngineController& engine, std::function<void()> restart,
              QObject* parent = nullptr);

    void setPlaying(bool on);
    void playPause(bool canStart);
    void stepForward();
    void stepBack();
    void batchForward();
    void batchBack();
    void toStart();
    void toNewest();
    void replay();

private:
    void startIfNotRunning();

    RunModel& model_;
    EngineController& engine_;
    std::function<void()> restart_;
};

}  // namespace pd
