// Animated exports of the run on screen: the cursor walks the run slot by
// slot and each step is one frame, drawn like the still timeline export
// (title, legend, time base) at the animation's own size, with the cursor
// line and, optionally, a caption: what each stage ran in the slot (the
// explain panel's caption) and the weight versions each stage holds.
// Frames go to an AnimEncoder (GIF or WebP); the file is written atomically
// once every frame is encoded, so a cancelled or failed export leaves no file.
#pragma once

#include <QCoreApplication>
#include <QImage>
#include <QSignalBlocker>
#include <QSize>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <memory>

#include "engine/config/options.h"
#include "ui/views/timelineplot.h"

namespace pd {

class RunModel;

// Limits (kAnimMinWidth ... kAnimMaxFrames): options.h, shared with the
// command line.

struct AnimationSettings {
    int width = 1280;      // pixels; the height follows (timeline + caption)
    int fps = 3;           // frames (slots) per second
    int from = -1;         // first slot shown as a frame (t-number); -1: t0
    int to = -1;           // last slot; -1: the last slot of the run
    bool holdLast = true;  // the last frame stays kHoldLastMs before the loop restarts
    bool caption = true;   // the slot's explanation and versions under the timeline
    static constexpr int kHoldLastMs = 2000;
};

// How the frames look: the window's (or headless export's) time base,
// colouring and title.
struct AnimationLook {
    TimelineView::Mode mode = TimelineView::Mode::Slots;
    GanttPlottable::ColorMode colors = GanttPlottable::ColorMode::ByOp;
    QString title;
};

// The frames of one animation: the model's cursor is moved to each slot in
// turn with its signals blocked (the window's views do not follow), and put
// back, signals still blocked, when this goes away.
class AnimationFrames {
    Q_DECLARE_TR_FUNCTIONS(AnimationFrames)
public:
    // `settings` must have passed check() against `model`.
    AnimationFrames(RunModel& model, const AnimationLook& look, const AnimationSettings& settings);
    ~AnimationFrames();
    AnimationFrames(const AnimationFrames&) = delete;
    AnimationFrames& operator=(const AnimationFrames&) = delete;

    // Empty when `settings` can be exported from `model`, else one line
    // (slots outside the run, limits, a run still going, not enough memory).
    // `first`/`last` receive the slot range. `availableBytes`: the memory
    // to fit in (0: what the system has available).
    static QString check(const RunModel& model, const AnimationSettings& settings,
                         int* first = nullptr, int* last = nullptr,
                         std::uint64_t availableBytes = 0);

    int count() const { return last_ - first_ + 1; }
    QSize size() const { return size_; }
    int slotOf(int frame) const { return first_ + frame; }
    // Frame `i`: the run up to and including slot first + i, the cursor after it.
    QImage render(int i);
    // The caption's plain text for frame `i` (empty without a caption).
    QString captionText(int i);
    // Where the cursor line stands in frame `i`, in pixels from the left.
    double cursorPixel(int i);
    // The shown time for frame `i` in milliseconds (the last one held longer).
    int durationMs(int i) const;

private:
    QString captionHtml();  // at the model's cursor
    void moveTo(int i);

    RunModel& model_;
    AnimationSettings settings_;
    QSignalBlocker blocker_;
    int savedCursor_ = 0, savedRequested_ = 0;
    int first_ = 0, last_ = 0;
    std::unique_ptr<TimelineView> view_;
    QSize size_;
    int plotHeight_ = 0, captionHeight_ = 0, margin_ = 0;
    QFont captionFont_;
};

struct AnimationResult {
    int frames = 0;    // frames walked
    int stored = 0;    // frames in the file (equal neighbours merged)
    QSize size;        // pixels
    qint64 bytes = 0;  // file size
};

// Renders and encodes the animation and writes it to `path` (format from
// the suffix: .gif or .webp). `progress(done, total)` is called after each
// frame; returning false cancels (false, `error` says so). Nothing is
// written unless every frame was encoded.
bool exportAnimation(RunModel& model, const AnimationLook& look, const QString& path,
                     const AnimationSettings& settings,
                     const std::function<bool(int, int)>& progress, QString* error,
                     AnimationResult* result = nullptr);

}  // namespace pd
