#include "ui/window/runactions.h"

#include <QAction>
#include <QMenu>

#include "ui/model/runmodel.h"
#include "ui/model/runresult.h"

namespace pd {

RunActions::RunActions(QObject* parent) : QObject(parent) {
    play = make(tr("Play / Pause"), tr("\u25B6 Play"), Qt::Key_Space);
    forward = make(tr("Step forward one slot"), tr("Slot \u25B6"), Qt::Key_Right);
    back = make(tr("Step back one slot"), tr("\u25C0 Slot"), Qt::Key_Left);
    batchForward = make(tr("Step forward one batch"), tr("Batch \u25B6\u25B6"),
                        QKeySequence(Qt::SHIFT | Qt::Key_Right));
    batchBack = make(tr("Step back one batch"), tr("\u25C0\u25C0 Batch"),
                     QKeySequence(Qt::SHIFT | Qt::Key_Left));
    toStart = make(tr("To the start"), tr("t0"), Qt::Key_Home);
    toNewest = make(tr("To the newest slot"), tr("Newest"), Qt::Key_End);
    newRun = make(tr("New run of these settings (paused at t0)"), tr("New run"),
                  QKeySequence(Qt::CTRL | Qt::Key_R));
    newRun->setToolTip(tr("Start the settings in the Controls dock again as a new run, paused "
                          "at t0 (%1)")
                           .arg(newRun->shortcut().toString(QKeySequence::NativeText)));
    replay = make(tr("Replay from t0"), tr("Replay"), QKeySequence(Qt::CTRL | Qt::Key_P));
    // No shortcut: it discards the settings shown.
    resetDefaults = make(tr("Reset settings to defaults"), tr("Defaults"), QKeySequence());
    resetDefaults->setToolTip(
        tr("Set every control to the defaults (%1) and start a new run of them")
            .arg(describeConfiguration(defaultRunOptions())));
}

QAction* RunActions::make(const QString& text, const QString& iconText, const QKeySequence& key) {
    auto* a = new QAction(text, this);
    a->setIconText(iconText);  // short, for the toolbar; the menu keeps the long text
    a->setShortcut(key);
    a->setShortcutContext(Qt::WindowShortcut);
    a->setToolTip(key.isEmpty() ? text
                                : QStringLiteral("%1 (%2)").arg(
                                      text, key.toString(QKeySequence::NativeText)));
    return a;
}

void RunActions::addTo(QMenu* menu) const {
    menu->addActions({play, forward, back, batchForward, batchBack, toStart, toNewest});
    menu->addSeparator();
    menu->addActions({newRun, replay});
    menu->addSeparator();
    menu->addAction(resetDefaults);
}

QList<QAction*> RunActions::toolbarActions() const {
    return {play, back, forward, batchForward, newRun, replay};
}

void RunActions::update(const RunModel& model, bool valid) {
    const bool can = model.hasRun();
    const bool playing = model.playing();
    play->setText(playing ? tr("Pause") : tr("Play"));
    play->setIconText(playing ? tr("\u275A\u275A Pause") : tr("\u25B6 Play"));
    play->setEnabled(can || valid);
    for (QAction* a : {forward, batchForward, toNewest})
        a->setEnabled(can && model.cursor() < model.slotCount());
    for (QAction* a : {back, batchBack, toStart}) a->setEnabled(can && model.cursor() > 0);
    newRun->setEnabled(valid);
    replay->setEnabled(can);
}

}  // namespace pd
