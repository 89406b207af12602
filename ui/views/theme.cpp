#include "ui/views/theme.h"

#include <QGuiApplication>
#include <QPalette>

#include "ui/views/palette.h"
#include "ui/views/qcp.h"

namespace pd {

bool darkTheme() {
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

void applyPlotTheme(QCustomPlot* plot) {
    const QPalette pal = QGuiApplication::palette();
    const QColor text = pal.color(QPalette::WindowText);
    plot->setBackground(timelineBackground());
    for (QCPAxis* axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(text, 1));
        axis->setTickPen(QPen(text, 1));
        axis->setSubTickPen(QPen(text, 1));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        QColor grid = text;
        grid.setAlpha(40);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
    if (plot->legend) {
        plot->legend->setTextColor(text);
        plot->legend->setBrush(Qt::NoBrush);
    }
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i)
        if (auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->elementAt(i)))
            title->setTextColor(text);
}

}  // namespace pd
