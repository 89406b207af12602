// Where the timeline looks: zoom, pan and fit, the view following the
// cursor past its edges (and not undoing a pan of the user's), the first
// batch shown at the start, the ideal timeline before a run, and what the
// cursor reveals.
#include "timeline_test_util.h"

using namespace pd;
using namespace pd::timelinetest;

class TestTimelineFollow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void zoomPanFit() {
        TimelineView view;
        loadKnown(view);
        render(view);
        const QCPRange full = view.xAxis->range();
        view.zoomBy(2.0);
        QVERIFY(qAbs(view.xAxis->range().size() - full.size() / 2) < 1e-9);
        QVERIFY(!view.follow());
        const double lower = view.xAxis->range().lower;
        view.panBy(0.5);
        QVERIFY(view.xAxis->range().lower > lower);
        QKeyEvent plus(QEvent::KeyPress, Qt::Key_Plus, Qt::NoModifier, QStringLiteral("+"));
        QApplication::sendEvent(&view, &plus);
        QVERIFY(view.xAxis->range().size() < full.size() / 2);
        QKeyEvent home(QEvent::KeyPress, Qt::Key_Home, Qt::NoModifier);
        QApplication::sendEvent(&view, &home);
        QCOMPARE(view.xAxis->range().lower, full.lower);
        QCOMPARE(view.xAxis->range().upper, full.upper);
        QVERIFY(view.follow());
    }

    // The cursor at slot 2: the actions of slots 0 and 1 are shown, the
    // backward of slots 2-3 is not (it has not run yet at the cursor).
    void cursorHidesActionsNotRunYet() {
        TimelineView view;
        loadKnown(view);
        view.setCursor(2, 20.0);
        const QImage img = render(view);
        QCOMPARE(pixelAt(view, img, 23.0, -0.3).name(), timelineBackground().name());  // not yet
        QCOMPARE(pixelAt(view, img, 2.0, -0.3).name(), boxColor(Op::F, 0).name());
        QCOMPARE(pixelAt(view, img, 12.0, 0.7).name(), boxColor(Op::F, 1).name());
        QVERIFY(view.tooltipAt(QPoint(qRound(view.xAxis->coordToPixel(25)),
                                      qRound(view.yAxis->coordToPixel(0))))
                    .isEmpty());
    }

    // Zooming keeps a point in place: the one asked for, else the mouse,
    // else the playhead (not the middle of the view, often empty).
    void zoomKeepsItsCentreInPlace() {
        TimelineView view;
        loadKnown(view);
        render(view);
        const double before = view.xAxis->coordToPixel(12.0);
        view.zoomBy(2.0, 12.0);
        QVERIFY(qAbs(view.xAxis->coordToPixel(12.0) - before) < 1e-6);
        view.fit();
        view.setCursor(1, 10.0);  // playhead at 10 ms; the mouse is not over the plot
        view.replot(QCustomPlot::rpImmediateRefresh);
        const double playhead = view.xAxis->coordToPixel(10.0);
        QKeyEvent plus(QEvent::KeyPress, Qt::Key_Plus, Qt::NoModifier, QStringLiteral("+"));
        QApplication::sendEvent(&view, &plus);
        QVERIFY(qAbs(view.xAxis->coordToPixel(10.0) - playhead) < 1e-6);
    }

    // Zoomed in: stepping forward past the right edge turns a page (same
    // zoom, the cursor inside), and so does stepping back past the left.
    void stepsPastTheEdgeMoveTheRange() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 3);
        render(view);
        view.xAxis->setRange(0.0, 10.0);  // the user zoomed in
        QVERIFY(view.followsCursor());
        for (int slot = 0; slot <= 9; ++slot) {
            view.setCursor(slot, slot);
            QCOMPARE(view.xAxis->range().lower, 0.0);  // in sight: not moved
        }
        for (int slot = 10; slot <= 30; ++slot) {
            view.setCursor(slot, slot);
            QVERIFY2(view.xAxis->range().contains(slot), qPrintable(QString::number(slot)));
            QVERIFY(qAbs(view.xAxis->range().size() - 10.0) < 1e-9);  // the zoom is kept
        }
        QVERIFY(view.xAxis->range().lower > 15.0);
        // Pages, not a crawl: a step inside the page does not move it.
        const double lower = view.xAxis->range().lower;
        view.setCursor(31, 31.0);
        QCOMPARE(view.xAxis->range().lower, lower);
        for (int slot = 31; slot >= 0; --slot) {
            view.setCursor(slot, slot);
            QVERIFY2(view.xAxis->range().contains(slot), qPrintable(QString::number(slot)));
        }
        QVERIFY(view.xAxis->range().lower >= 0.0);
        QVERIFY(view.xAxis->range().lower < 1.0);
        // Playing follows the same way.
        for (int slot = 0; slot <= 25; ++slot)
            view.setCursor(slot, slot, TimelineView::CursorMove::Play);
        QVERIFY(view.xAxis->range().contains(25.0));
    }

    // A pan that keeps the cursor in sight is the user's range: kept while
    // the cursor moves inside it, by a step or by playing.
    void userPanIsNotUndoneWhileTheCursorIsVisible() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 3);
        render(view);
        view.setCursor(5, 5.0);
        view.xAxis->setRange(0.0, 20.0);
        view.panBy(0.1);  // [2, 22]
        const QCPRange panned = view.xAxis->range();
        QVERIFY(!view.follow());  // a range the user chose
        QVERIFY(view.followsCursor());
        view.setCursor(6, 6.0, TimelineView::CursorMove::Play);
        view.setCursor(7, 7.0);
        view.setCursor(4, 4.0);
        QCOMPARE(view.xAxis->range().lower, panned.lower);
        QCOMPARE(view.xAxis->range().upper, panned.upper);
    }

    // A pan that leaves the cursor out of sight ("I am looking elsewhere")
    // is not fought by playing; the cursor coming back into the range, or a
    // step, resumes following.
    void panAwaySuspendsFollowingUntilAStepOrTheCursorReturns() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 3);
        render(view);
        view.setCursor(5, 5.0);
        view.xAxis->setRange(40.0, 60.0);  // the user looks at batch 3
        QVERIFY(!view.followsCursor());
        for (int slot = 6; slot < 12; ++slot)
            view.setCursor(slot, slot, TimelineView::CursorMove::Play);
        QCOMPARE(view.xAxis->range().lower, 40.0);
        view.setCursor(12, 12.0);  // a step: bring the cursor into view
        QVERIFY(view.xAxis->range().contains(12.0));
        QVERIFY(qAbs(view.xAxis->range().size() - 20.0) < 1e-9);
        QVERIFY(view.followsCursor());
        // Panned ahead of the cursor: playing into the range resumes following.
        view.xAxis->setRange(20.0, 40.0);
        QVERIFY(!view.followsCursor());
        for (int slot = 13; slot <= 45; ++slot)
            view.setCursor(slot, slot, TimelineView::CursorMove::Play);
        QVERIFY(view.followsCursor());
        QVERIFY(view.xAxis->range().contains(45.0));
        QVERIFY(view.xAxis->range().lower > 20.0);
        // Looking elsewhere, then Play pressed: the window brings the cursor
        // back into view at the same zoom (the main window calls
        // followCursor when playing starts).
        view.xAxis->setRange(0.0, 10.0);
        QVERIFY(!view.followsCursor());
        view.followCursor();
        QVERIFY(view.followsCursor());
        QVERIFY(view.xAxis->range().contains(45.0));
        QVERIFY(qAbs(view.xAxis->range().size() - 10.0) < 1e-9);
        // Already in sight: left where it is.
        view.xAxis->setRange(40.0, 50.0);
        view.followCursor();
        QCOMPARE(view.xAxis->range().lower, 40.0);
    }

    // While a mouse button is down (a drag), the cursor moves nothing.
    void nothingMovesDuringADrag() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 3);
        render(view);
        view.xAxis->setRange(0.0, 10.0);
        view.setCursor(5, 5.0);
        const QPoint inside(view.axisRect()->center());
        QTest::mousePress(&view, Qt::LeftButton, Qt::NoModifier, inside);
        view.setCursor(15, 15.0, TimelineView::CursorMove::Play);
        QCOMPARE(view.xAxis->range().lower, 0.0);
        QTest::mouseRelease(&view, Qt::LeftButton, Qt::NoModifier, inside);
        view.setCursor(16, 16.0);
        QVERIFY(view.xAxis->range().contains(16.0));
    }

    // ---- the first view of a run, and Fit ----

    // A new run opens on its first batch, every box of it labelled as in
    // the tutorial's figures; Fit shows the whole run.
    void startShowsTheFirstBatchLabelled() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 5);
        view.resize(1400, 400);
        view.showStart();
        view.setCursor(0, 0.0);
        view.replot(QCustomPlot::rpImmediateRefresh);
        QCOMPARE(view.rangePolicy(), TimelineView::RangePolicy::Start);
        QVERIFY(view.follow());
        const int first = batchEnd(run.ideal, 0);
        QVERIFY(first > 0 && first < run.ideal.endSlot() / 2);
        QVERIFY(view.xAxis->range().lower <= 0.0);
        QVERIFY(view.xAxis->range().upper >= first);
        QVERIFY(view.xAxis->range().upper < first + 1.0);  // the second batch a scroll away
        const QStringList labels = view.ghost()->lastBadges();
        for (const QString& l : {QStringLiteral("F0"), QStringLiteral("F3"),
                                 QStringLiteral("B0 v0"), QStringLiteral("B3 v0")})
            QVERIFY2(labels.contains(l), qPrintable(labels.join(QLatin1Char(','))));
        // Fit: everything, to its end.
        view.fit();
        QCOMPARE(view.rangePolicy(), TimelineView::RangePolicy::Whole);
        QVERIFY(view.xAxis->range().upper >= run.ideal.endSlot());
        QVERIFY(view.xAxis->range().upper <= run.ideal.endSlot() * 1.03);
        view.showStart();
        QVERIFY(view.xAxis->range().upper < first + 1.0);
    }

    // A batch longer than the plot holds: its first slots, each wide enough
    // for a forward's label; a wider window shows more of it.
    void startKeepsLabelsReadableForALongBatch() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 8, 8, 3);
        view.resize(700, 400);
        view.show();
        view.showStart();
        view.setCursor(0, 0.0);
        view.replot(QCustomPlot::rpImmediateRefresh);
        const double slotPx = view.xAxis->coordToPixel(1.0) - view.xAxis->coordToPixel(0.0);
        QVERIFY2(slotPx >= QFontMetrics(view.font()).horizontalAdvance(QStringLiteral("F7")) + 4,
                 qPrintable(QString::number(slotPx)));
        QVERIFY(view.ghost()->lastBadges().contains(QStringLiteral("F7")));
        const double narrow = view.xAxis->range().upper;
        QVERIFY(narrow < batchEnd(run.ideal, 0));
        view.resize(2000, 400);  // Start is kept on resize: more slots now fit
        view.replot(QCustomPlot::rpImmediateRefresh);
        QVERIFY(view.xAxis->range().upper > narrow);
        QVERIFY(view.xAxis->range().upper >= batchEnd(run.ideal, 0));  // now the whole batch
    }

    // ---- the ideal time base ----

    // Before any run the ideal schedule is in units of one forward, not ms.
    void idealBeforeARunSaysUnits() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 2);
        view.setMode(TimelineView::Mode::Ideal);
        render(view);
        QVERIFY2(!view.xAxis->label().contains(QStringLiteral("ms")),
                 qPrintable(view.xAxis->label()));
        QVERIFY(view.xAxis->label().contains(QStringLiteral("unit")));
        const TimelineBox* f0 = findBox(run.ideal, 0, Op::F, 0);
        QVERIFY(f0);
        const QString tip =
            view.tooltipAt(QPoint(qRound(view.xAxis->coordToPixel((f0->start + f0->end) / 2)),
                                  qRound(view.yAxis->coordToPixel(0.0))));
        QVERIFY2(tip.contains(QStringLiteral("units")) && !tip.contains(QStringLiteral(" ms")),
                 qPrintable(tip));
    }

    // Ideal fits the ideal schedule, not a longer measured run; a range the
    // user chose shows the same slots on the other base.
    void idealFitsTheIdealAndKeepsTheSlotsShown() {
        Run run;  // outlives the view that draws it
        TimelineView view;
        loadRun(view, run, 4, 4, 2);
        // Measured: the same actions, 3x slower (real runs have overheads).
        for (int l = 0; l < run.ideal.lanes(); ++l)
            for (TimelineBox b : run.ideal.lane(l)) {
                b.start *= 3.0;
                b.end *= 3.0;
                run.measured.append(b);
            }
        view.setMode(TimelineView::Mode::Measured);
        render(view);
        QVERIFY(view.xAxis->range().upper >= run.measured.endTime());
        view.setMode(TimelineView::Mode::Ideal);
        view.fit();
        QVERIFY(view.xAxis->range().upper >= run.ideal.endTime());
        QVERIFY2(view.xAxis->range().upper <= run.ideal.endTime() * 1.03,
                 qPrintable(QString::number(view.xAxis->range().upper)));
        // A zoomed range on Measured: slots 10 to 20 there are 10 to 20 on Ideal.
        view.setMode(TimelineView::Mode::Measured);
        const double msPerSlot = run.measured.endTime() / run.measured.endSlot();
        view.xAxis->setRange(10 * msPerSlot, 20 * msPerSlot);
        view.setMode(TimelineView::Mode::Slots);
        QVERIFY(qAbs(view.xAxis->range().lower - 10.0) < 1e-6);
        QVERIFY(qAbs(view.xAxis->range().upper - 20.0) < 1e-6);
        view.setMode(TimelineView::Mode::Ideal);
        const double idealPerSlot = run.ideal.endTime() / run.ideal.endSlot();
        QVERIFY(qAbs(view.xAxis->range().lower - 10 * idealPerSlot) < 1e-6);
    }

    // ---- version colours and their legend ----

    void revealedCountIsThePrefixBeforeTheCursor() {
        TimelineView view;
        loadKnown(view);
        const TimelineData& d = view.measured()->data();
        QCOMPARE(d.revealedCount(0, 0), std::size_t(0));
        QCOMPARE(d.revealedCount(0, 1), std::size_t(1));
        QCOMPARE(d.revealedCount(0, 3), std::size_t(2));
        QCOMPARE(d.revealedCount(1, 3), std::size_t(1));
        QCOMPARE(d.revealedCount(1, 4), std::size_t(2));  // the update belongs to slot 3
    }
};

QTEST_MAIN(TestTimelineFollow)
#include "tst_timelinefollow.moc"
