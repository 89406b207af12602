// The Gantt chart's boxes: one custom QCustomPlot plottable for all boxes of
// a run (culls to the visible range, groups by colour, merges sub-pixel
// boxes, badges, the selected microbatch's hand-off arrows).
#pragma once

#include <QStringList>
#include <array>
#include <limits>
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

}  // namespace pd
