// The timeline tests' fixtures: a run of known boxes, rendering, the pixel
// under a time and lane.
#pragma once

#include <QImage>
#include <QKeyEvent>
#include <QSet>
#include <QtTest>

#include "engine/schedule/simulator.h"
#include "engine/schedule/slotgrid.h"
#include "ui/model/boxfilter.h"
#include "ui/model/timelinedata.h"
#include "ui/views/colourlegend.h"
#include "ui/views/palette.h"
#include "ui/views/timelineplot.h"

namespace pd::timelinetest {

inline TimelineBox box(int stage, double start, double end, Op op, int mb, int version,
                       bool mismatch = false, int slot0 = 0, int slot1 = 0) {
    TimelineBox b;
    b.stage = stage;
    b.start = start;
    b.end = end;
    b.slot0 = slot0;
    b.slot1 = slot1;
    b.gate = slot1 > slot0 ? slot0 : std::max(0, slot0 - 1);
    b.op = op;
    b.microbatch = mb;
    b.version = version;
    b.mismatch = mismatch;
    return b;
}

// Two lanes: lane 0 F mb0 [0,10], idle [10,20], B mb0 [20,40];
// lane 1 F mb1 [10,20] and a narrow U at [40,40.01]. On the slot grid:
// F mb0 slot 0, F mb1 slot 1, B mb0 slots 2-3, U at 4 (belongs to slot 3).
inline void loadKnown(TimelineView& view) {
    view.setLanes({QStringLiteral("GPU0 (L1-4)"), QStringLiteral("GPU1 (L5-8)")});
    auto& d = view.measured()->ownData();
    d.append(box(0, 0, 10, Op::F, 0, 0, false, 0, 1));
    d.append(box(0, 20, 40, Op::B, 0, 0, false, 2, 4));
    d.append(box(1, 10, 20, Op::F, 1, 0, false, 1, 2));
    d.append(box(1, 40, 40.01, Op::U, -1, 1, false, 4, 4));
    view.setMode(TimelineView::Mode::Measured);
}

inline QImage render(TimelineView& view, int w = 900, int h = 320) {
    view.resize(w, h);
    view.fit();
    view.replot(QCustomPlot::rpImmediateRefresh);
    return view.toPixmap(w, h, 1.0).toImage();
}

inline QColor pixelAt(TimelineView& view, const QImage& img, double t, double lane) {
    const int x = qRound(view.xAxis->coordToPixel(t));
    const int y = qRound(view.yAxis->coordToPixel(lane));
    return img.pixelColor(x, y);
}

// The ideal timeline of a real schedule (1 unit = 1 ms) as boxes of `data`.
inline void fillSchedule(TimelineData& data, ScheduleKind kind, int S, int M, int batches = 1) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = batches;
    c.chunks = chunksFor(kind, 2);
    const Schedule schedule = generateSchedule(c);
    const Timeline timeline = simulate(schedule);
    fillIdeal(data, timeline, slotGrid(schedule, timeline), 1.0);
}

// A view of GPipe S=4, M=4 on measured time (the ideal boxes as measured).
inline void loadGPipe(TimelineView& view, int S = 4, int M = 4) {
    QStringList names;
    for (int s = 0; s < S; ++s) names << QStringLiteral("GPU%1").arg(s);
    view.setLanes(names);
    fillSchedule(view.measured()->ownData(), ScheduleKind::GPipe, S, M);
    view.setMode(TimelineView::Mode::Measured);
}

inline const TimelineBox* findBox(const TimelineData& d, int stage, Op op, int mb) {
    for (const TimelineBox& b : d.lane(stage))
        if (b.op == op && b.microbatch == mb) return &b;
    return nullptr;
}

inline QPoint centreOf(TimelineView& view, const TimelineBox& b) {
    return QPoint(qRound(view.xAxis->coordToPixel((b.start + b.end) / 2)),
                  qRound(view.yAxis->coordToPixel(b.stage - 0.25)));
}

// A run's views as the main window has them: the schedule (1F1B, S x M,
// `batches`) in the ideal store, nothing measured yet, on slots.
struct Run {
    TimelineData measured, ideal;
};
inline void loadRun(TimelineView& view, Run& run, int S, int M, int batches) {
    QStringList names;
    for (int s = 0; s < S; ++s) names << QStringLiteral("GPU%1").arg(s);
    fillSchedule(run.ideal, ScheduleKind::OneFOneB, S, M, batches);
    run.measured.reset(S);
    view.setSources(&run.measured, &run.ideal);
    view.setLanes(names);
    view.setMode(TimelineView::Mode::Slots);
}

inline int batchEnd(const TimelineData& d, int batch) {
    int end = 0;
    for (int l = 0; l < d.lanes(); ++l)
        for (const TimelineBox& b : d.lane(l))
            if (b.batch == batch) end = std::max<int>(end, b.slot1);
    return end;
}

}  // namespace pd::timelinetest
