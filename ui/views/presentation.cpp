#include "ui/views/presentation.h"

#include <QVariant>
#include <QWidget>

#include "ui/views/qcp.h"

namespace pd {

namespace {

QFont sized(QFont f, double pointSize, int pixelSize, double scale) {
    if (pointSize > 0)
        f.setPointSizeF(pointSize * scale);
    else if (pixelSize > 0)
        f.setPixelSize(std::max(1, qRound(pixelSize * scale)));
    return f;
}

// `current` at `scale` of the size `owner` had under `key` when first seen
// (remembered then), so that repeated calls do not compound.
QFont scaledFrom(QObject* owner, const char* key, const QFont& current, double scale) {
    const QByteArray point = QByteArray("pdBasePt_") + key;
    const QByteArray pixel = QByteArray("pdBasePx_") + key;
    if (!owner->property(point.constData()).isValid()) {
        owner->setProperty(point.constData(), current.pointSizeF());
        owner->setProperty(pixel.constData(), current.pixelSize());
    }
    return sized(current, owner->property(point.constData()).toDouble(),
                 owner->property(pixel.constData()).toInt(), scale);
}

void applyPlotScale(QCustomPlot* plot) {
    const double k = plot->property("pdFontScale").toDouble();
    if (!(k > 0)) return;
    for (QCPAxisRect* rect : plot->axisRects())
        for (QCPAxis* axis : rect->axes()) {
            axis->setLabelFont(scaledFrom(axis, "label", axis->labelFont(), k));
            axis->setTickLabelFont(scaledFrom(axis, "tick", axis->tickLabelFont(), k));
            axis->setSelectedLabelFont(scaledFrom(axis, "slabel", axis->selectedLabelFont(), k));
            axis->setSelectedTickLabelFont(
                scaledFrom(axis, "stick", axis->selectedTickLabelFont(), k));
        }
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        if (auto* text = qobject_cast<QCPTextElement*>(e)) {
            text->setFont(scaledFrom(text, "font", text->font(), k));
            text->setSelectedFont(scaledFrom(text, "sfont", text->selectedFont(), k));
        } else if (auto* legend = qobject_cast<QCPLegend*>(e)) {
            // Sets its items' fonts too; items added later take the legend's.
            legend->setFont(scaledFrom(legend, "font", legend->font(), k));
            legend->setSelectedFont(scaledFrom(legend, "sfont", legend->selectedFont(), k));
        }
    }
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(plot->item(i))) {
            text->setFont(scaledFrom(text, "font", text->font(), k));
            text->setSelectedFont(scaledFrom(text, "sfont", text->selectedFont(), k));
        }
}

}  // namespace

void setWidgetFontScale(QWidget* widget, double scale) {
    if (!widget->property("pdBaseFontKnown").toBool()) {
        widget->setProperty("pdBaseFontKnown", true);
        // A font of its own is given back; else it inherits again.
        if (widget->testAttribute(Qt::WA_SetFont))
            widget->setProperty("pdBaseFont", widget->font());
        widget->setProperty("pdBaseSize", widget->font().pointSizeF());
        widget->setProperty("pdBasePixels", widget->font().pixelSize());
    }
    if (scale == 1.0) {
        const QVariant own = widget->property("pdBaseFont");
        widget->setFont(own.isValid() ? own.value<QFont>() : QFont());
        return;
    }
    widget->setFont(sized(widget->font(), widget->property("pdBaseSize").toDouble(),
                          widget->property("pdBasePixels").toInt(), scale));
}

void setPlotFontScale(QCustomPlot* plot, double scale) {
    plot->setProperty("pdFontScale", scale);
    if (!plot->property("pdFontScaleHooked").toBool()) {
        plot->setProperty("pdFontScaleHooked", true);
        // Charts rebuild their legends and titles as runs arrive: the scale
        // goes to the new ones too.
        QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] { applyPlotScale(plot); });
    }
    applyPlotScale(plot);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace pd
