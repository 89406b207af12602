// Animated exports of the run on screen: the cursor walks the run slot by
// slot and each step is one frame, drawn like the still timeline export
// (title, legend, time base) at the animation's own size, with the cursor
// line and, optionally, a caption: what each stage ran in the slot (the
// explain panel's caption) and the weight versions each stage holds. In the
// measured base a frame is a moment of measured time instead (every N ms):
// the boxes stand at their measured times, cut at the cursor, and the
// caption says the time and what each stage is running then.
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
#include "engine/schedule/stagestate.h"
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
    // Slots: a frame per slot. Measured: a frame per `everyMs` of measured
    // time (a run with measured times only); 0: about one frame per slot.
    AnimBase base = AnimBase::Slots;
    double everyMs = 0.0;
    static constexpr int kHoldLastMs = 2000;
};

// How the frames look: the window's (or headless export's) time base,
// colouring and title.
struct AnimationLook {
    TimelineView::Mode mode = TimelineView::Mode::Slots;
    GanttPlottable::ColorMode colors = GanttPlottable::ColorMode::ByOp;
    QString title;
    // The title in the measured base, when it differs (the window's names
    // its time base); empty: `title`. A note of the frame step is added.
    QString measuredTitle;
};

// What an animation walks: slots first..last and, in the measured base,
// `count` moments t0 + everyMs, t0 + 2 everyMs, ..., t1 (ms).
struct AnimationPlan {
    int first = 0, last = 0;
    int count = 0;
    double t0 = 0.0, t1 = 0.0, everyMs = 0.0;
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

    // Whether `settings` can be exported from `model`; false with one line in
    // `problem` (slots outside the run, limits, a run still going, not enough
    // memory). `first`/`last` receive the slot range. `availableBytes`: the
    // memory to fit in (0: what the system has available).
    static bool check(const RunModel& model, const AnimationSettings& settings,
                      QString* problem = nullptr, int* first = nullptr, int* last = nullptr,
                      std::uint64_t availableBytes = 0);
    // The same, with the whole plan (frame count, measured times).
    static bool plan(const RunModel& model, const AnimationSettings& settings, AnimationPlan* plan,
                     QString* problem = nullptr, std::uint64_t availableBytes = 0);
    // Whether the measured base can be chosen: a run recorded by the engine
    // (live or opened), not a simulated schedule.
    static bool hasMeasuredTimes(const RunModel& model);

    int count() const { return plan_.count; }
    QSize size() const { return size_; }
    int slotOf(int frame) const { return plan_.first + frame; }
    // Measured base: the time of frame `i` (ms of measured time); the step.
    double timeOf(int frame) const;
    double everyMs() const { return plan_.everyMs; }
    AnimBase base() const { return settings_.base; }
    // Frame `i`: the run up to and including slot first + i, the cursor
    // after it; measured: the run up to timeOf(i), the cursor there.
    QImage render(int i);
    // The caption's plain text for frame `i` (empty without a caption).
    QString captionText(int i);
    // Where the cursor line stands in frame `i`, in pixels from the left.
    double cursorPixel(int i);
    // The shown time for frame `i` in milliseconds (the last one held longer).
    int durationMs(int i) const;

private:
    QString captionHtml(int i);  // frame i's; slots: at the model's cursor
    QString measuredCaptionHtml(double t);
    void moveTo(int i);

    RunModel& model_;
    AnimationSettings settings_;
    QSignalBlocker blocker_;
    int savedCursor_ = 0, savedRequested_ = 0;
    AnimationPlan plan_;
    std::unique_ptr<TimelineView> view_;
    QSize size_;
    int plotHeight_ = 0, captionHeight_ = 0, margin_ = 0;
    QFont captionFont_;
    // The measured caption's versions, folded in as the frames go forward.
    std::vector<StageWalker> walkers_;
    double walkedTo_ = 0.0;
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
