#include "ui/panels/explain.h"

#include <QObject>
#include <algorithm>

#include "ui/model/runmodel.h"
#include "ui/views/charts.h"
#include "ui/views/timelineplot.h"

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
                "Interleaved 1F1B (PyTorch ScheduleInterleaved1F1B, current Megatron-LM): each "
                "stage holds V model chunks (virtual stages), chunk c of stage s being model part "
                "c*S+s, so a microbatch visits every stage V times. Microbatches go in rounds "
                "of M / max(1, M/S); warm-up, then one forward and one backward, depth first. "
                "The fill and drain are V times shorter; the price is more communication.",
                "Stage s warms up with (V-1) rounds plus 2(S-1-s) forwards, so it holds that "
                "many microbatch-chunks plus one (stage 0 about S + (S-1)/V microbatches).",
                "Shorter boxes (one chunk each), labelled with their chunk; the idle corners are "
                "smaller than 1F1B's for the same S and M."};
        case ScheduleKind::ZeroBubbleH1:
            return {
                "Zero Bubble H1: the backward is split into I (gradient for the input, needed by "
                "the previous stage) and W (gradient for the weights, needed only by the "
                "update). W can wait: stage s delays each W by s steps (the paper's ZB-H1, "
                "PyTorch's zero-bubble order), which fills most of 1F1B's bubble; flush at the "
                "end of the batch.",
                "A microbatch holds memory from F until its W. Every stage holds at most "
                "min(M, S) microbatches: stage 0 as much as in 1F1B, later stages more.",
                "Green W boxes slotted into what would be idle time in 1F1B."};
        case ScheduleKind::ZeroBubbleH2:
            return {
                "Zero Bubble H2: like H1 with I and W split, but stage s runs 2(S-s)-1 warm-up "
                "forwards, exactly enough to fill the time until the first input gradient "
                "comes back, and defers W passes to every gap and to the tail. With M >= 2S-1 "
                "the pipeline becomes a parallelogram: no stage idles between its first and "
                "last op.",
                "Up to 2S-1 microbatches waiting for their W on every stage: the paper's "
                "(2p-1) M_B, about twice 1F1B's peak.",
                "The long warm-up run of forwards on stage 0 and the W passes collected at the "
                "end of each stage; compare the memory chart with zb-h1."};
        case ScheduleKind::ZeroBubbleV:
            return {
                "ZB-V (PyTorch ScheduleZBVZeroBubble, the zero-bubble paper's ZB-V): two chunks "
                "per stage placed in a V. Stage s holds model parts s and 2S-1-s, so a "
                "microbatch goes down the stages and back up, and the loss is computed on stage "
                "0. Backward split into I and W; W passes fill the bubbles.",
                "About 2S microbatch-chunks per stage (S whole microbatches, as 1F1B's stage "
                "0), counted from F until W.",
                "Chunk 1 boxes running up the stages in reverse order; the last stage turns "
                "each microbatch around without sending it anywhere."};
        case ScheduleKind::LoopedBFS:
            return {
                "Looped BFS (PyTorch ScheduleLoopedBFS, breadth-first pipeline parallelism): "
                "V chunks per stage as in interleaved, but a stage runs every microbatch "
                "through its first chunk, then through the next, and so on; backwards go "
                "chunk by chunk in reverse. Fill-drain like GPipe, V times shorter.",
                "Every stage holds all M x V microbatch-chunks before its first backward, "
                "like GPipe.",
                "A forward triangle per chunk, then backward triangles; compare the memory "
                "chart with interleaved."};
        case ScheduleKind::InterleavedZeroBubble:
            return {
                "Interleaved Zero Bubble (PyTorch ScheduleInterleavedZeroBubble, the paper's "
                "ZB1P): interleaved chunks with the backward split into I and W. Stage s "
                "warms up with (V-1) rounds plus S-1-s forwards and delays each W by s steps.",
                "(V-1) rounds plus S microbatch-chunks per stage, counted from F until W.",
                "Short chunk boxes and green W boxes filling the corners that interleaved "
                "leaves idle."};
        case ScheduleKind::DualPipeV:
            return {
                "DualPipeV (PyTorch ScheduleDualPipeV, the V-shaped DualPipe of DeepSeek-V3): "
                "parts placed in a V as in ZB-V. In the steady phase a forward of one chunk and "
                "a full backward of the other are issued as one overlapped pair; on one CPU "
                "core per stage the pair runs back to back, so the timeline shows the F box "
                "directly followed by its B box. The tail splits backwards into I and W.",
                "About 2S+1 microbatch-chunks per stage, counted from F until the weight "
                "gradient is made.",
                "F and B boxes in pairs in the middle of the batch; I and W only at the ends."};
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
    html += QObject::tr("simulated %1 (%2, utilization %3).")
                .arg(QString::fromStdString(percent(run.analysis.bubbleFraction)),
                     countText(c.batches, QObject::tr("batch"), QObject::tr("batches")),
                     QString::fromStdString(percent(run.analysis.meanUtilization)));
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
        return QObject::tr(
            "<b>t0</b>, before the first slot. <b>Space</b> plays the run, "
            "<b>&rarr;</b> steps one slot, <b>Shift+&rarr;</b> one batch, "
            "<b>&larr;</b> steps back.");
    const TimelineData& boxes = m.measuredBoxes().empty() ? m.idealBoxes() : m.measuredBoxes();
    // Named as the timeline's badges name them ("W7.1": chunk 1 of a chunked kind).
    const bool chunked = m.idealBoxes().maxChunk() > 0;
    QStringList parts;
    for (int s = 0; s < boxes.lanes(); ++s) {
        const TimelineBox* b = boxes.boxAt(s, c - 0.5, TimeBase::Slots);
        QString what = QObject::tr("idle (bubble)");
        if (b && b->gate < c)
            what =
                b->op == Op::U
                    ? QObject::tr("U &rarr; v%1").arg(b->version)
                    : QStringLiteral("%1 (v%2)")
                          .arg(GanttPlottable::badgeText(*b, GanttPlottable::Label::Short, chunked),
                               QString::number(b->version));
        parts << QObject::tr("stage %1: %2").arg(s).arg(what);
    }
    return QObject::tr("Slot <b>t%1</b>, the last one before the cursor: %2")
        .arg(c - 1)
        .arg(parts.join(QStringLiteral("; ")));
}

}  // namespace pd
