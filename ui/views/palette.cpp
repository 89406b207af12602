#include "ui/views/palette.h"

#include <QGuiApplication>
#include <QObject>
#include <QPalette>
#include <algorithm>
#include <cmath>

namespace pd {

QColor opColor(Op op) {
    switch (op) {
        case Op::F:
            return QColor(0x00, 0x72, 0xB2);  // blue
        case Op::B:
            return QColor(0xD5, 0x5E, 0x00);  // vermillion
        case Op::I:
            return QColor(0xE6, 0x9F, 0x00);  // orange
        case Op::W:
            return QColor(0x00, 0x9E, 0x73);  // bluish green
        case Op::U:
            return QColor(0xCC, 0x79, 0xA7);  // reddish purple
    }
    return Qt::gray;
}

QColor boxColor(Op op, int microbatch) {
    const QColor base = opColor(op);
    if (microbatch < 0) return base;
    const int step = microbatch % kMicrobatchShades;
    // Blend toward white: 0%, 14%, 28%, 42%; the op stays recognisable.
    const double t = 0.14 * step;
    return QColor::fromRgbF(static_cast<float>(base.redF() + (1.0 - base.redF()) * t),
                            static_cast<float>(base.greenF() + (1.0 - base.greenF()) * t),
                            static_cast<float>(base.blueF() + (1.0 - base.blueF()) * t));
}

namespace {

QColor blendStops(const QColor* stops, int n, double t) {
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (n - 1);
    const int i = std::min(static_cast<int>(t), n - 2);
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    auto mix = [f](float x, float y) { return static_cast<float>(x + (y - x) * f); };
    return QColor::fromRgbF(mix(a.redF(), b.redF()), mix(a.greenF(), b.greenF()),
                            mix(a.blueF(), b.blueF()));
}

double fraction(int value, int max) {
    return max > 0 ? static_cast<double>(value) / max : 0.0;
}

// OKLab (Björn Ottosson, 2020): a perceptual space in which lightness can
// be changed without shifting hue, and distances match what is seen.
struct Lab {
    double L, a, b;
};

double toLinear(double c) {
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double toGamma(double c) {
    c = std::clamp(c, 0.0, 1.0);
    return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
}

Lab toLab(const QColor& c) {
    const double r = toLinear(c.redF()), g = toLinear(c.greenF()), b = toLinear(c.blueF());
    const double l = std::cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
    const double m = std::cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
    const double s = std::cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
    return {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
            1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
}

QColor fromLab(const Lab& c) {
    const double l = std::pow(c.L + 0.3963377774 * c.a + 0.2158037573 * c.b, 3.0);
    const double m = std::pow(c.L - 0.1055613458 * c.a - 0.0638541728 * c.b, 3.0);
    const double s = std::pow(c.L - 0.0894841775 * c.a - 1.2914855480 * c.b, 3.0);
    return QColor::fromRgbF(
        static_cast<float>(toGamma(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s)),
        static_cast<float>(toGamma(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s)),
        static_cast<float>(toGamma(-0.0041960863 * l - 0.5115567237 * m + 1.2962339575 * s)));
}

}  // namespace

QColor sequentialColor(double t) {
    static const QColor kViridis[] = {
        QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2C, 0x7A), QColor(0x3B, 0x51, 0x8B),
        QColor(0x2C, 0x71, 0x8E), QColor(0x21, 0x90, 0x8D), QColor(0x27, 0xAD, 0x81),
        QColor(0x5C, 0xC8, 0x63), QColor(0xAA, 0xDC, 0x32), QColor(0xFD, 0xE7, 0x25)};
    return blendStops(kViridis, 9, t);
}

QColor versionColor(int version, int maxVersion) {
    return versionShade(fraction(version, maxVersion), std::max(version, 0) % 3, maxVersion);
}

// Up to four versions plain viridis keeps neighbours far enough apart
// (about 0.19 in OKLab); beyond, the scale's lightness is narrowed to
// 0.42-0.78 and each version is 0.13 darker, level or lighter by its
// phase, which keeps neighbours at least 0.12 apart however many versions
// a run has (tst_timelineview checks it).
QColor versionShade(double t, int phase, int maxVersion) {
    const QColor base = sequentialColor(t);
    if (maxVersion <= 4) return base;
    static constexpr double kStep[] = {-0.13, 0.0, 0.13};
    Lab lab = toLab(base);
    lab.L = 0.42 + 0.36 * std::clamp(t, 0.0, 1.0) + kStep[std::clamp(phase, 0, 2)];
    return fromLab(lab);
}

QColor stageColor(int stage, int stages) {
    static const QColor kTolLight[] = {QColor(0x77, 0xAA, 0xDD), QColor(0xEE, 0x88, 0x66),
                                       QColor(0x44, 0xBB, 0x99), QColor(0xFF, 0xAA, 0xBB),
                                       QColor(0xEE, 0xDD, 0x88), QColor(0x99, 0xDD, 0xFF),
                                       QColor(0xBB, 0xCC, 0x33), QColor(0xDD, 0xDD, 0xDD)};
    stage = std::max(stage, 0);
    if (stages <= 8) return kTolLight[stage % 8];
    return versionColor(stage, stages - 1);
}

double colourDistance(const QColor& a, const QColor& b) {
    const Lab x = toLab(a), y = toLab(b);
    return std::hypot(x.L - y.L, x.a - y.a, x.b - y.b);
}

QColor stalenessColor(int staleness, int maxStaleness) {
    static const QColor kYlOrRd[] = {QColor(0xFF, 0xF3, 0xB0), QColor(0xFE, 0xB2, 0x4C),
                                     QColor(0xF0, 0x3B, 0x20), QColor(0x80, 0x00, 0x26)};
    // Scaled to at least 3 steps, so one stale version is not already the darkest.
    return blendStops(kYlOrRd, 4, fraction(staleness, std::max(maxStaleness, 3)));
}

QColor mismatchOutline() {
    return QColor(0x10, 0x10, 0x10);
}
// Dark desktops (the application palette's window colour) get dark plots.
static bool dark() {
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

QColor highlightColor() {
    return dark() ? QColor(0xF4, 0xF4, 0xF4) : QColor(0x10, 0x10, 0x10);
}
QColor gradientFlowColor() {
    return dark() ? QColor(0xFF, 0x70, 0x90) : QColor(0xA0, 0x10, 0x40);
}
QColor timelineBackground() {
    return dark() ? QGuiApplication::palette().color(QPalette::Base) : QColor(Qt::white);
}
QColor idleColor() {
    return dark() ? QColor(0x3A, 0x3A, 0x3A) : QColor(0xEC, 0xEC, 0xEC);
}
QColor idealOutline() {
    return QColor(0x40, 0x40, 0x40);
}

QColor textColorOn(const QColor& bg) {
    const double luminance = 0.2126 * bg.redF() + 0.7152 * bg.greenF() + 0.0722 * bg.blueF();
    return luminance > 0.5 ? Qt::black : Qt::white;
}

QString opName(Op op) {
    switch (op) {
        case Op::F:
            return QObject::tr("Forward");
        case Op::B:
            return QObject::tr("Backward");
        case Op::I:
            return QObject::tr("Input gradient");
        case Op::W:
            return QObject::tr("Weight gradient");
        case Op::U:
            return QObject::tr("Update");
    }
    return {};
}

QColor measuredColor() {
    return QColor(0x00, 0x72, 0xB2);
}
QColor analyticColor() {
    return QColor(0xE6, 0x9F, 0x00);
}
QColor tutorialColor() {
    return QColor(0xA0, 0xA0, 0xA0);
}

}  // namespace pd
