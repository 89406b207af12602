// The run on screen, whatever its source (a live engine run, the simulated
// schedule, a file, a replay): its events, stored once as the timeline's
// boxes; the ideal timeline; the figures derived from them (engine rules:
// RunFigures, stageSnapshot, SlotGrid); and a cursor over the schedule's
// slots with the state at the cursor. Views read it and follow its signals;
// nothing here knows about widgets. Lives on the GUI thread.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <vector>

#include "engine/formats/trace.h"
#include "engine/schedule/runfigures.h"
#include "engine/schedule/slotgrid.h"
#include "engine/schedule/stagestate.h"
#include "ui/model/runresult.h"
#include "ui/model/timelinedata.h"

namespace pd {

class RunModel : public QObject {
    Q_OBJECT
public:
    enum class Source { Schedule, Live, Simulated, File };
    // The figures a change touches (figuresChanged): timing (utilization,
    // bubble, from slots), memory, and loss (batches and evaluations).
    enum Figures : unsigned {
        TimingFigures = 1,
        MemoryFigures = 2,
        LossFigures = 4,
        AllFigures = 7
    };

    explicit RunModel(QObject* parent = nullptr);

    // A new run of `prepared` (options, stage names, ideal schedule), with
    // no event yet; the cursor goes back to slot 0. The schedule's action
    // lists and ideal timeline are kept once, as the ideal boxes: ideal()
    // holds the figures and the makespan, not the lists.
    void reset(RunResult prepared, Source source);
    // A whole run at once (an opened file): reset plus its events.
    void load(RunResult&& run, Source source, bool complete);

    void appendSlots(const std::vector<SlotEvent>& events);
    void appendMemory(const std::vector<MemoryEvent>& events);
    void appendBatches(const std::vector<BatchEvent>& events);
    void appendEvaluations(const std::vector<EvaluationEvent>& events);
    void finish(const RunSummary& summary);
    void fail(const QString& message);

    const RunOptions& options() const { return run_.options; }
    const QStringList& stageNames() const { return run_.stageNames; }
    // Per stage, its rank's host (a run of one process per stage), or empty.
    const QStringList& stageHosts() const { return run_.stageHosts; }
    QStringList laneLabels() const { return pd::laneLabels(run_.stageNames, run_.stageHosts); }
    const DryRun& ideal() const { return run_.ideal; }
    // The slot count, unit and batch boundaries (its per-action lists are in
    // the ideal boxes: slot0, slot1, gate).
    const SlotGrid& grid() const { return grid_; }
    Source source() const { return source_; }
    QString sourceFile() const { return run_.source; }
    bool hasRun() const { return idealBoxes_.lanes() > 0; }
    bool measured() const { return source_ == Source::Live || source_ == Source::File; }
    bool finished() const { return finished_; }
    bool cancelled() const { return summary_.cancelled; }
    QString error() const { return error_; }

    const TimelineData& measuredBoxes() const { return measured_; }
    const TimelineData& idealBoxes() const { return idealBoxes_; }
    const RunFigures& figures() const { return figures_; }
    const std::vector<BatchEvent>& batches() const { return batches_; }
    // Held-out loss and accuracy, in the order they were taken.
    const std::vector<EvaluationEvent>& evaluations() const { return evaluations_; }
    const std::vector<MemoryEvent>& memory() const { return memory_; }
    // Milliseconds per ideal unit: the measured forward (1 before any).
    double idealMsPerUnit() const { return msPerUnit_; }
    // The recorded slot events in start order; the ideal ones (1 unit =
    // 1000 us) when nothing was recorded. For CSV and trace exports.
    std::vector<SlotEvent> slotEvents() const;
    // The run for a Chrome trace: lanes, slot events, memory, and how a
    // measured run ended (completed, cancelled, failed and why).
    RunRecord record() const;

    // --- cursor: the slots of the schedule before it are shown ---
    int cursor() const { return cursor_; }
    int slotCount() const { return grid_.slots; }
    // How far the cursor can go: every action before it has been recorded.
    int frontier() const { return frontier_; }
    // Moves the cursor to `slot` (clamped to 0..frontier()).
    void setCursor(int slot);
    // Moves toward `slot` as far as the events allow, the rest as they arrive
    // (stepping a live run: the engine runs the slot, then the cursor moves).
    void requestCursor(int slot);
    int requestedCursor() const { return requested_; }
    // The cursor's place on a time base (measured: the end of the last
    // action shown).
    double cursorX(TimeBase base) const;
    // Per stage, what it holds once the actions before the cursor ran.
    std::vector<StageSnapshot> stateAtCursor() const;
    // Batches every action of which is before the cursor.
    int batchesAtCursor() const;

    // --- playing: the cursor advances by itself at `pace` slots per second ---
    void setPlaying(bool on);
    bool playing() const { return timer_.isActive(); }
    void setPace(double slotsPerSecond);
    double pace() const { return pace_; }

Q_SIGNALS:
    void modelReset();
    void appended();  // new events (boxes, memory or batches)
    // What new events changed: a Figures mask (a new run: AllFigures).
    void figuresChanged(unsigned which);
    void cursorMoved(int slot);
    void playingChanged(bool playing);
    void runFinished();
    void runFailed(const QString& message);

private:
    void updateFrontier();
    void moveCursor(int slot);  // emits cursorMoved when it moves
    void rescaleIdeal();
    int nextGate(std::size_t stage) const;  // of the first action not recorded yet
    void tick();

    RunResult run_;  // options, names, ideal; its event vectors stay empty
    Source source_ = Source::Schedule;
    SlotGrid grid_;
    TimelineData measured_;
    TimelineData idealBoxes_;
    RunFigures figures_;
    std::vector<MemoryEvent> memory_;
    std::vector<BatchEvent> batches_;
    std::vector<EvaluationEvent> evaluations_;
    std::vector<std::size_t> arrived_;  // slot events per stage
    // State at the cursor, folded in as the cursor moves forward (a step
    // back starts that stage over): walking a long run stays cheap.
    mutable std::vector<StageWalker> walkers_;
    mutable const TimelineData* walked_ = nullptr;
    RunSummary summary_;
    QString error_;
    bool finished_ = false;
    double msPerUnit_ = 1.0;
    int cursor_ = 0;
    int requested_ = 0;
    int frontier_ = 0;
    double pace_ = 3.0;
    QTimer timer_;
};

}  // namespace pd
