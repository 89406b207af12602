// TimelineView's hover text: what a box is (op, batch, stage, microbatch,
// version, slot and times) and, between boxes, how long a stage waits.
#include <cmath>

#include "ui/views/timelineplot.h"

namespace pd {

QString TimelineView::tooltipAt(const QPoint& pos) const {
    const TimelineBox* b = boxAt(pos);
    if (!b) return idleTextAt(pos);
    const bool fromIdeal = !(measured_->visible() && measured_->boxAt(pos));
    const bool slots = timeBase() == TimeBase::Slots;
    const bool chunked = storeOf(fromIdeal)->data().maxChunk() > 0;
    QString text = QStringLiteral("<b>%1 %2</b> %3<br>")
                       .arg(GanttPlottable::badgeText(*b, GanttPlottable::Label::Short, chunked),
                            opName(b->op), fromIdeal ? tr("(ideal)") : QString());
    // Batches count from 1, as in the status bar; microbatches as the labels.
    text += tr("batch %1, stage %2").arg(b->batch + 1).arg(b->stage);
    if (b->stage < laneNames_.size())
        text += QStringLiteral(" &mdash; %1").arg(laneNames_[b->stage].toHtmlEscaped());
    text += QStringLiteral("<br>");
    if (b->microbatch >= 0) text += tr("microbatch %1, ").arg(b->microbatch);
    if (chunked) text += tr("chunk %1, ").arg(b->chunk);
    text += b->op == Op::U ? tr("produces weight version v%1").arg(b->version)
                           : tr("reads weight version v%1").arg(b->version);
    if (b->staleness > 0)
        text += tr(" (%n version(s) behind the stage's newest)", "", b->staleness);
    text += QStringLiteral("<br>") + tr("slot t%1").arg(b->slot0);
    if (!slots || !fromIdeal) {
        const QString unit = fromIdeal ? unitOf(TimeBase::Ideal) : unitOf(TimeBase::Measured);
        text += QStringLiteral(", ") + tr("start %1 %3, duration %2 %3")
                                           .arg(b->start, 0, 'f', 3)
                                           .arg(b->duration(), 0, 'f', 3)
                                           .arg(unit);
    }
    if (b->mismatch)
        text += QStringLiteral("<br><b>") +
                tr("version mismatch: backward ran on newer weights than its forward") +
                QStringLiteral("</b>");
    text +=
        QStringLiteral("<br><i>") + tr("click to follow this microbatch") + QStringLiteral("</i>");
    return text;
}

QString TimelineView::idleTextAt(const QPoint& pos) const {
    const bool ideal = mode_ == Mode::Ideal;
    const GanttPlottable* p = ideal ? ideal_ : (measured_->data().empty() ? ghost_ : measured_);
    if (!p->visible() && p != ghost_) return {};
    const double t = xAxis->pixelToCoord(pos.x());
    const double v = yAxis->pixelToCoord(pos.y());
    const int lane = static_cast<int>(std::lround(v));
    const TimelineData& d = p->data();
    if (lane < 0 || lane >= d.lanes()) return {};
    const auto span = p->laneSpan(lane);
    if (v < span.first || v > span.second || t < 0.0) return {};
    const TimeBase base = p->timeBase();
    const auto& boxes = d.lane(lane);
    const Reveal& r = p->reveal();
    // The revealed boxes around t: the last ending before it, the first after.
    std::size_t next = d.firstEndingAfter(lane, t, base);
    const std::size_t shown = p == ghost_ ? boxes.size() : d.revealedCount(lane, r.slot);
    if (next < shown && boxes[next].x0(base) <= t) return {};  // over a box
    const double from = next > 0 && next - 1 < shown ? boxes[next - 1].x1(base) : 0.0;
    const double end = std::min(d.endOn(base), r.clip);
    if (t > end) return {};
    const double to = next < shown ? std::min(boxes[next].x0(base), end) : end;
    const QString unit = unitOf(base);
    const int prec = base == TimeBase::Slots ? 0 : 3;
    QString text = QStringLiteral("<b>%1</b><br>").arg(tr("Idle: a bubble"));
    text += tr("stage %1 waits %2 %3 (from %4 to %5)")
                .arg(lane)
                .arg(to - from, 0, 'f', prec)
                .arg(unit)
                .arg(from, 0, 'f', prec)
                .arg(to, 0, 'f', prec);
    if (next < shown)
        text += QStringLiteral("<br>") +
                tr("until %1")
                    .arg(GanttPlottable::badgeText(boxes[next], GanttPlottable::Label::Short,
                                                   d.maxChunk() > 0));
    return text;
}

// Ideal times are in ms once op costs were measured; before, in units of
// one forward (RunModel::rescaleIdeal).
QString TimelineView::unitOf(TimeBase base) const {
    switch (base) {
        case TimeBase::Slots:
            return tr("slots");
        case TimeBase::Ideal:
            return measured_->data().empty() ? tr("units") : tr("ms");
        case TimeBase::Measured:
            break;
    }
    return tr("ms");
}

}  // namespace pd
