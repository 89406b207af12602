#include "ui/model/settings.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QObject>
#include <QSpinBox>
#include <QString>

namespace pd {

QSettings appSettings() {
    return QSettings(QStringLiteral("PipeDreamStudio"), QStringLiteral("pipedream-viz"));
}

bool settingsWritable(QSettings& s, QString* why) {
    s.sync();
    if (s.status() == QSettings::NoError && s.isWritable()) return true;
    *why = QObject::tr("Settings will not be remembered: %1 cannot be written").arg(s.fileName());
    return false;
}

void saveRunOptions(QSettings& s, const RunOptions& o) {
    s.setValue(QStringLiteral("run/schedule"), QString::fromLatin1(toString(o.schedule.kind)));
    s.setValue(QStringLiteral("run/stages"), o.schedule.stages);
    s.setValue(QStringLiteral("run/microbatches"), o.schedule.microbatches);
    s.setValue(QStringLiteral("run/batches"), o.schedule.batches);
    s.setValue(QStringLiteral("run/chunks"), o.schedule.chunks);
    s.setValue(QStringLiteral("run/verticalSync"), o.schedule.verticalSync);
    s.setValue(QStringLiteral("run/stash"), o.schedule.stash);
    s.setValue(QStringLiteral("run/batchSize"), o.batchSize);
    s.setValue(QStringLiteral("run/layers"), o.layers);
    s.setValue(QStringLiteral("run/hidden"), o.hidden);
    s.setValue(QStringLiteral("run/lr"), o.lr);
    s.setValue(QStringLiteral("run/device"), QString::fromStdString(o.device));
    s.setValue(QStringLiteral("run/backend"), QString::fromStdString(o.backend));
    s.setValue(QStringLiteral("run/model"), QString::fromStdString(o.model));
    s.setValue(QStringLiteral("run/data"), QString::fromStdString(o.data));
    s.setValue(QStringLiteral("run/optimizer"), QString::fromStdString(o.optimizer));
    s.setValue(QStringLiteral("run/epochs"), o.epochs);
    s.setValue(QStringLiteral("run/evalEvery"), o.evalEvery);
}

RunOptions restoreRunOptions(QSettings& s, const RunOptions& fallback) {
    if (!s.contains(QStringLiteral("run/schedule"))) return fallback;
    RunOptions o = fallback;
    if (auto k =
            parseScheduleKind(s.value(QStringLiteral("run/schedule")).toString().toStdString()))
        o.schedule.kind = *k;
    auto integer = [&](const char* key, int fallbackValue) {
        return s.value(QString::fromLatin1(key), fallbackValue).toInt();
    };
    o.schedule.stages = integer("run/stages", o.schedule.stages);
    o.schedule.microbatches = integer("run/microbatches", o.schedule.microbatches);
    o.schedule.batches = integer("run/batches", o.schedule.batches);
    o.schedule.chunks = integer("run/chunks", o.schedule.chunks);
    o.schedule.verticalSync =
        s.value(QStringLiteral("run/verticalSync"), o.schedule.verticalSync).toBool();
    o.schedule.stash = s.value(QStringLiteral("run/stash"), o.schedule.stash).toBool();
    o.batchSize = integer("run/batchSize", o.batchSize);
    o.layers = integer("run/layers", o.layers);
    o.hidden = integer("run/hidden", o.hidden);
    o.lr = s.value(QStringLiteral("run/lr"), o.lr).toDouble();
    o.device = s.value(QStringLiteral("run/device"), QString::fromStdString(o.device))
                   .toString()
                   .toStdString();
    // Where the stages run: threads, or local processes over Gloo.
    const QString backend = s.value(QStringLiteral("run/backend")).toString();
    o.backend = backend == QLatin1String("gloo") ? "gloo" : "threads";
    auto text = [&](const char* key, const std::string& fallbackValue) {
        return s.value(QString::fromLatin1(key), QString::fromStdString(fallbackValue))
            .toString()
            .toStdString();
    };
    o.model = text("run/model", o.model);
    o.data = text("run/data", o.data);
    o.optimizer = text("run/optimizer", o.optimizer);
    o.epochs = integer("run/epochs", o.epochs);
    o.evalEvery = integer("run/evalEvery", o.evalEvery);
    try {
        checkRunOptions(o);
        return o;
    } catch (const ConfigError&) {
        return fallback;  // settings of another version, or edited by hand
    }
}

bool askImageSize(QWidget* parent, const QSize& current, QSize* size) {
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("Image size"));
    auto* form = new QFormLayout(&dialog);
    auto* w = new QSpinBox(&dialog);
    auto* h = new QSpinBox(&dialog);
    w->setRange(16, 20000);
    h->setRange(16, 20000);
    w->setValue(std::max(800, current.width()));
    h->setValue(std::max(400, current.height()));
    form->addRow(QObject::tr("Width (px; PDF: pt)"), w);
    form->addRow(QObject::tr("Height"), h);
    auto* box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(box);
    QObject::connect(box, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(box, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted) return false;
    *size = QSize(w->value(), h->value());
    return true;
}

}  // namespace pd
