#include "ui/panels/detailspanel.h"

#include <QTextBrowser>
#include <QVBoxLayout>
#include <cmath>

#include "engine/formats/traceflow.h"
#include "ui/model/runmodel.h"

namespace pd {

namespace {

using Selection = TimelineView::Selection;

const TimelineBox* find(const TimelineData& d, const Selection& s) {
    for (const TimelineBox& b : d.lane(s.stage))
        if (b.batch == s.batch && b.microbatch == s.microbatch && b.op == s.op &&
            b.chunk == s.chunk)
            return &b;
    return nullptr;
}

QString ms(double v) {
    return QObject::tr("%1 ms").arg(v, 0, 'f', 3);
}

QString row(const QString& name, const QString& value) {
    return QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(name, value);
}

QString label(const TimelineBox& b, bool chunked) {
    return GanttPlottable::badgeText(b, GanttPlottable::Label::Short, chunked);
}

// Boxes of the selected microbatch on every stage (copies: few).
std::vector<TimelineBox> microbatchBoxes(const TimelineData& d, int batch, int mb) {
    std::vector<TimelineBox> out;
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == batch && b.microbatch == mb) out.push_back(b);
    return out;
}

// What the stage did between its previous action and this one: nothing
// (back to back), waited for the message from a neighbour, or sat idle.
QString waitedFor(const TimelineData& d, const TimelineBox& box, bool chunked) {
    const auto& lane = d.lane(box.stage);
    const auto k = static_cast<std::size_t>(&box - lane.data());
    const double prevEnd = k > 0 ? lane[k - 1].end : 0.0;
    const double gap = box.start - prevEnd;
    const double eps = 1e-6 + 1e-3 * std::max(box.duration(), 1e-3);
    // The sender of this box's input, if it came from another stage.
    const TimelineBox* sender = nullptr;
    if (box.microbatch >= 0) {
        const auto mine = microbatchBoxes(d, box.batch, box.microbatch);
        for (const FlowLink& l : flowLinks(mine, [](const TimelineBox& b) { return b.start; })) {
            const TimelineBox& to = mine[l.to];
            if (to.stage == box.stage && to.op == box.op && to.chunk == box.chunk) {
                const TimelineBox& from = mine[l.from];
                sender = &from;
                for (const TimelineBox& b : d.lane(from.stage))  // the stored one, not the copy
                    if (b.batch == from.batch && b.microbatch == from.microbatch &&
                        b.op == from.op && b.chunk == from.chunk)
                        sender = &b;
            }
        }
    }
    const QString what = sender ? (sender->op == Op::F ? QObject::tr("the activation of %1")
                                                       : QObject::tr("the gradient of %1"))
                                          .arg(label(*sender, chunked)) +
                                      QObject::tr(" from stage %1").arg(sender->stage)
                                : QString();
    if (gap <= eps) {
        QString t =
            k > 0 ? QObject::tr("nothing: it started as %1 ended").arg(label(lane[k - 1], chunked))
                  : QObject::tr("nothing: the stage's first action");
        if (sender) t += QObject::tr("; %1 had arrived already").arg(what);
        return t;
    }
    if (sender && sender->end > prevEnd + eps)
        return QObject::tr("%1 (a bubble of %2: the message arrived at %3)")
            .arg(what, ms(gap), ms(sender->end));
    return QObject::tr("idle for %1 (a bubble) after %2")
        .arg(ms(gap), k > 0 ? label(lane[k - 1], chunked) : QObject::tr("the start"));
}

// Stashing kinds: the version this microbatch's forward read is kept on
// the stage from that forward to its weight gradient.
QString stashNote(const TimelineData& d, const TimelineBox& box, bool chunked) {
    const TimelineBox* fwd = nullptr;
    const TimelineBox* grad = nullptr;
    for (const TimelineBox& b : d.lane(box.stage)) {
        if (b.batch != box.batch || b.microbatch != box.microbatch || b.chunk != box.chunk)
            continue;
        if (b.op == Op::F) fwd = &b;
        if (b.op == Op::B || b.op == Op::W) grad = &b;
    }
    if (!fwd) return {};
    QString t = QObject::tr("v%1 kept for %2 from %3 (its forward)")
                    .arg(fwd->version)
                    .arg(label(*fwd, chunked))
                    .arg(ms(fwd->start));
    if (grad)
        t += QObject::tr(", freed after %1 at %2; stage's newest was %3 version(s) ahead then")
                 .arg(label(*grad, chunked), ms(grad->end))
                 .arg(static_cast<int>(grad->staleness));
    else
        t += QObject::tr(", still held (its backward has not run)");
    return t;
}

bool stashes(const RunOptions& o) {
    return (o.schedule.kind == ScheduleKind::PipeDream || o.schedule.kind == ScheduleKind::TwoBW) &&
           o.schedule.stash;
}

}  // namespace

QString boxDetailsHtml(const RunModel& model, const Selection& s) {
    if (!s.valid())
        return QObject::tr(
            "<p>Click a box to see what it did and follow its microbatch across "
            "the stages (arrows: activations forward, gradients back). Shift + "
            "drag measures a time range. Escape clears.</p>");
    const bool measured = !s.ideal && !model.measuredBoxes().empty();
    const TimelineData& store = measured ? model.measuredBoxes() : model.idealBoxes();
    const TimelineBox* box = find(store, s);
    if (!box) return QObject::tr("<p>The selected action is not in this run.</p>");
    const TimelineBox* ideal = find(model.idealBoxes(), s);
    const bool chunked = store.maxChunk() > 0;
    const QStringList& names = model.stageNames();
    QString html = QStringLiteral("<h3>%1 &mdash; %2</h3><table cellspacing=3>")
                       .arg(GanttPlottable::badgeText(*box, GanttPlottable::Label::Full, chunked),
                            opName(box->op));
    html += row(
        QObject::tr("Stage"),
        box->stage < names.size()
            ? QStringLiteral("%1 &mdash; %2").arg(box->stage).arg(names[box->stage].toHtmlEscaped())
            : QString::number(box->stage));
    html += row(QObject::tr("Batch"),
                QObject::tr("%1 of %2").arg(box->batch + 1).arg(model.options().schedule.batches));
    if (box->microbatch >= 0)
        html += row(QObject::tr("Microbatch"), QString::number(box->microbatch));
    if (chunked) html += row(QObject::tr("Chunk"), QString::number(box->chunk));
    if (box->op == Op::U)
        html +=
            row(QObject::tr("Weights"),
                QObject::tr("produces v%1 (reads v%2)").arg(box->version).arg(box->version - 1));
    else
        html += row(QObject::tr("Weights"), QObject::tr("reads v%1; staleness %2")
                                                .arg(box->version)
                                                .arg(static_cast<int>(box->staleness)));
    html += row(QObject::tr("Slots"), QObject::tr("t%1 to t%2").arg(box->slot0).arg(box->slot1));
    if (measured)
        html += row(QObject::tr("Measured"),
                    QObject::tr("start %1, duration %2").arg(ms(box->start), ms(box->duration())));
    if (ideal)
        html +=
            row(QObject::tr("Ideal"),
                QObject::tr("start %1, duration %2").arg(ms(ideal->start), ms(ideal->duration())));
    if (box->op != Op::U) html += row(QObject::tr("Waited for"), waitedFor(store, *box, chunked));
    if (stashes(model.options()) && box->op != Op::U)
        html += row(QObject::tr("Stash"), stashNote(store, *box, chunked));
    html += QStringLiteral("</table>");
    return html;
}

DetailsPanel::DetailsPanel(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    view_ = new QTextBrowser(this);
    view_->setOpenExternalLinks(false);
    v->addWidget(view_);
}

void DetailsPanel::showSelection(const RunModel& model, const Selection& selection) {
    box_ = boxDetailsHtml(model, selection);
    render();
}

void DetailsPanel::showRange(const QString& summary) {
    range_ = summary.isEmpty() ? QString()
                               : QStringLiteral("<h3>%1</h3><pre>%2</pre>")
                                     .arg(tr("Measured range"), summary.toHtmlEscaped());
    render();
}

void DetailsPanel::render() {
    view_->setHtml(box_ + range_);
}

QString DetailsPanel::text() const {
    return view_->toPlainText();
}

}  // namespace pd
