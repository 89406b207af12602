#include "explain.h"

#include <QObject>
#include <algorithm>

#include "runmodel.h"

namespace pd {

namespace {

struct Text {
    const char* what;
    const char* memory;
    const char* look;
};

Text textOf(ScheduleKind kind) {
    switch (kind) {
        case ScheduleKind::Naive:
            return {
                "One microbatch at a time: it runs forward through every stage, then backward "
                "back to the first. Only one stage works at any moment, so with S stages each "
                "is busy at most 1/S of the time.",
                "Each stage keeps the activations of one microbatch and one weight version.",
                "A diagonal staircase: one box per time step, every other lane idle. This is the "
                "25% utilization the tutorial quotes for 4 stages, and it is right."};
        case ScheduleKind::GPipe:
            return {
                "The batch is cut into M microbatches. All M forwards flow through the pipeline, "
                "then all M backwards flow back; after the flush every stage applies one update. "
                "Every microbatch of a batch uses the same weights.",
                "Every stage holds the activations of all M microbatches before the first "
                "backward starts: memory grows with M.",
                "A forward triangle then a backward triangle; the idle corners at both ends are "
                "the bubble. Raise M with the slider: the corners shrink relative to the work. "
                "The tutorial's 75% for S = M = 4 is too high: fill-drain gives M/(M+S-1)."};
        case ScheduleKind::OneFOneB:
            return {
                "1F1B (PipeDream-Flush): after a short warm-up of forwards, each stage alternates "
                "one forward and one backward, then drains and flushes; one update per batch, "
                "all microbatches on the same version. Same bubble as GPipe.",
                "A backward frees activations early, so stage s holds at most min(M, S-s) "
                "microbatches instead of M.",
                "The steady F/B alternation in the middle of each batch, and the same idle "
                "corners as GPipe at every flush. Compare the memory chart with GPipe's."};
        case ScheduleKind::PipeDream:
            return {
                "PipeDream proper: 1F1B that never flushes. Each stage updates its weights after "
                "every backward. A forward uses the newest version and stashes it; the same "
                "microbatch's backward uses that stashed version, so the gradient matches the "
                "weights of its forward. (The tutorial's \"weight versioning\" is really the "
                "synchronous GPipe scheme.)",
                "Stage s keeps up to S-s weight versions (the stash) and S-s microbatches of "
                "activations.",
                "Version badges differ between stages for the same microbatch, and the version "
                "panel shows stashed chips. Turn stashing off: mismatched backwards appear "
                "hatched. The bubble is only the first fill and the last drain."};
        case ScheduleKind::TwoBW:
            return {
                "PipeDream-2BW: 1F1B without flushes; gradients accumulate over M microbatches "
                "and a new version appears every M microbatches. A microbatch uses version k-1 "
                "for forward and backward (one step of delay).",
                "Two weight versions per stage, never more; activations as 1F1B.",
                "Badges change every M microbatches; the version panel never shows more than "
                "one stashed chip."};
        case ScheduleKind::Interleaved:
            return {
                "Interleaved 1F1B: each stage holds V model chunks (virtual stages), so a "
                "microbatch visits every stage V times. The fill and drain are V times "
                "shorter; the price is more communication. Needs M to be a multiple of S.",
                "Stage 0 holds about S + (S-1)/V microbatch-chunks of activations.",
                "Shorter boxes (one chunk each), labelled with their chunk in the tooltip; the "
                "idle corners are smaller than 1F1B's for the same S and M."};
        case ScheduleKind::ZeroBubbleH1:
            return {
                "Zero Bubble H1: the backward is split into I (gradient for the input, needed by "
                "the previous stage) and W (gradient for the weights, needed only by the "
                "update). W can wait, so it fills the bubbles; flush at the end of the batch.",
                "Same activations as 1F1B: min(M, S-s) at stage s.",
                "Green W boxes slotted into what would be idle time in 1F1B."};
    }
    return {"", "", ""};
}

QString joinInts(const std::vector<int>& v) {
    QStringList s;
    for (int x : v) s << QString::number(x);
    return s.join(QStringLiteral(", "));
}

}  // namespace

QString explainHtml(const DryRun& run) {
    const ScheduleConfig& c = run.options.schedule;
    const Text t = textOf(c.kind);
    QString html;
    html +=
        QStringLiteral("<h3>%1</h3>").arg(QString::fromUtf8(displayName(c.kind)).toHtmlEscaped());
    html += QStringLiteral("<p>%1</p>").arg(QObject::tr(t.what));
    html += QStringLiteral("<p><b>%1</b> ").arg(QObject::tr("Bubble"));
    html += QObject::tr("(idle time / (S &times; makespan)), S = %1, M = %2%3: ")
                .arg(c.stages)
                .arg(c.microbatches)
                .arg(c.chunks > 1 ? QStringLiteral(", V = %1").arg(c.chunks) : QString());
    if (!run.closed.bubbleFormula.empty())
        html += QStringLiteral("<code>%1</code>, ")
                    .arg(QString::fromStdString(run.closed.bubbleFormula).toHtmlEscaped());
    html += QObject::tr("simulated %1 (%2 batches, utilization %3).")
                .arg(QString::fromStdString(percent(run.analysis.bubbleFraction)))
                .arg(c.batches)
                .arg(QString::fromStdString(percent(run.analysis.meanUtilization)));
    html += QStringLiteral("</p>");
    html += QStringLiteral("<p><b>%1</b> %2<br>").arg(QObject::tr("Memory"), QObject::tr(t.memory));
    std::vector<int> peak, held;
    for (const StageFigures& f : run.analysis.stages) {
        peak.push_back(f.peakActivations);
        held.push_back(f.versionsHeld);
    }
    html += QObject::tr("Peak activations per stage: %1; weight versions held: %2.")
                .arg(joinInts(peak), joinInts(held));
    html += QStringLiteral("</p>");
    html += QStringLiteral("<p><b>%1</b> %2</p>").arg(QObject::tr("Look at"), QObject::tr(t.look));
    return html;
}

// What runs at slot `cursor - 1` on each stage: the cursor's caption.
QString cursorCaption(const RunModel& m) {
    const int c = m.cursor();
    if (c == 0)
        return QObject::tr("<b>t0</b>, before the first slot. <b>Space</b> plays the run, "
                           "<b>&rarr;</b> steps one slot, <b>Shift+&rarr;</b> one batch, "
                           "<b>&larr;</b> steps back.");
    const TimelineData& boxes = m.measuredBoxes().empty() ? m.idealBoxes() : m.measuredBoxes();
    QStringList parts;
    for (int s = 0; s < boxes.lanes(); ++s) {
        const TimelineBox* b = boxes.boxAt(s, c - 0.5, TimeBase::Slots);
        QString what = QObject::tr("idle (bubble)");
        if (b && b->gate < c)
            what = b->op == Op::U ? QObject::tr("U &rarr; v%1").arg(b->version)
                                  : QStringLiteral("%1%2 (v%3)")
                                        .arg(QLatin1Char(opChar(b->op)))
                                        .arg(b->microbatch)
                                        .arg(b->version);
        parts << QObject::tr("stage %1: %2").arg(s).arg(what);
    }
    return QObject::tr("<b>t%1</b> of %2: %3").arg(c - 1).arg(m.slotCount()).arg(parts.join(QStringLiteral("; ")));
}

}  // namespace pd
