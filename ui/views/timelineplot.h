// The Gantt chart's widget: the plot that owns lanes, playhead, zoom / pan /
// fit, selection, the measured range and the hover tooltip, over the boxes
// drawn by GanttPlottable (ganttplottable.h). Implemented in timelineplot.cpp
// (stores, modes, mouse and keys), timelinefollow.cpp (visible range and
// following the cursor), timelineselection.cpp, timelinetooltip.cpp and
// timelinetitle.cpp (title, legend, axis label).
#pragma once

#include <QStringList>
#include <limits>

#include "ui/model/timelinedata.h"
#include "ui/views/ganttplottable.h"
#include "ui/views/qcp.h"

namespace pd {

class ColourLegend;

class TimelineView : public QCustomPlot {
    Q_OBJECT
public:
    // A selected box: which stage, which action, in which store.
    struct Selection {
        int stage = -1;
        int batch = 0;
        int microbatch = 0;
        Op op = Op::F;
        int chunk = 0;
        bool ideal = false;  // picked on the ideal timeline (Ideal mode, or the lower band)
        bool valid() const { return stage >= 0; }
    };

    // What is drawn: a time base, and in Measured also the ideal overlaid.
    enum class Mode { Slots, Measured, Ideal, Both };

    explicit TimelineView(QWidget* parent = nullptr);

    void setLanes(const QStringList& names);
    QStringList lanes() const { return laneNames_; }
    GanttPlottable* measured() const { return measured_; }
    GanttPlottable* ideal() const { return ideal_; }
    GanttPlottable* ghost() const { return ghost_; }  // the whole schedule, faded
    // Draws these stores (owned by the caller, e.g. the run model).
    void setSources(const TimelineData* measured, const TimelineData* ideal);
    void setMode(Mode mode);
    Mode mode() const { return mode_; }
    TimeBase timeBase() const;
    // How the cursor moved: a step (the user asked for this place: it is
    // brought into view) or playing (followed unless the user looks elsewhere).
    enum class CursorMove { Step, Play };
    // The cursor: slots before `slot` are shown, the playhead stands at `x`
    // on the current time base (NaN: no playhead, everything shown).
    void setCursor(int slot, double x, CursorMove move = CursorMove::Step);
    void setColorMode(GanttPlottable::ColorMode mode);
    GanttPlottable::ColorMode colorMode() const { return measured_->colorMode(); }
    void setTitle(const QString& title);  // empty: no title row
    QString title() const;
    // Breaks the title into lines that fit `width` pixels (an export's size).
    void wrapTitle(int width);
    ColourLegend* legendRow() const { return legend_; }

    // --- selection: a box, its microbatch highlighted on every stage ---
    void select(const Selection& selection);
    void selectAt(const QPoint& pos);  // the box under pos, or nothing
    void clearSelection();
    const Selection& selection() const { return selection_; }
    // The selected box in its store, or nullptr.
    const TimelineBox* selectedBox() const;
    // Boxes outside `filter` are dimmed.
    void setFilter(const BoxFilter& filter);
    // Measures [t0, t1] on the time base: its duration and each stage's busy
    // share, drawn as a band with a caption; NaN clears.
    void measureRange(double t0, double t1);
    QString rangeSummary() const { return rangeSummary_; }
    // Larger badges and labels for a projector.
    void setPresentation(bool on);
    bool presentation() const { return presentation_; }

    // Where the cursor stands on the current time base (NaN: none).
    double playhead() const { return playhead_; }

    // How the visible range is chosen. Start: the first batch, as wide as
    // its labels need (a new run or configuration opens on it, like the
    // tutorial's figures); Whole: the whole run, refitted as it grows (Fit);
    // Free: a range the user (pan, zoom) or a caller chose, kept as is.
    enum class RangePolicy { Start, Whole, Free };
    RangePolicy rangePolicy() const { return policy_; }
    void showStart();
    void fit();  // Whole
    // The range of showStart on the current time base.
    QCPRange startRange() const;
    // follow(): the view picks its range itself (Start or Whole), as
    // opposed to a range chosen by the user or a caller. setFollow(false)
    // keeps the caller's range (an export's window): Free, and the cursor
    // is not followed until the next step; setFollow(true) fits.
    void setFollow(bool on);
    bool follow() const { return policy_ != RangePolicy::Free; }
    // Whether a cursor that leaves the visible range moves it (false after
    // the user looked elsewhere, until a step or the cursor comes back).
    bool followsCursor() const { return !followSuspended_; }
    // Follows the cursor again and brings it into view (Play pressed while
    // the user was looking elsewhere).
    void followCursor();
    // > 1 zooms in around `centre` (NaN: the mouse when it is over the
    // plot, else the playhead, else the middle of the view).
    void zoomBy(double factor, double centre = std::numeric_limits<double>::quiet_NaN());
    void panBy(double fraction);  // of the visible width
    // Call after appending data: refits when following, queues a replot.
    void refresh();

    QString tooltipAt(const QPoint& pos) const;
    // Idle time under pos: "bubble ... ms", or empty over a box or outside lanes.
    QString idleTextAt(const QPoint& pos) const;
    const TimelineBox* boxAt(const QPoint& pos) const;
    double dataEnd() const;

Q_SIGNALS:
    void selectionChanged();
    void rangeMeasured(const QString& summary);
    void legendChanged();  // the colour legend's entries (mode or scale changed)

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    GanttPlottable* measured_ = nullptr;
    GanttPlottable* ideal_ = nullptr;
    GanttPlottable* ghost_ = nullptr;
    QCPItemStraightLine* playheadLine_ = nullptr;
    QCPTextElement* title_ = nullptr;
    QString titleText_;
    ColourLegend* legend_ = nullptr;
    QCPItemRect* rangeBand_ = nullptr;
    QCPItemText* rangeText_ = nullptr;
    Selection selection_;
    QString rangeSummary_;
    QPoint pressPos_;
    double rangeStart_ = std::numeric_limits<double>::quiet_NaN();
    bool presentation_ = false;
    static constexpr int kLegendSwatches = 9;  // versions v0..v8 get a swatch each
    void updateHighlight();
    void updateScale();
    void updateLegend();
    void updateAxisLabel();
    QString unitOf(TimeBase base) const;  // "slots", "ms", "units" (ideal before a run)
    GanttPlottable* storeOf(bool ideal) const { return ideal ? ideal_ : measured_; }
    QStringList laneNames_;
    Mode mode_ = Mode::Slots;
    void applyReveal();
    // The range for the policy (Free: unchanged), set without counting as
    // the user's.
    void applyPolicy();
    void setRangeQuietly(const QCPRange& range);
    void userRangeChanged();
    void keepCursorInView();
    // Units of the time base per slot (1 on Slots): converts ranges between bases.
    double perSlot(TimeBase base) const;
    int firstBatchSlots() const;
    int plotWidthPx() const;
    int cursorSlot_ = std::numeric_limits<int>::max();
    double playhead_ = std::numeric_limits<double>::quiet_NaN();
    RangePolicy policy_ = RangePolicy::Start;
    bool followSuspended_ = false;
    bool settingRange_ = false;                       // our own setRange: not the user's
    bool dragging_ = false;                           // a mouse button is down on the plot
    mutable const TimelineData* startFor_ = nullptr;  // firstBatchSlots' cache
    mutable std::size_t startForSize_ = 0;
    mutable int startSlots_ = 0;
    mutable int maxMicrobatch_ = 0;  // of the first batch: the widest label to fit
};

}  // namespace pd
