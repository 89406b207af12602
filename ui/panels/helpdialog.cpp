#include "ui/panels/helpdialog.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QKeyEvent>
#include <QMenu>
#include <QMenuBar>
#include <QObject>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace pd {

namespace {

QString keyRow(const QString& key, const QString& what) {
    return QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), what.toHtmlEscaped());
}

// Escape closes it, whatever has the focus inside: the key is claimed
// before any shortcut is looked up, so the main window's own Escape (clear
// the selection), which Qt may still match while the help window has the
// keyboard, does not take it.
class HelpWindow : public QDialog {
public:
    using QDialog::QDialog;

protected:
    bool event(QEvent* e) override {
        if (e->type() == QEvent::ShortcutOverride &&
            static_cast<QKeyEvent*>(e)->matches(QKeySequence::Cancel)) {
            e->accept();
            return true;
        }
        return QDialog::event(e);
    }
    void keyPressEvent(QKeyEvent* e) override {
        if (e->matches(QKeySequence::Cancel))
            close();
        else
            QDialog::keyPressEvent(e);
    }
};

}  // namespace

QString shortcutsHtml(const QList<QAction*>& actions) {
    QString html = QObject::tr("<h3>Keyboard shortcuts</h3><table cellspacing=4>");
    for (const QAction* a : actions) {
        if (a->shortcut().isEmpty()) continue;
        QString text = a->text();
        text.remove(QLatin1Char('&'));
        html += keyRow(a->shortcut().toString(QKeySequence::NativeText), text);
    }
    html += QStringLiteral("</table><h3>%1</h3><table cellspacing=4>")
                .arg(QObject::tr("On the timeline"));
    html += keyRow(QObject::tr("Click a box"), QObject::tr("select it and follow its microbatch"));
    html +=
        keyRow(QObject::tr("Escape"), QObject::tr("clear the selection and the measured range"));
    html += keyRow(QObject::tr("Shift + drag"), QObject::tr("measure a time range"));
    html += keyRow(QObject::tr("Wheel"), QObject::tr("zoom around the mouse"));
    html += keyRow(QObject::tr("Drag"), QObject::tr("pan"));
    html += keyRow(QObject::tr("+ / -"), QObject::tr("zoom around the mouse (or the playhead)"));
    html += keyRow(QObject::tr("Ctrl + Left / Right"), QObject::tr("pan"));
    html += QStringLiteral("</table>");
    return html;
}

QString howToReadHtml() {
    return QObject::tr(
        "<h3>How to read the timeline</h3>"
        "<p>Each lane is a pipeline stage (a GPU) with the layers it holds. Time runs left to "
        "right: schedule steps (slots), measured milliseconds or the ideal schedule.</p>"
        "<p>A box is one action: <b>F</b> forward, <b>B</b> backward, <b>I</b> input "
        "gradient and <b>W</b> weight gradient (zero-bubble schedules split B into I and W), "
        "<b>U</b> weight update. Its label reads op and microbatch first (<b>F3</b>), then the "
        "weight version it read (<b>F3 v2</b>); chunked schedules add the chunk "
        "(<b>F3.1</b>). An update says the version it produces (<b>U&rarr;v1</b>).</p>"
        "<p>Grey is idle time: a <b>bubble</b>. Hover over it to see how long the stage "
        "waited.</p>"
        "<p>Colour by op, by weight version (a scale from the first version to the last), or "
        "by <b>staleness</b>: how many versions the action's weights are behind the newest on "
        "its stage. Flush schedules (GPipe, 1F1B, ...) read the newest weights (0); PipeDream's "
        "backwards read stashed ones (about S-1-s on stage s).</p>"
        "<p>Click a box: its microbatch is outlined on every stage, solid arrows show its "
        "activations going forward and dashed arrows its gradients coming back, and the "
        "Details panel says what the stage waited for. The search box dims what does not "
        "match (<i>mb3</i>, <i>B</i>, <i>stage 2</i>).</p>"
        "<p>Columns narrower than a pixel hold several boxes: they are split by the share of "
        "each op, so no op disappears when the whole run is on screen.</p>");
}

QDialog* showHelpPage(QWidget* parent, const QString& title, const QString& html) {
    // One window per page: asked again, the open one comes to the front.
    const QString name = QStringLiteral("help: ") + title;
    for (QDialog* open : parent->findChildren<QDialog*>(name, Qt::FindDirectChildrenOnly)) {
        open->findChild<QTextBrowser*>()->setHtml(html);
        open->show();
        open->raise();
        open->activateWindow();
        return open;
    }
    auto* dialog = new HelpWindow(parent);
    dialog->setObjectName(name);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(title);
    auto* v = new QVBoxLayout(dialog);
    auto* text = new QTextBrowser(dialog);
    text->setHtml(html);
    v->addWidget(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    v->addWidget(buttons);
    dialog->resize(560, 520);
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    return dialog;
}

void addHelpMenu(QMenuBar* bar, QWidget* parent) {
    QMenu* help = bar->addMenu(QObject::tr("&Help"));
    help->addAction(
        QObject::tr("How to read the timeline"), QKeySequence::HelpContents, parent, [parent] {
            showHelpPage(parent, QObject::tr("How to read the timeline"), howToReadHtml());
        });
    help->addAction(QObject::tr("Keyboard shortcuts"), parent, [bar, parent] {
        QList<QAction*> all;
        for (QAction* menu : bar->actions())
            if (menu->menu()) all += menu->menu()->actions();
        showHelpPage(parent, QObject::tr("Keyboard shortcuts"), shortcutsHtml(all));
    });
}

}  // namespace pd
