// Timeline rendering and its time-to-pixel maths: colours at the pixels of
// known boxes (from coordToPixel), idle background, version badges, merging
// of sub-pixel boxes, zoom / pan / fit, tooltip.
#include <QImage>
#include <QKeyEvent>
#include <QtTest>

#include "palette.h"
#include "timelinedata.h"
#include "timelineplot.h"

using namespace pd;

namespace {

TimelineBox box(int stage, double start, double end, Op op, int mb, int version,
                bool mismatch = false, int slot0 = 0, int slot1 = 0) {
    TimelineBox b;
    b.stage = stage;
    b.start = start;
    b.end = end;
    b.slot0 = slot0;
    b.slot1 = slot1;
    b.gate = slot1 > slot0 ? slot0 : std::max(0, slot0 - 1);
    b.op = op;
    b.microbatch = mb;
    b.version = version;
    b.mismatch = mismatch;
    return b;
}

// Two lanes: lane 0 F mb0 [0,10], idle [10,20], B mb0 [20,40];
// lane 1 F mb1 [10,20] and a narrow U at [40,40.01]. On the slot grid:
// F mb0 slot 0, F mb1 slot 1, B mb0 slots 2-3, U at 4 (belongs to slot 3).
void loadKnown(TimelineView& view) {
    view.setLanes({QStringLiteral("GPU0 (L1-4)"), QStringLiteral("GPU1 (L5-8)")});
    auto& d = view.measured()->ownData();
    d.append(box(0, 0, 10, Op::F, 0, 0, false, 0, 1));
    d.append(box(0, 20, 40, Op::B, 0, 0, false, 2, 4));
    d.append(box(1, 10, 20, Op::F, 1, 0, false, 1, 2));
    d.append(box(1, 40, 40.01, Op::U, -1, 1, false, 4, 4));
    view.setMode(TimelineView::Mode::Measured);
}

QImage render(TimelineView& view, int w = 900, int h = 320) {
    view.resize(w, h);
    view.fit();
    view.replot(QCustomPlot::rpImmediateRefresh);
    return view.toPixmap(w, h, 1.0).toImage();
}

QColor pixelAt(TimelineView& view, const QImage& img, double t, double lane) {
    const int x = qRound(view.xAxis->coordToPixel(t));
    const int y = qRound(view.yAxis->coordToPixel(lane));
    return img.pixelColor(x, y);
}

}  // namespace

class TestTimelineView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boxColoursAtTheirPixels() {
        TimelineView view;
        loadKnown(view);
        const QImage img = render(view);
        // Centres of boxes, away from the badge text: a quarter into the box, upper part of the
        // lane.
        QCOMPARE(pixelAt(view, img, 2.0, -0.3).name(), boxColor(Op::F, 0).name());
        QCOMPARE(pixelAt(view, img, 23.0, -0.3).name(), boxColor(Op::B, 0).name());
        QCOMPARE(pixelAt(view, img, 12.0, 0.7).name(), boxColor(Op::F, 1).name());
        QVERIFY(boxColor(Op::F, 0) != boxColor(Op::B, 0));
        QVERIFY(boxColor(Op::F, 0) != boxColor(Op::F, 1));  // microbatch shade
    }

    void idleIsBackground() {
        TimelineView view;
        loadKnown(view);
        const QImage img = render(view);
        QCOMPARE(pixelAt(view, img, 15.0, 0.0).name(),
                 idleColor().name());  // lane 0 waits for the backward
        QCOMPARE(pixelAt(view, img, 30.0, 1.0).name(),
                 idleColor().name());  // lane 1 idle after its forward
        QVERIFY(idleColor() != boxColor(Op::F, 0));
        // Between lanes: the plot background.
        QCOMPARE(pixelAt(view, img, 15.0, 0.5).name(), timelineBackground().name());
    }

    void badgesWhenWideEnough() {
        TimelineView view;
        loadKnown(view);
        render(view, 900, 320);
        const auto wide = view.measured()->lastDrawStats();
        QVERIFY2(wide.badges >= 3, qPrintable(QString::number(wide.badges)));
        QCOMPARE(GanttPlottable::badgeText(box(0, 0, 1, Op::F, 3, 2)), QStringLiteral("F3 v2"));
        QCOMPARE(GanttPlottable::badgeText(box(0, 0, 1, Op::B, 3, 2)), QStringLiteral("B3 v2"));
        QCOMPARE(GanttPlottable::badgeText(box(0, 0, 1, Op::W, 0, 5)), QStringLiteral("W0 v5"));
        // Text pixels inside the backward box: not all of it is the fill colour.
        QImage img = view.toPixmap(900, 320, 1.0).toImage();
        const int y = qRound(view.yAxis->coordToPixel(0.0));
        int text = 0;
        for (int x = qRound(view.xAxis->coordToPixel(22)); x < qRound(view.xAxis->coordToPixel(38));
             ++x)
            if (img.pixelColor(x, y) != boxColor(Op::B, 0)) ++text;
        QVERIFY2(text > 3, "no badge text drawn in the wide box");
        // Too narrow: zoom far out so every box is a few pixels wide.
        view.xAxis->setRange(0, 4000);
        view.setFollow(false);
        view.replot(QCustomPlot::rpImmediateRefresh);
        QCOMPARE(view.measured()->lastDrawStats().badges, std::size_t(0));
    }

    void mismatchStandsOut() {
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0")});
        view.setMode(TimelineView::Mode::Measured);
        view.measured()->ownData().append(box(0, 0, 10, Op::B, 0, 1, true));
        const QImage img = render(view, 600, 200);
        // The hatch and outline put dark pixels inside the box.
        int dark = 0;
        const int y = qRound(view.yAxis->coordToPixel(-0.25));
        for (int x = qRound(view.xAxis->coordToPixel(1)); x < qRound(view.xAxis->coordToPixel(9));
             ++x)
            if (img.pixelColor(x, y).lightness() < 60) ++dark;
        QVERIFY2(dark > 5, qPrintable(QString::number(dark)));
    }

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

    void tooltipNamesTheBox() {
        TimelineView view;
        loadKnown(view);
        render(view);
        const QPoint p(qRound(view.xAxis->coordToPixel(25)), qRound(view.yAxis->coordToPixel(0)));
        const QString tip = view.tooltipAt(p);
        QVERIFY2(tip.contains(QStringLiteral("Backward")), qPrintable(tip));
        QVERIFY(tip.contains(QStringLiteral("batch 0, stage 0")));
        QVERIFY(tip.contains(QStringLiteral("microbatch 0")));
        QVERIFY(tip.contains(QStringLiteral("v0")));
        QVERIFY(tip.contains(QStringLiteral("start 20.000 ms, duration 20.000 ms")));
        const QPoint idle(qRound(view.xAxis->coordToPixel(15)),
                          qRound(view.yAxis->coordToPixel(0)));
        QVERIFY(view.tooltipAt(idle).isEmpty());
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

    // On the Slots time base the same boxes stand at their slots, and a box
    // running past the cursor is cut at it.
    void slotsTimeBasePlacesBoxesByStep() {
        TimelineView view;
        loadKnown(view);
        view.setMode(TimelineView::Mode::Slots);
        view.setCursor(3, 3.0);  // B of slots 2-3 started, cut at 3
        const QImage img = render(view);
        QCOMPARE(view.xAxis->label().contains(QStringLiteral("slot")), true);
        QCOMPARE(pixelAt(view, img, 0.5, -0.3).name(), boxColor(Op::F, 0).name());
        QCOMPARE(pixelAt(view, img, 1.5, 0.7).name(), boxColor(Op::F, 1).name());
        QCOMPARE(pixelAt(view, img, 2.5, -0.3).name(), boxColor(Op::B, 0).name());
        QVERIFY(pixelAt(view, img, 3.5, -0.3).name() != boxColor(Op::B, 0).name());
        view.setCursor(4, 4.0);
        const QImage all = render(view);
        QCOMPARE(pixelAt(view, all, 3.5, -0.3).name(), boxColor(Op::B, 0).name());
    }

    void layoutMergesNarrowBoxes_data() {
        QTest::addColumn<double>("scale");  // pixels per ms
        QTest::addColumn<int>("runs");
        QTest::addRow("wide: one run per box") << 10.0 << 100;
        QTest::addRow("sub-pixel: merged") << 0.01 << 1;
    }
    void layoutMergesNarrowBoxes() {
        QFETCH(double, scale);
        QFETCH(int, runs);
        std::vector<TimelineBox> boxes;
        for (int i = 0; i < 100; ++i)
            boxes.push_back(box(0, i * 2.0, i * 2.0 + 1.5, i % 2 ? Op::B : Op::F, i, 0));
        std::vector<PixelRun> out;
        layoutLane(boxes, 0, 0.0, 1000.0, TimeBase::Measured, Reveal{}, PixelMap{0.0, scale}, 2.0,
                   out);
        QCOMPARE(static_cast<int>(out.size()), runs);
        std::size_t covered = 0;
        for (const PixelRun& r : out) covered += r.count;
        QCOMPARE(covered, boxes.size());
    }

    // Tracy-style merging: however many boxes, a draw paints at most about
    // one rectangle per pixel column and lane.
    void manyBoxesPaintPerPixelNotPerBox() {
        TimelineView view;
        view.setLanes({"a", "b", "c", "d"});
        view.setMode(TimelineView::Mode::Measured);
        auto& d = view.measured()->ownData();
        const int perLane = 50000;
        for (int lane = 0; lane < 4; ++lane)
            for (int i = 0; i < perLane; ++i)
                d.append(box(lane, i * 1.0, i * 1.0 + 0.6, i % 3 ? Op::F : Op::B, i % 8, 0));
        render(view, 1200, 300);
        const auto stats = view.measured()->lastDrawStats();
        QVERIFY2(stats.rects <= 4u * 1200u, qPrintable(QString::number(stats.rects)));
        QVERIFY(stats.merged > 0);
        QCOMPARE(stats.badges, std::size_t(0));
        QBENCHMARK {
            view.replot(QCustomPlot::rpImmediateRefresh);
        }
    }

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

QTEST_MAIN(TestTimelineView)
#include "tst_timelineview.moc"
