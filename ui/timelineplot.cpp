#include "timelineplot.h"

#include <QToolTip>
#include <cmath>

#include "palette.h"

namespace pd {

GanttPlottable::GanttPlottable(QCPAxis* keyAxis, QCPAxis* valueAxis)
    : QCPAbstractPlottable(keyAxis, valueAxis) {
    setSelectable(QCP::stNone);
    setAntialiasedFill(false);
}

std::pair<double, double> GanttPlottable::laneSpan(int lane) const {
    const double half = kLaneHeight / 2.0;
    switch (band_) {
        case Band::Full:
            return {lane - half, lane + half};
        case Band::Upper:
            return {lane - half, lane + 0.02};
        case Band::Lower:
            return {lane + 0.02, lane + half};
    }
    return {lane - half, lane + half};
}

int GanttPlottable::colorKey(const TimelineBox& box) const {
    int key = 0;
    if (colorMode_ == ColorMode::ByVersion) {
        key = 20 + ((box.version % 8) + 8) % 8;
    } else {
        const int shade = box.microbatch < 0 ? 0 : box.microbatch % kMicrobatchShades;
        key = static_cast<int>(box.op) * kMicrobatchShades + shade;
    }
    if (!(opMask_ & (1u << static_cast<unsigned>(box.op)))) key += 32;  // faded
    return key;
}

QColor GanttPlottable::keyColor(int key) const {
    const bool ghost = key >= 32;
    const int k = key % 32;
    QColor c;
    if (k >= 20)
        c = versionColor(k - 20);
    else
        c = boxColor(static_cast<Op>(k / kMicrobatchShades), k % kMicrobatchShades);
    auto blend = [](const QColor& a, double t) {  // toward white, stays opaque
        return QColor::fromRgbF(static_cast<float>(a.redF() + (1.0 - a.redF()) * t),
                                static_cast<float>(a.greenF() + (1.0 - a.greenF()) * t),
                                static_cast<float>(a.blueF() + (1.0 - a.blueF()) * t));
    };
    if (ghost) c = blend(c, 0.8);
    if (faded_) c = blend(c, 0.55);
    if (ghost_) c = blend(c, 0.78);
    return c;
}

QColor GanttPlottable::fillColor(const TimelineBox& box) const {
    return keyColor(colorKey(box));
}

QString GanttPlottable::badgeText(const TimelineBox& box) {
    if (box.op == Op::U) return QStringLiteral("U v%1").arg(box.version);
    // Op and microbatch: when boxes are coloured by version, the text is
    // what still tells a forward from a backward.
    return QStringLiteral("%1%2 v%3").arg(QLatin1Char(opChar(box.op))).arg(box.microbatch).arg(box.version);
}

QString GanttPlottable::shortBadgeText(const TimelineBox& box) {
    return QStringLiteral("v%1").arg(box.version);
}

const TimelineBox* GanttPlottable::boxAt(const QPointF& pixel) const {
    if (!mKeyAxis || !mValueAxis) return nullptr;
    const double t = mKeyAxis->pixelToCoord(pixel.x());
    const double v = mValueAxis->pixelToCoord(pixel.y());
    const int lane = static_cast<int>(std::lround(v));
    if (lane < 0 || lane >= data().lanes()) return nullptr;
    const auto span = laneSpan(lane);
    if (v < span.first || v > span.second) return nullptr;
    const TimelineData& data = this->data();
    const TimelineBox* box = data.boxAt(lane, t, base_);
    if (!box) {  // a box narrower than a pixel is still found within half a pixel
        const double slack = std::abs(mKeyAxis->pixelToCoord(pixel.x() + 1.5) - t);
        box = data.boxAt(lane, t - slack, base_);
        if (!box) box = data.boxAt(lane, t + slack, base_);
    }
    if (box && (box->gate >= reveal_.slot || box->x0(base_) > reveal_.clip)) return nullptr;
    return box;
}

double GanttPlottable::selectTest(const QPointF&, bool, QVariant*) const {
    return -1.0;
}

QCPRange GanttPlottable::getKeyRange(bool& foundRange, QCP::SignDomain) const {
    foundRange = !data().empty();
    return QCPRange(0.0, std::max(data().endOn(base_), 1e-9));
}

QCPRange GanttPlottable::getValueRange(bool& foundRange, QCP::SignDomain, const QCPRange&) const {
    foundRange = data().lanes() > 0;
    return QCPRange(-0.5, std::max(data().lanes(), 1) - 0.5);
}

void GanttPlottable::draw(QCPPainter* painter) {
    stats_ = {};
    QCPAxis* keyAxis = mKeyAxis.data();
    QCPAxis* valueAxis = mValueAxis.data();
    const TimelineData& data_ = data();
    if (!keyAxis || !valueAxis || data_.empty()) return;

    const double px0 = keyAxis->coordToPixel(0.0);
    const PixelMap map{px0, keyAxis->coordToPixel(1.0) - px0};
    if (!(map.scale > 0.0) || !std::isfinite(map.scale)) return;
    const QCPRange range = keyAxis->range();
    const QRect clip = clipRect();

    for (auto& g : groups_) g.clear();
    mismatches_.clear();
    struct Badge {
        QRectF rect;
        std::size_t lane;
        std::size_t index;
    };
    std::vector<Badge> badges;

    const QFontMetrics metrics(mParentPlot->font());
    // Lane backgrounds up to what is shown so far: gaps between boxes are idle time.
    const double bgEnd = std::min(data_.endOn(base_), reveal_.clip);
    std::vector<QRectF> idle;
    for (int lane = 0; lane < data_.lanes(); ++lane) {
        const auto span = laneSpan(lane);
        const double ya = valueAxis->coordToPixel(span.first);
        const double yb = valueAxis->coordToPixel(span.second);
        const double top = std::min(ya, yb);
        const double height = std::abs(yb - ya);
        if (top > clip.bottom() || top + height < clip.top()) continue;
        const double x0 = std::max(map.toPixel(0.0), static_cast<double>(clip.left()));
        const double x1 = std::min(map.toPixel(bgEnd), static_cast<double>(clip.right()) + 1.0);
        if (x1 > x0) idle.emplace_back(x0, top, x1 - x0, height);
        const auto& boxes = data_.lane(lane);
        const std::size_t first = data_.firstEndingAfter(lane, range.lower, base_);
        layoutLane(boxes, first, range.lower, range.upper, base_, reveal_, map, kMergeWidthPx,
                   runs_);
        for (const PixelRun& run : runs_) {
            const TimelineBox& box = boxes[run.dominant];
            double x0 = std::max(run.x0, static_cast<double>(clip.left()) - 2.0);
            double x1 = std::min(run.x1, static_cast<double>(clip.right()) + 2.0);
            double w = x1 - x0;
            // A one-pixel gap separates wide neighbours; narrow runs keep one pixel.
            if (w >= 4.0) w -= 1.0;
            w = std::max(w, 1.0);
            const QRectF rect(x0, top, w, height);
            groups_[static_cast<std::size_t>(colorKey(box))].push_back(rect);
            if (run.count > 1) ++stats_.merged;
            ++stats_.rects;
            if (run.count == 1 && box.mismatch) mismatches_.push_back(rect);
            if (run.count == 1 && badges_ && w > 12.0 && height >= metrics.height())
                badges.push_back({rect, static_cast<std::size_t>(lane), run.first});
        }
    }

    painter->setAntialiasing(false);
    painter->setPen(Qt::NoPen);
    if (!idle.empty()) {
        painter->setBrush(idleColor());
        painter->drawRects(idle.data(), static_cast<int>(idle.size()));
    }
    for (int key = 0; key < kKeys; ++key) {
        const auto& rects = groups_[static_cast<std::size_t>(key)];
        if (rects.empty()) continue;
        painter->setBrush(keyColor(key));
        painter->drawRects(rects.data(), static_cast<int>(rects.size()));
    }
    if (!mismatches_.empty()) {  // hatch + heavy outline: visible without colour
        painter->setBrush(QBrush(mismatchOutline(), Qt::BDiagPattern));
        painter->setPen(QPen(mismatchOutline(), 2.0));
        painter->drawRects(mismatches_.data(), static_cast<int>(mismatches_.size()));
        painter->setPen(Qt::NoPen);
    }
    if (faded_) {  // the ideal timeline: a thin outline tells it apart
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(idealOutline(), 1.0, Qt::DotLine));
        for (const auto& rects : groups_)
            for (const QRectF& r : rects)
                if (r.width() >= 4.0) painter->drawRect(r.adjusted(0, 0, -1, -1));
        painter->setPen(Qt::NoPen);
    }
    for (const Badge& b : badges) {
        const TimelineBox& box = data().lane(static_cast<int>(b.lane))[b.index];
        QString text = badgeText(box);
        if (metrics.horizontalAdvance(text) + 6 > b.rect.width()) text = shortBadgeText(box);
        if (metrics.horizontalAdvance(text) + 4 > b.rect.width()) continue;
        painter->setPen(box.mismatch ? Qt::black : textColorOn(fillColor(box)));
        if (box.mismatch) {
            const QRectF bg = QRectF(0, 0, metrics.horizontalAdvance(text) + 4, metrics.height())
                                  .translated(b.rect.center() -
                                              QPointF((metrics.horizontalAdvance(text) + 4) / 2.0,
                                                      metrics.height() / 2.0));
            painter->fillRect(bg, Qt::white);
        }
        painter->drawText(b.rect, Qt::AlignCenter, text);
        ++stats_.badges;
    }
    painter->setPen(Qt::NoPen);
}

void GanttPlottable::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const {
    painter->setPen(Qt::NoPen);
    painter->setBrush(faded_ ? keyColor(0) : opColor(Op::F));
    painter->drawRect(rect);
}

// ---------------------------------------------------------------------------

TimelineView::TimelineView(QWidget* parent) : QCustomPlot(parent) {
    setBackground(timelineBackground());
    setNoAntialiasingOnDrag(true);
    setPlottingHint(QCP::phCacheLabels, true);
    ghost_ = new GanttPlottable(xAxis, yAxis);
    ghost_->setName(tr("Schedule (not run yet)"));
    ghost_->setGhost(true);
    ghost_->setBadges(false);
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
}

void TimelineView::setSources(const TimelineData* measured, const TimelineData* ideal) {
    measured_->setSource(measured);
    ideal_->setSource(ideal);
    ghost_->setSource(ideal);
}

TimeBase TimelineView::timeBase() const {
    switch (mode_) {
        case Mode::Slots: return TimeBase::Slots;
        case Mode::Ideal: return TimeBase::Ideal;
        default: return TimeBase::Measured;
    }
}

void TimelineView::setMode(Mode mode) {
    mode_ = mode;
    const TimeBase base = timeBase();
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
    xAxis->setLabel(mode == Mode::Slots      ? tr("time step (slot; one slot = one forward)")
                    : mode == Mode::Measured ? tr("time (ms, measured; paused time excluded)")
                    : mode == Mode::Ideal    ? tr("time (ms, ideal schedule at the measured op costs)")
                                             : tr("time (ms): measured above, ideal below"));
    applyReveal();
    refresh();
}

void TimelineView::setCursor(int slot, double x) {
    cursorSlot_ = std::isfinite(x) ? slot : std::numeric_limits<int>::max();
    playhead_ = x;
    applyReveal();
    const bool show = std::isfinite(x);
    playheadLine_->setVisible(show);
    if (show) {
        playheadLine_->point1->setCoords(x, 0.0);
        playheadLine_->point2->setCoords(x, 1.0);
    }
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::applyReveal() {
    Reveal r;
    r.slot = cursorSlot_;
    // Nothing is drawn past the cursor: on the schedule's own axes a running
    // action grows up to it; measured boxes shown all end before it anyway.
    if (std::isfinite(playhead_)) r.clip = playhead_;
    measured_->setReveal(r);
    // In Both the ideal lies on measured time, where the cursor is not its own.
    if (mode_ == Mode::Both) r.clip = std::numeric_limits<double>::infinity();
    ideal_->setReveal(r);
}

void TimelineView::setColorMode(GanttPlottable::ColorMode mode) {
    measured_->setColorMode(mode);
    ideal_->setColorMode(mode);
    ghost_->setColorMode(mode);
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
    }
    title_->setText(title);
}

double TimelineView::dataEnd() const {
    // On the schedule's axes the whole schedule is known from the start, so
    // boxes appear in place instead of rescaling; measured time is fitted to
    // what was measured (the ideal overlaid in Both too).
    const TimeBase base = timeBase();
    double end = measured_->data().endOn(measured_->timeBase());
    if (base != TimeBase::Measured || mode_ == Mode::Both)
        end = std::max(end, ideal_->data().endOn(ideal_->timeBase()));
    return end;
}

void TimelineView::fit() {
    follow_ = true;
    const double end = dataEnd();
    xAxis->setRange(0.0, end > 0.0 ? end * 1.02 : 1.0);
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(laneNames_.size()), 1) - 0.4);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::zoomBy(double factor) {
    follow_ = false;
    xAxis->scaleRange(1.0 / factor, xAxis->range().center());
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::panBy(double fraction) {
    follow_ = false;
    xAxis->moveRange(xAxis->range().size() * fraction);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::refresh() {
    if (follow_) {
        const double end = dataEnd();
        xAxis->setRange(0.0, end > 0.0 ? end * 1.02 : 1.0);
    }
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

QString TimelineView::tooltipAt(const QPoint& pos) const {
    const TimelineBox* b = boxAt(pos);
    if (!b) return {};
    const bool fromIdeal = !(measured_->visible() && measured_->boxAt(pos));
    const bool slots = timeBase() == TimeBase::Slots;
    QString text = QStringLiteral("<b>%1</b> %2<br>")
                       .arg(opName(b->op), fromIdeal ? tr("(ideal)") : QString());
    text += tr("batch %1, stage %2").arg(b->batch).arg(b->stage);
    if (b->stage < laneNames_.size())
        text += QStringLiteral(" &mdash; %1").arg(laneNames_[b->stage].toHtmlEscaped());
    text += QStringLiteral("<br>");
    if (b->microbatch >= 0) text += tr("microbatch %1, ").arg(b->microbatch);
    if (b->chunk > 0) text += tr("chunk %1, ").arg(b->chunk);
    text += b->op == Op::U ? tr("produces weight version v%1").arg(b->version)
                           : tr("weight version v%1").arg(b->version);
    text += QStringLiteral("<br>") + tr("slot t%1").arg(b->slot0);
    if (!slots || !fromIdeal)
        text += QStringLiteral(", ") + tr("start %1 ms, duration %2 ms")
                                           .arg(b->start, 0, 'f', 3)
                                           .arg(b->duration(), 0, 'f', 3);
    if (b->mismatch)
        text += QStringLiteral("<br><b>") +
                tr("version mismatch: backward ran on newer weights than its forward") +
                QStringLiteral("</b>");
    return text;
}

void TimelineView::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    if (event->buttons() != Qt::NoButton) return;
    const QString text = tooltipAt(event->pos());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void TimelineView::mousePressEvent(QMouseEvent* event) {
    follow_ = false;
    QCustomPlot::mousePressEvent(event);
}

void TimelineView::wheelEvent(QWheelEvent* event) {
    follow_ = false;
    QCustomPlot::wheelEvent(event);
}

void TimelineView::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
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
