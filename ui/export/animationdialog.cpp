#include "ui/export/animationdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressDialog>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <cmath>

#include "ui/export/animencoder.h"
#include "ui/model/runmodel.h"
#include "ui/model/settings.h"

namespace pd {

bool askAnimationSettings(QWidget* parent, const RunModel& model, AnimationSettings* settings) {
    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("animationSettings"));
    dialog.setWindowTitle(QObject::tr("Export animation"));
    auto* form = new QFormLayout(&dialog);
    const int last = std::max(0, model.frontier() - 1);
    auto spin = [&](const char* name, int lo, int hi, int value, const QString& suffix) {
        auto* box = new QSpinBox(&dialog);
        box->setObjectName(QString::fromLatin1(name));
        box->setRange(lo, hi);
        box->setValue(std::clamp(value, lo, hi));
        box->setSuffix(suffix);
        return box;
    };
    QSpinBox* width =
        spin("width", kAnimMinWidth, kAnimMaxWidth, settings->width, QObject::tr(" px"));
    QSpinBox* fps =
        spin("fps", kAnimMinFps, kAnimMaxFps, settings->fps, QObject::tr(" per second"));
    QSpinBox* from = spin("from", 0, last, settings->from < 0 ? 0 : settings->from, QString());
    QSpinBox* to = spin("to", 0, last, settings->to < 0 ? last : settings->to, QString());
    from->setPrefix(QStringLiteral("t"));
    to->setPrefix(QStringLiteral("t"));
    // The time base: the measured one only where the run has measured times.
    const bool measurable = AnimationFrames::hasMeasuredTimes(model);
    auto* base = new QComboBox(&dialog);
    base->setObjectName(QStringLiteral("base"));
    base->addItem(QObject::tr("Slots: a frame per slot"));
    base->addItem(QObject::tr("Measured time: a frame every N ms"));
    if (!measurable) {
        if (auto* items = qobject_cast<QStandardItemModel*>(base->model()))
            items->item(1)->setEnabled(false);
        base->setToolTip(
            QObject::tr("This run has no measured times (a simulated run or "
                        "schedule): its frames step through the slots."));
    }
    base->setCurrentIndex(measurable && settings->base == AnimBase::Measured ? 1 : 0);
    auto* every = new QDoubleSpinBox(&dialog);
    every->setObjectName(QStringLiteral("everyMs"));
    every->setRange(0.0, 86400000.0);
    every->setDecimals(2);
    every->setSuffix(QObject::tr(" ms"));
    every->setSpecialValueText(QObject::tr("about one frame per slot"));
    every->setValue(std::max(0.0, settings->everyMs));
    auto* hold = new QCheckBox(
        QObject::tr("Hold the last frame %1 s").arg(AnimationSettings::kHoldLastMs / 1000),
        &dialog);
    hold->setObjectName(QStringLiteral("hold"));
    hold->setChecked(settings->holdLast);
    auto* caption =
        new QCheckBox(QObject::tr("Caption: what each stage ran and its weight versions"), &dialog);
    caption->setObjectName(QStringLiteral("caption"));
    caption->setChecked(settings->caption);
    auto* frames = new QLabel(&dialog);
    const auto count = [&] {
        every->setEnabled(base->currentIndex() == 1);
        AnimationSettings probe;
        probe.from = from->value();
        probe.to = to->value();
        probe.base = base->currentIndex() == 1 ? AnimBase::Measured : AnimBase::Slots;
        probe.everyMs = every->value();
        AnimationPlan plan;
        int n = std::max(0, to->value() - from->value() + 1);
        if (probe.base == AnimBase::Measured) {
            if (QString problem; !AnimationFrames::plan(model, probe, &plan, &problem)) {
                frames->setText(problem);
                return;
            }
            n = plan.count;
        }
        frames->setText(
            QObject::tr("%1 frames, %2 s")
                .arg(n)
                .arg(QLocale().toString(
                    n / static_cast<double>(fps->value()) +
                        (hold->isChecked() ? AnimationSettings::kHoldLastMs / 1000.0 : 0.0),
                    'f', 1)));
    };
    for (QSpinBox* box : {from, to, fps})
        QObject::connect(box, &QSpinBox::valueChanged, &dialog, count);
    QObject::connect(hold, &QCheckBox::toggled, &dialog, count);
    QObject::connect(base, &QComboBox::currentIndexChanged, &dialog, count);
    QObject::connect(every, &QDoubleSpinBox::valueChanged, &dialog, count);
    frames->setObjectName(QStringLiteral("frames"));
    frames->setWordWrap(true);
    count();
    form->addRow(QObject::tr("Width:"), width);
    form->addRow(QObject::tr("Frames:"), fps);
    form->addRow(QObject::tr("First slot:"), from);
    form->addRow(QObject::tr("Last slot:"), to);
    form->addRow(QObject::tr("Time base:"), base);
    form->addRow(QObject::tr("Frame every:"), every);
    form->addRow(QString(), hold);
    form->addRow(QString(), caption);
    form->addRow(QString(), frames);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(QObject::tr("Export"));
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted) return false;
    settings->width = width->value();
    settings->fps = fps->value();
    settings->from = from->value();
    settings->to = to->value();
    settings->holdLast = hold->isChecked();
    settings->caption = caption->isChecked();
    settings->base = base->currentIndex() == 1 ? AnimBase::Measured : AnimBase::Slots;
    settings->everyMs = every->value();
    return true;
}

AnimationSettings rememberedAnimationSettings(const RunModel& model, const AnimationLook& look) {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("animation"));
    AnimationSettings a;
    a.width =
        std::clamp(s.value(QStringLiteral("width"), a.width).toInt(), kAnimMinWidth, kAnimMaxWidth);
    a.fps = std::clamp(s.value(QStringLiteral("fps"), a.fps).toInt(), kAnimMinFps, kAnimMaxFps);
    a.holdLast = s.value(QStringLiteral("holdLast"), a.holdLast).toBool();
    a.caption = s.value(QStringLiteral("caption"), a.caption).toBool();
    const bool windowMeasured =
        look.mode == TimelineView::Mode::Measured || look.mode == TimelineView::Mode::Both;
    const QString base = s.value(QStringLiteral("base")).toString();
    const bool measured = base.isEmpty() ? windowMeasured : base == QStringLiteral("measured");
    a.base =
        measured && AnimationFrames::hasMeasuredTimes(model) ? AnimBase::Measured : AnimBase::Slots;
    const double every = s.value(QStringLiteral("everyMs"), 0.0).toDouble();
    a.everyMs = std::isfinite(every) && every > 0.0 ? every : 0.0;
    return a;
}

void rememberAnimationSettings(const AnimationSettings& a) {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("animation"));
    s.setValue(QStringLiteral("width"), a.width);
    s.setValue(QStringLiteral("fps"), a.fps);
    s.setValue(QStringLiteral("holdLast"), a.holdLast);
    s.setValue(QStringLiteral("caption"), a.caption);
    s.setValue(QStringLiteral("base"),
               a.base == AnimBase::Measured ? QStringLiteral("measured") : QStringLiteral("slots"));
    s.setValue(QStringLiteral("everyMs"), a.everyMs);
}

QString exportAnimationInteractive(QWidget* parent, RunModel& model, const AnimationLook& look,
                                   bool* ok) {
    *ok = false;
    AnimationSettings settings;
    // Said before any dialog: a run still going, nothing run yet.
    if (QString problem; !AnimationFrames::check(model, settings, &problem)) return problem;
    QString path = QFileDialog::getSaveFileName(
        parent, QObject::tr("Export animation"), QStringLiteral("walk.gif"),
        QObject::tr("Animated GIF (*.gif);;Animated WebP, lossless (*.webp)"));
    if (path.isEmpty()) return {};
    if (animFormatFromSuffix(path) == AnimFormat::Unknown) path += QStringLiteral(".gif");
    settings = rememberedAnimationSettings(model, look);
    if (!askAnimationSettings(parent, model, &settings)) return {};
    rememberAnimationSettings(settings);
    AnimationPlan plan;
    if (QString problem; !AnimationFrames::plan(model, settings, &plan, &problem)) return problem;
    QProgressDialog progress(QObject::tr("Rendering %1...").arg(path), QObject::tr("Cancel"), 0,
                             plan.count, parent);
    progress.setWindowTitle(QObject::tr("Export animation"));
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    QString error;
    AnimationResult result;
    *ok = exportAnimation(
        model, look, path, settings,
        [&](int done, int total) {
            progress.setMaximum(total);
            progress.setValue(done);
            QCoreApplication::processEvents();
            return !progress.wasCanceled();
        },
        &error, &result);
    progress.reset();
    if (!*ok) return error;
    return QObject::tr("Wrote %1: %2 frames, %3x%4 px, %5")
        .arg(path)
        .arg(result.frames)
        .arg(result.size.width())
        .arg(result.size.height())
        .arg(QLocale().formattedDataSize(result.bytes));
}

}  // namespace pd
