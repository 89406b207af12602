// The main window at the keyboard and between sessions (a real window under
// Xvfb): shortcuts drive the run, keys reach the timeline after a drop-down
// or an edit, the search box, help and its windows, presentation sizes, and
// settings remembered (or said when they cannot be).
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolBar>
#include <QUrl>
#include <QtTest>

#include "engine/config/report.h"
#include "engine/formats/trace.h"
#include "engine/run/comparison.h"
#include "tests/mainwindow_test_util.h"
#include "tests/mainwindowprobe.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/controlspanel.h"
#include "ui/panels/detailspanel.h"
#include "ui/panels/helpdialog.h"
#include "ui/panels/versionpanel.h"
#include "ui/views/charts.h"
#include "ui/views/palette.h"
#include "ui/views/timelineplot.h"
#include "ui/views/timelinetoolbar.h"
#include "ui/window/mainwindow.h"

using namespace pd;
using namespace pd::test;

class TestWindowKeys : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() { keepSettingsIn(config_); }

    // The Help menu: how to read the timeline, and the shortcut list read
    // from the menus (so it cannot go stale).
    void helpListsTheShortcuts() {
        MainWindow w(small(), nullptr, false);
        QMenu* help = nullptr;
        QList<QAction*> all;
        for (QAction* a : w.menuBar()->actions()) {
            if (!a->menu()) continue;
            all += a->menu()->actions();
            if (a->text().remove(QLatin1Char('&')) == QStringLiteral("Help")) help = a->menu();
        }
        QVERIFY(help);
        QCOMPARE(help->actions().size(), 2);
        const QString keys = shortcutsHtml(all);
        for (const QString& k :
             {QStringLiteral("Space"), QStringLiteral("Esc"), QStringLiteral("F11"),
              QStringLiteral("Shift+Right"), QStringLiteral("Shift + drag")})
            QVERIFY2(keys.contains(k), qPrintable(k));
        QVERIFY(howToReadHtml().contains(QStringLiteral("staleness")));
    }

    // After a drop-down is used, the keys go to the timeline again: F fits.
    void keysReachTheTimelineAfterADropDown() {
        MainWindow w(small(), nullptr, false);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QComboBox* colour = probe(w).timelineToolbar()->colorCombo();
        colour->setFocus();
        colour->setCurrentIndex(1);
        Q_EMIT colour->activated(1);  // what choosing an item with the mouse emits
        QTRY_VERIFY(probe(w).timeline()->hasFocus());
        probe(w).timeline()->zoomBy(3.0);
        QVERIFY(!probe(w).timeline()->follow());
        QTest::keyClick(probe(w).timeline(), Qt::Key_F);
        QVERIFY(probe(w).timeline()->follow());
    }

    void searchBoxDimsTheRest() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        probe(w).timeBaseCombo()->setCurrentIndex(2);
        QTest::keyClicks(probe(w).timelineToolbar()->searchBox(), QStringLiteral("mb3"));
        const QImage img =
            probe(w)
                .timeline()
                ->toPixmap(probe(w).timeline()->width(), probe(w).timeline()->height())
                .toImage();
        // At t0 the schedule is drawn pale (not run yet); the match stays
        // darker than every other forward of the stage.
        const TimelineData& d = probe(w).model()->idealBoxes();
        int match = -1, others = 0, lightestMatch = 0, darkestOther = 255;
        for (const TimelineBox& b : d.lane(2)) {
            if (b.op != Op::F || b.batch != 0) continue;
            const QColor c = img.pixelColor(
                qRound(probe(w).timeline()->xAxis->coordToPixel((b.start + b.end) / 2)),
                qRound(probe(w).timeline()->yAxis->coordToPixel(1.75)));
            if (b.microbatch == 3) {
                match = c.lightness();
                lightestMatch = std::max(lightestMatch, c.lightness());
            } else {
                ++others;
                darkestOther = std::min(darkestOther, c.lightness());
            }
        }
        QVERIFY(match >= 0 && others == 3);
        QVERIFY2(lightestMatch + 8 < darkestOther,
                 qPrintable(QStringLiteral("%1 %2").arg(lightestMatch).arg(darkestOther)));
    }

    void shortcutsDriveTheRun() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.restartRun();
        QTest::keyClick(&w, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 1, 5000);
        QTest::keyClick(&w, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 2, 5000);
        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(probe(w).model()->cursor(), 1);
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(probe(w).model()->playing());
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(!probe(w).model()->playing());
        // Looking far from the cursor, then Space: the view comes back to it.
        TimelineView* view = probe(w).timeline();
        const double at = probe(w).model()->cursorX(view->timeBase());
        view->xAxis->setRange(at + 1000.0, at + 1010.0);
        QVERIFY(!view->followsCursor());
        QTest::keyClick(&w, Qt::Key_Space);
        QVERIFY(probe(w).model()->playing());
        QVERIFY(view->followsCursor());
        QVERIFY2(view->xAxis->range().contains(probe(w).model()->cursorX(view->timeBase())),
                 qPrintable(QString::number(view->xAxis->range().lower)));
        QTest::keyClick(&w, Qt::Key_Space);
        QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier);  // a new run, at t0
        QCOMPARE(probe(w).model()->cursor(), 0);
        QCOMPARE(probe(w).model()->measuredBoxes().size(), std::size_t(0));
    }

    // After a value is typed and committed with Enter, the walking keys step
    // the run again; a field with the focus but no typing in progress leaves
    // them to the window; while typing, they move in the text.
    void walkingKeysAfterAnEdit() {
        MainWindow w(small(), nullptr, false);
        simulated(w);
        probe(w).setRestartDelay(10);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.restartRun();
        QSpinBox* batches = probe(w).controls()->batchesSpin();
        typeInto(batches, QStringLiteral("2"));
        QTest::keyClick(batches, Qt::Key_Left);  // typing: moves in the text
        QCOMPARE(probe(w).model()->cursor(), 0);
        QVERIFY(batches->hasFocus());
        QTest::keyClick(batches, Qt::Key_Return);
        QCOMPARE(batches->value(), 2);
        QTRY_VERIFY(probe(w).timeline()->hasFocus());
        QTRY_VERIFY(probe(w).controller()->running() &&
                    probe(w).model()->options().schedule.batches == 2);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 1, 5000);

        batches->setFocus();  // focused, nothing typed: the arrows walk
        QTRY_VERIFY(batches->hasFocus());
        QTest::keyClick(batches, Qt::Key_Right);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), 2, 5000);
        QTest::keyClick(batches, Qt::Key_Right, Qt::ShiftModifier);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->grid().batchEnd[0],
                                  5000);
        QTest::keyClick(batches, Qt::Key_Left);
        QCOMPARE(probe(w).model()->cursor(), probe(w).model()->grid().batchEnd[0] - 1);
        QCOMPARE(batches->value(), 2);  // and the field is unchanged
        QVERIFY(batches->hasFocus());
    }

    // Help windows close with Escape; asked again, the open one is raised.
    void helpWindowsCloseAndDoNotPileUp() {
        MainWindow w(small(), nullptr, false);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QAction* howTo = menuAction(w, QStringLiteral("How to read the timeline"));
        QAction* keys = menuAction(w, QStringLiteral("Keyboard shortcuts"));
        QVERIFY(howTo && keys);
        howTo->trigger();
        howTo->trigger();
        QCOMPARE(helpWindows(w).size(), 1);
        keys->trigger();
        QCOMPARE(helpWindows(w).size(), 2);
        howTo->trigger();
        QCOMPARE(helpWindows(w).size(), 2);
        for (QDialog* d : helpWindows(w)) {
            QVERIFY(d->isVisible());
            // The main window keeps its own Escape: the help window takes the key first.
            QTest::keyClick(d->findChild<QTextBrowser*>(), Qt::Key_Escape);
        }
        QTRY_COMPARE(helpWindows(w).size(), 0);
    }

    // Presentation mode enlarges the docks' and the charts' text as well as
    // the timeline's; off gives back exactly what was there.
    void presentationEnlargesDocksAndCharts() {
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto sizes = [&w] {
            QList<double> out;
            for (QWidget* panel : {static_cast<QWidget*>(probe(w).controls()),
                                   static_cast<QWidget*>(probe(w).versionPanel()),
                                   static_cast<QWidget*>(probe(w).detailsPanel()),
                                   static_cast<QWidget*>(probe(w).explainView())})
                out << panel->font().pointSizeF();
            for (QCustomPlot* plot : probe(w).charts()->findChildren<QCustomPlot*>())
                out << plot->xAxis->tickLabelFont().pointSizeF()
                    << plot->yAxis->labelFont().pointSizeF();
            return out;
        };
        const QList<double> before = sizes();
        QVERIFY(before.size() > 4);
        probe(w).presentationAction()->trigger();
        QVERIFY(probe(w).presentationAction()->isChecked());
        QTest::qWait(50);  // queued replots
        const QList<double> on = sizes();
        for (int i = 0; i < before.size(); ++i)
            QVERIFY2(on[i] >= before[i] * 1.2,
                     qPrintable(QStringLiteral("%1: %2 -> %3").arg(i).arg(before[i]).arg(on[i])));
        probe(w).presentationAction()->trigger();
        QTest::qWait(50);
        QCOMPARE(sizes(), before);
    }

    void settingsRemembered() {
        {
            MainWindow w(small(), nullptr, false);
            probe(w).controls()->stagesSlider()->setValue(3);
            w.close();
        }
        const RunOptions restored = MainWindow::restoredOptions(small());
        QCOMPARE(restored.schedule.stages, 3);
        QCOMPARE(restored.layers, 8);
    }

    // Settings that cannot be saved are said once, at start (last: it moves
    // the settings path for the rest of this process).
    void unwritableSettingsAreSaid() {
        QTemporaryDir dir;
        const QString blocker = dir.filePath(QStringLiteral("a-file"));
        QFile f(blocker);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        // A folder below a file cannot be made, not even by root.
        for (QSettings::Format format : {QSettings::NativeFormat, QSettings::IniFormat})
            QSettings::setPath(format, QSettings::UserScope, blocker + QStringLiteral("/config"));
        MainWindow w(small(), nullptr, false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(
            probe(w).statusLabel()->toolTip().contains(QStringLiteral("will not be remembered")),
            qPrintable(probe(w).statusLabel()->toolTip()));
    }
};

QTEST_MAIN(TestWindowKeys)
#include "tst_windowkeys.moc"
