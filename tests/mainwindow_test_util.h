// The main window tests' shared helpers: a small configuration, the simulated
// engine, playing to the end, the flags of a run, menus, help windows and
// typing into a number field as a person does.
#pragma once

#include <QAbstractSpinBox>
#include <QAction>
#include <QDialog>
#include <QElapsedTimer>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/config/options.h"
#include "tests/mainwindowprobe.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/panels/controlspanel.h"
#include "ui/window/mainwindow.h"

namespace pd::test {

// The window's remembered settings go to `dir`, not the user's.
inline void keepSettingsIn(const QTemporaryDir& dir) {
    QStandardPaths::setTestModeEnabled(true);
    qputenv("XDG_CONFIG_HOME", dir.path().toUtf8());
}

inline RunOptions small() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = 3;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

inline void simulated(MainWindow& w) {
    probe(w).controller()->setPreferSimulated(true);
}

// Plays the run to its end as fast as the pace control allows.
inline bool playToEnd(MainWindow& w, int timeoutMs = 20000) {
    probe(w).controls()->paceCombo()->setCurrentIndex(probe(w).controls()->paceCombo()->count() -
                                                      1);
    if (!probe(w).model()->playing()) w.playPause();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (probe(w).model()->finished() &&
            probe(w).model()->cursor() == probe(w).model()->slotCount())
            return true;
        QTest::qWait(20);
    }
    return false;
}

// The configuration of the run shown, as flags: equal when two runs agree.
inline QString flags(const RunOptions& o) {
    QStringList out;
    for (const std::string& a : toArgs(o)) out << QString::fromStdString(a);
    return out.join(QLatin1Char(' '));
}

inline QList<QDialog*> helpWindows(const QWidget& w) {
    QList<QDialog*> out;
    for (QDialog* d : w.findChildren<QDialog*>())
        if (d->objectName().startsWith(QStringLiteral("help:"))) out << d;
    return out;
}

inline QAction* menuAction(const QMainWindow& w, const QString& text) {
    for (QAction* menu : w.menuBar()->actions())
        if (menu->menu())
            for (QAction* a : menu->menu()->actions())
                if (a->text().remove(QLatin1Char('&')) == text) return a;
    return nullptr;
}

// Types `text` into a number field as a person does: select all, type.
inline void typeInto(QAbstractSpinBox* box, const QString& text) {
    box->setFocus();
    box->selectAll();
    QTest::keyClicks(box, text);
}

}  // namespace pd::test
