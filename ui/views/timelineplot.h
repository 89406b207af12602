// The Gantt chart: one custom QCustomPlot plottable for all boxes of a run
// (culls to the visible range, groups by colour, merges sub-pixel boxes),
// and the plot widget that owns lanes, playhead, zoom / pan / fit and the
// hover tooltip.
#pragma once

#include <QStringList>
#include <array>
#include <optional>
#include <vector>

#include "ui/model/timelinedata.h"
#include "ui/views/palette.h"
#include "ui/views/qcp.h"

namespace pd {

class GanttPlottable : public QCPAbstractPlottable {
    Q_OBJECT
public:
    // By op (shaded per microbatch), by the weight version read (U: made),
    // or by staleness (versions behind the stage's newest).
    enum class ColorMode { ByOp, ByVersion, ByStaleness };
    // How much a badge says, from the widest to the narrowest box.
    enum class Label { Full, Short, Op };
    // A hand-off of the selected microbatch, drawn as an arrow from the end
    // of the sender to the start of the receiver.
    struct Flow {
        double x0 = 0.0, x1 = 0.0;
        int lane0 = 0, lane1 = 0;
        int gate = 0;  // shown once both boxes are: the later gate
        bool gradient = false;
    };
    enum class Band { Full, Upper, Lower };  // where in its lane a box is drawn

    GanttPlottable(QCPAxis* keyAxis, QCPAxis* valueAxis);

    // The boxes drawn: a store owned elsewhere (the run model), or this
    // plottable's own when none was set.
    void setSource(const TimelineData* data) { source_ = data; }
    TimelineData& ownData() { return own_; }  // filled by the caller when no source is set
    const TimelineData& data() const { return source_ ? *source_ : own_; }
    void setTimeBase(TimeBase base) { base_ = base; }
    TimeBase timeBase() const { return base_; }

    void setColorMode(ColorMode mode) { colorMode_ = mode; }
    ColorMode colorMode() const { return colorMode_; }
    void setBand(Band band) { band_ = band; }
    Band band() const { return band_; }
    // Boxes not yet reached by the cursor are not drawn (reveal.slot), and
    // those running past it are cut there (reveal.clip, on the time base).
    void setReveal(const Reveal& reveal) { reveal_ = reveal; }
    const Reveal& reveal() const { return reveal_; }
    // Ops outside the mask are drawn faded (bit i = Op i); all by default.
    void setOpMask(unsigned mask) { opMask_ = mask; }
    // Ends of the version and staleness scales (the run's highest).
    void setScale(int maxVersion, int maxStaleness);
    // Boxes outside the filter are dimmed (the search box).
    void setFilter(const BoxFilter& filter) { filter_ = filter; }
    // The selected microbatch (batch, microbatch; -1: none): its boxes are
    // outlined on every stage, the rest dimmed, its hand-offs drawn.
    void setHighlight(int batch, int microbatch, std::vector<Flow> flows = {});
    bool hasHighlight() const { return highlightMb_ >= 0; }
    void setBadges(bool on) { badges_ = on; }
    // Only boxes starting at or after x (on the time base) carry a badge.
    void setBadgesFrom(double x) { badgesFrom_ = x; }
    void setFaded(bool on) { faded_ = on; }  // the ideal timeline under the measured one
    void setGhost(bool on) { ghost_ = on; }  // the schedule not run yet: pale, no outline
    static constexpr double kLaneHeight = 0.8;
    static constexpr double kMergeWidthPx = 2.0;

    // Lane extent in value coordinates for the current band.
    std::pair<double, double> laneSpan(int lane) const;
    const TimelineBox* boxAt(const QPointF& pixel) const;
    QColor fillColor(const TimelineBox& box) const;
    // The colour of weight version v when coloured by version (not dimmed).
    QColor versionFill(int version) const { return keyColor(versionKey(version)); }
    // "F3 v2", "F3.1 v2" (chunk 1 of a chunked kind), "U→v1" (the version
    // an update produces); Short drops the version, Op keeps the letter.
    static QString badgeText(const TimelineBox& box, Label level = Label::Full,
                             bool chunked = false);
    bool highlighted(const TimelineBox& box) const {
        return box.batch == highlightBatch_ && box.microbatch == highlightMb_;
    }
    bool dimmed(const TimelineBox& box) const;

    // Statistics of the last draw (for tests and the benchmark).
    struct DrawStats {
        std::size_t rects = 0;
        std::size_t merged = 0;
        std::size_t badges = 0;
        std::size_t flows = 0;
    };
    DrawStats lastDrawStats() const { return stats_; }
    // The badge texts of the last draw (few: only boxes wide enough carry one).
    const QStringList& lastBadges() const { return badgeTexts_; }

    double selectTest(const QPointF& pos, bool onlySelectable,
                      QVariant* details = nullptr) const override;
    QCPRange getKeyRange(bool& foundRange,
                         QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange& inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter* painter) override;
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

private:
    int colorKey(const TimelineBox& box) const;
    QColor keyColor(int key) const;
    int versionKey(int version) const;
    // A merged run of several ops: one slice of the lane's height per op,
    // by its share of the run's time, so no op vanishes in a full view.
    void splitByOp(const PixelRun& run, const QRectF& rect, bool dim);
    void drawBadges(QCPPainter* painter, const QFontMetrics& metrics);
    void drawFlows(QCPPainter* painter);
    double laneCentre(int lane) const;

    TimelineData own_;
    const TimelineData* source_ = nullptr;
    TimeBase base_ = TimeBase::Measured;
    ColorMode colorMode_ = ColorMode::ByOp;
    Band band_ = Band::Full;
    Reveal reveal_;
    unsigned opMask_ = 0x1F;
    bool badges_ = true;
    double badgesFrom_ = -std::numeric_limits<double>::infinity();
    bool faded_ = false;
    bool ghost_ = false;
    int maxVersion_ = 0;
    int maxStaleness_ = 0;
    BoxFilter filter_;
    int highlightBatch_ = -1;
    int highlightMb_ = -1;
    std::vector<Flow> flows_;
    DrawStats stats_;
    // Colour keys: ops x shades, then the version bins, then staleness;
    // the same again from kDimmed on, drawn pale.
    static constexpr int kOpKeys = 5 * kMicrobatchShades;
    static constexpr int kVersionBins = 64;
    static constexpr int kVersionHues = 21;  // 21 x 3 phases <= kVersionBins
    static constexpr int kStaleBins = 32;
    static constexpr int kDimmed = 128;
    static constexpr int kKeys = 2 * kDimmed;
    // Reused between draws so a replot does not allocate.
    std::array<std::vector<QRectF>, kKeys> groups_;
    std::vector<QRectF> mismatches_;
    std::vector<QRectF> outlined_;
    struct Badge {
        QRectF rect;
        int lane;
        std::size_t index;
    };
    std::vector<Badge> badgeList_;
    QStringList badgeTexts_;
    std::vector<PixelRun> runs_;
};

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
