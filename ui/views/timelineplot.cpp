// TimelineView: the plot widget that holds the three box stores (measured,
// ideal, the schedule not run yet), its lanes, modes and time bases, what
// the cursor reveals, presentation mode, and the mouse and keys. Following
// the cursor, the hover text, the selection and the title and legend live
// in the timeline*.cpp files beside it.
#include "ui/views/timelineplot.h"

#include <QApplication>
#include <QToolTip>
#include <cmath>

#include "ui/views/colourlegend.h"
#include "ui/views/theme.h"

namespace pd {

TimelineView::TimelineView(QWidget* parent) : QCustomPlot(parent) {
    setNoAntialiasingOnDrag(true);
    setPlottingHint(QCP::phCacheLabels, true);
    ghost_ = new GanttPlottable(xAxis, yAxis);
    ghost_->setName(tr("Schedule (not run yet)"));
    ghost_->setGhost(true);
    ideal_ = new GanttPlottable(xAxis, yAxis);
    ideal_->setName(tr("Ideal (simulated)"));
    measured_ = new GanttPlottable(xAxis, yAxis);
    measured_->setName(tr("Measured"));

    xAxis->setLabel(tr("time (ms)"));
    yAxis->setRangeReversed(true);
    yAxis->grid()->setVisible(false);
    xAxis->grid()->setPen(QPen(QColor(0, 0, 0, 25), 1, Qt::DotLine));
    yAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    yAxis->setTickLength(0, 0);
    yAxis->setSubTickLength(0, 0);
    axisRect()->setRangeDrag(Qt::Horizontal);
    axisRect()->setRangeZoom(Qt::Horizontal);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    // The playhead lives on its own buffered layer: moving it repaints only that layer.
    addLayer(QStringLiteral("playhead"), layer(QStringLiteral("main")), QCustomPlot::limAbove);
    layer(QStringLiteral("playhead"))->setMode(QCPLayer::lmBuffered);
    playheadLine_ = new QCPItemStraightLine(this);
    playheadLine_->setLayer(QStringLiteral("playhead"));
    playheadLine_->setPen(QPen(QColor(0xC0, 0x00, 0x30), 2.0));
    playheadLine_->setClipToAxisRect(true);
    playheadLine_->setSelectable(false);
    playheadLine_->setVisible(false);
    // The measured range: one band and one caption, on the playhead's layer.
    rangeBand_ = new QCPItemRect(this);
    rangeBand_->setLayer(QStringLiteral("playhead"));
    rangeBand_->setPen(QPen(QColor(0x30, 0x30, 0x90), 1.0, Qt::DashLine));
    rangeBand_->setBrush(QColor(0x30, 0x30, 0x90, 40));
    rangeBand_->setClipToAxisRect(true);
    rangeBand_->setVisible(false);
    rangeText_ = new QCPItemText(this);
    rangeText_->setLayer(QStringLiteral("playhead"));
    rangeText_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    rangeText_->setTextAlignment(Qt::AlignLeft);
    rangeText_->setBrush(QColor(255, 255, 255, 230));
    rangeText_->setPen(QPen(QColor(0x30, 0x30, 0x90)));
    rangeText_->setPadding(QMargins(4, 2, 4, 2));
    rangeText_->setClipToAxisRect(true);
    rangeText_->setVisible(false);
    axisRect()->setRangeZoomFactor(0.6);  // fewer wheel notches from a run to a slot

    legend_ = new ColourLegend(this);
    plotLayout()->addElement(plotLayout()->rowCount(), 0, legend_);
    plotLayout()->setRowStretchFactor(plotLayout()->rowCount() - 1, 0.001);

    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this] { userRangeChanged(); });

    applyPlotTheme(this);
    setMode(Mode::Slots);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setLanes({});
}

void TimelineView::setLanes(const QStringList& names) {
    laneNames_ = names;
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(yAxis->ticker());
    ticker->clear();
    for (int i = 0; i < names.size(); ++i) ticker->addTick(i, names[i]);
    measured_->ownData().reset(static_cast<int>(names.size()));
    ideal_->ownData().reset(static_cast<int>(names.size()));
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(names.size()), 1) - 0.4);
    startFor_ = nullptr;  // a new run: its first batch is measured again
}

void TimelineView::setSources(const TimelineData* measured, const TimelineData* ideal) {
    measured_->setSource(measured);
    ideal_->setSource(ideal);
    ghost_->setSource(ideal);
}

TimeBase TimelineView::timeBase() const {
    switch (mode_) {
        case Mode::Slots:
            return TimeBase::Slots;
        case Mode::Ideal:
            return TimeBase::Ideal;
        default:
            return TimeBase::Measured;
    }
}

void TimelineView::setMode(Mode mode) {
    // A range the user chose shows the same slots on the new base; Start
    // and Whole are recomputed for it (refresh).
    const double from = perSlot(timeBase());
    mode_ = mode;
    const TimeBase base = timeBase();
    const double to = perSlot(base);
    if (policy_ == RangePolicy::Free && from > 0.0 && to > 0.0 && from != to) {
        const QCPRange r = xAxis->range();
        setRangeQuietly(QCPRange(r.lower / from * to, r.upper / from * to));
    }
    const bool both = mode == Mode::Both;
    // Slots: what ran, at its step, over the whole schedule faded. Ideal: the
    // simulated schedule the same way. Measured: real times only, or with
    // the ideal in the lower half of each lane (Both).
    measured_->setVisible(mode != Mode::Ideal);
    ideal_->setVisible(mode == Mode::Ideal || both);
    ghost_->setVisible(mode == Mode::Slots || mode == Mode::Ideal);
    measured_->setBand(both ? GanttPlottable::Band::Upper : GanttPlottable::Band::Full);
    ideal_->setBand(both ? GanttPlottable::Band::Lower : GanttPlottable::Band::Full);
    ideal_->setFaded(both);
    measured_->setTimeBase(base == TimeBase::Slots ? TimeBase::Slots : TimeBase::Measured);
    // Ideal boxes hold ideal ms in start/end: on the Measured axis of Both
    // they are compared with measured ms.
    ideal_->setTimeBase(base == TimeBase::Slots ? TimeBase::Slots : TimeBase::Ideal);
    ghost_->setTimeBase(base);
    updateAxisLabel();
    applyReveal();
    if (selection_.valid()) updateHighlight();
    refresh();
}

void TimelineView::applyReveal() {
    Reveal r;
    r.slot = cursorSlot_;
    // Nothing is drawn past the cursor: on the schedule's own axes a running
    // action grows up to it; measured boxes shown all end before it anyway.
    if (std::isfinite(playhead_)) r.clip = playhead_;
    measured_->setReveal(r);
    // The plan's labels only where nothing ran yet: a running action is
    // drawn (and labelled) by the measured store, cut at the cursor.
    ghost_->setBadgesFrom(std::isfinite(playhead_) ? playhead_
                                                   : -std::numeric_limits<double>::infinity());
    // In Both the ideal lies on measured time, where the cursor is not its own.
    if (mode_ == Mode::Both) r.clip = std::numeric_limits<double>::infinity();
    ideal_->setReveal(r);
}

void TimelineView::setColorMode(GanttPlottable::ColorMode mode) {
    measured_->setColorMode(mode);
    ideal_->setColorMode(mode);
    ghost_->setColorMode(mode);
    updateLegend();
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::setPresentation(bool on) {
    if (on == presentation_) return;
    presentation_ = on;
    // Scaled from the fonts the view had before, so that off restores them.
    const double k = on ? 1.6 : 1.0 / 1.6;
    auto scaled = [k](QFont f) {
        f.setPointSizeF(f.pointSizeF() * k);
        return f;
    };
    setFont(scaled(font()));  // the badges' font
    for (QCPAxis* axis : {xAxis, yAxis}) {
        axis->setTickLabelFont(scaled(axis->tickLabelFont()));
        axis->setLabelFont(scaled(axis->labelFont()));
    }
    legend_->setFont(font());
    rangeText_->setFont(scaled(rangeText_->font()));
    if (title_) title_->setFont(scaled(title_->font()));
    wrapTitle(width());
    if (policy_ == RangePolicy::Start) applyPolicy();  // as many slots as the labels allow
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::setFilter(const BoxFilter& filter) {
    for (GanttPlottable* p : {measured_, ideal_, ghost_}) p->setFilter(filter);
    replot(QCustomPlot::rpQueuedReplot);
}

const TimelineBox* TimelineView::boxAt(const QPoint& pos) const {
    if (measured_->visible())
        if (const TimelineBox* b = measured_->boxAt(pos)) return b;
    if (ideal_->visible())
        if (const TimelineBox* b = ideal_->boxAt(pos)) return b;
    if (ghost_->visible()) return ghost_->boxAt(pos);
    return nullptr;
}

void TimelineView::changeEvent(QEvent* event) {
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange ||
        event->type() == QEvent::ApplicationPaletteChange) {
        applyPlotTheme(this);
        updateLegend();
        replot(QCustomPlot::rpQueuedReplot);
    }
}

void TimelineView::resizeEvent(QResizeEvent* event) {
    QCustomPlot::resizeEvent(event);
    wrapTitle(width());
    if (policy_ == RangePolicy::Start) applyPolicy();  // as many slots as now fit
}

void TimelineView::mouseMoveEvent(QMouseEvent* event) {
    if (std::isfinite(rangeStart_) && (event->buttons() & Qt::LeftButton)) {
        measureRange(rangeStart_, xAxis->pixelToCoord(event->pos().x()));
        return;
    }
    QCustomPlot::mouseMoveEvent(event);
    if (event->buttons() != Qt::NoButton) return;
    const QString text = tooltipAt(event->pos());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void TimelineView::mousePressEvent(QMouseEvent* event) {
    dragging_ = true;
    pressPos_ = event->pos();
    // Shift + drag measures a range instead of panning.
    if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier)) {
        rangeStart_ = xAxis->pixelToCoord(event->pos().x());
        return;
    }
    rangeStart_ = std::numeric_limits<double>::quiet_NaN();
    QCustomPlot::mousePressEvent(event);
}

void TimelineView::mouseReleaseEvent(QMouseEvent* event) {
    dragging_ = event->buttons() != Qt::NoButton;
    if (std::isfinite(rangeStart_)) {
        measureRange(rangeStart_, xAxis->pixelToCoord(event->pos().x()));
        rangeStart_ = std::numeric_limits<double>::quiet_NaN();
        return;
    }
    QCustomPlot::mouseReleaseEvent(event);
    // A click, not a drag: select what is under it (or clear).
    if (event->button() == Qt::LeftButton &&
        (event->pos() - pressPos_).manhattanLength() < QApplication::startDragDistance())
        selectAt(event->pos());
}

void TimelineView::wheelEvent(QWheelEvent* event) {
    QCustomPlot::wheelEvent(event);
}

void TimelineView::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_Escape:
            clearSelection();
            measureRange(std::nan(""), std::nan(""));
            return;
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            zoomBy(1.5);
            return;
        case Qt::Key_Minus:
            zoomBy(1.0 / 1.5);
            return;
        case Qt::Key_Home:
        case Qt::Key_0:
            fit();
            return;
        case Qt::Key_Left:
            if (event->modifiers() & Qt::ControlModifier) {
                panBy(-0.2);
                return;
            }
            break;
        case Qt::Key_Right:
            if (event->modifiers() & Qt::ControlModifier) {
                panBy(0.2);
                return;
            }
            break;
        default:
            break;
    }
    QCustomPlot::keyPressEvent(event);
}

}  // namespace pd
