#include "ui/views/charts.h"

#include <QGuiApplication>
#include <QHelpEvent>
#include <QPalette>
#include <QToolTip>
#include <cmath>

#include "ui/views/theme.h"

namespace pd {

namespace {

// A bold title row above the chart, made once.
void showTitle(QCustomPlot* plot, QCPTextElement*& element, const QString& title) {
    if (!element) {
        plot->plotLayout()->insertRow(0);
        element = new QCPTextElement(
            plot, title, QFont(plot->font().family(), plot->font().pointSize() + 1, QFont::Bold));
        plot->plotLayout()->addElement(0, 0, element);
        element->setTextColor(QGuiApplication::palette().color(QPalette::WindowText));
    }
    element->setText(title);
}

// A line in the middle of an empty chart (why there is no data), made once.
void showNote(QCustomPlot* plot, QCPItemText*& item, const QString& note) {
    if (!item) {
        item = new QCPItemText(plot);
        item->position->setType(QCPItemPosition::ptAxisRectRatio);
        item->position->setCoords(0.5, 0.5);
        item->setColor(Qt::gray);
    }
    item->setText(note);
    item->setVisible(!note.isEmpty());
    plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace

QString formatBytes(double v) {
    if (!std::isfinite(v)) return QStringLiteral("n/a");
    if (v >= 1024.0 * 1024.0 * 1024.0)
        return QString::number(v / (1024.0 * 1024.0 * 1024.0), 'f', 2) + QStringLiteral(" GiB");
    if (v >= 1024.0 * 1024.0)
        return QString::number(v / (1024.0 * 1024.0), 'f', 1) + QStringLiteral(" MiB");
    if (v >= 1024.0) return QString::number(v / 1024.0, 'f', 1) + QStringLiteral(" KiB");
    return QString::number(v, 'f', 0) + QStringLiteral(" B");
}

QString countText(long long n, const QString& one, const QString& many) {
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

QString wrapText(const QString& text, const QFontMetrics& metrics, int width) {
    QStringList lines;
    for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
        QString line;
        for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
            if (!line.isEmpty() && metrics.horizontalAdvance(longer) > width) {
                lines << line;
                line = word;
            } else {
                line = longer;
            }
        }
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

namespace {

// The legend in a row of its own under the plot, so it never hides data;
// spacers left and right keep it centred at its natural width.
void putLegendBelow(QCustomPlot* plot) {
    QCPLegend* legend = plot->legend;
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setBrush(Qt::NoBrush);
    legend->setBorderPen(Qt::NoPen);
    plot->axisRect()->insetLayout()->take(legend);
    auto* row = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, row);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    row->addElement(0, 0, new QCPLayoutElement(plot));
    row->addElement(0, 1, legend);
    row->addElement(0, 2, new QCPLayoutElement(plot));
    row->setColumnStretchFactor(1, 0.001);
    plot->plotLayout()->setRowSpacing(0);
    legend->setMargins(QMargins(4, 0, 4, 2));
}

}  // namespace

GroupedBarChart::GroupedBarChart(QWidget* parent) : QCustomPlot(parent) {
    xAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    xAxis->setTickLength(0, 0);
    xAxis->setSubTickLength(0, 0);
    xAxis->grid()->setVisible(false);
    legend->setVisible(true);
    putLegendBelow(this);
    applyPlotTheme(this);
    setMinimumSize(240, 180);
    connect(this, &QCustomPlot::beforeReplot, this, [this] {
        wrapCaption();
        fitLabels();
    });
}

void GroupedBarChart::setTitle(const QString& title) {
    showTitle(this, title_, title);
}

void GroupedBarChart::setNote(const QString& note) {
    showNote(this, note_, note);
}

QString GroupedBarChart::note() const {
    return note_ && note_->visible() ? note_->text() : QString();
}

QString GroupedBarChart::title() const {
    return title_ ? title_->text() : QString();
}

void GroupedBarChart::setCaption(const QString& caption) {
    if (caption == captionText_) return;
    captionText_ = caption;
    if (caption.isEmpty()) {
        if (caption_) {
            plotLayout()->remove(caption_);  // deletes it
            plotLayout()->simplify();        // and its row
            caption_ = nullptr;
        }
    } else if (!caption_) {
        caption_ = new QCPTextElement(this, QString(), font());
        caption_->setTextColor(QGuiApplication::palette().color(QPalette::WindowText));
        caption_->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
        caption_->setMargins(QMargins(8, 2, 8, 4));
        plotLayout()->addElement(plotLayout()->rowCount(), 0, caption_);
        plotLayout()->setRowStretchFactor(plotLayout()->rowCount() - 1, 0.001);
    }
    replot(QCustomPlot::rpQueuedReplot);
}

// Both at every replot, at the size being drawn: the viewport is the
// widget, or an exported image's size while it is rendered.
void GroupedBarChart::wrapCaption() {
    if (!caption_) return;
    caption_->setText(wrapText(captionText_, QFontMetrics(caption_->font()),
                               std::max(120, viewport().width() - 20)));
}

// Labels side by side when the widest fits its category's width, else
// slanted (each then needs only its line height across).
void GroupedBarChart::fitLabels() {
    if (categories_.isEmpty()) return;
    const QFontMetrics fm(xAxis->tickLabelFont());
    int widest = 0;
    for (const QString& c : categories_) widest = std::max(widest, fm.horizontalAdvance(c));
    const QMargins m = axisRect()->margins();
    const double plotWidth = viewport().width() - m.left() - m.right();
    const double perCategory = plotWidth / xAxis->range().size();
    xAxis->setTickLabelRotation(widest + 6 > perCategory ? -45.0 : 0.0);
}

QString GroupedBarChart::categoryToolTip(const QPoint& pos) const {
    const QRect plot = axisRect()->rect();
    if (pos.x() < plot.left() || pos.x() > plot.right() || pos.y() < plot.top()) return {};
    const int i = static_cast<int>(std::lround(xAxis->pixelToCoord(pos.x()))) - 1;
    if (i < 0 || i >= categories_.size()) return {};
    return i < tips_.size() && !tips_[i].isEmpty() ? tips_[i] : QString();
}

bool GroupedBarChart::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString tip = categoryToolTip(help->pos());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QCustomPlot::event(event);
}

void GroupedBarChart::setValueLabel(const QString& label) {
    yAxis->setLabel(label);
}

QString GroupedBarChart::formatValue(double v) const {
    switch (format_) {
        case Format::Percent:
            return QString::number(v * 100.0, 'f', 1) + QLatin1Char('%');
        case Format::Bytes: {
            if (v >= 1024.0 * 1024.0)
                return QString::number(v / (1024.0 * 1024.0), 'f', 1) + QStringLiteral(" MiB");
            if (v >= 1024.0) return QString::number(v / 1024.0, 'f', 1) + QStringLiteral(" KiB");
            return QString::number(v, 'f', 0) + QStringLiteral(" B");
        }
        case Format::Count:
            return QString::number(v, 'g', 4);
    }
    return QString::number(v);
}

void GroupedBarChart::setData(const QStringList& categories, const std::vector<BarSeries>& series) {
    series_ = series;
    categories_ = categories;
    clearPlottables();
    clearItems();
    note_ = nullptr;  // items are gone; a chart with data needs no note
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(xAxis->ticker());
    ticker->clear();
    for (int i = 0; i < categories.size(); ++i) ticker->addTick(i + 1, categories[i]);
    // Series j of n sits at category + (j - (n-1)/2) * width: no group maths needed.
    const double n = std::max<double>(1.0, static_cast<double>(series.size()));
    const double width = 0.8 / n;
    double top = 0.0;
    QFont labelFont = font();
    labelFont.setPointSizeF(labelFont.pointSizeF() * 0.8);
    for (std::size_t j = 0; j < series.size(); ++j) {
        const BarSeries& s = series[j];
        auto* bars = new QCPBars(xAxis, yAxis);
        bars->setName(s.name);
        bars->setWidth(width * 0.92);
        bars->setPen(QPen(s.color.darker(130)));
        bars->setBrush(s.color);
        const double shift = (static_cast<double>(j) - (n - 1.0) / 2.0) * width;
        QVector<double> keys, values;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            if (!std::isfinite(s.values[i])) continue;
            const double key = static_cast<double>(i + 1) + shift;
            keys << key;
            values << s.values[i];
            top = std::max(top, s.values[i]);
            if (valueLabels_) {
                auto* label = new QCPItemText(this);
                label->setClipToAxisRect(false);
                label->position->setCoords(key, s.values[i]);
                label->setPositionAlignment(Qt::AlignBottom | Qt::AlignHCenter);
                label->setText(formatValue(s.values[i]));
                label->setFont(labelFont);
            }
        }
        bars->setData(keys, values, true);
    }
    xAxis->setRange(0.4, categories.size() + 0.6);
    if (format_ == Format::Percent) {
        yAxis->setRange(0.0, std::max(1.0, top) * 1.1);
        auto pct = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (int k = 0; k <= 4; ++k) pct->addTick(k * 0.25, QStringLiteral("%1%").arg(k * 25));
        yAxis->setTicker(pct);
    } else if (format_ == Format::Bytes) {
        // Ticks at round numbers of the unit that fits (B, KiB, MiB, GiB).
        const double upper = top > 0.0 ? top * 1.2 : 1.0;
        yAxis->setRange(0.0, upper);
        double unit = 1.0;
        QString suffix = QStringLiteral(" B");
        for (const auto& [u, name] :
             {std::pair<double, const char*>{1024.0 * 1024.0 * 1024.0, " GiB"},
              {1024.0 * 1024.0, " MiB"},
              {1024.0, " KiB"}})
            if (upper / u >= 1.0) {
                unit = u;
                suffix = QString::fromLatin1(name);
                break;
            }
        const double raw = upper / unit / 5.0;
        const double mag = std::pow(10.0, std::floor(std::log10(raw)));
        double step = mag;
        for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (double v = 0.0; v <= upper / unit + 1e-9; v += step)
            ticker->addTick(v * unit, QString::number(v, 'g', 4) + suffix);
        yAxis->setTicker(ticker);
    } else {
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        yAxis->setRange(0.0, top > 0.0 ? top * 1.2 : 1.0);
    }
    replot(QCustomPlot::rpQueuedReplot);
}

LossChart::LossChart(QWidget* parent) : QCustomPlot(parent) {
    graph_ = addGraph();
    graph_->setPen(QPen(QColor(0x00, 0x72, 0xB2), 2));
    graph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    graph_->setName(tr("training loss"));
    heldLoss_ = addGraph();
    heldLoss_->setPen(QPen(QColor(0xD5, 0x5E, 0x00), 2));
    heldLoss_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 7));
    heldLoss_->setName(tr("held-out loss"));
    heldAccuracy_ = addGraph(xAxis, yAxis2);
    heldAccuracy_->setPen(QPen(QColor(0x00, 0x9E, 0x73), 2, Qt::DashLine));
    heldAccuracy_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, 8));
    heldAccuracy_->setName(tr("held-out accuracy (right axis)"));
    yAxis2->setLabel(tr("held-out accuracy (%)"));
    yAxis2->setRange(0.0, 100.0);
    yAxis2->setVisible(false);
    putLegendBelow(this);
    legend->setVisible(false);
    xAxis->setLabel(tr("batch"));
    yAxis->setLabel(tr("loss"));
    auto ticker = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
    applyPlotTheme(this);
    setMinimumSize(240, 180);
}

void LossChart::setTitle(const QString& title) {
    showTitle(this, title_, title);
}

QString LossChart::title() const {
    return title_ ? title_->text() : QString();
}

void LossChart::clear() {
    train_.clear();
    held_.clear();
    graph_->data()->clear();
    heldLoss_->data()->clear();
    heldAccuracy_->data()->clear();
    yAxis2->setVisible(false);
    legend->setVisible(false);
    replot(QCustomPlot::rpQueuedReplot);
}

void LossChart::setHeldOut(const std::vector<EvaluationEvent>& evaluations) {
    held_.clear();
    for (const EvaluationEvent& e : evaluations)  // e.batch counts from 1
        held_.push_back({static_cast<double>(e.batch), static_cast<double>(e.trainUs) / 1e6, e.loss,
                         e.accuracy});
    rebuild();
    const bool accuracy = heldAccuracy_->data()->size() > 0;
    yAxis2->setVisible(accuracy);
    yAxis2->setTickLabels(accuracy);
    legend->setVisible(heldLoss_->data()->size() > 0);
    heldAccuracy_->removeFromLegend();
    if (accuracy) heldAccuracy_->addToLegend();
    fitRanges();
    replot(QCustomPlot::rpQueuedReplot);
}

int LossChart::heldOutPoints() const {
    return heldLoss_->data()->size();
}

void LossChart::fitRanges() {
    // A marker on each point while the points stand apart; a long run's
    // thousands read as a line (3,000 markers made each paint 13 ms).
    constexpr int kMarkedPoints = 200;
    const bool marked = graph_->data()->size() <= kMarkedPoints;
    if (marked != (graph_->scatterStyle().shape() != QCPScatterStyle::ssNone))
        graph_->setScatterStyle(
            QCPScatterStyle(marked ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssNone, 5));
    double lastKey = timeAxis_ ? 0.0 : 1.5, lo = 0.0, hi = 0.0;
    bool any = false;
    for (QCPGraph* g : {graph_, heldLoss_}) {
        if (g->data()->isEmpty()) continue;
        lastKey = std::max(lastKey, (g->data()->constEnd() - 1)->key);
        bool found = false;
        const QCPRange v = g->getValueRange(found);
        if (!found) continue;
        lo = any ? std::min(lo, v.lower) : v.lower;
        hi = any ? std::max(hi, v.upper) : v.upper;
        any = true;
    }
    if (timeAxis_)
        xAxis->setRange(0.0, lastKey > 0.0 ? lastKey * 1.04 : 1.0);
    else
        xAxis->setRange(0.5, lastKey + 0.5);
    if (any) yAxis->setRange(std::max(0.0, lo - 0.1), hi + 0.1);
}

void LossChart::append(int batch, double loss, double seconds) {
    if (!std::isfinite(loss)) return;
    // Batches count from 1, as in the results table.
    train_.push_back({batch + 1.0, seconds, loss, std::numeric_limits<double>::quiet_NaN()});
    const double key = timeAxis_ ? seconds : batch + 1.0;
    if (std::isfinite(key)) graph_->addData(key, loss);
}

void LossChart::addPoint(int batch, double loss, double seconds) {
    append(batch, loss, seconds);
    fitRanges();
    replot(QCustomPlot::rpQueuedReplot);
}

void LossChart::addPoints(const std::vector<BatchEvent>& batches, std::size_t from) {
    if (from >= batches.size()) return;
    for (std::size_t i = from; i < batches.size(); ++i)
        append(batches[i].batch, batches[i].loss, static_cast<double>(batches[i].timeUs) / 1e6);
    fitRanges();
    replot(QCustomPlot::rpQueuedReplot);
}

void LossChart::setTimeAxis(bool seconds) {
    if (seconds == timeAxis_) return;
    timeAxis_ = seconds;
    xAxis->setLabel(seconds ? tr("measured training time (s; pauses and evaluations left out)")
                            : tr("batch"));
    if (seconds) {
        xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    } else {
        auto ticker = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
        ticker->setTickStep(1.0);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        xAxis->setTicker(ticker);
    }
    rebuild();
    replot(QCustomPlot::rpQueuedReplot);
}

void LossChart::rebuild() {
    graph_->data()->clear();
    heldLoss_->data()->clear();
    heldAccuracy_->data()->clear();
    auto key = [this](const Point& p) { return timeAxis_ ? p.seconds : p.batch; };
    for (const Point& p : train_)
        if (std::isfinite(key(p))) graph_->addData(key(p), p.loss);
    for (const Point& p : held_) {
        if (!std::isfinite(key(p))) continue;
        if (std::isfinite(p.loss)) heldLoss_->addData(key(p), p.loss);
        if (std::isfinite(p.accuracy)) heldAccuracy_->addData(key(p), 100.0 * p.accuracy);
    }
    fitRanges();
}

int LossChart::points() const {
    return graph_->data()->size();
}

void LossChart::setNote(const QString& note) {
    showNote(this, note_, note);
}

}  // namespace pd
