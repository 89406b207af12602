#include "palette.h"

#include <QObject>

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

QColor versionColor(int version) {
    static const QColor kColors[] = {QColor(0x44, 0x77, 0xAA), QColor(0xEE, 0x66, 0x77),
                                     QColor(0x22, 0x88, 0x33), QColor(0xCC, 0xBB, 0x44),
                                     QColor(0x66, 0xCC, 0xEE), QColor(0xAA, 0x33, 0x77),
                                     QColor(0x88, 0x88, 0x88), QColor(0x33, 0x22, 0x88)};
    static_assert(sizeof(kColors) / sizeof(kColors[0]) == kVersionColors);
    const int n = kVersionColors;
    return kColors[((version % n) + n) % n];
}

QColor mismatchOutline() {
    return QColor(0x10, 0x10, 0x10);
}
QColor timelineBackground() {
    return Qt::white;
}
QColor idleColor() {
    return QColor(0xEC, 0xEC, 0xEC);
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
