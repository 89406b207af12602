// The Gantt chart: one custom QCustomPlot plottable for all boxes of a run
// (culls to the visible range, groups by colour, merges sub-pixel boxes),
// and the plot widget that owns lanes, playhead, zoom / pan / fit and the
// hover tooltip.
#pragma once

#include <QStringList>
#include <array>
#include <optional>
#include <vector>

#include "qcp.h"
#include "timelinedata.h"

namespace pd {

class GanttPlottable : public QCPAbstractPlottable {
    Q_OBJECT
public:
    enum class ColorMode { ByOp, ByVersion };
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
    void setBadges(bool on) { badges_ = on; }
    void setFaded(bool on) { faded_ = on; }  // the ideal timeline under the measured one
    void setGhost(bool on) { ghost_ = on; }  // the schedule not run yet: pale, no outline
    static constexpr double kLaneHeight = 0.8;
    static constexpr double kMergeWidthPx = 2.0;

    // Lane extent in value coordinates for the current band.
    std::pair<double, double> laneSpan(int lane) const;
    const TimelineBox* boxAt(const QPointF& pixel) const;
    QColor fillColor(const TimelineBox& box) const;
    static QString badgeText(const TimelineBox& box);
    static QString shortBadgeText(const TimelineBox& box);  // "v2", for narrow boxes

    // Statistics of the last draw (for tests and the benchmark).
    struct DrawStats {
        std::size_t rects = 0;
        std::size_t merged = 0;
        std::size_t badges = 0;
    };
    DrawStats lastDrawStats() const { return stats_; }

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

    TimelineData own_;
    const TimelineData* source_ = nullptr;
    TimeBase base_ = TimeBase::Measured;
    ColorMode colorMode_ = ColorMode::ByOp;
    Band band_ = Band::Full;
    Reveal reveal_;
    unsigned opMask_ = 0x1F;
    bool badges_ = true;
    bool faded_ = false;
    bool ghost_ = false;
    DrawStats stats_;
    // Reused between draws so a replot does not allocate.
    static constexpr int kKeys = 64;
    std::array<std::vector<QRectF>, kKeys> groups_;
    std::vector<QRectF> mismatches_;
    std::vector<PixelRun> runs_;
};

class TimelineView : public QCustomPlot {
    Q_OBJECT
public:
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
    // The cursor: slots before `slot` are shown, the playhead stands at `x`
    // on the current time base (NaN: no playhead, everything shown).
    void setCursor(int slot, double x);
    void setColorMode(GanttPlottable::ColorMode mode);
    void setTitle(const QString& title);  // empty: no title row

    // Where the cursor stands on the current time base (NaN: none).
    double playhead() const { return playhead_; }

    // Shows the whole run; `follow` keeps fitting as data grows until the
    // user zooms or pans.
    void fit();
    void setFollow(bool on) { follow_ = on; }
    bool follow() const { return follow_; }
    void zoomBy(double factor);   // > 1 zooms in around the centre
    void panBy(double fraction);  // of the visible width
    // Call after appending data: refits when following, queues a replot.
    void refresh();

    QString tooltipAt(const QPoint& pos) const;
    const TimelineBox* boxAt(const QPoint& pos) const;
    double dataEnd() const;


protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    GanttPlottable* measured_ = nullptr;
    GanttPlottable* ideal_ = nullptr;
    GanttPlottable* ghost_ = nullptr;
    QCPItemStraightLine* playheadLine_ = nullptr;
    QCPTextElement* title_ = nullptr;
    QStringList laneNames_;
    Mode mode_ = Mode::Slots;
    void applyReveal();
    int cursorSlot_ = std::numeric_limits<int>::max();
    double playhead_ = std::numeric_limits<double>::quiet_NaN();
    bool follow_ = true;
};

}  // namespace pd
