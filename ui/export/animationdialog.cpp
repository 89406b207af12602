#include "ui/export/animationdialog.h"

#include <QCheckBox>
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

#include "ui/export/animencoder.h"
#include "ui/model/runmodel.h"

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
        const int n = std::max(0, to->value() - from->value() + 1);
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
    count();
    form->addRow(QObject::tr("Width:"), width);
    form->addRow(QObject::tr("Frames:"), fps);
    form->addRow(QObject::tr("First slot:"), from);
    form->addRow(QObject::tr("Last slot:"), to);
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
    return true;
}

QString exportAnimationInteractive(QWidget* parent, RunModel& model, const AnimationLook& look,
                                   bool* ok) {
    *ok = false;
    AnimationSettings settings;
    // Said before any dialog: a run still going, nothing run yet.
    if (const QString problem = AnimationFrames::check(model, settings); !problem.isEmpty())
        return problem;
    QString path = QFileDialog::getSaveFileName(
        parent, QObject::tr("Export animation"), QStringLiteral("walk.gif"),
        QObject::tr("Animated GIF (*.gif);;Animated WebP, lossless (*.webp)"));
    if (path.isEmpty()) return {};
    if (animFormatFromSuffix(path) == AnimFormat::Unknown) path += QStringLiteral(".gif");
    if (!askAnimationSettings(parent, model, &settings)) return {};
    if (const QString problem = AnimationFrames::check(model, settings); !problem.isEmpty())
        return problem;
    QProgressDialog progress(QObject::tr("Rendering %1...").arg(path), QObject::tr("Cancel"), 0,
                             settings.to - settings.from + 1, parent);
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
