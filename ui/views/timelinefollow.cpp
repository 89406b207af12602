// TimelineView's visible range: the range policy (the first batch, the
// whole run, or the user's), following the cursor page by page, zoom, pan
// and fit, and converting ranges between time bases.
#include <QCursor>
#include <cmath>

#include "ui/views/timelineplot.h"

namespace pd {

// Following the cursor. Before, `follow_` only meant "keep fitting the
// whole run as it grows": the cursor never moved the range, so once zoomed
// in (which turned it off) a step or play walked the cursor off screen.
// Now the view behaves like a text editor's caret or an audio editor's
// playhead:
// - when the cursor leaves the visible range (or comes within 1 % of its
//   right edge), the range turns a page at the same zoom: going forward the cursor
//   lands 15 % from the left edge, going back 15 % from the right, so what
//   just ran stays in sight and the view does not crawl slot by slot;
// - a pan or zoom by the user is never undone while the cursor is still in
//   sight: the range stays until the cursor would leave it;
// - a pan or zoom that leaves the cursor out of sight means "I am looking
//   elsewhere": playing then moves the cursor without moving the view, until
//   the cursor comes back into the range by itself or the user steps
//   (a step asks to see the cursor, as typing brings a caret back), or Fit;
// - nothing moves while a mouse button is down on the plot (a drag).
void TimelineView::setCursor(int slot, double x, CursorMove move) {
    cursorSlot_ = std::isfinite(x) ? slot : std::numeric_limits<int>::max();
    playhead_ = x;
    applyReveal();
    const bool show = std::isfinite(x);
    playheadLine_->setVisible(show);
    if (show) {
        playheadLine_->point1->setCoords(x, 0.0);
        playheadLine_->point2->setCoords(x, 1.0);
        if (move == CursorMove::Step || xAxis->range().contains(x)) followSuspended_ = false;
        if (!followSuspended_ && !dragging_) keepCursorInView();
    }
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::followCursor() {
    followSuspended_ = false;
    if (!std::isfinite(playhead_) || dragging_) return;
    const QCPRange r = xAxis->range();
    if (!r.contains(playhead_) && policy_ != RangePolicy::Whole && r.size() > 0.0) {
        // Out of sight: the page that starts just before the cursor.
        policy_ = RangePolicy::Free;
        const double lower = std::max(playhead_ - 0.15 * r.size(), 0.0);
        setRangeQuietly(QCPRange(lower, lower + r.size()));
        replot(QCustomPlot::rpQueuedReplot);
    }
}

void TimelineView::keepCursorInView() {
    if (policy_ == RangePolicy::Whole) return;  // holds the whole run; refresh refits it
    const QCPRange r = xAxis->range();
    const double w = r.size();
    if (!(w > 0.0)) return;
    double lower = 0.0;
    if (playhead_ > r.upper - 0.01 * w)
        lower = playhead_ - 0.15 * w;
    else if (playhead_ < r.lower + 0.01 * w && r.lower > 0.0)
        lower = std::max(playhead_ - 0.85 * w, 0.0);  // nothing lies before t0
    else
        return;
    policy_ = RangePolicy::Free;  // a page of the run, kept as the run grows
    setRangeQuietly(QCPRange(lower, lower + w));
}

void TimelineView::setRangeQuietly(const QCPRange& range) {
    const bool was = settingRange_;
    settingRange_ = true;
    xAxis->setRange(range);
    settingRange_ = was;
}

// Any range change not made by the view itself is the user's (drag,
// wheel, keys, zoom and pan actions) or a caller's: kept as it is.
void TimelineView::userRangeChanged() {
    if (settingRange_) return;
    policy_ = RangePolicy::Free;
    followSuspended_ = std::isfinite(playhead_) && !xAxis->range().contains(playhead_);
}

double TimelineView::dataEnd() const {
    // What the mode shows: on the schedule's axes (Slots) the whole schedule
    // is known from the start, so boxes appear in place instead of
    // rescaling; Measured fits what was measured, Ideal the ideal schedule
    // alone (not the longer measured run, which left it a sliver), Both
    // whichever is longer.
    const double measured = measured_->data().endOn(measured_->timeBase());
    const double ideal = ideal_->data().endOn(ideal_->timeBase());
    switch (mode_) {
        case Mode::Measured:
            return measured;
        case Mode::Ideal:
            return ideal;
        case Mode::Slots:
        case Mode::Both:
            break;
    }
    return std::max(measured, ideal);
}

double TimelineView::perSlot(TimeBase base) const {
    auto ratio = [](const TimelineData& d) {
        return d.endSlot() > 0 ? d.endOn(TimeBase::Measured) / d.endSlot() : 0.0;
    };
    switch (base) {
        case TimeBase::Slots:
            return 1.0;
        case TimeBase::Ideal:
            return ratio(ideal_->data());
        case TimeBase::Measured:
            break;
    }
    const double m = ratio(measured_->data());
    return m > 0.0 ? m : ratio(ideal_->data());
}

// The slot at which the first batch ends, from the schedule (the ideal
// store holds all of it from the start), else from what was measured.
int TimelineView::firstBatchSlots() const {
    const TimelineData& d = ideal_->data().empty() ? measured_->data() : ideal_->data();
    if (startFor_ == &d && startForSize_ == d.size()) return startSlots_;
    int end = 0;
    maxMicrobatch_ = 0;
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == 0) {
                end = std::max<int>(end, b.slot1);
                maxMicrobatch_ = std::max<int>(maxMicrobatch_, b.microbatch);
            }
    startFor_ = &d;
    startForSize_ = d.size();
    startSlots_ = end > 0 ? end : d.endSlot();
    return startSlots_;
}

// The axis rect's width, estimated from the widget before its first layout.
int TimelineView::plotWidthPx() const {
    // Both from the last layout (a resize has not laid out again yet).
    const int laidOut = plotLayout()->outerRect().width();
    const int axis = axisRect()->rect().width();
    const int margins = laidOut > 0 && axis > 0 ? laidOut - axis : 140;
    return std::max(width() - margins, 100);
}

// One batch, each slot wide enough for a one-slot forward's label ("F7");
// a batch longer than the plot holds shows its first slots, the rest a
// scroll away.
QCPRange TimelineView::startRange() const {
    const int batchSlots = std::max(firstBatchSlots(), 1);  // also finds maxMicrobatch_
    const QString widest = QStringLiteral("F%1").arg(std::max(maxMicrobatch_, 0));
    const double readable = QFontMetrics(font()).horizontalAdvance(widest) + 6.0;
    const double fits = std::max(4.0, std::floor(plotWidthPx() / readable));
    const double slots = std::min<double>(batchSlots, fits);
    const double unit = perSlot(timeBase());
    const double end = slots * (unit > 0.0 ? unit : 1.0);
    return QCPRange(0.0, end * 1.02);
}

void TimelineView::applyPolicy() {
    switch (policy_) {
        case RangePolicy::Start:
            setRangeQuietly(startRange());
            break;
        case RangePolicy::Whole: {
            const double end = dataEnd();
            setRangeQuietly(QCPRange(0.0, end > 0.0 ? end * 1.02 : 1.0));
            break;
        }
        case RangePolicy::Free:
            break;
    }
}

void TimelineView::fit() {
    policy_ = RangePolicy::Whole;
    followSuspended_ = false;
    updateScale();
    applyPolicy();
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(laneNames_.size()), 1) - 0.4);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::showStart() {
    policy_ = RangePolicy::Start;
    followSuspended_ = false;
    updateScale();
    applyPolicy();
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(laneNames_.size()), 1) - 0.4);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::setFollow(bool on) {
    if (on) {
        fit();
        return;
    }
    policy_ = RangePolicy::Free;
    followSuspended_ = true;
}

void TimelineView::zoomBy(double factor, double centre) {
    if (!std::isfinite(centre)) {
        const QPoint mouse = mapFromGlobal(QCursor::pos());
        if (axisRect()->rect().contains(mouse) && underMouse())
            centre = xAxis->pixelToCoord(mouse.x());
        else if (std::isfinite(playhead_) && xAxis->range().contains(playhead_))
            centre = playhead_;
        else
            centre = xAxis->range().center();
    }
    xAxis->scaleRange(1.0 / factor, centre);  // the user's: userRangeChanged
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::panBy(double fraction) {
    xAxis->moveRange(xAxis->range().size() * fraction);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::refresh() {
    updateScale();
    updateAxisLabel();
    if (selection_.valid()) updateHighlight();  // new boxes of the selected microbatch
    applyPolicy();
    replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace pd
