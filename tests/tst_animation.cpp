// Animated exports: frames, sizes and colours read back with Qt (GIF, first
// frame) and with the libraries' own decoders (giflib, libwebp), the cursor
// moving, limits refused with a message, and a bad path, an unwritable
// folder, a full disk or a cancelled export leaving nothing half-written.
#include <gif_lib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <webp/demux.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QLabel>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <cmath>
#include <csignal>
#include <functional>

#include "animation_test_util.h"
#include "tests/mainwindowprobe.h"
#include "ui/export/animation.h"
#include "ui/export/animationdialog.h"
#include "ui/export/animencoder.h"
#include "ui/export/figures.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/settings.h"
#include "ui/panels/controlspanel.h"
#include "ui/views/palette.h"
#include "ui/window/mainwindow.h"

using namespace pd;
using namespace pd::test;

namespace {

// Every frame of a GIF composed onto its canvas, as giflib decodes it.
QList<QImage> decodeGif(const QString& path, QList<int>* delays = nullptr) {
    int error = 0;
    GifFileType* gif = DGifOpenFileName(QFile::encodeName(path).constData(), &error);
    if (!gif) return {};
    QList<QImage> frames;
    if (DGifSlurp(gif) == GIF_OK) {
        QImage canvas(gif->SWidth, gif->SHeight, QImage::Format_RGB32);
        canvas.fill(Qt::black);
        for (int i = 0; i < gif->ImageCount; ++i) {
            const SavedImage& image = gif->SavedImages[i];
            GraphicsControlBlock gcb{};
            gcb.TransparentColor = NO_TRANSPARENT_COLOR;
            DGifSavedExtensionToGCB(gif, i, &gcb);
            if (delays) delays->append(gcb.DelayTime);
            const ColorMapObject* map =
                image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap : gif->SColorMap;
            const GifImageDesc& d = image.ImageDesc;
            for (int y = 0; y < d.Height; ++y)
                for (int x = 0; x < d.Width; ++x) {
                    const int index = image.RasterBits[y * d.Width + x];
                    if (index == gcb.TransparentColor) continue;
                    const GifColorType c = map->Colors[index];
                    canvas.setPixel(d.Left + x, d.Top + y, qRgb(c.Red, c.Green, c.Blue));
                }
            frames << canvas.copy();
        }
    }
    DGifCloseFile(gif, &error);
    return frames;
}

// The box colours of the schedule (by op, per microbatch).
QSet<QRgb> boxColours(const RunModel& model) {
    QSet<QRgb> colours;
    const TimelineData& d = model.idealBoxes();
    for (int s = 0; s < d.lanes(); ++s)
        for (const TimelineBox& b : d.lane(s))
            colours.insert(boxColor(b.op, b.microbatch).rgb() | 0xff000000u);
    return colours;
}

// Where `expected` has a box colour, `actual` has the same colour.
int boxColourMismatches(const QImage& expected, const QImage& actual, const QSet<QRgb>& colours) {
    if (expected.size() != actual.size()) return -1;
    const QImage a = expected.convertToFormat(QImage::Format_RGB32);
    const QImage b = actual.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) {
            const QRgb c = a.pixel(x, y) | 0xff000000u;
            if (colours.contains(c) && (b.pixel(x, y) | 0xff000000u) != c) ++n;
        }
    return n;
}

// A full disk, simulated with a file size limit (EFBIG instead of ENOSPC).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_);
    }

private:
    rlimit saved_{};
    void (*previous_)(int) = nullptr;
};

}  // namespace

class TestAnimation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    }
    void framesFollowTheSlots();
    void gifReadsBack();
    void webpReadsBackExactly();
    void cursorMovesAndIsRestored();
    void captionNamesTheSlot();
    void limitsRefused();
    void runStillGoingRefused();
    void nothingHalfWritten();
    void cancelledLeavesNothing();
    void fullDiskLeavesPreviousFile();
    void headlessEndToEnd();
    void windowExportKeepsTheView();
    void settingsDialog();

private:
    QTemporaryDir config_;
};

void TestAnimation::framesFollowTheSlots() {
    RunModel model;
    loadSchedule(model, small());
    AnimationSettings s;
    AnimationFrames frames(model, look(), s);
    QCOMPARE(frames.count(), model.slotCount());
    QCOMPARE(frames.size().width(), 1280);
    QVERIFY(frames.size().height() > 1280 * 3 / 8);  // the caption under the timeline
    QCOMPARE(frames.render(0).size(), frames.size());
    QCOMPARE(frames.render(frames.count() - 1).size(), frames.size());
    s.caption = false;
    s.width = 640;
    s.from = 2;
    s.to = 6;
    AnimationFrames part(model, look(), s);
    QCOMPARE(part.count(), 5);
    QCOMPARE(part.size(), QSize(640, 240));
    QCOMPARE(part.durationMs(0), 333);
    QCOMPARE(part.durationMs(4), 333 + AnimationSettings::kHoldLastMs);
}

void TestAnimation::gifReadsBack() {
    RunModel model;
    loadSchedule(model, small());
    QTemporaryDir dir;
    const QString path = dir.filePath("walk.gif");
    AnimationSettings s;
    s.width = 800;
    QString error;
    AnimationResult result;
    QVERIFY2(exportAnimation(model, look(), path, s, {}, &error, &result), qPrintable(error));
    QCOMPARE(result.frames, model.slotCount());
    QCOMPARE(QFileInfo(path).size(), result.bytes);

    AnimationFrames frames(model, look(), s);
    const QSet<QRgb> colours = boxColours(model);
    // Qt's reader: the first frame, the frame count and the size.
    QImageReader reader(path);
    QCOMPARE(reader.format(), QByteArray("gif"));
    QCOMPARE(reader.imageCount(), result.stored);
    const QImage first = reader.read();
    QCOMPARE(first.size(), frames.size());
    QCOMPARE(boxColourMismatches(frames.render(0), first, colours), 0);
    // The first slot runs stage 0's forward of microbatch 0: its colour is there.
    const QRgb f0 = boxColor(Op::F, 0).rgb() | 0xff000000u;
    QVERIFY(countColour(first.convertToFormat(QImage::Format_RGB32), f0) > 50);

    // giflib: every frame, composed, has the rendered frame's box colours exactly.
    QList<int> delays;
    const QList<QImage> decoded = decodeGif(path, &delays);
    QCOMPARE(decoded.size(), result.stored);
    QCOMPARE(result.stored, frames.count());  // every slot changes the picture
    for (int i : {0, frames.count() / 2, frames.count() - 1})
        QCOMPARE(boxColourMismatches(frames.render(i), decoded[i], colours), 0);
    if (qEnvironmentVariableIsSet("PD_ANIM_SHOTS")) {  // to look at
        decoded.first().save(qEnvironmentVariable("PD_ANIM_SHOTS") + "/test-first.png");
        decoded.last().save(qEnvironmentVariable("PD_ANIM_SHOTS") + "/test-last.png");
    }
    // More boxes are drawn as the walk goes on.
    QVERIFY(countColour(decoded.last(), f0) > countColour(decoded.first(), f0));
    QCOMPARE(delays.first(), 33);
    QCOMPARE(delays.last(), 233);  // held 2 s longer
    // Looping forever: the NETSCAPE2.0 extension.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("NETSCAPE2.0"));
}

void TestAnimation::webpReadsBackExactly() {
    RunModel model;
    loadSchedule(model, small(ScheduleKind::PipeDream));
    QTemporaryDir dir;
    const QString path = dir.filePath("walk.webp");
    AnimationSettings s;
    s.width = 640;
    s.fps = 5;
    s.from = 1;
    s.to = 9;
    QString error;
    AnimationResult result;
    QVERIFY2(exportAnimation(model, look(), path, s, {}, &error, &result), qPrintable(error));
    QCOMPARE(result.frames, 9);
    QList<int> timestamps;
    const QList<QImage> decoded = decodeWebP(path, &timestamps);
    QCOMPARE(decoded.size(), 9);
    QCOMPARE(timestamps.first(), 200);  // the end of the first frame
    QCOMPARE(timestamps.last(), 9 * 200 + AnimationSettings::kHoldLastMs);
    AnimationFrames frames(model, look(), s);
    QCOMPARE(decoded.first().size(), frames.size());
    // Lossless: every pixel of every frame as rendered.
    for (int i = 0; i < frames.count(); ++i)
        QVERIFY2(decoded[i] == frames.render(i).convertToFormat(QImage::Format_RGB32),
                 qPrintable(QString("frame %1 differs").arg(i)));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray head = f.read(16);
    QVERIFY(head.startsWith("RIFF") && head.mid(8, 4) == "WEBP");
}

void TestAnimation::cursorMovesAndIsRestored() {
    RunModel model;
    loadSchedule(model, small());
    model.setCursor(5);
    QSignalSpy moved(&model, &RunModel::cursorMoved);
    {
        AnimationSettings s;
        s.width = 600;
        AnimationFrames frames(model, look(), s);
        const double a = frames.cursorPixel(0), b = frames.cursorPixel(3),
                     c = frames.cursorPixel(frames.count() - 1);
        QVERIFY2(a < b && b < c, qPrintable(QString("%1 %2 %3").arg(a).arg(b).arg(c)));
        QVERIFY(a > 0 && c < 600);
        // The frames differ by more than the cursor line: boxes appear.
        QVERIFY(frames.render(0) != frames.render(1));
    }
    QCOMPARE(model.cursor(), 5);
    QCOMPARE(moved.count(), 0);  // the window's views never saw the walk
}

void TestAnimation::captionNamesTheSlot() {
    RunModel model;
    loadSchedule(model, small(ScheduleKind::PipeDream));
    AnimationSettings s;
    AnimationFrames frames(model, look(), s);
    const QString first = frames.captionText(0);
    QVERIFY2(first.contains("t0") && first.contains("stage 0: F0"), qPrintable(first));
    QVERIFY2(first.contains("Weight versions: stage 0: v0"), qPrintable(first));
    // PipeDream updates after every backward: later slots show newer versions.
    const QString last = frames.captionText(frames.count() - 1);
    QVERIFY2(last.contains(QString("t%1").arg(frames.count() - 1)), qPrintable(last));
    QVERIFY2(!last.contains("stage 0: v0"), qPrintable(last));
    s.caption = false;
    AnimationFrames bare(model, look(), s);
    QVERIFY(bare.captionText(0).isEmpty());
    QVERIFY(bare.size().height() < frames.size().height());
}

void TestAnimation::limitsRefused() {
    RunModel model;
    loadSchedule(model, small());
    const int last = model.slotCount() - 1;
    const auto message = [&](auto change, std::uint64_t available = 0) {
        AnimationSettings s;
        change(s);
        return animationProblem(model, s, available);
    };
    QVERIFY(message([](AnimationSettings&) {}).isEmpty());
    QVERIFY(message([](AnimationSettings& s) { s.width = 63; }).contains("64 to 4000"));
    QVERIFY(message([](AnimationSettings& s) { s.width = 4001; }).contains("64 to 4000"));
    QVERIFY(message([](AnimationSettings& s) { s.fps = 0; }).contains("1 to 50"));
    QVERIFY(message([](AnimationSettings& s) { s.fps = 51; }).contains("1 to 50"));
    QCOMPARE(message([&](AnimationSettings& s) { s.from = last + 1; }),
             QString("first slot t%1 is outside the run (t0 to t%2)").arg(last + 1).arg(last));
    QCOMPARE(message([&](AnimationSettings& s) { s.to = last + 1; }),
             QString("last slot t%1 is outside the run (t0 to t%2)").arg(last + 1).arg(last));
    QVERIFY(message([](AnimationSettings& s) { s.from = 5, s.to = 4; }).contains("before"));
    // Memory: refused when it cannot fit, with the sizes said.
    const QString memory = message([](AnimationSettings&) {}, 1 << 20);
    QVERIFY2(memory.contains("memory") && memory.contains("1.0 MiB"), qPrintable(memory));
    // Too many frames.
    RunModel longRun;
    loadSchedule(longRun, small(ScheduleKind::OneFOneB, 500));
    QVERIFY(longRun.slotCount() > kAnimMaxFrames);
    AnimationSettings s;
    const QString many = animationProblem(longRun, s);
    QVERIFY2(many.contains("more than an animation may have (5000)"), qPrintable(many));
    s.to = kAnimMaxFrames - 1;
    QVERIFY(animationProblem(longRun, s).isEmpty());
    // exportAnimation says the same and writes nothing.
    QTemporaryDir dir;
    QString error;
    AnimationSettings wide;
    wide.width = 5000;
    QVERIFY(!exportAnimation(model, look(), dir.filePath("w.gif"), wide, {}, &error));
    QVERIFY(error.contains("64 to 4000"));
    QVERIFY(QDir(dir.path()).isEmpty());
}

void TestAnimation::runStillGoingRefused() {
    RunModel model;
    RunResult run;
    QString error;
    QVERIFY(prepareRun(small(), run, &error));
    model.reset(run, RunModel::Source::Live);  // started, no event yet
    QVERIFY(animationProblem(model, {}).contains("still going"));
    RunModel none;
    QVERIFY(animationProblem(none, {}).contains("no run"));
}

void TestAnimation::nothingHalfWritten() {
    RunModel model;
    loadSchedule(model, small());
    QTemporaryDir dir;
    AnimationSettings s;
    s.width = 320;
    QString error;
    QVERIFY(!exportAnimation(model, look(), dir.filePath("missing/walk.gif"), s, {}, &error));
    QVERIFY2(!error.isEmpty(), "a bad path is named");
    QVERIFY(!exportAnimation(model, look(), dir.filePath("walk.png"), s, {}, &error));
    QVERIFY2(error.contains(".gif or .webp"), qPrintable(error));
    QVERIFY(QDir(dir.path()).isEmpty());
    if (::geteuid() != 0) {  // root writes anywhere
        QDir(dir.path()).mkdir("locked");
        QFile::setPermissions(dir.filePath("locked"), QFile::ReadOwner | QFile::ExeOwner);
        QVERIFY(!exportAnimation(model, look(), dir.filePath("locked/walk.gif"), s, {}, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(QDir(dir.filePath("locked")).isEmpty());
        QFile::setPermissions(dir.filePath("locked"),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
}

void TestAnimation::cancelledLeavesNothing() {
    RunModel model;
    loadSchedule(model, small());
    QTemporaryDir dir;
    AnimationSettings s;
    s.width = 320;
    for (const char* name : {"walk.gif", "walk.webp"}) {
        QString error;
        int calls = 0;
        const bool ok = exportAnimation(
            model, look(), dir.filePath(name), s,
            [&](int done, int total) {
                ++calls;
                return done < total / 2;
            },
            &error);
        QVERIFY(!ok);
        QVERIFY2(error.contains("cancelled"), qPrintable(error));
        QCOMPARE(calls, model.slotCount() / 2);
        QVERIFY2(QDir(dir.path()).isEmpty(), "no file, no temporary");
    }
}

void TestAnimation::fullDiskLeavesPreviousFile() {
    RunModel model;
    loadSchedule(model, small());
    QTemporaryDir dir;
    const QString path = dir.filePath("walk.gif");
    QFile old(path);
    QVERIFY(old.open(QIODevice::WriteOnly));
    old.write("previous");
    old.close();
    AnimationSettings s;
    s.width = 800;
    QString error;
    {
        FileSizeLimit limit(4096);
        QVERIFY(!exportAnimation(model, look(), path, s, {}, &error));
    }
    QVERIFY2(!error.isEmpty(), "the cause is said");
    QFile again(path);
    QVERIFY(again.open(QIODevice::ReadOnly));
    QCOMPARE(again.readAll(), QByteArray("previous"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
}

void TestAnimation::headlessEndToEnd() {
#ifdef PD_VIZ_EXE
    QTemporaryDir dir;
    const QStringList run = {"--stages", "2", "--microbatches", "2",  "--batches",    "1",
                             "--layers", "4", "--hidden",       "16", "--batch-size", "8"};
    const auto viz = [&](const QStringList& args, QString* out = nullptr, QString* err = nullptr) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PD_VIZ_EXE), args);
        if (!p.waitForFinished(120000)) return -1;
        if (out) *out = QString::fromUtf8(p.readAllStandardOutput());
        if (err) *err = QString::fromUtf8(p.readAllStandardError());
        return p.exitCode();
    };
    QString out, err;
    const QString gif = dir.filePath("walk.gif");
    QCOMPARE(viz(QStringList{"--headless", "--export-animation", gif, "--anim-width", "400",
                             "--anim-fps", "10"} +
                     run,
                 &out, &err),
             0);
    QVERIFY2(out.contains("wrote " + gif), qPrintable(out + err));
    QImageReader reader(gif);
    QCOMPARE(reader.size().width(), 400);
    RunModel model;
    RunOptions o = small();
    o.schedule.stages = 2;
    o.schedule.microbatches = 2;
    o.batchSize = 8;
    loadSchedule(model, o);
    QCOMPARE(reader.imageCount(), model.slotCount());
    QVERIFY2(out.contains(QString("%1 frames").arg(model.slotCount())), qPrintable(out));

    const QString webp = dir.filePath("part.webp");
    QCOMPARE(viz(QStringList{"--headless", "--export-animation", webp, "--anim-from", "1",
                             "--anim-to", "3", "--anim-no-caption"} +
                     run,
                 &out, &err),
             0);
    QCOMPARE(decodeWebP(webp).size(), 3);

    // Coloured by weight version, as the window and the still weight
    // versioning figure can: the first frame's forward is v0's colour, not F's.
    const QString versions = dir.filePath("versions.gif");
    QCOMPARE(viz(QStringList{"--headless", "--export-animation", versions, "--anim-color-by",
                             "version", "--anim-no-caption", "--anim-width", "400"} +
                     run,
                 &out, &err),
             0);
    const QImage byVersion = QImageReader(versions).read().convertToFormat(QImage::Format_RGB32);
    const QImage byOp = decodeWebP(webp).first();
    const QRgb f0 = boxColor(Op::F, 0).rgb() | 0xff000000u;
    const QRgb v0 = versionColor(0, 1).rgb() | 0xff000000u;  // one batch: v0 and v1
    QVERIFY(countColour(byOp, f0) > 50);
    QCOMPARE(countColour(byVersion, f0), 0);
    QVERIFY(countColour(byVersion, v0) > 50);

    // The measured base: frames every N ms of the real run, as many as said.
    if (EngineController::engineAvailable()) {
        const QString measured = dir.filePath("measured.gif");
        QCOMPARE(viz(QStringList{"--headless", "--export-animation", measured, "--anim-base",
                                 "measured", "--anim-every-ms", "0.5", "--anim-width", "320"} +
                         run,
                     &out, &err),
                 0);
        QVERIFY2(out.contains("a frame every 0.5 ms of measured time"), qPrintable(out + err));
        const QRegularExpressionMatch m =
            QRegularExpression("(\\d+) frames \\((\\d+) stored\\)").match(out);
        QVERIFY2(m.hasMatch(), qPrintable(out));
        QCOMPARE(QImageReader(measured).imageCount(), m.captured(2).toInt());
        // A step too fine for the run: refused once its times are known.
        const QString fine = dir.filePath("fine.gif");
        QCOMPARE(viz(QStringList{"--headless", "--export-animation", fine, "--anim-base",
                                 "measured", "--anim-every-ms", "0.00001"} +
                         run,
                     &out, &err),
                 2);
        QVERIFY2(err.contains("more than an animation may have (5000): choose a frame every"),
                 qPrintable(err));
        QVERIFY(!QFile::exists(fine));
    }

    // Bad input: exit 2, one line, nothing written.
    const QString bad = dir.filePath("bad.gif");
    QCOMPARE(viz(QStringList{"--headless", "--export-animation", bad, "--anim-to", "9999"} + run,
                 &out, &err),
             2);
    QVERIFY2(err.contains("last slot t9999 is outside the run"), qPrintable(err));
    QCOMPARE(viz({"--headless", "--export-animation", bad, "--anim-width", "10"}, &out, &err), 2);
    QVERIFY2(err.contains("--anim-width expects an integer between 64 and 4000"), qPrintable(err));
    QCOMPARE(viz({"--headless", "--export-animation", dir.filePath("x.png")}, &out, &err), 2);
    QVERIFY2(err.contains(".gif or .webp"), qPrintable(err));
    QCOMPARE(
        viz({"--headless", "--export-animation", dir.filePath("no/such/dir/x.gif")}, &out, &err),
        2);
    QCOMPARE(viz({"--export-animation", bad}, &out, &err), 2);
    QVERIFY2(err.contains("needs --headless"), qPrintable(err));
    QCOMPARE(viz({"--headless", "--export", dir.filePath("d"), "--anim-fps", "5"}, &out, &err), 2);
    QVERIFY2(err.contains("need --export-animation"), qPrintable(err));
    QVERIFY(!QFile::exists(bad));
    QVERIFY(!QFile::exists(dir.filePath("x.png")));
#else
    QSKIP("pipedream-viz is not built");
#endif
}

void TestAnimation::windowExportKeepsTheView() {
    MainWindow w(small(ScheduleKind::PipeDream), nullptr, false);
    probe(w).controller()->setPreferSimulated(true);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.newRun();
    probe(w).controls()->paceCombo()->setCurrentIndex(probe(w).controls()->paceCombo()->count() -
                                                      1);
    w.playPause();
    QTRY_VERIFY_WITH_TIMEOUT(
        probe(w).model()->finished() && probe(w).model()->cursor() == probe(w).model()->slotCount(),
        20000);
    probe(w).model()->setCursor(7);
    QTRY_COMPARE(probe(w).model()->cursor(), 7);
    const double playhead = probe(w).timeline()->playhead();
    const QCPRange range = probe(w).timeline()->xAxis->range();
    QTemporaryDir dir;
    QString error;
    AnimationSettings s;
    s.width = 480;
    QVERIFY2(w.exportAnimation(dir.filePath("w.webp"), s, &error), qPrintable(error));
    QCOMPARE(decodeWebP(dir.filePath("w.webp")).size(), probe(w).model()->slotCount());
    // The window is where it was: cursor, playhead, range.
    QCOMPARE(probe(w).model()->cursor(), 7);
    QCOMPARE(probe(w).timeline()->playhead(), playhead);
    QCOMPARE(probe(w).timeline()->xAxis->range().lower, range.lower);
    QCOMPARE(probe(w).timeline()->xAxis->range().upper, range.upper);
    // The export menu has the entry.
    bool found = false;
    for (QAction* a : w.findChildren<QAction*>())
        found = found || a->text().startsWith("Animation (GIF, WebP)");
    QVERIFY(found);
}

void TestAnimation::settingsDialog() {
    RunModel model;
    loadSchedule(model, small());
    AnimationSettings s;
    bool seen = false;
    QTimer::singleShot(0, [&] {
        for (QWidget* top : QApplication::topLevelWidgets()) {
            auto* d = qobject_cast<QDialog*>(top);
            if (!d || d->objectName() != "animationSettings") continue;
            seen = true;
            // The range offered is the run's: t0 .. the last slot.
            auto* to = d->findChild<QSpinBox*>("to");
            QCOMPARE(to->maximum(), model.slotCount() - 1);
            QCOMPARE(to->value(), model.slotCount() - 1);
            d->findChild<QSpinBox*>("width")->setValue(99999);  // clamped to the limit
            d->findChild<QSpinBox*>("fps")->setValue(12);
            d->findChild<QSpinBox*>("from")->setValue(2);
            d->findChild<QCheckBox*>("caption")->setChecked(false);
            d->accept();
        }
    });
    QVERIFY(askAnimationSettings(nullptr, model, &s));
    QVERIFY(seen);
    QCOMPARE(s.width, kAnimMaxWidth);
    QCOMPARE(s.fps, 12);
    QCOMPARE(s.from, 2);
    QCOMPARE(s.to, model.slotCount() - 1);
    QVERIFY(!s.caption);
    QVERIFY(s.holdLast);
}

QTEST_MAIN(TestAnimation)
#include "tst_animation.moc"
