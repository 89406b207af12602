// Benchmark of the run model's open and ingest paths and of painting; every
// figure is measured in this run (not a test: nothing here fails).
//   open    a CSV of about 1M slot events read, recognised and loaded into a
//           RunModel: resident bytes per box after the load, and the peak.
//   ingest  1M events pushed from a worker thread through the
//           EngineController's sink, drained by its timer into a RunModel:
//           the longest and the 99th-percentile drain (GUI-thread time).
//   paint   the full view of those 1M boxes, 1600 x 600, median of 15.
//   charts  a long live run (4 stages, 3,000 batches) arriving in drains of
//           10 batches with the Charts dock following the model: per drain,
//           the GUI-thread time with each chart redrawing what the events
//           change (ChartsPanel::watch) against every chart redrawn on every
//           change (what the window did before), and the ratio.
//   openexport VIZ   the whole open-and-export path of the application:
//           `VIZ --headless --open FILE --export DIR` on runs of about 100k
//           and 1M boxes, each in a process of its own; its peak resident
//           memory and the slope between the two, in bytes per box.
// Usage: QT_QPA_PLATFORM=offscreen bench_ui [all|open|ingest|paint|charts]
//        QT_QPA_PLATFORM=offscreen bench_ui openexport build/release/app/pipedream-viz
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
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
#include "ui/panels/chartspanel.h"
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

// Peak resident KiB of `argv` run to its end, or -1 when it fails.
long peakOfChild(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(stdout);  // or the child would print what is buffered again
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (FILE* quiet = std::freopen("/dev/null", "w", stdout)) (void)quiet;
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    if (pid < 0 || ::wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return usage.ru_maxrss;
}

void benchOpenExport(const std::string& viz) {
    QTemporaryDir dir;
    dir.setAutoRemove(qEnvironmentVariableIsEmpty("BENCH_UI_KEEP"));  // the runs, for a profiler
    std::vector<std::pair<double, long>> points;                      // boxes, peak KiB
    for (int batches : {97, 969}) {
        RunOptions o = bigRun();
        o.schedule.batches = batches;
        const std::vector<SlotEvent> events = bigEvents(o);
        const QString path = dir.filePath(QStringLiteral("run%1.csv").arg(batches));
        {
            const std::string csv = toCsv(events);
            QFile f(path);
            f.open(QIODevice::WriteOnly);
            f.write(csv.data(), static_cast<qint64>(csv.size()));
        }
        const QString out = dir.filePath(QStringLiteral("out%1").arg(batches));
        QElapsedTimer t;
        t.start();
        const long kib = peakOfChild(
            {viz, "--headless", "--open", path.toStdString(), "--export", out.toStdString()});
        if (kib < 0) {
            std::printf("openexport: %s failed on %s\n", viz.c_str(), qPrintable(path));
            return;
        }
        std::printf(
            "openexport: %zu boxes (%s): open and export (PNG, SVG, PDF) in %lld ms, "
            "peak %ld MiB\n",
            events.size(), qPrintable(QFileInfo(path).fileName()),
            static_cast<long long>(t.elapsed()), kib / 1024);
        points.emplace_back(static_cast<double>(events.size()), kib);
    }
    const double slope =
        (points[1].second - points[0].second) * 1024.0 / (points[1].first - points[0].first);
    std::printf(
        "openexport: peak grows %.1f bytes per box from %.0f to %.0f boxes (target < 150)\n", slope,
        points[0].first, points[1].first);
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

// Drains of a live run of `batches` batches, 10 batches each, through a
// RunModel whose charts either follow it (watch) or are all redrawn on
// every change; per drain GUI-thread milliseconds, replots included.
std::vector<double> chartDrains(bool watch, int batches) {
    RunOptions o = defaultRunOptions();
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = batches;
    o.layers = 8;
    o.hidden = 8;
    std::vector<SlotEvent> slots = bigEvents(o);
    std::stable_sort(slots.begin(), slots.end(), [](const SlotEvent& a, const SlotEvent& b) {
        return a.batch != b.batch ? a.batch < b.batch : a.startUs < b.startUs;
    });
    RunResult prepared;
    QString error;
    prepareRun(o, prepared, &error);
    RunModel model;
    ChartsPanel panel;
    panel.resize(900, 400);
    panel.show();  // painted, as in the window
    if (watch)
        panel.watch(&model);
    else
        QObject::connect(&model, &RunModel::figuresChanged, &panel, [&] { panel.showRun(model); });
    model.reset(prepared, RunModel::Source::Live);
    panel.setCurrentIndex(2);  // the Loss tab, as a person watching a long run would
    QApplication::processEvents();
    std::vector<double> ms;
    QElapsedTimer t;
    std::size_t next = 0;
    for (int b = 0; b < batches; b += 10) {
        const int end = std::min(batches, b + 10);
        std::vector<SlotEvent> part;
        while (next < slots.size() && slots[next].batch < end) part.push_back(slots[next++]);
        std::vector<MemoryEvent> memory;
        for (int s = 0; s < o.schedule.stages; ++s) {
            MemoryEvent m;
            m.stage = s;
            m.timeUs = part.empty() ? 0 : part.back().endUs;
            m.activationsInFlight = 1;
            m.versionsHeld = 1;
            m.activationBytes = 4096 * (s + 1);
            memory.push_back(m);
        }
        std::vector<BatchEvent> done;
        for (int k = b; k < end; ++k) {
            BatchEvent e;
            e.batch = k;
            e.loss = 2.0 + 1.0 / (1.0 + k);
            e.timeUs = 1000 * (k + 1);
            e.versionUsed.assign(4, k);
            e.versionAfter.assign(4, k + 1);
            done.push_back(e);
        }
        t.start();
        model.appendSlots(part);  // a drain's order: slots, memory, batches
        model.appendMemory(memory);
        model.appendBatches(done);
        QApplication::processEvents();  // the queued replots
        ms.push_back(t.nsecsElapsed() / 1e6);
    }
    return ms;
}

void benchCharts() {
    constexpr int kBatches = 3000;
    double totals[2] = {0, 0};
    for (bool watch : {false, true}) {
        std::vector<double> ms = chartDrains(watch, kBatches);
        double total = 0;
        for (double x : ms) total += x;
        totals[watch ? 1 : 0] = total;
        std::sort(ms.begin(), ms.end());
        std::printf(
            "charts (%s): %d batches in %zu drains; median drain %.2f ms, longest %.2f ms, "
            "all drains %.0f ms\n",
            watch ? "each chart redraws what changed" : "every chart redrawn", kBatches, ms.size(),
            ms[ms.size() / 2], ms.back(), total);
    }
    std::printf("charts: every-chart redraw / watch = %.1fx the GUI time over the run\n",
                totals[0] / totals[1]);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    const std::string what = argc > 1 ? argv[1] : "all";
    if (what == "openexport") {
        if (argc < 3) {
            std::printf("usage: bench_ui openexport PATH_TO_PIPEDREAM_VIZ\n");
            return 2;
        }
        benchOpenExport(argv[2]);
        return 0;
    }
    if (what == "all" || what == "open") benchOpen();
    if (what == "all" || what == "charts") benchCharts();
    if (what == "all" || what == "ingest" || what == "paint") {
        RunModel model;
        benchIngest(model);
        if (what != "ingest") benchPaint(model);
    }
    return 0;
}
