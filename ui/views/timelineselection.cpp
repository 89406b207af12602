// TimelineView's selection (a box, its microbatch outlined on every stage
// with arrows for its hand-offs) and the measured range (shift + drag: its
// duration and each stage's busy share).
#include <cmath>

#include "engine/formats/traceflow.h"
#include "ui/views/timelineplot.h"

namespace pd {

void TimelineView::select(const Selection& selection) {
    selection_ = selection;
    updateHighlight();
    replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT selectionChanged();
}

void TimelineView::clearSelection() {
    if (!selection_.valid()) return;
    select(Selection{});
}

void TimelineView::selectAt(const QPoint& pos) {
    const TimelineBox* b = boxAt(pos);
    if (!b) {
        clearSelection();
        return;
    }
    Selection s;
    s.stage = b->stage;
    s.batch = b->batch;
    s.microbatch = b->microbatch;
    s.op = b->op;
    s.chunk = b->chunk;
    s.ideal = !(measured_->visible() && measured_->boxAt(pos));
    select(s);
}

const TimelineBox* TimelineView::selectedBox() const {
    if (!selection_.valid()) return nullptr;
    const TimelineData& d = storeOf(selection_.ideal)->data();
    for (const TimelineBox& b : d.lane(selection_.stage))
        if (b.batch == selection_.batch && b.microbatch == selection_.microbatch &&
            b.op == selection_.op && b.chunk == selection_.chunk)
            return &b;
    return nullptr;
}

namespace {

// The hand-offs of one microbatch in `p`'s store, on its time base.
std::vector<GanttPlottable::Flow> flowsOf(const GanttPlottable* p, int batch, int microbatch) {
    std::vector<TimelineBox> mine;
    const TimelineData& d = p->data();
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == batch && b.microbatch == microbatch) mine.push_back(b);
    const TimeBase base = p->timeBase();
    std::vector<GanttPlottable::Flow> flows;
    for (const FlowLink& l : flowLinks(mine, [base](const TimelineBox& b) { return b.x0(base); })) {
        const TimelineBox& a = mine[l.from];
        const TimelineBox& b = mine[l.to];
        flows.push_back(
            {a.x1(base), b.x0(base), a.stage, b.stage, std::max(a.gate, b.gate), l.gradient});
    }
    return flows;
}

}  // namespace

void TimelineView::updateHighlight() {
    const bool on = selection_.valid() && selection_.microbatch >= 0;
    const int batch = on ? selection_.batch : -1;
    const int mb = on ? selection_.microbatch : -1;
    // The ghost too: at t0 the schedule not run yet is what a reader clicks.
    for (GanttPlottable* p : {measured_, ideal_, ghost_})
        p->setHighlight(
            batch, mb,
            on && p->visible() ? flowsOf(p, batch, mb) : std::vector<GanttPlottable::Flow>{});
}

void TimelineView::measureRange(double t0, double t1) {
    if (!std::isfinite(t0) || !std::isfinite(t1) || t0 == t1) {
        rangeBand_->setVisible(false);
        rangeText_->setVisible(false);
        rangeSummary_.clear();
        replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    if (t1 < t0) std::swap(t0, t1);
    const bool ideal = mode_ == Mode::Ideal || measured_->data().empty();
    const GanttPlottable* p = ideal ? ideal_ : measured_;
    const TimelineData& d = p->data();
    const TimeBase base = p->timeBase();
    // What ran up to the cursor; the schedule's own boxes are all shown.
    const int reveal = ideal ? std::numeric_limits<int>::max() : cursorSlot_;
    const QString unit = unitOf(base);
    QStringList lines;
    lines << tr("%1 %2 from %3 to %4")
                 .arg(t1 - t0, 0, 'f', base == TimeBase::Slots ? 1 : 3)
                 .arg(unit)
                 .arg(t0, 0, 'f', 2)
                 .arg(t1, 0, 'f', 2);
    double total = 0.0;
    for (int l = 0; l < d.lanes(); ++l) {
        const double busy = busyIn(d, l, t0, t1, base, reveal) / (t1 - t0);
        total += busy;
        const QString name = l < laneNames_.size() ? laneNames_[l] : tr("stage %1").arg(l);
        lines << tr("%1: busy %2%").arg(name).arg(busy * 100.0, 0, 'f', 1);
    }
    if (d.lanes() > 0) lines << tr("mean busy %1%").arg(total / d.lanes() * 100.0, 0, 'f', 1);
    rangeSummary_ = lines.join(QLatin1Char('\n'));
    rangeBand_->topLeft->setCoords(t0, yAxis->range().upper);
    rangeBand_->bottomRight->setCoords(t1, yAxis->range().lower);
    rangeBand_->setVisible(true);
    rangeText_->position->setCoords(t0, yAxis->range().lower);
    rangeText_->setText(rangeSummary_);
    rangeText_->setVisible(true);
    replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT rangeMeasured(rangeSummary_);
}

}  // namespace pd
