#include "ui/views/timelineplot.h"

#include <QApplication>
#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>
#include <QToolTip>
#include <cmath>

#include "engine/formats/traceflow.h"
#include "ui/views/colourlegend.h"
#include "ui/views/palette.h"
#include "ui/views/theme.h"

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

void GanttPlottable::setScale(int maxVersion, int maxStaleness) {
    maxVersion_ = std::max(maxVersion, 0);
    maxStaleness_ = std::max(maxStaleness, 0);
}

void GanttPlottable::setHighlight(int batch, int microbatch, std::vector<Flow> flows) {
    highlightBatch_ = batch;
    highlightMb_ = microbatch;
    flows_ = std::move(flows);
}

bool GanttPlottable::dimmed(const TimelineBox& box) const {
    if (!(opMask_ & (1u << static_cast<unsigned>(box.op)))) return true;
    if (filter_.active() && !filter_.matches(box)) return true;
    return hasHighlight() && !highlighted(box);
}

// Up to kVersionBins versions each get their own colour; beyond, versions
// share bins in order (the badge says the number), kVersionHues steps of
// the scale times the three lightness phases, so that consecutive versions
// still differ (versionShade).
int GanttPlottable::versionKey(int version) const {
    const int v = std::clamp(version, 0, maxVersion_);
    if (maxVersion_ < kVersionBins) return kOpKeys + v;
    return kOpKeys + (v * (kVersionHues - 1) / maxVersion_) * 3 + v % 3;
}

int GanttPlottable::colorKey(const TimelineBox& box) const {
    int key = 0;
    switch (colorMode_) {
        case ColorMode::ByVersion:
            key = versionKey(box.version);
            break;
        case ColorMode::ByStaleness:
            key = kOpKeys + kVersionBins + std::min<int>(box.staleness, kStaleBins - 1);
            break;
        case ColorMode::ByOp: {
            const int shade = box.microbatch < 0 ? 0 : box.microbatch % kMicrobatchShades;
            key = static_cast<int>(box.op) * kMicrobatchShades + shade;
            break;
        }
    }
    return dimmed(box) ? key + kDimmed : key;
}

QColor GanttPlottable::keyColor(int key) const {
    const bool dim = key >= kDimmed;
    const int k = key % kDimmed;
    QColor c;
    if (k >= kOpKeys + kVersionBins) {
        c = stalenessColor(k - kOpKeys - kVersionBins, std::min(maxStaleness_, kStaleBins - 1));
    } else if (k >= kOpKeys) {
        const int bin = k - kOpKeys;
        c = maxVersion_ < kVersionBins
                ? versionColor(bin, maxVersion_)
                : versionShade(static_cast<double>(bin / 3) / (kVersionHues - 1), bin % 3,
                               maxVersion_);
    } else {
        c = boxColor(static_cast<Op>(k / kMicrobatchShades), k % kMicrobatchShades);
    }
    auto blend = [](const QColor& a, double t) {  // toward white, stays opaque
        return QColor::fromRgbF(static_cast<float>(a.redF() + (1.0 - a.redF()) * t),
                                static_cast<float>(a.greenF() + (1.0 - a.greenF()) * t),
                                static_cast<float>(a.blueF() + (1.0 - a.blueF()) * t));
    };
    if (dim) c = blend(c, 0.8);
    if (faded_) c = blend(c, 0.55);
    if (ghost_) c = blend(c, 0.78);
    return c;
}

QColor GanttPlottable::fillColor(const TimelineBox& box) const {
    return keyColor(colorKey(box));
}

QString GanttPlottable::badgeText(const TimelineBox& box, Label level, bool chunked) {
    const QChar op = QLatin1Char(opChar(box.op));
    // An update's number is the version it produces: the arrow says so.
    if (box.op == Op::U)
        return level == Label::Op ? QString(op) : QStringLiteral("U\u2192v%1").arg(box.version);
    if (level == Label::Op) return QString(op);
    QString text = QStringLiteral("%1%2").arg(op).arg(box.microbatch);
    if (chunked || box.chunk > 0) text += QStringLiteral(".%1").arg(box.chunk);
    if (level == Label::Full) text += QStringLiteral(" v%1").arg(box.version);
    return text;
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
    badgeTexts_.clear();
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
    outlined_.clear();
    badgeList_.clear();

    // The plot's font, which presentation mode enlarges: the painter of a
    // layer buffer starts with the application's.
    painter->setFont(mParentPlot->font());
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
            ++stats_.rects;
            if (run.count > 1) {
                ++stats_.merged;
                if (colorMode_ == ColorMode::ByOp) {
                    splitByOp(run, rect, dimmed(box));
                    continue;
                }
            }
            groups_[static_cast<std::size_t>(colorKey(box))].push_back(rect);
            if (hasHighlight() && highlighted(box)) outlined_.push_back(rect);
            if (run.count == 1 && box.mismatch) mismatches_.push_back(rect);
            if (run.count == 1 && badges_ && w > 7.0 && height >= metrics.height() &&
                box.x0(base_) >= badgesFrom_)
                badgeList_.push_back({rect, lane, run.first});
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
    if (!outlined_.empty()) {  // the selected microbatch, on every stage
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(highlightColor(), 2.0));
        for (const QRectF& r : outlined_) painter->drawRect(r.adjusted(1, 1, -1, -1));
        painter->setPen(Qt::NoPen);
    }
    drawBadges(painter, metrics);
    drawFlows(painter);
    painter->setPen(Qt::NoPen);
}

void GanttPlottable::splitByOp(const PixelRun& run, const QRectF& rect, bool dim) {
    double y = rect.top();
    for (std::size_t op = 0; op < run.share.size(); ++op) {
        if (run.share[op] <= 0.0f) continue;
        // At least one pixel row: an op with a small share still shows.
        const double h = std::max(1.0, std::round(run.share[op] * rect.height()));
        const double bottom = std::min(rect.bottom(), y + h);
        if (bottom <= y) break;
        const int key = static_cast<int>(op) * kMicrobatchShades + (dim ? kDimmed : 0);
        groups_[static_cast<std::size_t>(key)].emplace_back(rect.left(), y, rect.width(),
                                                            bottom - y);
        y = bottom;
    }
}

// The widest label that fits: "F3 v2", then "F3", then "F"; never the
// version alone (the op and microbatch are what a reader looks for).
void GanttPlottable::drawBadges(QCPPainter* painter, const QFontMetrics& metrics) {
    const bool chunked = data().maxChunk() > 0;
    badgeTexts_.clear();
    for (const Badge& b : badgeList_) {
        const TimelineBox& box = data().lane(b.lane)[b.index];
        QString text;
        for (Label level : {Label::Full, Label::Short, Label::Op}) {
            text = badgeText(box, level, chunked);
            if (metrics.horizontalAdvance(text) + 4 <= b.rect.width()) break;
            text.clear();
        }
        if (text.isEmpty()) continue;
        QColor ink = box.mismatch ? QColor(Qt::black) : textColorOn(fillColor(box));
        // Not run yet: labelled like the tutorial's figures, in grey, so it
        // still reads as the plan rather than what ran.
        if (ghost_ && !box.mismatch && ink == QColor(Qt::black)) ink = QColor(0x55, 0x55, 0x55);
        painter->setPen(ink);
        if (box.mismatch) {
            const double tw = metrics.horizontalAdvance(text) + 4;
            const QRectF bg =
                QRectF(0, 0, tw, metrics.height())
                    .translated(b.rect.center() - QPointF(tw / 2.0, metrics.height() / 2.0));
            painter->fillRect(bg, Qt::white);
        }
        painter->drawText(b.rect, Qt::AlignCenter, text);
        badgeTexts_ << text;
        ++stats_.badges;
    }
}

double GanttPlottable::laneCentre(int lane) const {
    const auto span = laneSpan(lane);
    return mValueAxis->coordToPixel((span.first + span.second) / 2.0);
}

// Arrows from the end of a sender to the start of its receiver: forward
// activations in the highlight colour, gradients in a dark red, dashed.
void GanttPlottable::drawFlows(QCPPainter* painter) {
    if (flows_.empty()) return;
    painter->setAntialiasing(true);
    painter->setBrush(Qt::NoBrush);
    for (const Flow& f : flows_) {
        if (f.gate >= reveal_.slot || f.x1 > reveal_.clip) continue;
        const QPointF a(mKeyAxis->coordToPixel(f.x0), laneCentre(f.lane0));
        const QPointF b(mKeyAxis->coordToPixel(f.x1), laneCentre(f.lane1));
        const QColor c = f.gradient ? gradientFlowColor() : highlightColor();
        painter->setPen(QPen(c, 2.0, f.gradient ? Qt::DashLine : Qt::SolidLine, Qt::RoundCap));
        painter->drawLine(a, b);
        // The head: two short strokes back from the receiver.
        const QPointF d = a - b;
        const double len = std::hypot(d.x(), d.y());
        if (len < 1.0) continue;
        const QPointF u = d / len;
        const QPointF n(-u.y(), u.x());
        painter->setPen(QPen(c, 2.0, Qt::SolidLine, Qt::RoundCap));
        painter->drawLine(b, b + u * 9.0 + n * 4.5);
        painter->drawLine(b, b + u * 9.0 - n * 4.5);
        ++stats_.flows;
    }
    painter->setAntialiasing(false);
}

void GanttPlottable::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const {
    painter->setPen(Qt::NoPen);
    painter->setBrush(faded_ ? keyColor(0) : opColor(Op::F));
    painter->drawRect(rect);
}

// ---------------------------------------------------------------------------

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

// Following the cursor. Before, `follow_` only meant "keep fitting the
// whole run as it grows": the cursor never moved the range, so once zoomed
// in (which turned it off) a step or play walked the cursor off screen.
// Now the view behaves like a text editor's caret or an audio editor's
// playhead:
// - when the cursor leaves the visible range (or comes within 1 % of its
//   right edge), the range turns a page at the same zoom: going forward the cursor
//   lands 15 % from the left edge, going back 15 % from the right, so what
//   just ran stays in sight and the view does not crawl slot by slot;
// - a pan or zoom by the user is never undone while the cursor is still in
//   sight: the range stays until the cursor would leave it;
// - a pan or zoom that leaves the cursor out of sight means "I am looking
//   elsewhere": playing then moves the cursor without moving the view, until
//   the cursor comes back into the range by itself or the user steps
//   (a step asks to see the cursor, as typing brings a caret back), or Fit;
// - nothing moves while a mouse button is down on the plot (a drag).
void TimelineView::setCursor(int slot, double x, CursorMove move) {
    cursorSlot_ = std::isfinite(x) ? slot : std::numeric_limits<int>::max();
    playhead_ = x;
    applyReveal();
    const bool show = std::isfinite(x);
    playheadLine_->setVisible(show);
    if (show) {
        playheadLine_->point1->setCoords(x, 0.0);
        playheadLine_->point2->setCoords(x, 1.0);
        if (move == CursorMove::Step || xAxis->range().contains(x)) followSuspended_ = false;
        if (!followSuspended_ && !dragging_) keepCursorInView();
    }
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::followCursor() {
    followSuspended_ = false;
    if (!std::isfinite(playhead_) || dragging_) return;
    const QCPRange r = xAxis->range();
    if (!r.contains(playhead_) && policy_ != RangePolicy::Whole && r.size() > 0.0) {
        // Out of sight: the page that starts just before the cursor.
        policy_ = RangePolicy::Free;
        const double lower = std::max(playhead_ - 0.15 * r.size(), 0.0);
        setRangeQuietly(QCPRange(lower, lower + r.size()));
        replot(QCustomPlot::rpQueuedReplot);
    }
}

void TimelineView::keepCursorInView() {
    if (policy_ == RangePolicy::Whole) return;  // holds the whole run; refresh refits it
    const QCPRange r = xAxis->range();
    const double w = r.size();
    if (!(w > 0.0)) return;
    double lower = 0.0;
    if (playhead_ > r.upper - 0.01 * w)
        lower = playhead_ - 0.15 * w;
    else if (playhead_ < r.lower + 0.01 * w && r.lower > 0.0)
        lower = std::max(playhead_ - 0.85 * w, 0.0);  // nothing lies before t0
    else
        return;
    policy_ = RangePolicy::Free;  // a page of the run, kept as the run grows
    setRangeQuietly(QCPRange(lower, lower + w));
}

void TimelineView::setRangeQuietly(const QCPRange& range) {
    const bool was = settingRange_;
    settingRange_ = true;
    xAxis->setRange(range);
    settingRange_ = was;
}

// Any range change not made by the view itself is the user's (drag,
// wheel, keys, zoom and pan actions) or a caller's: kept as it is.
void TimelineView::userRangeChanged() {
    if (settingRange_) return;
    policy_ = RangePolicy::Free;
    followSuspended_ = std::isfinite(playhead_) && !xAxis->range().contains(playhead_);
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
                          : tr("time (ideal schedule; one unit = one forward)");
            break;
        case Mode::Both:
            label = tr("time (ms): measured above, ideal below");
            break;
    }
    xAxis->setLabel(label);
}

// Ideal times are in ms once op costs were measured; before, in units of
// one forward (RunModel::rescaleIdeal).
QString TimelineView::unitOf(TimeBase base) const {
    switch (base) {
        case TimeBase::Slots:
            return tr("slots");
        case TimeBase::Ideal:
            return measured_->data().empty() ? tr("units") : tr("ms");
        case TimeBase::Measured:
            break;
    }
    return tr("ms");
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

QString TimelineView::title() const {
    return title_ ? titleText_ : QString();
}

// ---------------------------------------------------------------------------
// Selection, search and the measured range

void TimelineView::select(const Selection& selection) {
    selection_ = selection;
    updateHighlight();
    replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT selectionChanged();
}

void TimelineView::clearSelection() {
    if (!selection_.valid()) return;
    select(Selection{});
}

void TimelineView::selectAt(const QPoint& pos) {
    const TimelineBox* b = boxAt(pos);
    if (!b) {
        clearSelection();
        return;
    }
    Selection s;
    s.stage = b->stage;
    s.batch = b->batch;
    s.microbatch = b->microbatch;
    s.op = b->op;
    s.chunk = b->chunk;
    s.ideal = !(measured_->visible() && measured_->boxAt(pos));
    select(s);
}

const TimelineBox* TimelineView::selectedBox() const {
    if (!selection_.valid()) return nullptr;
    const TimelineData& d = storeOf(selection_.ideal)->data();
    for (const TimelineBox& b : d.lane(selection_.stage))
        if (b.batch == selection_.batch && b.microbatch == selection_.microbatch &&
            b.op == selection_.op && b.chunk == selection_.chunk)
            return &b;
    return nullptr;
}

namespace {

// The hand-offs of one microbatch in `p`'s store, on its time base.
std::vector<GanttPlottable::Flow> flowsOf(const GanttPlottable* p, int batch, int microbatch) {
    std::vector<TimelineBox> mine;
    const TimelineData& d = p->data();
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == batch && b.microbatch == microbatch) mine.push_back(b);
    const TimeBase base = p->timeBase();
    std::vector<GanttPlottable::Flow> flows;
    for (const FlowLink& l : flowLinks(mine, [base](const TimelineBox& b) { return b.x0(base); })) {
        const TimelineBox& a = mine[l.from];
        const TimelineBox& b = mine[l.to];
        flows.push_back(
            {a.x1(base), b.x0(base), a.stage, b.stage, std::max(a.gate, b.gate), l.gradient});
    }
    return flows;
}

}  // namespace

void TimelineView::updateHighlight() {
    const bool on = selection_.valid() && selection_.microbatch >= 0;
    const int batch = on ? selection_.batch : -1;
    const int mb = on ? selection_.microbatch : -1;
    // The ghost too: at t0 the schedule not run yet is what a reader clicks.
    for (GanttPlottable* p : {measured_, ideal_, ghost_})
        p->setHighlight(
            batch, mb,
            on && p->visible() ? flowsOf(p, batch, mb) : std::vector<GanttPlottable::Flow>{});
}

void TimelineView::setFilter(const BoxFilter& filter) {
    for (GanttPlottable* p : {measured_, ideal_, ghost_}) p->setFilter(filter);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::measureRange(double t0, double t1) {
    if (!std::isfinite(t0) || !std::isfinite(t1) || t0 == t1) {
        rangeBand_->setVisible(false);
        rangeText_->setVisible(false);
        rangeSummary_.clear();
        replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    if (t1 < t0) std::swap(t0, t1);
    const bool ideal = mode_ == Mode::Ideal || measured_->data().empty();
    const GanttPlottable* p = ideal ? ideal_ : measured_;
    const TimelineData& d = p->data();
    const TimeBase base = p->timeBase();
    // What ran up to the cursor; the schedule's own boxes are all shown.
    const int reveal = ideal ? std::numeric_limits<int>::max() : cursorSlot_;
    const QString unit = unitOf(base);
    QStringList lines;
    lines << tr("%1 %2 from %3 to %4")
                 .arg(t1 - t0, 0, 'f', base == TimeBase::Slots ? 1 : 3)
                 .arg(unit)
                 .arg(t0, 0, 'f', 2)
                 .arg(t1, 0, 'f', 2);
    double total = 0.0;
    for (int l = 0; l < d.lanes(); ++l) {
        const double busy = busyIn(d, l, t0, t1, base, reveal) / (t1 - t0);
        total += busy;
        const QString name = l < laneNames_.size() ? laneNames_[l] : tr("stage %1").arg(l);
        lines << tr("%1: busy %2%").arg(name).arg(busy * 100.0, 0, 'f', 1);
    }
    if (d.lanes() > 0) lines << tr("mean busy %1%").arg(total / d.lanes() * 100.0, 0, 'f', 1);
    rangeSummary_ = lines.join(QLatin1Char('\n'));
    rangeBand_->topLeft->setCoords(t0, yAxis->range().upper);
    rangeBand_->bottomRight->setCoords(t1, yAxis->range().lower);
    rangeBand_->setVisible(true);
    rangeText_->position->setCoords(t0, yAxis->range().lower);
    rangeText_->setText(rangeSummary_);
    rangeText_->setVisible(true);
    replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT rangeMeasured(rangeSummary_);
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

double TimelineView::dataEnd() const {
    // What the mode shows: on the schedule's axes (Slots) the whole schedule
    // is known from the start, so boxes appear in place instead of
    // rescaling; Measured fits what was measured, Ideal the ideal schedule
    // alone (not the longer measured run, which left it a sliver), Both
    // whichever is longer.
    const double measured = measured_->data().endOn(measured_->timeBase());
    const double ideal = ideal_->data().endOn(ideal_->timeBase());
    switch (mode_) {
        case Mode::Measured:
            return measured;
        case Mode::Ideal:
            return ideal;
        case Mode::Slots:
        case Mode::Both:
            break;
    }
    return std::max(measured, ideal);
}

double TimelineView::perSlot(TimeBase base) const {
    auto ratio = [](const TimelineData& d) {
        return d.endSlot() > 0 ? d.endOn(TimeBase::Measured) / d.endSlot() : 0.0;
    };
    switch (base) {
        case TimeBase::Slots:
            return 1.0;
        case TimeBase::Ideal:
            return ratio(ideal_->data());
        case TimeBase::Measured:
            break;
    }
    const double m = ratio(measured_->data());
    return m > 0.0 ? m : ratio(ideal_->data());
}

// The slot at which the first batch ends, from the schedule (the ideal
// store holds all of it from the start), else from what was measured.
int TimelineView::firstBatchSlots() const {
    const TimelineData& d = ideal_->data().empty() ? measured_->data() : ideal_->data();
    if (startFor_ == &d && startForSize_ == d.size()) return startSlots_;
    int end = 0;
    maxMicrobatch_ = 0;
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == 0) {
                end = std::max<int>(end, b.slot1);
                maxMicrobatch_ = std::max<int>(maxMicrobatch_, b.microbatch);
            }
    startFor_ = &d;
    startForSize_ = d.size();
    startSlots_ = end > 0 ? end : d.endSlot();
    return startSlots_;
}

// The axis rect's width, estimated from the widget before its first layout.
int TimelineView::plotWidthPx() const {
    // Both from the last layout (a resize has not laid out again yet).
    const int laidOut = plotLayout()->outerRect().width();
    const int axis = axisRect()->rect().width();
    const int margins = laidOut > 0 && axis > 0 ? laidOut - axis : 140;
    return std::max(width() - margins, 100);
}

// One batch, each slot wide enough for a one-slot forward's label ("F7");
// a batch longer than the plot holds shows its first slots, the rest a
// scroll away.
QCPRange TimelineView::startRange() const {
    const int batchSlots = std::max(firstBatchSlots(), 1);  // also finds maxMicrobatch_
    const QString widest = QStringLiteral("F%1").arg(std::max(maxMicrobatch_, 0));
    const double readable = QFontMetrics(font()).horizontalAdvance(widest) + 6.0;
    const double fits = std::max(4.0, std::floor(plotWidthPx() / readable));
    const double slots = std::min<double>(batchSlots, fits);
    const double unit = perSlot(timeBase());
    const double end = slots * (unit > 0.0 ? unit : 1.0);
    return QCPRange(0.0, end * 1.02);
}

void TimelineView::applyPolicy() {
    switch (policy_) {
        case RangePolicy::Start:
            setRangeQuietly(startRange());
            break;
        case RangePolicy::Whole: {
            const double end = dataEnd();
            setRangeQuietly(QCPRange(0.0, end > 0.0 ? end * 1.02 : 1.0));
            break;
        }
        case RangePolicy::Free:
            break;
    }
}

void TimelineView::fit() {
    policy_ = RangePolicy::Whole;
    followSuspended_ = false;
    updateScale();
    applyPolicy();
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(laneNames_.size()), 1) - 0.4);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::showStart() {
    policy_ = RangePolicy::Start;
    followSuspended_ = false;
    updateScale();
    applyPolicy();
    yAxis->setRange(-0.6, std::max<int>(static_cast<int>(laneNames_.size()), 1) - 0.4);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::setFollow(bool on) {
    if (on) {
        fit();
        return;
    }
    policy_ = RangePolicy::Free;
    followSuspended_ = true;
}

void TimelineView::zoomBy(double factor, double centre) {
    if (!std::isfinite(centre)) {
        const QPoint mouse = mapFromGlobal(QCursor::pos());
        if (axisRect()->rect().contains(mouse) && underMouse())
            centre = xAxis->pixelToCoord(mouse.x());
        else if (std::isfinite(playhead_) && xAxis->range().contains(playhead_))
            centre = playhead_;
        else
            centre = xAxis->range().center();
    }
    xAxis->scaleRange(1.0 / factor, centre);  // the user's: userRangeChanged
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::panBy(double fraction) {
    xAxis->moveRange(xAxis->range().size() * fraction);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimelineView::refresh() {
    updateScale();
    updateAxisLabel();
    if (selection_.valid()) updateHighlight();  // new boxes of the selected microbatch
    applyPolicy();
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
    if (!b) return idleTextAt(pos);
    const bool fromIdeal = !(measured_->visible() && measured_->boxAt(pos));
    const bool slots = timeBase() == TimeBase::Slots;
    const bool chunked = storeOf(fromIdeal)->data().maxChunk() > 0;
    QString text = QStringLiteral("<b>%1 %2</b> %3<br>")
                       .arg(GanttPlottable::badgeText(*b, GanttPlottable::Label::Short, chunked),
                            opName(b->op), fromIdeal ? tr("(ideal)") : QString());
    // Batches count from 1, as in the status bar; microbatches as the labels.
    text += tr("batch %1, stage %2").arg(b->batch + 1).arg(b->stage);
    if (b->stage < laneNames_.size())
        text += QStringLiteral(" &mdash; %1").arg(laneNames_[b->stage].toHtmlEscaped());
    text += QStringLiteral("<br>");
    if (b->microbatch >= 0) text += tr("microbatch %1, ").arg(b->microbatch);
    if (chunked) text += tr("chunk %1, ").arg(b->chunk);
    text += b->op == Op::U ? tr("produces weight version v%1").arg(b->version)
                           : tr("reads weight version v%1").arg(b->version);
    if (b->staleness > 0)
        text += tr(" (%n version(s) behind the stage's newest)", "", b->staleness);
    text += QStringLiteral("<br>") + tr("slot t%1").arg(b->slot0);
    if (!slots || !fromIdeal) {
        const QString unit = fromIdeal ? unitOf(TimeBase::Ideal) : unitOf(TimeBase::Measured);
        text += QStringLiteral(", ") + tr("start %1 %3, duration %2 %3")
                                           .arg(b->start, 0, 'f', 3)
                                           .arg(b->duration(), 0, 'f', 3)
                                           .arg(unit);
    }
    if (b->mismatch)
        text += QStringLiteral("<br><b>") +
                tr("version mismatch: backward ran on newer weights than its forward") +
                QStringLiteral("</b>");
    text +=
        QStringLiteral("<br><i>") + tr("click to follow this microbatch") + QStringLiteral("</i>");
    return text;
}

QString TimelineView::idleTextAt(const QPoint& pos) const {
    const bool ideal = mode_ == Mode::Ideal;
    const GanttPlottable* p = ideal ? ideal_ : (measured_->data().empty() ? ghost_ : measured_);
    if (!p->visible() && p != ghost_) return {};
    const double t = xAxis->pixelToCoord(pos.x());
    const double v = yAxis->pixelToCoord(pos.y());
    const int lane = static_cast<int>(std::lround(v));
    const TimelineData& d = p->data();
    if (lane < 0 || lane >= d.lanes()) return {};
    const auto span = p->laneSpan(lane);
    if (v < span.first || v > span.second || t < 0.0) return {};
    const TimeBase base = p->timeBase();
    const auto& boxes = d.lane(lane);
    const Reveal& r = p->reveal();
    // The revealed boxes around t: the last ending before it, the first after.
    std::size_t next = d.firstEndingAfter(lane, t, base);
    const std::size_t shown = p == ghost_ ? boxes.size() : d.revealedCount(lane, r.slot);
    if (next < shown && boxes[next].x0(base) <= t) return {};  // over a box
    const double from = next > 0 && next - 1 < shown ? boxes[next - 1].x1(base) : 0.0;
    const double end = std::min(d.endOn(base), r.clip);
    if (t > end) return {};
    const double to = next < shown ? std::min(boxes[next].x0(base), end) : end;
    const QString unit = unitOf(base);
    const int prec = base == TimeBase::Slots ? 0 : 3;
    QString text = QStringLiteral("<b>%1</b><br>").arg(tr("Idle: a bubble"));
    text += tr("stage %1 waits %2 %3 (from %4 to %5)")
                .arg(lane)
                .arg(to - from, 0, 'f', prec)
                .arg(unit)
                .arg(from, 0, 'f', prec)
                .arg(to, 0, 'f', prec);
    if (next < shown)
        text += QStringLiteral("<br>") +
                tr("until %1")
                    .arg(GanttPlottable::badgeText(boxes[next], GanttPlottable::Label::Short,
                                                   d.maxChunk() > 0));
    return text;
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
