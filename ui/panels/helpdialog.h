// The Help menu and its pages: the keyboard shortcuts (read from the window's
// actions, so the list cannot go stale) and a short "how to read the
// timeline" page.
#pragma once

#include <QList>
#include <QString>

class QAction;
class QDialog;
class QMenuBar;
class QWidget;

namespace pd {

// Every action with a shortcut, as an HTML table, plus the timeline's own
// keys and mouse gestures.
QString shortcutsHtml(const QList<QAction*>& actions);
QString howToReadHtml();
// A non-modal window showing `html`, closed by Escape or Close; one per
// title: shown again, the open window is raised instead of a second one.
QDialog* showHelpPage(QWidget* parent, const QString& title, const QString& html);
// The Help menu on `bar`, its pages over `parent`; the shortcuts are read
// from the bar's menus when the page is asked for.
void addHelpMenu(QMenuBar* bar, QWidget* parent);

}  // namespace pd
