#include "ui/export/animation.h"

#include <QFile>
#include <QTextDocument>
#include <algorithm>
#include <cmath>
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

}  // namespace

QString AnimationFrames::check(const RunModel& model, const AnimationSettings& s, int* first,
                               int* last, std::uint64_t availableBytes) {
    if (s.width < kAnimMinWidth || s.width > kAnimMaxWidth)
        return tr("animation width %1 px is out of range (%2 to %3)")
            .arg(s.width)
            .arg(kAnimMinWidth)
            .arg(kAnimMaxWidth);
    if (s.fps < kAnimMinFps || s.fps > kAnimMaxFps)
        return tr("%1 frames per second is out of range (%2 to %3)")
            .arg(s.fps)
            .arg(kAnimMinFps)
            .arg(kAnimMaxFps);
    if (!model.hasRun()) return tr("there is no run to animate");
    const bool running = (model.source() == RunModel::Source::Live ||
                          model.source() == RunModel::Source::Simulated) &&
                         !model.finished() && model.error().isEmpty();
    if (running) return tr("the run is still going: export the animation once it has ended");
    const int shown = model.frontier();  // slots 0..shown-1 have run
    if (shown < 1) return tr("no slot of this run has run yet: there is nothing to animate");
    const int a = s.from < 0 ? 0 : s.from;
    const int b = s.to < 0 ? shown - 1 : s.to;
    if (a >= shown)
        return tr("first slot t%1 is outside the run (t0 to t%2)").arg(a).arg(shown - 1);
    if (b >= shown) return tr("last slot t%1 is outside the run (t0 to t%2)").arg(b).arg(shown - 1);
    if (b < a) return tr("last slot t%1 comes before the first, t%2").arg(b).arg(a);
    const long long frames = static_cast<long long>(b) - a + 1;
    if (frames > kAnimMaxFrames)
        return tr("%1 frames (t%2 to t%3) are more than an animation may have (%4): choose a "
                  "shorter slot range")
            .arg(frames)
            .arg(a)
            .arg(b)
            .arg(kAnimMaxFrames);
    // Worst case: every frame stored whole at a byte per pixel, plus the
    // encoder's full frames (ARGB) it compares and keeps.
    const std::uint64_t pixels =
        static_cast<std::uint64_t>(s.width) *
        (plotHeightFor(s.width) + (s.caption ? captionBoundFor(s.width) : 0));
    const std::uint64_t need = static_cast<std::uint64_t>(frames) * pixels + 16 * pixels * 4;
    const auto available =
        availableBytes > 0 ? std::optional<std::uint64_t>(availableBytes) : availableMemoryBytes();
    if (available && need > *available)
        return tr("%1 frames of %2 px wide may need up to %3 of memory, but only %4 is available: "
                  "choose fewer slots or a smaller width")
            .arg(frames)
            .arg(s.width)
            .arg(QString::fromStdString(formatBytes(need)),
                 QString::fromStdString(formatBytes(*available)));
    if (first) *first = a;
    if (last) *last = b;
    return {};
}

AnimationFrames::AnimationFrames(RunModel& model, const AnimationLook& look,
                                 const AnimationSettings& settings)
    : model_(model),
      settings_(settings),
      blocker_(&model),
      savedCursor_(model.cursor()),
      savedRequested_(model.requestedCursor()) {
    check(model, settings, &first_, &last_);
    model_.setPlaying(false);
    const int width = settings.width;
    plotHeight_ = plotHeightFor(width);
    margin_ = std::max(4, width / 80);

    view_ = std::make_unique<TimelineView>();
    view_->setSources(&model.measuredBoxes(), &model.idealBoxes());
    view_->setLanes(model.laneLabels());
    // A schedule with no recorded event (simulated, no engine) is drawn on
    // its own time base: on Slots and Measured only its outline would show.
    view_->setMode(model.measuredBoxes().empty() ? TimelineView::Mode::Ideal : look.mode);
    view_->setColorMode(look.colors);
    view_->setTitle(look.title);
    // Wide frames (a 4K slide) get the presentation mode's larger text, so
    // that labels are not lost; the caption takes the view's text size.
    view_->setPresentation(width >= 2400);
    view_->wrapTitle(width);
    view_->resize(width, plotHeight_);
    // One range for every frame: the walked slots, a little room either side
    // (the cursor never reaches the edge, so the view does not page).
    const TimeBase base = view_->timeBase();
    model_.setCursor(first_);
    const double lo = model_.cursorX(base);
    model_.setCursor(last_ + 1);
    const double hi = model_.cursorX(base);
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
            doc.setHtml(captionHtml());
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
    model_.setCursor(slotOf(i) + 1);  // the slot shown, the cursor after it
}

QString AnimationFrames::captionHtml() {
    QStringList stages;
    const std::vector<StageSnapshot> state = model_.stateAtCursor();
    for (std::size_t s = 0; s < state.size(); ++s) {
        QString text = tr("stage %1: v%2").arg(s).arg(state[s].newest);
        if (!state[s].stashed.empty()) {
            QStringList old;
            for (int v : state[s].stashed) old << QStringLiteral("v%1").arg(v);
            text += tr(" (stashed %1)").arg(old.join(QStringLiteral(", ")));
        }
        stages << text;
    }
    return cursorCaption(model_) + QStringLiteral("<br>") +
           tr("Weight versions: %1").arg(stages.join(QStringLiteral("; ")));
}

QString AnimationFrames::captionText(int i) {
    if (!settings_.caption) return {};
    moveTo(i);
    QTextDocument doc;
    doc.setHtml(captionHtml());
    return doc.toPlainText();
}

QImage AnimationFrames::render(int i) {
    moveTo(i);
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
        doc.setHtml(captionHtml());
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
    const QString problem = AnimationFrames::check(model, settings);
    if (!problem.isEmpty()) return fail(error, problem);
    const AnimFormat format = animFormatFromSuffix(path);
    if (format == AnimFormat::Unknown)
        return fail(error,
                    QObject::tr("%1: unknown animation format (use .gif or .webp)").arg(path));
    std::string why;
    if (!checkWritable(QFile::encodeName(path).toStdString(), why))
        return fail(error, QString::fromStdString(printable(why, 4096)));
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
