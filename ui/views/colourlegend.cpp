#include "ui/views/colourlegend.h"

#include <algorithm>

#include "ui/views/palette.h"

namespace pd {

namespace {

const QString kEllipsis = QStringLiteral("\u2026");
constexpr int kGap = 12;  // between entries

}  // namespace

ColourLegend::ColourLegend(QCustomPlot* plot) : QCPLayoutElement(plot), font_(plot->font()) {
    setMargins(QMargins(8, 2, 8, 4));
}

void ColourLegend::setEntries(const QString& caption, std::vector<Entry> entries) {
    caption_ = caption;
    entries_ = std::move(entries);
}

void ColourLegend::applyDefaultAntialiasingHint(QCPPainter* painter) const {
    painter->setAntialiasing(false);
}

// At most 80 cells: a longer scale shows every k-th colour.
int ColourLegend::rampCells(std::size_t n) {
    return static_cast<int>(std::min<std::size_t>(n, 80));
}

int ColourLegend::rampCellWidth(std::size_t n, int h) {
    return std::clamp(160 / std::max(rampCells(n), 1), 3, h + 4);
}

int ColourLegend::entryWidth(const Entry& e, const QFontMetrics& fm) const {
    const int h = fm.height();
    if (e.ramp.empty()) return h + 8 + fm.horizontalAdvance(e.label) + 2;
    const int strip = rampCells(e.ramp.size()) * rampCellWidth(e.ramp.size(), h);
    return fm.horizontalAdvance(e.label) + 6 + strip + 6 + fm.horizontalAdvance(e.rampEnd) + 2;
}

// Draws `e` at x; returns the x after it.
int ColourLegend::drawEntry(QCPPainter* painter, const Entry& e, int x, int y,
                            const QFontMetrics& fm) {
    const int h = fm.height();
    const QColor text = mParentPlot->xAxis->labelColor();
    if (e.ramp.empty()) {
        painter->setPen(QPen(QColor(0x60, 0x60, 0x60), 1));
        painter->setBrush(e.colour);
        painter->drawRect(QRect(x, y + 1, h + 4, h - 2));
        x += h + 8;
    } else {
        painter->setPen(text);
        painter->drawText(QRect(x, y, fm.horizontalAdvance(e.label) + 2, h), Qt::AlignVCenter,
                          e.label);
        x += fm.horizontalAdvance(e.label) + 6;
        const int cells = rampCells(e.ramp.size());
        const int w = rampCellWidth(e.ramp.size(), h);
        painter->setPen(Qt::NoPen);
        for (int c = 0; c < cells; ++c) {
            const std::size_t k = cells > 1 ? c * (e.ramp.size() - 1) / (cells - 1) : 0;
            painter->setBrush(e.ramp[k]);
            painter->drawRect(QRect(x + c * w, y + 1, w, h - 2));
        }
        painter->setPen(QPen(QColor(0x60, 0x60, 0x60), 1));
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(QRect(x, y + 1, cells * w, h - 2));
        x += cells * w + 6;
    }
    const QString& label = e.ramp.empty() ? e.label : e.rampEnd;
    painter->setPen(text);
    painter->drawText(QRect(x, y, fm.horizontalAdvance(label) + 2, h), Qt::AlignVCenter, label);
    drawn_ << (e.ramp.empty() ? e.label : e.label + kEllipsis + e.rampEnd);
    return x + fm.horizontalAdvance(label) + kGap;
}

// Everything when it fits; else the first entries that fit, "…" and the
// last one (the scale's end, or the idle swatch), the caption elided last.
void ColourLegend::draw(QCPPainter* painter) {
    drawn_.clear();
    painter->setFont(font_);
    const QFontMetrics fm(font_);
    const QRect r = rect();
    const int h = fm.height();
    const int y = r.top() + (r.height() - h) / 2;
    const int room = r.width();
    int total = 0;
    for (const Entry& e : entries_) total += entryWidth(e, fm) + kGap;
    const bool all = entries_.empty() || fm.horizontalAdvance(caption_) + 10 + total - kGap <= room;
    const int ellipsis = fm.horizontalAdvance(kEllipsis) + kGap;
    const int tail = all ? 0 : ellipsis + entryWidth(entries_.back(), fm);
    QString caption = caption_;
    if (!caption.isEmpty() && fm.horizontalAdvance(caption) + 10 + tail > room)
        caption = fm.elidedText(caption, Qt::ElideRight, std::max(room - tail - 10, 0));
    int x = r.left();
    painter->setPen(mParentPlot->xAxis->labelColor());
    if (!caption.isEmpty()) {
        painter->drawText(QRect(x, y, fm.horizontalAdvance(caption) + 2, h), Qt::AlignVCenter,
                          caption);
        x += fm.horizontalAdvance(caption) + 10;
    }
    if (all) {
        for (const Entry& e : entries_) x = drawEntry(painter, e, x, y, fm);
        return;
    }
    for (std::size_t k = 0; k + 1 < entries_.size(); ++k) {
        if (x + entryWidth(entries_[k], fm) + kGap + tail > r.left() + room) break;
        x = drawEntry(painter, entries_[k], x, y, fm);
    }
    if (x + tail > r.left() + room + kGap) return;  // not even the last one fits
    painter->setPen(mParentPlot->xAxis->labelColor());
    painter->drawText(QRect(x, y, ellipsis, h), Qt::AlignVCenter, kEllipsis);
    drawn_ << kEllipsis;
    drawEntry(painter, entries_.back(), x + ellipsis, y, fm);
}

QSize ColourLegend::minimumOuterSizeHint() const {
    const QFontMetrics fm(font_);
    return QSize(0, fm.height() + mMargins.top() + mMargins.bottom());
}

QSize ColourLegend::maximumOuterSizeHint() const {
    return QSize(QWIDGETSIZE_MAX, minimumOuterSizeHint().height());
}

}  // namespace pd
