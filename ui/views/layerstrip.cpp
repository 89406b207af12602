#include "ui/views/layerstrip.h"

#include <QFocusEvent>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ui/views/charts.h"
#include "ui/views/palette.h"

namespace pd {

namespace {

constexpr int kMargin = 4;   // left and right of the cells
constexpr int kInset = 3;    // above and below the cells
constexpr int kMinCell = 3;  // the narrowest cell, in pixels
constexpr int kGrab = 5;     // how near a handle a press takes it
constexpr int kKnobW = 9;
constexpr int kKnobH = 18;

double finite(double v) {
    return std::isfinite(v) ? std::max(v, 0.0) : 0.0;
}

// "3.00", "12.5", "140": three figures at most.
QString amount(double v) {
    return QString::number(v, 'f', v >= 100.0 ? 0 : v >= 10.0 ? 1 : 2);
}

QString percent(double share, int decimals) {
    const double p = share * 100.0;
    if (p > 0.0 && p < 0.5 * std::pow(10.0, -decimals))
        return QStringLiteral("<%1%").arg(decimals ? QStringLiteral("0.1") : QStringLiteral("1"));
    return QString::number(p, 'f', decimals) + QLatin1Char('%');
}

QString layerSpan(const LayerRange& r) {
    return r.first == r.last ? QStringLiteral("L%1").arg(r.first)
                             : QStringLiteral("L%1-%2").arg(r.first).arg(r.last);
}

}  // namespace

LayerStrip::LayerStrip(QWidget* parent) : QWidget(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setAccessibleName(tr("Layer partition"));
    setAccessibleDescription(
        tr("Layers by cost, coloured by stage; drag a cut, or move the selected one with "
           "Left and Right (Up and Down choose the cut)"));
}

void LayerStrip::setLayers(std::vector<QString> names, std::vector<LayerCost> costs, QString unit) {
    names_ = std::move(names);
    costs_ = std::move(costs);
    unit_ = std::move(unit);
    drag_ = -1;
    hover_ = -1;
    resolveCut();
    updateGeometry();
    update();
}

void LayerStrip::setCut(std::vector<int> boundaries, int parts, int stages) {
    parts = std::max(parts, 1);
    stages = stages >= 1 ? stages : parts;
    const std::vector<int> before = boundaries_;
    const bool sameShape = parts == parts_ && stages == stages_;
    wanted_ = std::move(boundaries);
    parts_ = parts;
    stages_ = stages;
    resolveCut();
    // The window echoing the cut being dragged leaves the drag alone.
    if (drag_ >= 0 && (!sameShape || boundaries_ != before)) drag_ = -1;
    update();
}

// wanted_ when it is parts-1 strictly increasing layers in 2..layers, else
// equal layer counts.
void LayerStrip::resolveCut() {
    boundaries_.clear();
    if (!hasCut()) return;
    bool fits = static_cast<int>(wanted_.size()) == parts_ - 1;
    for (std::size_t k = 0; fits && k < wanted_.size(); ++k)
        fits = wanted_[k] >= 2 && wanted_[k] <= layers() && (k == 0 || wanted_[k] > wanted_[k - 1]);
    boundaries_ = fits ? wanted_ : boundariesOf(splitLayers(layers(), parts_));
    selected_ = std::clamp(selected_, 0, std::max(parts_ - 2, 0));
}

void LayerStrip::setEditable(bool editable) {
    if (editable == editable_) return;
    if (!editable && drag_ >= 0) endDrag(true);
    editable_ = editable;
    hover_ = -1;
    unsetCursor();
    update();
}

QString LayerStrip::note() const {
    if (costs_.empty()) return tr("No layers to show");
    if (parts_ > layers())
        return tr("%1 parts need at least %1 layers; the model has %2").arg(parts_).arg(layers());
    return {};
}

// ---- geometry ----

double LayerStrip::cost(int layer) const {
    const LayerCost& c = costs_[static_cast<std::size_t>(layer)];
    return finite(c.forward) + finite(c.backward);
}

double LayerStrip::totalCost() const {
    double sum = 0.0;
    for (int i = 0; i < layers(); ++i) sum += cost(i);
    return sum;
}

double LayerStrip::partCost(int part) const {
    const LayerRange r =
        rangesFromBoundaries(layers(), boundaries_)[static_cast<std::size_t>(part)];
    double sum = 0.0;
    for (int l = r.first; l <= r.last; ++l) sum += cost(l - 1);
    return sum;
}

int LayerStrip::partOf(int layer) const {
    return static_cast<int>(std::upper_bound(boundaries_.begin(), boundaries_.end(), layer + 1) -
                            boundaries_.begin());
}

QRect LayerStrip::cellArea() const {
    return rect().adjusted(kMargin, kInset, -kMargin, -kInset);
}

// Widths proportional to cost with kMinCell at least: a cell too cheap for
// kMinCell gets it, and the rest share what is left in proportion (repeated
// until no other cell falls under). Equal widths when there is no cost or
// no room for the minimum.
std::vector<double> LayerStrip::cellWidths(double room) const {
    const int n = layers();
    std::vector<double> widths(static_cast<std::size_t>(n), n > 0 ? room / n : 0.0);
    if (n == 0 || totalCost() <= 0.0 || room <= n * kMinCell) return widths;
    std::vector<bool> fixed(widths.size(), false);
    for (bool changed = true; changed;) {
        changed = false;
        double free = room, sum = 0.0;
        for (int i = 0; i < n; ++i) {
            if (fixed[i])
                free -= kMinCell;
            else
                sum += cost(i);
        }
        for (int i = 0; i < n; ++i) {
            if (fixed[i]) continue;
            widths[i] = sum > 0.0 ? cost(i) / sum * free : kMinCell;
            if (widths[i] < kMinCell) fixed[i] = changed = true;
        }
    }
    for (int i = 0; i < n; ++i)
        if (fixed[i]) widths[i] = kMinCell;
    return widths;
}

// The x of every cell's left edge, then the right edge of the last.
std::vector<int> LayerStrip::edges() const {
    const QRect area = cellArea();
    const std::vector<double> widths = cellWidths(area.width());
    std::vector<int> out{area.left()};
    double x = 0.0;
    for (double w : widths) {
        x += w;
        out.push_back(area.left() + static_cast<int>(std::lround(x)));
    }
    return out;
}

QRect LayerStrip::cellRect(int layer) const {
    if (layer < 0 || layer >= layers()) return {};
    const std::vector<int> e = edges();
    const QRect area = cellArea();
    return QRect(QPoint(e[layer], area.top()), QPoint(e[layer + 1] - 1, area.bottom()));
}

int LayerStrip::handleX(int handle) const {
    if (handle < 0 || handle >= static_cast<int>(boundaries_.size())) return -1;
    return edges()[static_cast<std::size_t>(boundaries_[handle] - 1)];
}

int LayerStrip::layerAt(int x) const {
    const std::vector<int> e = edges();
    for (int i = 0; i < layers(); ++i)
        if (x >= e[i] && x < e[i + 1]) return i;
    return -1;
}

int LayerStrip::handleAt(int x) const {
    int best = -1, distance = kGrab + 1;
    for (int h = 0; h < static_cast<int>(boundaries_.size()); ++h) {
        const int d = std::abs(handleX(h) - x);
        if (d < distance) best = h, distance = d;
    }
    return best;
}

int LayerStrip::lowest(int handle) const {
    return handle > 0 ? boundaries_[handle - 1] + 1 : 2;
}

int LayerStrip::highest(int handle) const {
    return handle + 1 < static_cast<int>(boundaries_.size()) ? boundaries_[handle + 1] - 1
                                                             : layers();
}

// Moves handle `handle` to `boundary` when its neighbours allow; true when it moved.
bool LayerStrip::moveHandle(int handle, int boundary) {
    if (boundary < lowest(handle) || boundary > highest(handle)) return false;
    int& b = boundaries_[static_cast<std::size_t>(handle)];
    if (b == boundary) return false;
    b = boundary;
    update();
    return true;
}

// ---- painting ----

QString LayerStrip::partLabel(int part, int width) const {
    const int stage = part % stages_;
    const LayerRange r =
        rangesFromBoundaries(layers(), boundaries_)[static_cast<std::size_t>(part)];
    const double total = totalCost();
    const double share =
        total > 0.0 ? partCost(part) / total : static_cast<double>(r.last - r.first + 1) / layers();
    const QString gpu = QStringLiteral("GPU%1").arg(stage);
    const QString dot = QStringLiteral(" \u00b7 ");
    const QStringList candidates = {gpu + QLatin1Char(' ') + layerSpan(r) + dot + percent(share, 0),
                                    gpu + dot + percent(share, 0), gpu, QString::number(stage)};
    const QFontMetrics fm(font());
    for (const QString& c : candidates)
        if (fm.horizontalAdvance(c) <= width) return c;
    return {};
}

void LayerStrip::paintPart(QPainter& painter, int part, const std::vector<int>& e, QRect area) {
    const LayerRange r =
        rangesFromBoundaries(layers(), boundaries_)[static_cast<std::size_t>(part)];
    const QColor colour = stageColor(part % stages_, stages_);
    const QRect span(QPoint(e[r.first - 1], area.top()), QPoint(e[r.last] - 1, area.bottom()));
    painter.fillRect(span, colour);
    // Thin lines between the part's layers, where the cells are wide enough.
    painter.setPen(colour.darker(125));
    for (int l = r.first; l < r.last; ++l)
        if (e[l] - e[l - 1] >= kMinCell + 1)
            painter.drawLine(e[l], area.top(), e[l], area.bottom());
    const QString label = partLabel(part, span.width() - kKnobW - 4);
    drawn_ << label;
    if (label.isEmpty()) return;
    painter.setPen(textColorOn(colour));
    painter.drawText(span, Qt::AlignCenter, label);
}

void LayerStrip::paintHandle(QPainter& painter, int handle, int x) const {
    const QColor ink = palette().color(QPalette::WindowText);
    const QRect area = cellArea();
    if (!editable_) {
        painter.fillRect(QRect(x - 1, area.top(), 2, area.height()), ink);
        return;
    }
    const bool active = handle == drag_ || handle == hover_ || (handle == selected_ && hasFocus());
    painter.fillRect(QRect(x - 1, rect().top(), 2, rect().height()), ink);
    const QRect knob(x - kKnobW / 2, area.center().y() - kKnobH / 2 + 1, kKnobW, kKnobH);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(ink, 1));
    painter.setBrush(active ? palette().color(QPalette::Highlight)
                            : palette().color(QPalette::Base));
    painter.drawRoundedRect(QRectF(knob).adjusted(0.5, 0.5, -0.5, -0.5), 2, 2);
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.setPen(active ? palette().color(QPalette::HighlightedText) : ink);
    const int top = knob.top() + 5, bottom = knob.bottom() - 5;
    painter.drawLine(x - 2, top, x - 2, bottom);
    painter.drawLine(x + 2, top, x + 2, bottom);
}

void LayerStrip::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    drawn_.clear();
    if (!hasCut()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, note());
        return;
    }
    const std::vector<int> e = edges();
    const QRect area = cellArea();
    for (int p = 0; p < parts_; ++p) paintPart(painter, p, e, area);
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(QRect(QPoint(e.front(), area.top()), QPoint(e.back() - 1, area.bottom())));
    for (int h = 0; h < static_cast<int>(boundaries_.size()); ++h)
        paintHandle(painter, h, handleX(h));
}

QSize LayerStrip::sizeHint() const {
    return QSize(std::max(240, layers() * kMinCell + 2 * kMargin), minimumSizeHint().height());
}

QSize LayerStrip::minimumSizeHint() const {
    return QSize(80, std::clamp(fontMetrics().height() + 24, 40, 56));
}

// ---- tooltips ----

QString LayerStrip::layerToolTip(int layer) const {
    if (layer < 0 || layer >= layers()) return {};
    const std::size_t i = static_cast<std::size_t>(layer);
    const QString name =
        i < names_.size() && !names_[i].isEmpty() ? names_[i] : tr("Layer %1").arg(layer + 1);
    QStringList lines{tr("%1 (layer %2 of %3)").arg(name).arg(layer + 1).arg(layers())};
    if (hasCut()) {
        const int part = partOf(layer);
        const LayerRange r = rangesFromBoundaries(layers(), boundaries_)[part];
        const QString where =
            parts_ > stages_
                ? tr("GPU%1 (stage %1, chunk %2)").arg(part % stages_).arg(part / stages_)
                : tr("GPU%1 (stage %1)").arg(part % stages_);
        lines << tr("%1: layers %2-%3").arg(where).arg(r.first).arg(r.last);
    }
    const LayerCost& c = costs_[i];
    const double total = totalCost();
    if (!unit_.isEmpty())
        lines << tr("Forward %1 %3 \u00b7 backward %2 %3")
                     .arg(amount(finite(c.forward)), amount(finite(c.backward)), unit_);
    if (total > 0.0) {
        lines << tr("%1 of the total cost").arg(percent(cost(layer) / total, 1));
        if (unit_.isEmpty())
            lines << tr("Forward %1 \u00b7 backward %2 (estimated shares)")
                         .arg(percent(finite(c.forward) / total, 1),
                              percent(finite(c.backward) / total, 1));
    } else {
        lines << tr("No cost known");
    }
    QStringList bytes;
    if (c.paramBytes > 0) bytes << tr("parameters %1").arg(formatBytes(c.paramBytes));
    if (c.activationBytes > 0)
        bytes << tr("activations %1 per microbatch").arg(formatBytes(c.activationBytes));
    if (c.outputBytes > 0) bytes << tr("output %1").arg(formatBytes(c.outputBytes));
    if (!bytes.isEmpty()) {
        bytes[0][0] = bytes[0][0].toUpper();
        lines << bytes.join(QStringLiteral(" \u00b7 "));
    }
    return lines.join(QLatin1Char('\n'));
}

bool LayerStrip::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip) return QWidget::event(event);
    auto* help = static_cast<QHelpEvent*>(event);
    const int layer = layerAt(help->pos().x());
    if (layer < 0 || drag_ >= 0) {
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    QToolTip::showText(help->globalPos(), layerToolTip(layer), this, cellRect(layer));
    return true;
}

// ---- mouse and keys ----

void LayerStrip::updateCursor(int x) {
    const int h = editable_ && hasCut() ? handleAt(x) : -1;
    if (h != hover_) {
        hover_ = h;
        update();
    }
    if (h >= 0)
        setCursor(Qt::SplitHCursor);
    else
        unsetCursor();
}

void LayerStrip::mousePressEvent(QMouseEvent* event) {
    const int x = event->position().toPoint().x();
    const int h = editable_ && hasCut() ? handleAt(x) : -1;
    if (event->button() != Qt::LeftButton || h < 0) {
        QWidget::mousePressEvent(event);
        return;
    }
    selected_ = drag_ = h;
    pressCut_ = boundaries_;
    grabOffset_ = handleX(h) - x;
    QToolTip::hideText();
    update();
    event->accept();
}

// The dragged handle goes to the cell edge nearest the mouse between its
// neighbours (a tie keeps it where it is).
void LayerStrip::mouseMoveEvent(QMouseEvent* event) {
    const int x = event->position().toPoint().x();
    if (drag_ < 0) {
        updateCursor(x);
        return;
    }
    const std::vector<int> e = edges();
    const int target = x + grabOffset_;
    int best = boundaries_[static_cast<std::size_t>(drag_)];
    for (int b = lowest(drag_); b <= highest(drag_); ++b)
        if (std::abs(e[b - 1] - target) < std::abs(e[best - 1] - target)) best = b;
    if (moveHandle(drag_, best)) Q_EMIT cutChanged(boundaries_);
    event->accept();
}

void LayerStrip::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || drag_ < 0) {
        QWidget::mouseReleaseEvent(event);
        return;
    }
    endDrag(false);
    if (boundaries_ != pressCut_) Q_EMIT cutCommitted(boundaries_);
    updateCursor(event->position().toPoint().x());
    event->accept();
}

// Ends the drag; `restore` puts back the cut of the press (and says so).
void LayerStrip::endDrag(bool restore) {
    drag_ = -1;
    if (restore && boundaries_ != pressCut_) {
        boundaries_ = pressCut_;
        Q_EMIT cutChanged(boundaries_);
    }
    update();
}

void LayerStrip::keyPressEvent(QKeyEvent* event) {
    const int handles = static_cast<int>(boundaries_.size());
    if (!editable_ || handles == 0) {
        QWidget::keyPressEvent(event);
        return;
    }
    const int key = event->key();
    if (drag_ >= 0) {
        if (key == Qt::Key_Escape) endDrag(true);
        event->accept();  // nothing else while dragging
        return;
    }
    if (key == Qt::Key_Left || key == Qt::Key_Right) {
        const int step = key == Qt::Key_Left ? -1 : 1;
        if (moveHandle(selected_, boundaries_[selected_] + step)) {
            Q_EMIT cutChanged(boundaries_);
            Q_EMIT cutCommitted(boundaries_);
        }
    } else if (key == Qt::Key_Up || key == Qt::Key_Down) {
        selected_ = std::clamp(selected_ + (key == Qt::Key_Up ? -1 : 1), 0, handles - 1);
        update();
    } else {
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

void LayerStrip::leaveEvent(QEvent* event) {
    if (drag_ < 0 && hover_ >= 0) {
        hover_ = -1;
        update();
    }
    if (drag_ < 0) unsetCursor();
    QWidget::leaveEvent(event);
}

void LayerStrip::focusInEvent(QFocusEvent* event) {
    update();
    QWidget::focusInEvent(event);
}

void LayerStrip::focusOutEvent(QFocusEvent* event) {
    update();
    QWidget::focusOutEvent(event);
}

}  // namespace pd
