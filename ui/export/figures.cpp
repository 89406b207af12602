#include "ui/export/figures.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QThread>
#include <algorithm>
#include <map>

#include "engine/formats/trace.h"
#include "engine/schedule/runfigures.h"
#include "ui/export/animation.h"
#include "ui/export/exporter.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/views/charts.h"
#include "ui/views/palette.h"

namespace pd {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString pct(double v) {
    return std::isfinite(v) ? QString::number(v * 100.0, 'f', 1) + QLatin1Char('%')
                            : QStringLiteral("n/a");
}

}  // namespace

double measuredUtilization(const RunResult& run) {
    if (!run.measured || run.slots.empty()) return kNaN;
    RunFigures f(static_cast<int>(run.stageNames.size()), run.options.schedule.chunks);
    for (const SlotEvent& e : run.slots) f.addSlot(e);
    const Analysis a = f.utilization();
    return a.makespan > 0.0 ? a.meanUtilization : kNaN;
}

void loadTimeline(TimelineView* view, RunModel& model, RunResult run) {
    const bool measured = run.measured;
    if (measured) {
        const RunModel::Source source =
            run.source.isEmpty() ? RunModel::Source::Live : RunModel::Source::File;
        model.load(std::move(run), source, true);
    } else {
        model.reset(std::move(run), RunModel::Source::Schedule);
    }
    view->setSources(&model.measuredBoxes(), &model.idealBoxes());
    view->setLanes(model.laneLabels());
    view->setMode(measured ? TimelineView::Mode::Measured : TimelineView::Mode::Ideal);
    view->setCursor(0, std::numeric_limits<double>::quiet_NaN());  // everything shown
    view->fit();
}

// Said next to measured figures when stage workers outnumber the CPU cores:
// then at most `cores` stages compute at once and measured utilization sits
// well below the analytic one for reasons of the machine, not the schedule.
QString sharingNote(const RunResult& run) {
    const int cores = QThread::idealThreadCount();
    const int stages = run.options.schedule.stages;
    if (!run.measured || !run.source.isEmpty() || run.options.device != "cpu" || cores >= stages)
        return {};
    return QObject::tr(" (%1 stage workers sharing %2)")
        .arg(stages)
        .arg(counted(cores, QObject::tr("CPU core"), QObject::tr("CPU cores")));
}

QString runTitle(const RunResult& run) {
    const ScheduleConfig& c = run.options.schedule;
    QString t =
        QStringLiteral("%1 \u2014 %2, %3, %4")
            .arg(QString::fromUtf8(displayName(c.kind)),
                 counted(c.stages, QObject::tr("stage"), QObject::tr("stages")),
                 counted(c.microbatches, QObject::tr("microbatch"), QObject::tr("microbatches")),
                 counted(c.batches, QObject::tr("batch"), QObject::tr("batches")));
    const double analytic = 1.0 - run.ideal.analysis.bubbleFraction;
    if (run.measured)
        t += QObject::tr(": utilization %1 measured, %2 ideal")
                 .arg(pct(measuredUtilization(run)), pct(analytic)) +
             sharingNote(run);
    else
        t += QObject::tr(": ideal utilization %1 (simulated)").arg(pct(analytic));
    return t;
}

// ---------------------------------------------------------------------------

namespace {

struct Exporter {
    QString dir;
    QTextStream& out;
    QTextStream& err;
    int failures = 0;

    QString path(const QString& name) const { return QDir(dir).filePath(name); }
    void done(const QString& name, bool ok, const QString& error) {
        if (ok) {
            out << "wrote " << path(name) << '\n';
        } else {
            err << "error: " << error << '\n';
            ++failures;
        }
        out.flush();
        err.flush();
    }
    void plot(QCustomPlot* p, const QString& name, QSize size) {
        if (auto* view = qobject_cast<TimelineView*>(p)) view->wrapTitle(size.width());
        QString e;
        done(name, exportPlot(p, path(name), size, &e), e);
    }
    void stacked(const QList<QCustomPlot*>& plots, const QString& name, QSize size) {
        for (QCustomPlot* p : plots)
            if (auto* view = qobject_cast<TimelineView*>(p)) view->wrapTitle(size.width());
        QString e;
        done(name, exportStacked(plots, path(name), size, &e), e);
    }
    void text(const QString& name, const std::string& content) { file(path(name), content); }
    // A path of its own (--csv, --trace), relative to the working folder.
    void file(const QString& target, const std::string& content) {
        try {
            writeFileAtomic(target.toStdString(), content);
            out << "wrote " << target << '\n';
        } catch (const Error& e) {
            err << "error: " << QString::fromUtf8(e.what()) << '\n';
            ++failures;
        }
        out.flush();
        err.flush();
    }
};

// Runs for real when the engine is there, else the ideal schedule only.
bool obtain(const RunOptions& o, RunResult& run, QTextStream& out, QTextStream& err) {
    QString error;
    QElapsedTimer t;
    t.start();
    if (EngineController::engineAvailable()) {
        if (runToCompletion(o, run, &error)) {
            const ScheduleConfig& c = o.schedule;
            out << "ran " << toString(c.kind) << " ("
                << counted(c.stages, QStringLiteral("stage"), QStringLiteral("stages")) << ", "
                << counted(c.microbatches, QStringLiteral("microbatch"),
                           QStringLiteral("microbatches"))
                << ", " << counted(c.batches, QStringLiteral("batch"), QStringLiteral("batches"))
                << ") in " << t.elapsed() << " ms\n";
            out.flush();
            return true;
        }
        err << "error: " << toString(o.schedule.kind) << " run failed: " << error << '\n';
        err.flush();
        return false;
    }
    if (!prepareRun(o, run, &error)) {
        err << "error: " << error << '\n';
        return false;
    }
    return true;
}

const GanttPlottable* shownStore(const TimelineView* view) {
    return view->mode() == TimelineView::Mode::Ideal ? view->ideal() : view->measured();
}

// A window around [lo, hi] that cuts no box: edges inside a box move out to
// its ends, and the 1% margin stops short of the neighbouring boxes.
QCPRange uncutWindow(const TimelineView* view, double lo, double hi) {
    const TimelineData& d = shownStore(view)->data();
    for (bool moved = true; moved;) {  // a moved edge may land inside another box
        moved = false;
        for (int s = 0; s < d.lanes(); ++s)
            for (const TimelineBox& b : d.lane(s)) {
                if (b.start < lo && b.end > lo) lo = b.start, moved = true;
                if (b.start < hi && b.end > hi) hi = b.end, moved = true;
            }
    }
    const double pad = (hi - lo) * 0.01;
    double left = lo - pad, right = hi + pad;
    for (int s = 0; s < d.lanes(); ++s)
        for (const TimelineBox& b : d.lane(s)) {
            if (b.end <= lo && b.end > left) left = b.end;
            if (b.start >= hi && b.start < right) right = b.start;
        }
    return QCPRange(left, right);
}

// Time range covering batches [first, last] on every lane of the shown
// timeline, cutting no box.
QCPRange batchWindow(const TimelineView* view, int first, int last) {
    const GanttPlottable* p = shownStore(view);
    double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
    for (int s = 0; s < p->data().lanes(); ++s)
        for (const TimelineBox& b : p->data().lane(s))
            if (b.batch >= first && b.batch <= last) {
                lo = std::min(lo, b.start);
                hi = std::max(hi, b.end);
            }
    if (!(hi > lo)) return view->xAxis->range();
    return uncutWindow(view, lo, hi);
}

void showWindow(TimelineView* view, const QCPRange& r) {
    view->setFollow(false);
    view->xAxis->setRange(r);
}

RunOptions withKind(RunOptions o, ScheduleKind kind) {
    o.schedule.kind = kind;
    o.schedule.chunks = 1;
    o.schedule.verticalSync = false;
    o.schedule.stash = true;
    return o;
}

}  // namespace

AnimationSettings animationSettings(const RunOptions& o) {
    AnimationSettings s;
    s.width = o.animWidth;
    s.fps = o.animFps;
    s.from = o.animFrom;
    s.to = o.animTo;
    s.caption = o.animCaption;
    s.base = o.animBase;
    s.everyMs = o.animEveryMs;
    return s;
}

namespace {

// The slot range and sizes of --export-animation against the schedule the
// options make, before a run is spent on it: 0, or 2 (bad input).
int checkAnimationFirst(const RunOptions& options, QTextStream& err) {
    if (options.animationPath.empty()) return 0;
    RunResult prepared;
    QString error;
    if (!prepareRun(options, prepared, &error)) {
        err << "error: " << error << '\n';
        return 2;
    }
    // Measured times come with the run: the slot range and sizes now, the
    // times once it has run (a build without the engine has none).
    AnimationSettings settings = animationSettings(options);
    if (settings.base == AnimBase::Measured && !EngineController::engineAvailable()) {
        err << "error: --anim-base measured: this build has no training engine, so the run is "
               "simulated and has no measured times: use --anim-base slots\n";
        return 2;
    }
    settings.base = AnimBase::Slots;
    RunModel model;
    model.reset(prepared, RunModel::Source::Schedule);
    if (AnimationFrames::check(model, settings, &error)) return 0;
    err << "error: --export-animation: " << error << '\n';
    return 2;
}

}  // namespace

int headlessAnimation(const RunResult& run, const QString& title, const RunOptions& options,
                      QTextStream& out, QTextStream& err) {
    RunModel model;
    TimelineView view;
    loadTimeline(&view, model, run);
    AnimationLook look;
    look.mode = TimelineView::Mode::Slots;  // one frame per slot: the cursor steps evenly
    look.colors = options.animColors == AnimColors::ByVersion ? GanttPlottable::ColorMode::ByVersion
                  : options.animColors == AnimColors::ByStaleness
                      ? GanttPlottable::ColorMode::ByStaleness
                      : GanttPlottable::ColorMode::ByOp;
    look.title = title;
    const QString path = QString::fromStdString(options.animationPath);
    QString error;
    AnimationResult result;
    const AnimationSettings settings = animationSettings(options);
    AnimationPlan plan;
    if (QString problem; !AnimationFrames::plan(model, settings, &plan, &problem)) {
        err << "error: --export-animation: " << problem << '\n';
        return 2;
    }
    if (!exportAnimation(model, look, path, settings, {}, &error, &result)) {
        err << "error: " << error << '\n';
        return 1;
    }
    out << "wrote " << path << ": " << result.frames << " frames (" << result.stored
        << " stored), ";
    if (settings.base == AnimBase::Measured)
        out << "a frame every " << plan.everyMs << " ms of measured time, ";
    out << result.size.width() << "x" << result.size.height() << " px, " << result.bytes
        << " bytes\n";
    out.flush();
    return 0;
}

int headlessExportOpened(const QString& file, const RunOptions& options, const QString& dir,
                         QTextStream& out, QTextStream& err) {
    RunResult run;
    IdentifiedSchedule id;
    QString problem;
    if (!loadRunFile(file, options, run, &id, &problem)) {
        // The file's name and content may hold control bytes: one line, escaped.
        err << "error: " << QString::fromStdString(printable(problem.toStdString(), 4096)) << '\n';
        return 2;
    }
    if (!dir.isEmpty() && !QDir().mkpath(dir)) {
        err << "error: cannot create the export folder " << dir << '\n';
        return 1;
    }
    const ScheduleConfig& c = id.config;
    out << "opened " << file << ": " << displayName(c.kind) << ", "
        << counted(c.stages, QStringLiteral("stage"), QStringLiteral("stages")) << ", "
        << counted(c.microbatches, QStringLiteral("microbatch"), QStringLiteral("microbatches"))
        << ", " << counted(c.batches, QStringLiteral("batch"), QStringLiteral("batches"))
        << cutShortNote(id) << '\n';
    const QString title =
        QFileInfo(file).fileName() + QStringLiteral(": ") + runTitle(run) + cutShortNote(id);
    // The animation first: its slot range is checked against the file's run.
    if (!options.animationPath.empty())
        if (const int status = headlessAnimation(run, title, options, out, err); status != 0)
            return status;
    Exporter ex{dir, out, err};
    if (!dir.isEmpty()) {
        RunModel model;
        TimelineView view;
        loadTimeline(&view, model, std::move(run));  // the file's run is not needed again
        view.setTitle(title);
        for (const char* name : {"timeline.png", "timeline.svg", "timeline.pdf"})
            ex.plot(&view, QString::fromLatin1(name), QSize(1600, 600));
    }
    return ex.failures == 0 ? 0 : 1;
}

int headlessExport(const RunOptions& options, const QString& dir, QTextStream& out,
                   QTextStream& err) {
    if (const int status = checkAnimationFirst(options, err); status != 0) return status;
    if (dir.isEmpty()) {  // --export-animation alone
        RunResult run;
        if (!obtain(options, run, out, err)) return 1;
        return headlessAnimation(run, runTitle(run), options, out, err);
    }
    if (!QDir().mkpath(dir)) {
        err << "error: cannot create the export folder " << dir << '\n';
        return 1;
    }
    Exporter ex{dir, out, err};
    const bool real = EngineController::engineAvailable();
    if (!real)
        out << "note: this build has no training engine; the figures show the simulated (ideal) "
               "schedule\n";

    // The configured run: timeline in three formats, CSV and Chrome trace.
    RunResult run;
    if (!obtain(options, run, out, err)) return 1;
    {
        RunModel model;
        TimelineView view;
        loadTimeline(&view, model, run);
        view.setTitle(runTitle(run));
        for (const char* name : {"timeline.png", "timeline.svg", "timeline.pdf"})
            ex.plot(&view, QString::fromLatin1(name), QSize(1600, 600));
        const std::vector<SlotEvent> slots = model.slotEvents();
        const std::string csv = toCsv(slots);
        ex.text(QStringLiteral("run.csv"), csv);
        RunRecord record;
        for (const QString& n : run.stageNames) record.stageNames.push_back(n.toStdString());
        record.slots = slots;
        record.memory = run.memory;
        const std::string trace = toChromeTrace(record);
        ex.text(QStringLiteral("trace.json"), trace);
        // --csv FILE / --trace FILE: the same run, where the command line says.
        if (!options.csvPath.empty()) ex.file(QString::fromStdString(options.csvPath), csv);
        if (!options.tracePath.empty()) ex.file(QString::fromStdString(options.tracePath), trace);
    }
    if (!options.animationPath.empty())
        if (const int status = headlessAnimation(run, runTitle(run), options, out, err);
            status != 0)
            return status;

    // The tutorial's figures, from runs of the same configuration.
    RunOptions base = options;
    const int shownBatch = base.schedule.batches > 1 ? 1 : 0;  // batch 0 carries warm-up effects
    std::map<ScheduleKind, RunResult> runs;
    for (ScheduleKind k : {ScheduleKind::Naive, ScheduleKind::GPipe, ScheduleKind::OneFOneB,
                           ScheduleKind::PipeDream}) {
        RunOptions o = withKind(base, k);
        if (o.schedule.kind == options.schedule.kind &&
            o.schedule.chunks == options.schedule.chunks &&
            o.schedule.stash == options.schedule.stash &&
            o.schedule.verticalSync == options.schedule.verticalSync) {
            runs[k] = run;
            continue;
        }
        if (!obtain(o, runs[k], out, err)) return 1;
    }
    const QSize wide(1600, 520);
    {
        RunModel model;
        TimelineView view;
        const RunResult& r = runs[ScheduleKind::Naive];
        loadTimeline(&view, model, r);
        showWindow(&view, batchWindow(&view, shownBatch, shownBatch));
        view.setTitle(QObject::tr("Naive pipeline: one microbatch at a time, the other stages idle "
                                  "\u2014 utilization %1 %2 (1/S = %3)")
                          .arg(pct(r.measured ? measuredUtilization(r)
                                              : 1.0 - r.ideal.analysis.bubbleFraction),
                               r.measured ? QObject::tr("measured") : QObject::tr("simulated"),
                               pct(1.0 / r.options.schedule.stages)));
        ex.plot(&view, QStringLiteral("naive_pipeline.png"), wide);
    }
    {
        const RunResult& r = runs[ScheduleKind::GPipe];
        const int S = r.options.schedule.stages, M = r.options.schedule.microbatches;
        RunModel model;
        TimelineView view;
        loadTimeline(&view, model, r);
        view.measured()->setOpMask(1u << static_cast<unsigned>(Op::F));
        view.ideal()->setOpMask(1u << static_cast<unsigned>(Op::F));
        // The forward phase of the shown batch: up to its last forward.
        const GanttPlottable* shown = r.measured ? view.measured() : view.ideal();
        double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
        for (int s = 0; s < shown->data().lanes(); ++s)
            for (const TimelineBox& b : shown->data().lane(s))
                if (b.batch == shownBatch) {
                    lo = std::min(lo, b.start);
                    if (b.op == Op::F) hi = std::max(hi, b.end);
                }
        if (hi > lo) showWindow(&view, uncutWindow(&view, lo, hi));
        view.setTitle(QObject::tr("GPipe forward pass: %1 flow through %2 and overlap "
                                  "(fill-drain utilization M/(M+S-1) = %3, not the tutorial's 75%)")
                          .arg(counted(M, QObject::tr("microbatch"), QObject::tr("microbatches")),
                               counted(S, QObject::tr("stage"), QObject::tr("stages")),
                               pct(static_cast<double>(M) / (M + S - 1))));
        ex.plot(&view, QStringLiteral("microbatch_forward.png"), wide);

        view.measured()->setOpMask(1u << static_cast<unsigned>(Op::B));
        view.ideal()->setOpMask(1u << static_cast<unsigned>(Op::B));
        showWindow(&view, batchWindow(&view, shownBatch, shownBatch));
        view.setTitle(
            QObject::tr("GPipe backward pass: gradients flow from the last stage back to the "
                        "first \u2014 whole batch utilization %1 %2, analytic %3")
                .arg(pct(r.measured ? measuredUtilization(r)
                                    : 1.0 - r.ideal.analysis.bubbleFraction),
                     r.measured ? QObject::tr("measured") : QObject::tr("simulated"),
                     pct(1.0 - r.ideal.analysis.bubbleFraction)));
        ex.plot(&view, QStringLiteral("microbatch_backward.png"), wide);
    }
    {
        RunModel syncModel, stashModel;
        TimelineView sync, stash;
        const RunResult& a = runs[ScheduleKind::GPipe];
        const RunResult& b = runs[ScheduleKind::PipeDream];
        loadTimeline(&sync, syncModel, a);
        loadTimeline(&stash, stashModel, b);
        // One x-scale for both panels, so their lengths compare.
        const int last = std::min(1, base.schedule.batches - 1);
        const QCPRange a0 = batchWindow(&sync, 0, last), b0 = batchWindow(&stash, 0, last);
        const QCPRange shared(std::min(a0.lower, b0.lower), std::max(a0.upper, b0.upper));
        for (TimelineView* v : {&sync, &stash}) {
            v->setColorMode(GanttPlottable::ColorMode::ByVersion);
            showWindow(v, shared);
        }
        sync.setTitle(
            QObject::tr("Synchronous (GPipe / PipeDream-Flush, what the tutorial calls weight "
                        "versioning): every microbatch of a batch uses one version, "
                        "one update per batch"));
        stash.setTitle(
            QObject::tr("PipeDream with weight stashing: each stage updates after every "
                        "backward; a backward uses the version its forward stashed "
                        "(stage s keeps up to S-s versions)"));
        ex.stacked({&sync, &stash}, QStringLiteral("weight_versioning.png"), QSize(1600, 460));
    }
    {
        GroupedBarChart chart;
        QStringList names;
        std::vector<double> measured, analytic, tutorial;
        const std::map<ScheduleKind, double> claims = {{ScheduleKind::Naive, 0.25},
                                                       {ScheduleKind::GPipe, 0.75},
                                                       {ScheduleKind::PipeDream, 0.90}};
        for (auto& [kind, r] : runs) {
            names << QString::fromUtf8(displayName(kind));
            measured.push_back(r.measured ? measuredUtilization(r) : kNaN);
            analytic.push_back(1.0 - r.ideal.analysis.bubbleFraction);
            auto c = claims.find(kind);
            tutorial.push_back(c == claims.end() ? kNaN : c->second);
        }
        std::vector<BarSeries> series;
        if (real) series.push_back({QObject::tr("measured (real run)"), measuredColor(), measured});
        series.push_back({QObject::tr("analytic (simulated schedule)"), analyticColor(), analytic});
        series.push_back({QObject::tr("tutorial's claim"), tutorialColor(), tutorial});
        chart.setData(names, series);
        const ScheduleConfig& c = base.schedule;
        QString title = QObject::tr("Mean stage utilization, %1 x %2 x %3")
                            .arg(counted(c.stages, QObject::tr("stage"), QObject::tr("stages")),
                                 counted(c.microbatches, QObject::tr("microbatch"),
                                         QObject::tr("microbatches")),
                                 counted(c.batches, QObject::tr("batch"), QObject::tr("batches")));
        if (real) title += sharingNote(runs[ScheduleKind::Naive]);
        chart.setTitle(title);
        chart.setValueLabel(QObject::tr("utilization (busy / makespan)"));
        ex.plot(&chart, QStringLiteral("utilization_comparison.png"), QSize(1200, 600));
    }
    return ex.failures == 0 ? 0 : 1;
}

}  // namespace pd
