// The boxes of a run as one QCustomPlot plottable: lane bands, colour keys
// (by op, version or staleness; dimmed, faded, ghost), the draw that culls
// to the visible range and merges sub-pixel boxes, badges and the arrows of
// the selected microbatch's hand-offs.
#include "ui/views/ganttplottable.h"

#include <cmath>

#include "ui/views/palette.h"

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

}  // namespace pd
