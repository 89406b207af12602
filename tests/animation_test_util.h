// Helpers shared by the animation tests: a small run, its schedule in a
// run model, the look of the frames, and reading frames back (libwebp's
// own decoder) and counting a colour in them.
#pragma once

#include <webp/demux.h>

#include <QFile>
#include <QImage>
#include <QList>
#include <QtTest>

#include "ui/export/animation.h"
#include "ui/model/runmodel.h"

namespace pd::test {

// What AnimationFrames::check says of `settings`: empty when the animation
// can be exported, else the problem.
inline QString animationProblem(const RunModel& model, const AnimationSettings& settings,
                                std::uint64_t availableBytes = 0) {
    QString problem;
    if (AnimationFrames::check(model, settings, &problem, nullptr, nullptr, availableBytes))
        return {};
    return problem.isEmpty() ? QStringLiteral("<refused without a reason>") : problem;
}

inline RunOptions small(ScheduleKind kind = ScheduleKind::OneFOneB, int batches = 1) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = kind;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = batches;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

// The schedule of `o`, whole (a simulated schedule is complete at once).
inline void loadSchedule(RunModel& model, const RunOptions& o) {
    RunResult run;
    QString error;
    QVERIFY2(prepareRun(o, run, &error), qPrintable(error));
    model.reset(run, RunModel::Source::Schedule);
}

inline AnimationLook look() {
    AnimationLook l;
    l.title = QStringLiteral("test walk");
    return l;
}

inline QList<QImage> decodeWebP(const QString& path, QList<int>* timestamps = nullptr) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray bytes = f.readAll();
    WebPData data{reinterpret_cast<const uint8_t*>(bytes.constData()),
                  static_cast<size_t>(bytes.size())};
    WebPAnimDecoderOptions options;
    WebPAnimDecoderOptionsInit(&options);
    options.color_mode = MODE_BGRA;  // QImage::Format_ARGB32 on little-endian
    WebPAnimDecoder* decoder = WebPAnimDecoderNew(&data, &options);
    if (!decoder) return {};
    WebPAnimInfo info;
    WebPAnimDecoderGetInfo(decoder, &info);
    QList<QImage> frames;
    while (WebPAnimDecoderHasMoreFrames(decoder)) {
        uint8_t* pixels = nullptr;
        int timestamp = 0;
        if (!WebPAnimDecoderGetNext(decoder, &pixels, &timestamp)) break;
        if (timestamps) timestamps->append(timestamp);
        frames << QImage(pixels, static_cast<int>(info.canvas_width),
                         static_cast<int>(info.canvas_height), QImage::Format_ARGB32)
                      .convertToFormat(QImage::Format_RGB32);
    }
    WebPAnimDecoderDelete(decoder);
    return frames;
}

// Pixels of `colour` in `image`.
inline int countColour(const QImage& image, QRgb colour) {
    int n = 0;
    for (int y = 0; y < image.height(); ++y) {
        const auto* p = reinterpret_cast<const QRgb*>(image.constScanLine(y));
        for (int x = 0; x < image.width(); ++x) n += (p[x] | 0xff000000u) == colour;
    }
    return n;
}

}  // namespace pd::test
