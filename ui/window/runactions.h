// The actions that walk a run (play, step forward and back by slot and by
// batch, to the start or the newest slot, a new run of the settings shown,
// replay) and the one that resets the settings to the defaults, with their
// shortcuts, short toolbar texts and tooltips, and what each can do given
// the run model. The Run menu, the toolbar and the Controls dock use them.
#pragma once

#include <QList>
#include <QObject>

class QAction;
class QMenu;

namespace pd {

class RunModel;

class RunActions : public QObject {
    Q_OBJECT
public:
    explicit RunActions(QObject* parent);

    void addTo(QMenu* menu) const;
    QList<QAction*> toolbarActions() const;
    // Enables what can act: `valid`, the controls' configuration can run.
    void update(const RunModel& model, bool valid);

    QAction* play = nullptr;
    QAction* forward = nullptr;
    QAction* back = nullptr;
    QAction* batchForward = nullptr;
    QAction* batchBack = nullptr;
    QAction* toStart = nullptr;
    QAction* toNewest = nullptr;
    QAction* newRun = nullptr;
    QAction* replay = nullptr;
    QAction* resetDefaults = nullptr;  // in the menu, apart; not on the toolbar

private:
    QAction* make(const QString& text, const QString& iconText, const QKeySequence& key);
};

}  // namespace pd
