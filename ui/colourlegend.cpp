#include "colourlegend.h"

#include "palette.h"

namespace pd {

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

void ColourLegend::draw(QCPPainter* painter) {
    painter->setFont(font_);
    const QFontMetrics fm(font_);
    const QRect r = rect();
    const int h = fm.height();
    const int y = r.top() + (r.height() - h) / 2;
    int x = r.left();
    painter->setPen(mParentPlot->xAxis->labelColor());
    if (!caption_.isEmpty()) {
        painter->drawText(QRect(x, y, fm.horizontalAdvance(caption_) + 2, h), Qt::AlignVCenter,
                          caption_);
        x += fm.horizontalAdvance(caption_) + 10;
    }
    for (const Entry& e : entries_) {
        const int labelWidth = fm.horizontalAdvance(e.label);
        if (x + h + 4 + labelWidth > r.right()) break;  // what does not fit is left out whole
        painter->setPen(QPen(QColor(0x60, 0x60, 0x60), 1));
        painter->setBrush(e.colour);
        painter->drawRect(QRect(x, y + 1, h + 4, h - 2));
        x += h + 8;
        painter->setPen(mParentPlot->xAxis->labelColor());
        painter->drawText(QRect(x, y, labelWidth + 2, h), Qt::AlignVCenter, e.label);
        x += labelWidth + 12;
    }
}

QSize ColourLegend::minimumOuterSizeHint() const {
    const QFontMetrics fm(font_);
    return QSize(0, fm.height() + mMargins.top() + mMargins.bottom());
}

QSize ColourLegend::maximumOuterSizeHint() const {
    return QSize(QWIDGETSIZE_MAX, minimumOuterSizeHint().height());
}

}  // namespace pd
