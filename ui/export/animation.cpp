#include "ui/export/animation.h"

#include <QFile>
#include <QTextDocument>
#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include "engine/base/safefile.h"
#include "engine/config/resources.h"
#include "ui/export/animencoder.h"
#include "ui/export/exporter.h"
#include "ui/model/runmodel.h"
#include "ui/panels/explain.h"

namespace pd {

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

int plotHeightFor(int width) {
    return std::max(48, static_cast<int>(std::lround(width * 0.375)));
}

// At most this much room under the timeline for the caption (an upper
// bound for the memory check; the real caption is measured).
int captionBoundFor(int width) {
    return plotHeightFor(width) / 2;
}

// The end of the last action before `slot` on any lane: where the measured
// cursor stands when slots 0..slot-1 have run (ms of measured time).
double measuredEndBefore(const TimelineData& d, int slot) {
    double x = 0.0;
    for (int s = 0; s < d.lanes(); ++s) {
        const std::size_t n = d.revealedCount(s, slot);
        if (n > 0) x = std::max(x, d.lane(s)[n - 1].end);
    }
    return x;
}

// A step that reads well in a caption: 1, 2 or 5 times a power of ten,
// the nearest to `ms` (up: the smallest at least `ms`).
double roundStep(double ms, bool up) {
    ms = std::max(ms, 0.001);
    const double power = std::pow(10.0, std::floor(std::log10(ms)));
    double best = 10.0 * power;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        const double step = m * power;
        if (up) {
            if (step >= ms * (1.0 - 1e-12)) return step;
        } else if (std::abs(std::log(step / ms)) < std::abs(std::log(best / ms))) {
            best = step;
        }
    }
    return best;
}

// Milliseconds with as many decimals as `step` needs ("40", "2.5").
QString msText(double ms, double step) {
    int decimals = 0;
    for (double scaled = step;
         decimals < 3 && std::abs(scaled - std::round(scaled)) > 1e-6 * scaled; scaled *= 10.0)
        ++decimals;
    return QString::number(ms, 'f', decimals);
}

}  // namespace

bool AnimationFrames::hasMeasuredTimes(const RunModel& model) {
    return model.measured() && !model.measuredBoxes().empty();
}

bool AnimationFrames::check(const RunModel& model, const AnimationSettings& s, QString* problem,
                            int* first, int* last, std::uint64_t availableBytes) {
    AnimationPlan p;
    if (!plan(model, s, &p, problem, availableBytes)) return false;
    if (first) *first = p.first;
    if (last) *last = p.last;
    return true;
}

namespace {

// False, with `why` in `problem` (when asked for).
bool refuse(QString* problem, const QString& why) {
    if (problem) *problem = why;
    return false;
}

}  // namespace

// The measured base's moments over slots p.first..p.last; false and why not.
static bool planMeasured(const RunModel& model, const AnimationSettings& s, AnimationPlan& p,
                         QString* problem) {
    if (!AnimationFrames::hasMeasuredTimes(model))
        return refuse(
            problem,
            AnimationFrames::tr("this run has no measured times (%1): animate it in the slots base")
                .arg(model.source() == RunModel::Source::Simulated
                         ? AnimationFrames::tr("a simulated run")
                         : AnimationFrames::tr("a schedule")));
    if (!(s.everyMs >= 0.0) || !std::isfinite(s.everyMs))
        return refuse(
            problem,
            AnimationFrames::tr("a frame every %1 ms: choose a time above 0").arg(s.everyMs));
    const TimelineData& d = model.measuredBoxes();
    p.t0 = measuredEndBefore(d, p.first);
    p.t1 = measuredEndBefore(d, p.last + 1);
    if (!(p.t1 > p.t0))
        return refuse(
            problem,
            AnimationFrames::tr("slots t%1 to t%2 take no measured time").arg(p.first).arg(p.last));
    const double span = p.t1 - p.t0;
    p.everyMs = s.everyMs > 0.0 ? s.everyMs : roundStep(span / (p.last - p.first + 1), false);
    const double frames = std::max(1.0, std::ceil(span / p.everyMs - 1e-9));
    if (frames > kAnimMaxFrames)
        return refuse(
            problem,
            AnimationFrames::tr(
                "a frame every %1 ms over %2 ms of measured time makes %3 frames, more than an "
                "animation may have (%4): choose a frame every %5 ms or more")
                .arg(msText(p.everyMs, p.everyMs), QString::number(span, 'f', 1))
                .arg(static_cast<double>(frames), 0, 'f', 0)
                .arg(kAnimMaxFrames)
                .arg(msText(roundStep(span / kAnimMaxFrames, true),
                            roundStep(span / kAnimMaxFrames, true))));
    p.count = static_cast<int>(frames);
    return true;
}

bool AnimationFrames::plan(const RunModel& model, const AnimationSettings& s, AnimationPlan* out,
                           QString* problem, std::uint64_t availableBytes) {
    if (s.width < kAnimMinWidth || s.width > kAnimMaxWidth)
        return refuse(problem, tr("animation width %1 px is out of range (%2 to %3)")
                                   .arg(s.width)
                                   .arg(kAnimMinWidth)
                                   .arg(kAnimMaxWidth));
    if (s.fps < kAnimMinFps || s.fps > kAnimMaxFps)
        return refuse(problem, tr("%1 frames per second is out of range (%2 to %3)")
                                   .arg(s.fps)
                                   .arg(kAnimMinFps)
                                   .arg(kAnimMaxFps));
    if (!model.hasRun()) return refuse(problem, tr("there is no run to animate"));
    const bool running = (model.source() == RunModel::Source::Live ||
                          model.source() == RunModel::Source::Simulated) &&
                         !model.finished() && model.error().isEmpty();
    if (running)
        return refuse(problem,
                      tr("the run is still going: export the animation once it has ended"));
    const int shown = model.frontier();  // slots 0..shown-1 have run
    if (shown < 1)
        return refuse(problem, tr("no slot of this run has run yet: there is nothing to animate"));
    const int a = s.from < 0 ? 0 : s.from;
    const int b = s.to < 0 ? shown - 1 : s.to;
    if (a >= shown)
        return refuse(problem,
                      tr("first slot t%1 is outside the run (t0 to t%2)").arg(a).arg(shown - 1));
    if (b >= shown)
        return refuse(problem,
                      tr("last slot t%1 is outside the run (t0 to t%2)").arg(b).arg(shown - 1));
    if (b < a)
        return refuse(problem, tr("last slot t%1 comes before the first, t%2").arg(b).arg(a));
    AnimationPlan p;
    p.first = a;
    p.last = b;
    const bool measured = s.base == AnimBase::Measured;
    if (measured) {
        if (!planMeasured(model, s, p, problem)) return false;
    } else if (static_cast<long long>(b) - a + 1 > kAnimMaxFrames) {
        return refuse(
            problem, tr("%1 frames (t%2 to t%3) are more than an animation may have (%4): choose a "
                        "shorter slot range")
                         .arg(static_cast<long long>(b) - a + 1)
                         .arg(a)
                         .arg(b)
                         .arg(kAnimMaxFrames));
    } else {
        p.count = b - a + 1;
    }
    // Worst case: every frame stored whole at a byte per pixel, plus the
    // encoder's full frames (ARGB) it compares and keeps.
    const std::uint64_t pixels =
        static_cast<std::uint64_t>(s.width) *
        (plotHeightFor(s.width) + (s.caption ? captionBoundFor(s.width) : 0));
    const std::uint64_t need = static_cast<std::uint64_t>(p.count) * pixels + 16 * pixels * 4;
    const auto available =
        availableBytes > 0 ? std::optional<std::uint64_t>(availableBytes) : availableMemoryBytes();
    if (available && need > *available)
        return refuse(
            problem,
            tr("%1 frames of %2 px wide may need up to %3 of memory, but only %4 is available: "
               "choose %5 or a smaller width")
                .arg(p.count)
                .arg(s.width)
                .arg(QString::fromStdString(formatBytes(need)),
                     QString::fromStdString(formatBytes(*available)),
                     measured ? tr("a longer step between frames") : tr("fewer slots")));
    if (out) *out = p;
    return true;
}

AnimationFrames::AnimationFrames(RunModel& model, const AnimationLook& look,
                                 const AnimationSettings& settings)
    : model_(model),
      settings_(settings),
      blocker_(&model),
      savedCursor_(model.cursor()),
      savedRequested_(model.requestedCursor()) {
    plan(model, settings, &plan_);
    model_.setPlaying(false);
    const bool measured = settings.base == AnimBase::Measured;
    const int width = settings.width;
    plotHeight_ = plotHeightFor(width);
    margin_ = std::max(4, width / 80);

    view_ = std::make_unique<TimelineView>();
    view_->setSources(&model.measuredBoxes(), &model.idealBoxes());
    view_->setLanes(model.laneLabels());
    // A schedule with no recorded event (simulated, no engine) is drawn on
    // its own time base: on Slots and Measured only its outline would show.
    // The measured base draws the boxes at their measured times.
    view_->setMode(measured                        ? TimelineView::Mode::Measured
                   : model.measuredBoxes().empty() ? TimelineView::Mode::Ideal
                                                   : look.mode);
    view_->setColorMode(look.colors);
    if (measured)
        view_->setTitle((look.measuredTitle.isEmpty() ? look.title : look.measuredTitle) +
                        tr(" \u2014 a frame every %1 ms of measured time")
                            .arg(msText(plan_.everyMs, plan_.everyMs)));
    else
        view_->setTitle(look.title);
    // Wide frames (a 4K slide) get the presentation mode's larger text, so
    // that labels are not lost; the caption takes the view's text size.
    view_->setPresentation(width >= 2400);
    view_->wrapTitle(width);
    view_->resize(width, plotHeight_);
    // One range for every frame: the walked slots, a little room either side
    // (the cursor never reaches the edge, so the view does not page).
    const TimeBase base = view_->timeBase();
    model_.setCursor(plan_.first);
    const double lo = measured ? plan_.t0 : model_.cursorX(base);
    model_.setCursor(plan_.last + 1);
    const double hi = measured ? plan_.t1 : model_.cursorX(base);
    view_->setFollow(false);
    if (hi > lo) {
        const double pad = 0.025 * (hi - lo);
        view_->xAxis->setRange(lo - pad, hi + pad);
    } else {
        view_->fit();
    }

    // The caption's height: the tallest of every frame's, so all frames
    // are one size.
    captionFont_ = view_->font();
    captionFont_.setPointSizeF(captionFont_.pointSizeF() * 1.1);
    if (settings.caption) {
        QTextDocument doc;
        doc.setDefaultFont(captionFont_);
        doc.setDocumentMargin(0);
        doc.setTextWidth(width - 2 * margin_);
        double tallest = 0.0;
        for (int i = 0; i < count(); ++i) {
            moveTo(i);
            doc.setHtml(captionHtml(i));
            tallest = std::max(tallest, doc.size().height());
        }
        captionHeight_ = static_cast<int>(std::ceil(tallest)) + margin_;
    }
    size_ = QSize(width, plotHeight_ + captionHeight_);
}

AnimationFrames::~AnimationFrames() {
    // Back where the window had it; the blocker (a member) still holds the
    // signals, so nothing on screen moved.
    model_.setCursor(savedCursor_);
    if (savedRequested_ != savedCursor_) model_.requestCursor(savedRequested_);
}

void AnimationFrames::moveTo(int i) {
    // The measured base keeps the model's cursor: a frame's time is its own.
    if (settings_.base == AnimBase::Slots)
        model_.setCursor(slotOf(i) + 1);  // the slot shown, the cursor after it
}

double AnimationFrames::timeOf(int i) const {
    return std::min(plan_.t0 + (i + 1) * plan_.everyMs, plan_.t1);
}

namespace {

QString versionsHtml(const std::vector<StageSnapshot>& state) {
    QStringList stages;
    for (std::size_t s = 0; s < state.size(); ++s) {
        QString text = AnimationFrames::tr("stage %1: v%2").arg(s).arg(state[s].newest);
        if (!state[s].stashed.empty()) {
            QStringList old;
            for (int v : state[s].stashed) old << QStringLiteral("v%1").arg(v);
            text += AnimationFrames::tr(" (stashed %1)").arg(old.join(QStringLiteral(", ")));
        }
        stages << text;
    }
    return AnimationFrames::tr("Weight versions: %1").arg(stages.join(QStringLiteral("; ")));
}

}  // namespace

QString AnimationFrames::captionHtml(int i) {
    if (settings_.base == AnimBase::Measured) return measuredCaptionHtml(timeOf(i));
    return cursorCaption(model_) + QStringLiteral("<br>") + versionsHtml(model_.stateAtCursor());
}

// What each stage is running at `t` (ms of measured time) and the versions
// it holds once the actions ended by then ran.
QString AnimationFrames::measuredCaptionHtml(double t) {
    const TimelineData& d = model_.measuredBoxes();
    const bool chunked = model_.idealBoxes().maxChunk() > 0;
    if (t < walkedTo_ || walkers_.size() != static_cast<std::size_t>(d.lanes()))
        walkers_.assign(static_cast<std::size_t>(d.lanes()), StageWalker{});
    walkedTo_ = t;
    QStringList parts;
    std::vector<StageSnapshot> state;
    for (int s = 0; s < d.lanes(); ++s) {
        const auto& lane = d.lane(s);
        StageWalker& w = walkers_[static_cast<std::size_t>(s)];
        for (std::size_t k = w.count(); k < lane.size() && lane[k].end <= t; ++k) w.add(lane[k]);
        state.push_back(w.snapshot());
        const TimelineBox* b = d.boxAt(s, t, TimeBase::Measured);
        QString what = tr("idle (bubble)");
        if (b && b->end > t)
            what =
                b->op == Op::U
                    ? tr("U &rarr; v%1").arg(b->version)
                    : QStringLiteral("%1 (v%2)")
                          .arg(GanttPlottable::badgeText(*b, GanttPlottable::Label::Short, chunked),
                               QString::number(b->version));
        parts << tr("stage %1: %2").arg(s).arg(what);
    }
    return tr("<b>%1 ms</b> of measured time: %2")
               .arg(msText(t, plan_.everyMs), parts.join(QStringLiteral("; "))) +
           QStringLiteral("<br>") + versionsHtml(state);
}

QString AnimationFrames::captionText(int i) {
    if (!settings_.caption) return {};
    moveTo(i);
    QTextDocument doc;
    doc.setHtml(captionHtml(i));
    return doc.toPlainText();
}

QImage AnimationFrames::render(int i) {
    moveTo(i);
    if (settings_.base == AnimBase::Measured)  // every box that started by then, cut there
        view_->setCursor(std::numeric_limits<int>::max() - 1, timeOf(i));
    else
        view_->setCursor(model_.cursor(), model_.cursorX(view_->timeBase()));
    QImage image(size_, QImage::Format_RGB32);
    image.fill(Qt::white);
    QCPPainter painter(&image);
    view_->toPainter(&painter, size_.width(), plotHeight_);
    if (settings_.caption) {
        QTextDocument doc;
        doc.setDefaultFont(captionFont_);
        doc.setDocumentMargin(0);
        doc.setTextWidth(size_.width() - 2 * margin_);
        doc.setHtml(captionHtml(i));
        painter.translate(margin_, plotHeight_);
        doc.drawContents(&painter);
    }
    painter.end();
    return image;
}

double AnimationFrames::cursorPixel(int i) {
    render(i);
    return view_->xAxis->coordToPixel(view_->playhead());
}

int AnimationFrames::durationMs(int i) const {
    const int frame = static_cast<int>(std::lround(1000.0 / settings_.fps));
    return i == count() - 1 && settings_.holdLast ? frame + AnimationSettings::kHoldLastMs : frame;
}

bool exportAnimation(RunModel& model, const AnimationLook& look, const QString& path,
                     const AnimationSettings& settings,
                     const std::function<bool(int, int)>& progress, QString* error,
                     AnimationResult* result) {
    QString problem;
    if (!AnimationFrames::check(model, settings, &problem)) return fail(error, problem);
    const AnimFormat format = animFormatFromSuffix(path);
    if (format == AnimFormat::Unknown)
        return fail(error,
                    QObject::tr("%1: unknown animation format (use .gif or .webp)").arg(path));
    try {
        checkWritable(QFile::encodeName(path).toStdString());
    } catch (const Error& e) {
        return fail(error, QString::fromUtf8(e.what()));
    }
    try {
        AnimationFrames frames(model, look, settings);
        std::unique_ptr<AnimEncoder> encoder = AnimEncoder::create(format, frames.size(), error);
        if (!encoder) return false;
        for (int i = 0; i < frames.count(); ++i) {
            if (!encoder->add(frames.render(i), frames.durationMs(i), error)) return false;
            if (progress && !progress(i + 1, frames.count()))
                return fail(error, QObject::tr("export cancelled: %1 not written").arg(path));
        }
        QByteArray bytes;
        if (!encoder->finish(&bytes, error)) return false;
        if (!writeFileSafely(path, bytes, error)) return false;
        if (result) {
            result->frames = frames.count();
            result->stored = encoder->frames();
            result->size = frames.size();
            result->bytes = bytes.size();
        }
        return true;
    } catch (const std::bad_alloc&) {
        return fail(error, QObject::tr("out of memory while encoding the animation"));
    }
}

}  // namespace pd
