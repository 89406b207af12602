// Animations in the measured base: one frame per N ms of a run's measured
// time (a run with known times, opened as a file), boxes shown from their
// measured start and cut at the cursor, the caption's time and work, the
// refusals (no measured times, bad steps, too many frames), and the
// dialog's base choice, remembered between sessions.
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <cmath>
#include <functional>

#include "animation_test_util.h"
#include "ui/export/animation.h"
#include "ui/export/animationdialog.h"
#include "ui/model/runmodel.h"
#include "ui/model/settings.h"
#include "ui/views/palette.h"

using namespace pd;
using namespace pd::test;

namespace {

// A run recorded with known times, opened as a file: the schedule of `o`,
// each ideal unit (a forward) taking `msPerUnit` ms.
void loadMeasured(RunModel& model, const RunOptions& o, double msPerUnit) {
    RunModel schedule;
    loadSchedule(schedule, o);
    RunResult run;
    QString error;
    QVERIFY2(prepareRun(o, run, &error), qPrintable(error));
    const TimelineData& d = schedule.idealBoxes();
    for (int s = 0; s < d.lanes(); ++s)
        for (const TimelineBox& b : d.lane(s)) {
            SlotEvent e;
            e.batch = b.batch;
            e.stage = s;
            e.microbatch = b.microbatch;
            e.op = b.op;
            e.chunk = b.chunk;
            e.version = b.version;
            e.startUs = std::llround(b.start * msPerUnit * 1000.0);
            e.endUs = std::llround(b.end * msPerUnit * 1000.0);
            run.slots.push_back(e);
        }
    run.measured = true;
    run.source = QStringLiteral("known.csv");
    model.load(std::move(run), RunModel::Source::File, true);
}

// The latest end of the run's events (ms).
double measuredEnd(const RunModel& model) {
    double end = 0.0;
    for (const SlotEvent& e : model.slotEvents()) end = std::max(end, e.endUs / 1000.0);
    return end;
}

AnimationSettings measuredBase(double everyMs) {
    AnimationSettings s;
    s.base = AnimBase::Measured;
    s.everyMs = everyMs;
    return s;
}

}  // namespace

class TestAnimationMeasured : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    }
    void measuredFramesEveryMs();
    void measuredBoxShownOnceStarted();
    void measuredCaptionSaysTimeAndWork();
    void measuredBaseRefused();
    void measuredWebpReadsBack();
    void dialogOffersMeasuredBase();
    void dialogChoicesRemembered();

private:
    QTemporaryDir config_;
};

// One frame per N ms of measured time: ceil(span / N) frames, the last at
// the run's end; without N about one frame per slot, on a round step.
void TestAnimationMeasured::measuredFramesEveryMs() {
    RunModel model;
    loadMeasured(model, small(), 10.0);
    const double end = measuredEnd(model);
    QVERIFY(end > 100.0);
    for (double every : {20.0, 7.0, 2.5}) {
        const AnimationSettings s = measuredBase(every);
        AnimationPlan plan;
        QVERIFY(AnimationFrames::plan(model, s, &plan));
        AnimationFrames frames(model, look(), s);
        QCOMPARE(frames.count(), static_cast<int>(std::ceil(end / every)));
        QCOMPARE(plan.count, frames.count());
        QCOMPARE(frames.timeOf(0), every);
        QCOMPARE(frames.timeOf(1), 2 * every);
        QCOMPARE(frames.timeOf(frames.count() - 1), end);
        QCOMPARE(frames.durationMs(frames.count() - 1), 333 + AnimationSettings::kHoldLastMs);
    }
    // A slot range: from the end of what ran before t2 to the end of t6.
    AnimationSettings part = measuredBase(5.0);
    part.from = 2;
    part.to = 6;
    AnimationPlan plan;
    QVERIFY(AnimationFrames::plan(model, part, &plan));
    QVERIFY(plan.t0 > 0.0 && plan.t1 > plan.t0 && plan.t1 < end);
    QCOMPARE(plan.count, static_cast<int>(std::ceil((plan.t1 - plan.t0) / 5.0 - 1e-9)));
    // Automatic: a 1-2-5 step near the span over the slots.
    AnimationFrames automatic(model, look(), measuredBase(0.0));
    const double step = automatic.everyMs();
    const double raw = end / model.slotCount();
    QVERIFY2(step > raw / 2 && step < raw * 2, qPrintable(QString::number(step)));
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    QVERIFY2(qFuzzyCompare(mantissa, 1.0) || qFuzzyCompare(mantissa, 2.0) ||
                 qFuzzyCompare(mantissa, 5.0),
             qPrintable(QString::number(step)));
    QCOMPARE(automatic.count(), static_cast<int>(std::ceil(end / step - 1e-9)));
    // The cursor walks right, frame by frame.
    AnimationFrames frames(model, look(), measuredBase(20.0));
    double previous = -1.0;
    for (int i = 0; i < frames.count(); ++i) {
        const double x = frames.cursorPixel(i);
        QVERIFY2(x > previous, qPrintable(QString("frame %1 at %2").arg(i).arg(x)));
        previous = x;
    }
}

// A box's colour is in the frames from its measured start on, never before
// (the slots base would show it at its slot instead).
void TestAnimationMeasured::measuredBoxShownOnceStarted() {
    RunModel model;
    loadMeasured(model, small(), 10.0);
    // The first backward of the last microbatch (the last stage's).
    const TimelineData& d = model.measuredBoxes();
    const TimelineBox* first = nullptr;
    for (int s = 0; s < d.lanes(); ++s)
        for (const TimelineBox& b : d.lane(s))
            if (b.op == Op::B && b.microbatch == 3 && (!first || b.start < first->start))
                first = &b;
    QVERIFY(first);
    const QRgb colour = boxColor(Op::B, 3).rgb() | 0xff000000u;
    AnimationSettings s = measuredBase(4.0);  // starts are multiples of 10 ms: no frame on one
    s.caption = false;
    AnimationFrames frames(model, look(), s);
    int seen = -1;
    for (int i = 0; i < frames.count(); ++i) {
        const int pixels = countColour(frames.render(i), colour);
        if (frames.timeOf(i) < first->start) {
            // A stray pixel of antialiased label text may match; a box is a
            // lane high (some 70 px) however narrow.
            QVERIFY2(pixels < 10, qPrintable(QString("frame %1 at %2 ms, before the start %3 ms")
                                                 .arg(i)
                                                 .arg(frames.timeOf(i))
                                                 .arg(first->start)));
        } else if (frames.timeOf(i) >= first->end) {
            QVERIFY2(pixels > 500, qPrintable(QString("frame %1: %2 pixels").arg(i).arg(pixels)));
            if (seen < 0) seen = i;
        }
    }
    QVERIFY(seen > 0);
    // The box grows while it runs: cut at the cursor.
    const int during = static_cast<int>(std::floor((first->start + first->end) / 2.0 / 4.0)) - 1;
    QVERIFY(frames.timeOf(during) > first->start && frames.timeOf(during) < first->end);
    const int partly = countColour(frames.render(during), colour);
    QVERIFY2(partly > 50 && partly < countColour(frames.render(seen), colour),
             qPrintable(QString::number(partly)));
}

void TestAnimationMeasured::measuredCaptionSaysTimeAndWork() {
    RunModel model;
    loadMeasured(model, small(ScheduleKind::PipeDream), 10.0);
    AnimationFrames frames(model, look(), measuredBase(5.0));
    // 5 ms: stage 0 runs the first forward, the others wait for it.
    const QString first = frames.captionText(0);
    QVERIFY2(first.startsWith("5 ms of measured time: stage 0: F0 (v0); stage 1: idle (bubble)"),
             qPrintable(first));
    QVERIFY2(first.contains("Weight versions: stage 0: v0"), qPrintable(first));
    // At the end every stage has updated: no stage still on v0.
    const QString last = frames.captionText(frames.count() - 1);
    QVERIFY2(last.startsWith(QString::number(measuredEnd(model), 'f', 0) + " ms"),
             qPrintable(last));
    QVERIFY2(!last.contains("stage 0: v0") && !last.contains("stage 3: v0"), qPrintable(last));
    // Back to an early frame: the versions are folded in again from the start.
    QCOMPARE(frames.captionText(0), first);
}

void TestAnimationMeasured::measuredBaseRefused() {
    // A simulated run and a schedule have no measured times.
    RunModel simulated;
    RunResult run;
    QString error;
    QVERIFY(prepareRun(small(), run, &error));
    simulated.reset(run, RunModel::Source::Simulated);
    RunModel recorded;
    loadMeasured(recorded, small(), 10.0);
    simulated.appendSlots(recorded.slotEvents());
    simulated.finish({});
    QVERIFY(animationProblem(simulated, {}).isEmpty());  // its slots animate
    QVERIFY(!AnimationFrames::hasMeasuredTimes(simulated));
    QCOMPARE(animationProblem(simulated, measuredBase(20.0)),
             QString("this run has no measured times (a simulated run): animate it in the "
                     "slots base"));
    RunModel schedule;
    loadSchedule(schedule, small());
    QVERIFY(animationProblem(schedule, measuredBase(20.0)).contains("no measured times"));
    // Bad steps, and too many frames: the count said, and what to choose.
    QVERIFY(AnimationFrames::hasMeasuredTimes(recorded));
    QVERIFY(animationProblem(recorded, measuredBase(-1.0)).contains("above 0"));
    QVERIFY(animationProblem(recorded, measuredBase(qQNaN())).contains("above 0"));
    const double end = measuredEnd(recorded);
    const QString many = animationProblem(recorded, measuredBase(0.01));
    QVERIFY2(many.contains(QString("makes %1 frames").arg(std::ceil(end / 0.01), 0, 'f', 0)) &&
                 many.contains("more than an animation may have (5000)"),
             qPrintable(many));
    // The step suggested is enough, and not far from the least that is.
    const QRegularExpressionMatch m =
        QRegularExpression("choose a frame every ([0-9.]+) ms or more$").match(many);
    QVERIFY2(m.hasMatch(), qPrintable(many));
    const double suggested = m.captured(1).toDouble();
    QVERIFY(animationProblem(recorded, measuredBase(suggested)).isEmpty());
    QVERIFY(suggested <= 2.5 * end / kAnimMaxFrames);
    QVERIFY(!animationProblem(recorded, measuredBase(0.9 * end / kAnimMaxFrames)).isEmpty());
    QTemporaryDir dir;
    QVERIFY(
        !exportAnimation(simulated, look(), dir.filePath("m.gif"), measuredBase(20.0), {}, &error));
    QVERIFY(error.contains("no measured times"));
    QVERIFY(QDir(dir.path()).isEmpty());
}

void TestAnimationMeasured::measuredWebpReadsBack() {
    RunModel model;
    loadMeasured(model, small(), 10.0);
    QTemporaryDir dir;
    const QString path = dir.filePath("measured.webp");
    AnimationSettings s = measuredBase(25.0);
    s.width = 480;
    QString error;
    AnimationResult result;
    QVERIFY2(exportAnimation(model, look(), path, s, {}, &error, &result), qPrintable(error));
    const int expected = static_cast<int>(std::ceil(measuredEnd(model) / 25.0));
    QCOMPARE(result.frames, expected);
    const QList<QImage> decoded = decodeWebP(path);
    QCOMPARE(decoded.size(), result.stored);
    AnimationFrames frames(model, look(), s);
    QVERIFY(decoded.last() ==
            frames.render(frames.count() - 1).convertToFormat(QImage::Format_RGB32));
}

void TestAnimationMeasured::dialogOffersMeasuredBase() {
    RunModel schedule, recorded;
    loadSchedule(schedule, small());
    loadMeasured(recorded, small(), 10.0);
    const auto fill = [&](RunModel& model, AnimationSettings* s,
                          const std::function<void(QDialog*)>& act) {
        bool seen = false;
        QTimer::singleShot(0, [&] {
            for (QWidget* top : QApplication::topLevelWidgets()) {
                auto* d = qobject_cast<QDialog*>(top);
                if (!d || d->objectName() != "animationSettings") continue;
                seen = true;
                act(d);
                if (d->isVisible()) d->reject();  // a failed check returned early
            }
        });
        const bool ok = askAnimationSettings(nullptr, model, s);
        return ok && seen;
    };
    // A schedule: the measured base is there but cannot be chosen.
    AnimationSettings s = measuredBase(20.0);
    QVERIFY(fill(schedule, &s, [](QDialog* d) {
        auto* base = d->findChild<QComboBox*>("base");
        auto* items = qobject_cast<QStandardItemModel*>(base->model());
        QVERIFY(items && !items->item(1)->isEnabled());
        QCOMPARE(base->currentIndex(), 0);
        QVERIFY(!d->findChild<QDoubleSpinBox*>("everyMs")->isEnabled());
        d->accept();
    }));
    QCOMPARE(s.base, AnimBase::Slots);
    // A recorded run: measured, every 20 ms; the frame count follows.
    s = AnimationSettings();
    const int expected = static_cast<int>(std::ceil(measuredEnd(recorded) / 20.0));
    QVERIFY(fill(recorded, &s, [&](QDialog* d) {
        auto* every = d->findChild<QDoubleSpinBox*>("everyMs");
        QVERIFY(!every->isEnabled());
        d->findChild<QComboBox*>("base")->setCurrentIndex(1);
        QVERIFY(every->isEnabled());
        every->setValue(20.0);
        const QString frames = d->findChild<QLabel*>("frames")->text();
        QVERIFY2(frames.startsWith(QString("%1 frames").arg(expected)), qPrintable(frames));
        every->setValue(0.01);
        QVERIFY2(d->findChild<QLabel*>("frames")->text().contains("or more"),
                 qPrintable(d->findChild<QLabel*>("frames")->text()));
        every->setValue(20.0);
        d->accept();
    }));
    QCOMPARE(s.base, AnimBase::Measured);
    QCOMPARE(s.everyMs, 20.0);
}

void TestAnimationMeasured::dialogChoicesRemembered() {
    RunModel schedule, recorded;
    loadSchedule(schedule, small());
    loadMeasured(recorded, small(), 10.0);
    AnimationLook slotsLook = look(), measuredLook = look();
    measuredLook.mode = TimelineView::Mode::Measured;
    {
        QSettings settings = appSettings();
        settings.remove("animation");
    }
    // Nothing remembered: the window's time base, where the run has one.
    QCOMPARE(rememberedAnimationSettings(recorded, slotsLook).base, AnimBase::Slots);
    QCOMPARE(rememberedAnimationSettings(recorded, measuredLook).base, AnimBase::Measured);
    QCOMPARE(rememberedAnimationSettings(schedule, measuredLook).base, AnimBase::Slots);
    AnimationSettings chosen = measuredBase(12.5);
    chosen.width = 960;
    chosen.fps = 8;
    chosen.caption = false;
    chosen.holdLast = false;
    rememberAnimationSettings(chosen);
    const AnimationSettings back = rememberedAnimationSettings(recorded, slotsLook);
    QCOMPARE(back.base, AnimBase::Measured);
    QCOMPARE(back.everyMs, 12.5);
    QCOMPARE(back.width, 960);
    QCOMPARE(back.fps, 8);
    QVERIFY(!back.caption && !back.holdLast);
    // A run without measured times falls back to slots, the step kept.
    QCOMPARE(rememberedAnimationSettings(schedule, slotsLook).base, AnimBase::Slots);
    QCOMPARE(rememberedAnimationSettings(schedule, slotsLook).everyMs, 12.5);
}

QTEST_MAIN(TestAnimationMeasured)
#include "tst_animmeasured.moc"
