// TimelineView's words around the plot: the title (wrapped to the width),
// the colour legend's entries for the colour mode, the axis label for the
// time base, and the colour scale shared by the stores.
#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>

#include "ui/views/colourlegend.h"
#include "ui/views/palette.h"
#include "ui/views/timelineplot.h"

namespace pd {

// The time base the axis shows, and where ideal times come from: the
// measured op costs once there are any, else the schedule's units.
void TimelineView::updateAxisLabel() {
    const bool costs = !measured_->data().empty();
    QString label;
    switch (mode_) {
        case Mode::Slots:
            label = tr("time step (slot; one slot = one forward)");
            break;
        case Mode::Measured:
            label = tr("time (ms, measured; paused time excluded)");
            break;
        case Mode::Ideal:
            label = costs ? tr("time (ms, ideal schedule at the measured op costs)")
                          : tr("time (ideal schedule; one unit = a model part's mean forward)");
            break;
        case Mode::Both:
            label = tr("time (ms): measured above, ideal below");
            break;
    }
    xAxis->setLabel(label);
}

// Both stores share one scale: the whole schedule's versions, so colours
// do not shift while a live run grows.
void TimelineView::updateScale() {
    const int maxVersion = std::max(measured_->data().maxVersion(), ideal_->data().maxVersion());
    const int maxStale = std::max(measured_->data().maxStaleness(), ideal_->data().maxStaleness());
    for (GanttPlottable* p : {measured_, ideal_, ghost_}) p->setScale(maxVersion, maxStale);
    updateLegend();
}

void TimelineView::updateLegend() {
    std::vector<ColourLegend::Entry> entries;
    QString caption;
    const TimelineData& m = measured_->data();
    const TimelineData& i = ideal_->data();
    switch (measured_->colorMode()) {
        case GanttPlottable::ColorMode::ByOp: {
            caption = tr("Colour by op:");
            // The ops of this run only, in the palette's order.
            const unsigned present = m.opsPresent() | i.opsPresent();
            for (Op op : {Op::F, Op::B, Op::I, Op::W, Op::U})
                if (present & (1u << static_cast<unsigned>(op)))
                    entries.push_back(
                        {opColor(op),
                         QStringLiteral("%1 %2").arg(QLatin1Char(opChar(op))).arg(opName(op))});
            break;
        }
        case GanttPlottable::ColorMode::ByVersion: {
            const int top = std::max(m.maxVersion(), i.maxVersion());
            caption = tr("Colour by weight version read (U: made), v0 to v%1:").arg(top);
            // Few versions: one swatch each; more: one ramp of all of them
            // (the drawn colours, bins included), which never needs cutting.
            if (top < kLegendSwatches) {
                for (int v = 0; v <= top; ++v)
                    entries.push_back({measured_->versionFill(v), QStringLiteral("v%1").arg(v)});
            } else {
                ColourLegend::Entry ramp;
                ramp.colour = measured_->versionFill(0);
                ramp.label = QStringLiteral("v0");
                ramp.rampEnd = QStringLiteral("v%1").arg(top);
                for (int v = 0; v <= top; ++v) ramp.ramp.push_back(measured_->versionFill(v));
                entries.push_back(std::move(ramp));
            }
            break;
        }
        case GanttPlottable::ColorMode::ByStaleness: {
            const int top = std::max(m.maxStaleness(), i.maxStaleness());
            caption = tr("Colour by staleness (stage's newest version minus the version read):");
            for (int k = 0; k <= std::min(top, 8); ++k) {
                const int st = std::min(top, 8) > 0 ? k * top / std::min(top, 8) : 0;
                entries.push_back({stalenessColor(st, top), QString::number(st)});
            }
            break;
        }
    }
    entries.push_back({idleColor(), tr("idle (bubble)")});
    const auto& old = legend_->entries();
    bool same = caption == legend_->caption() && old.size() == entries.size();
    for (std::size_t k = 0; same && k < old.size(); ++k)
        same = old[k].colour == entries[k].colour && old[k].label == entries[k].label &&
               old[k].ramp == entries[k].ramp && old[k].rampEnd == entries[k].rampEnd;
    if (same) return;
    legend_->setEntries(caption, std::move(entries));
    Q_EMIT legendChanged();
}

QString TimelineView::title() const {
    return title_ ? titleText_ : QString();
}

void TimelineView::setTitle(const QString& title) {
    if (title.isEmpty()) {
        if (title_) {
            plotLayout()->remove(title_);
            plotLayout()->simplify();
            title_ = nullptr;
        }
        return;
    }
    if (!title_) {
        plotLayout()->insertRow(0);
        title_ = new QCPTextElement(this, title,
                                    QFont(font().family(), font().pointSize() + 2, QFont::Bold));
        plotLayout()->addElement(0, 0, title_);
        title_->setTextColor(QGuiApplication::palette().color(QPalette::WindowText));
    }
    titleText_ = title;
    wrapTitle(width());
}

// A title wider than the plot is broken into lines at its separators (a
// QCPTextElement does not wrap, it clips at both ends).
void TimelineView::wrapTitle(int width) {
    if (!title_) return;
    const QFontMetrics fm(title_->font());
    const int room = std::max(width - 40, 200);
    static const QRegularExpression breaks(QStringLiteral("(?<=[:,;\u2014]) "));
    QStringList lines;
    QString line;
    for (const QString& word : titleText_.split(breaks)) {
        const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
        if (!line.isEmpty() && fm.horizontalAdvance(longer) > room) {
            lines << line;
            line = word;
        } else {
            line = longer;
        }
    }
    lines << line;
    title_->setText(lines.join(QLatin1Char('\n')));
}

}  // namespace pd
