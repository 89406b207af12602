// Benchmark of the run model's open and ingest paths and of painting; every
// figure is measured in this run (not a test: nothing here fails).
//   open    a CSV of about 1M slot events read, recognised and loaded into a
//           RunModel: resident bytes per box after the load, and the peak.
//   ingest  1M events pushed from a worker thread through the
//           EngineController's sink, drained by its timer into a RunModel:
//           the longest and the 99th-percentile drain (GUI-thread time).
//   paint   the full view of those 1M boxes, 1600 x 600, median of 15.
// Usage: QT_QPA_PLATFORM=offscreen bench_ui [all|open|ingest|paint]
#include <malloc.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/report.h"
#include "engine/formats/trace.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/views/timelineplot.h"

using namespace pd;

namespace {

long residentKiB(const char* field = "VmRSS:") {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
    return 0;
}

// GPipe on 8 stages, 64 microbatches: 1032 actions a batch; 969 batches make 1M.
RunOptions bigRun() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::GPipe;
    o.schedule.stages = 8;
    o.schedule.microbatches = 64;
    o.schedule.batches = 969;
    o.batchSize = 64;
    o.layers = 8;
    o.hidden = 8;
    return o;
}

std::vector<SlotEvent> bigEvents(const RunOptions& o) {
    const DryRun d = makeDryRun(o);
    return toSlotEvents(d.timeline, 1000.0);
}

void benchOpen() {
    const RunOptions o = bigRun();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.csv"));
    {
        const std::string csv = toCsv(bigEvents(o));
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        f.write(csv.data(), static_cast<qint64>(csv.size()));
    }
    malloc_trim(0);
    const long before = residentKiB();
    QElapsedTimer t;
    t.start();
    RunModel model;
    RunResult run;
    IdentifiedSchedule id;
    QString error;
    if (!loadRunFile(path, o, run, &id, &error)) {
        std::printf("open: error: %s\n", qPrintable(error));
        return;
    }
    model.load(std::move(run), RunModel::Source::File, id.complete);
    const qint64 ms = t.elapsed();
    malloc_trim(0);
    const long after = residentKiB();
    const double boxes = static_cast<double>(model.measuredBoxes().size());
    std::printf(
        "open: %.0f boxes in %lld ms; resident after load %.1f bytes per box "
        "(target < 200); peak of the process %ld MiB\n",
        boxes, static_cast<long long>(ms), (after - before) * 1024.0 / boxes,
        residentKiB("VmHWM:") / 1024);
}

void benchIngest(RunModel& model) {
    const RunOptions o = bigRun();
    const std::vector<SlotEvent> events = bigEvents(o);
    RunResult prepared;
    QString error;
    prepareRun(o, prepared, &error);
    EngineController controller;
    QObject::connect(&controller, &EngineController::slotsArrived, &model, &RunModel::appendSlots);
    controller.beginGeneration();
    model.reset(prepared, RunModel::Source::Live);
    std::shared_ptr<EventSink> sink = controller.sharedSink();
    // Per stage in execution order, as the workers would send them, in
    // bursts so that drains see a few thousand events each.
    std::vector<SlotEvent> ordered = events;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const SlotEvent& a, const SlotEvent& b) { return a.startUs < b.startUs; });
    std::thread producer([&] {
        for (std::size_t i = 0; i < ordered.size(); ++i) {
            sink->onSlot(ordered[i]);
            if (i % 20000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    std::vector<double> drains;
    QElapsedTimer t;
    while (model.measuredBoxes().size() < ordered.size()) {
        t.start();
        controller.drain();
        drains.push_back(t.nsecsElapsed() / 1e6);
        QApplication::processEvents();
        std::this_thread::sleep_for(std::chrono::milliseconds(controller.drainInterval()));
    }
    producer.join();
    std::sort(drains.begin(), drains.end());
    const double p99 = drains[static_cast<std::size_t>(0.99 * (drains.size() - 1))];
    std::printf(
        "ingest: %zu events in %zu drains; longest drain %.2f ms (target < 16), "
        "99th percentile %.2f ms\n",
        ordered.size(), drains.size(), drains.back(), p99);
}

void benchPaint(const RunModel& model) {
    TimelineView view;
    view.setSources(&model.measuredBoxes(), &model.idealBoxes());
    view.setLanes(model.stageNames());
    view.setMode(TimelineView::Mode::Measured);
    view.resize(1600, 600);
    view.fit();
    view.replot(QCustomPlot::rpImmediateRefresh);
    std::vector<double> ms;
    QElapsedTimer t;
    for (int i = 0; i < 15; ++i) {
        t.start();
        view.replot(QCustomPlot::rpImmediateRefresh);
        ms.push_back(t.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("paint: %zu boxes, full view 1600 x 600: median %.2f ms (%zu rectangles drawn)\n",
                model.measuredBoxes().size(), ms[ms.size() / 2],
                view.measured()->lastDrawStats().rects);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    const std::string what = argc > 1 ? argv[1] : "all";
    if (what == "all" || what == "open") benchOpen();
    if (what == "all" || what == "ingest" || what == "paint") {
        RunModel model;
        benchIngest(model);
        if (what != "ingest") benchPaint(model);
    }
    return 0;
}
