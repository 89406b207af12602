// Timeline rendering and its time-to-pixel maths: colours at the pixels of
// known boxes (from coordToPixel), idle background, version badges, merging
// of sub-pixel boxes, labels, staleness, selection and search, the legend,
// tooltips and presentation sizes. Where the view looks: tst_timelinefollow.
#include "timeline_test_util.h"

using namespace pd;
using namespace pd::timelinetest;

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

    void tooltipNamesTheBox() {
        TimelineView view;
        loadKnown(view);
        render(view);
        const QPoint p(qRound(view.xAxis->coordToPixel(25)), qRound(view.yAxis->coordToPixel(0)));
        const QString tip = view.tooltipAt(p);
        QVERIFY2(tip.contains(QStringLiteral("Backward")), qPrintable(tip));
        // Batches count from 1, as in the status bar.
        QVERIFY2(tip.contains(QStringLiteral("batch 1, stage 0")), qPrintable(tip));
        QVERIFY(tip.contains(QStringLiteral("microbatch 0")));
        QVERIFY(tip.contains(QStringLiteral("reads weight version v0")));
        QVERIFY(tip.contains(QStringLiteral("start 20.000 ms, duration 20.000 ms")));
        // Idle time says it is a bubble, how long, and what ends it.
        const QPoint idle(qRound(view.xAxis->coordToPixel(15)),
                          qRound(view.yAxis->coordToPixel(0)));
        const QString bubble = view.tooltipAt(idle);
        QVERIFY2(bubble.contains(QStringLiteral("bubble")), qPrintable(bubble));
        QVERIFY2(bubble.contains(QStringLiteral("waits 10.000 ms (from 10.000 to 20.000)")),
                 qPrintable(bubble));
        QVERIFY(bubble.contains(QStringLiteral("until B0")));
        // Between lanes there is nothing to say.
        QVERIFY(view.tooltipAt(QPoint(idle.x(), qRound(view.yAxis->coordToPixel(0.5)))).isEmpty());
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

    // Op and microbatch first, the version when there is room, the op letter
    // when there is not; never the version alone.
    void labelsAtThreeZoomLevels_data() {
        QTest::addColumn<QString>("label");
        QTest::addColumn<QString>("wider");  // the next longer label, which must not fit
        QTest::addRow("wide") << "F3 v2" << QString();
        QTest::addRow("medium") << "F3"
                                << "F3 v2";
        QTest::addRow("narrow") << "F"
                                << "F3";
    }

    // The box is made just wide enough for `label` (from the font's
    // metrics) and too narrow for the next longer one.
    void labelsAtThreeZoomLevels() {
        QFETCH(QString, label);
        QFETCH(QString, wider);
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0")});
        view.setMode(TimelineView::Mode::Measured);
        view.measured()->ownData().append(box(0, 0, 10, Op::F, 3, 2));
        render(view, 900, 200);
        const QFontMetrics fm(view.font());
        const double px = fm.horizontalAdvance(label) + 4 + 2;  // + the one-pixel gap, + slack
        if (!wider.isEmpty()) QVERIFY(px < fm.horizontalAdvance(wider) + 4);
        view.setFollow(false);
        for (int pass = 0; pass < 3; ++pass) {  // the margins settle with the tick labels
            view.xAxis->setRange(0.0, 10.0 * view.axisRect()->width() / px);
            view.replot(QCustomPlot::rpImmediateRefresh);
        }
        QCOMPARE(view.xAxis->coordToPixel(10.0) - view.xAxis->coordToPixel(0.0), px);
        QCOMPARE(view.measured()->lastBadges(), QStringList{label});
        QCOMPARE(GanttPlottable::badgeText(box(0, 0, 1, Op::U, -1, 4)),
                 QStringLiteral("U\u2192v4"));
        QCOMPARE(
            GanttPlottable::badgeText(box(0, 0, 1, Op::F, 3, 2), GanttPlottable::Label::Full, true),
            QStringLiteral("F3.0 v2"));
    }

    void chunkedLabelsSayTheChunk() {
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0"), QStringLiteral("GPU1")});
        view.setMode(TimelineView::Mode::Measured);
        fillSchedule(view.measured()->ownData(), ScheduleKind::Interleaved, 2, 4);
        render(view, 3000, 200);
        const QStringList drawn = view.measured()->lastBadges();
        QVERIFY(!drawn.isEmpty());
        for (const QString& t : drawn)
            if (!t.startsWith(QLatin1Char('U')))
                QVERIFY2(t.contains(QLatin1Char('.')), qPrintable(t));
        QVERIFY(drawn.contains(QStringLiteral("F1.1 v0")));
    }

    void versionColoursDistinctFor40Versions() {
        QSet<QString> names;
        for (int v = 0; v < 40; ++v) names.insert(versionColor(v, 39).name());
        QCOMPARE(names.size(), 40);
        // Ordered: a sequential scale gets lighter from the first to the last
        // version (over a cycle of three, since neighbours step in lightness).
        auto meanLightness = [](int first) {
            int sum = 0;
            for (int v = first; v < first + 3; ++v) sum += qGray(versionColor(v, 39).rgb());
            return sum / 3;
        };
        QVERIFY2(meanLightness(37) > meanLightness(0) + 60,
                 qPrintable(QStringLiteral("%1 %2").arg(meanLightness(0)).arg(meanLightness(37))));
        // v8 is not v0 (the old palette wrapped after eight).
        QVERIFY(versionColor(8, 39) != versionColor(0, 39));
        // On the timeline: 40 boxes, one per version, each its own colour.
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0")});
        view.setMode(TimelineView::Mode::Measured);
        for (int v = 0; v < 40; ++v)
            view.measured()->ownData().append(box(0, v * 10, v * 10 + 9, Op::F, 0, v));
        view.setColorMode(GanttPlottable::ColorMode::ByVersion);
        const QImage img = render(view, 1600, 200);
        QSet<QString> drawn;
        for (int v = 0; v < 40; ++v) {
            const QColor c = pixelAt(view, img, v * 10 + 1.5, -0.3);
            QCOMPARE(c.name(), versionColor(v, 39).name());
            drawn.insert(c.name());
        }
        QCOMPARE(drawn.size(), 40);
        // The legend row names the scale's ends.
        QVERIFY(view.legendRow()->caption().contains(QStringLiteral("v0 to v39")));
    }

    // Staleness: the stage's newest version minus the version read.
    void stalenessZeroForFlushKinds_data() {
        QTest::addColumn<int>("kind");
        for (ScheduleKind k : allScheduleKinds())
            if (isFlushKind(k)) QTest::newRow(toString(k)) << int(k);
    }

    void stalenessZeroForFlushKinds() {
        QFETCH(int, kind);
        TimelineData d;
        fillSchedule(d, ScheduleKind(kind), 4, 8, 3);
        QVERIFY(d.maxVersion() >= 2);  // updates did happen
        QCOMPARE(d.maxStaleness(), 0);
    }

    void stalenessGrowsForPipeDream() {
        const int S = 4;
        TimelineData d;
        fillSchedule(d, ScheduleKind::PipeDream, S, 8, 3);
        for (int s = 0; s < S; ++s) {
            int most = 0;
            for (const TimelineBox& b : d.lane(s)) {
                if (b.op == Op::F || b.op == Op::U)
                    QCOMPARE(int(b.staleness), 0);  // newest weights
                most = std::max(most, int(b.staleness));
            }
            // A backward reads what its forward stashed: S-1-s updates older.
            QCOMPARE(most, S - 1 - s);
        }
        QCOMPARE(d.maxStaleness(), S - 1);
    }

    // Click a forward of microbatch 2: its boxes on every stage keep their
    // colour and get an outline, the others are dimmed, arrows join the
    // stages; Escape clears.
    void selectionHighlightsTheMicrobatchOnEveryStage() {
        const int S = 4;
        TimelineView view;
        loadGPipe(view, S, 4);
        QImage img = render(view, 1200, 400);
        const TimelineData& d = view.measured()->data();
        const TimelineBox* f2 = findBox(d, 0, Op::F, 2);
        QVERIFY(f2);
        view.selectAt(centreOf(view, *f2));
        QVERIFY(view.selection().valid());
        QCOMPARE(view.selection().microbatch, 2);
        QCOMPARE(view.selection().op, Op::F);
        QCOMPARE(view.selectedBox(), f2);
        img = render(view, 1200, 400);
        for (int s = 0; s < S; ++s) {
            for (Op op : {Op::F, Op::B}) {
                const TimelineBox* mine = findBox(d, s, op, 2);
                const TimelineBox* other = findBox(d, s, op, 1);
                QVERIFY(mine && other);
                const QPoint c = centreOf(view, *mine);
                QCOMPARE(img.pixelColor(c).name(), boxColor(op, 2).name());
                // The outline, just inside the box's left edge.
                int outline = 0;
                for (int dx = 0; dx < 4; ++dx)
                    outline += img.pixelColor(qRound(view.xAxis->coordToPixel(mine->start)) + dx,
                                              c.y()) == highlightColor();
                QVERIFY(outline >= 1);
                // Another microbatch: dimmed, lighter than its own colour.
                const QColor dim = img.pixelColor(centreOf(view, *other));
                QVERIFY2(dim.lightness() > boxColor(op, 1).lightness() + 30,
                         qPrintable(dim.name()));
            }
        }
        // Arrows: S-1 activations forward, S-1 gradients back.
        QCOMPARE(view.measured()->lastDrawStats().flows, std::size_t(2 * (S - 1)));
        // The activation from stage 0 to 1 crosses the gap between the lanes at F2's end.
        const QColor arrow = img.pixelColor(qRound(view.xAxis->coordToPixel(f2->end)),
                                            qRound(view.yAxis->coordToPixel(0.5)));
        QVERIFY2(arrow.lightness() < 90, qPrintable(arrow.name()));
        QKeyEvent esc(QEvent::KeyPress, Qt::Key_Escape, Qt::NoModifier);
        QApplication::sendEvent(&view, &esc);
        QVERIFY(!view.selection().valid());
        img = render(view, 1200, 400);
        QCOMPARE(view.measured()->lastDrawStats().flows, std::size_t(0));
        const TimelineBox* other = findBox(d, 1, Op::F, 1);
        QCOMPARE(img.pixelColor(centreOf(view, *other)).name(), boxColor(Op::F, 1).name());
    }

    void searchParsesWords_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("stage");
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("microbatch");
        QTest::addColumn<uint>("ops");
        QTest::addRow("mb3") << "mb3" << -1 << -1 << 3 << 0x1Fu;
        QTest::addRow("B") << "B" << -1 << -1 << -1 << (1u << int(Op::B));
        QTest::addRow("stage 2") << "stage 2" << 2 << -1 << -1 << 0x1Fu;
        QTest::addRow("label B3 s1") << "B3 s1" << 1 << -1 << 3 << (1u << int(Op::B));
        QTest::addRow("batch 2, F and U")
            << "batch 2 F U" << -1 << 1 << -1 << ((1u << int(Op::F)) | (1u << int(Op::U)));
    }

    void searchParsesWords() {
        QFETCH(QString, text);
        QFETCH(int, stage);
        QFETCH(int, batch);
        QFETCH(int, microbatch);
        QFETCH(uint, ops);
        QString problem;
        const BoxFilter f = parseBoxFilter(text, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(f.stage, stage);
        QCOMPARE(f.batch, batch);
        QCOMPARE(f.microbatch, microbatch);
        QCOMPARE(f.ops, ops);
        QVERIFY(f.active());
        parseBoxFilter(QStringLiteral("mb3 zz9"), &problem);
        QVERIFY(problem.contains(QStringLiteral("zz9")));
    }

    void searchDimsTheRest() {
        TimelineView view;
        loadGPipe(view);
        view.setFilter(parseBoxFilter(QStringLiteral("mb3")));
        const QImage img = render(view, 1200, 400);
        const TimelineData& d = view.measured()->data();
        QCOMPARE(img.pixelColor(centreOf(view, *findBox(d, 2, Op::B, 3))).name(),
                 boxColor(Op::B, 3).name());
        const QColor other = img.pixelColor(centreOf(view, *findBox(d, 2, Op::B, 1)));
        QVERIFY(other.lightness() > boxColor(Op::B, 1).lightness() + 30);
    }

    // A full view of many narrow boxes: each merged column is split by op
    // share, so the forwards do not vanish under the backwards.
    void mergedColumnsKeepEveryOp() {
        TimelineView view;
        view.setLanes({QStringLiteral("a")});
        view.setMode(TimelineView::Mode::Measured);
        auto& d = view.measured()->ownData();
        for (int i = 0; i < 30000; ++i)  // 1F1B-like: the backward twice the forward
            d.append(box(0, i * 3.0, i * 3.0 + (i % 2 ? 2.0 : 1.0), i % 2 ? Op::B : Op::F, 0, 0));
        const QImage img = render(view, 1000, 200);
        QVERIFY(view.measured()->lastDrawStats().merged > 0);
        const int x = qRound(view.xAxis->coordToPixel(30000.0));
        int forward = 0, backward = 0;
        for (int y = qRound(view.yAxis->coordToPixel(-0.38));
             y <= qRound(view.yAxis->coordToPixel(0.38)); ++y) {
            const QString c = img.pixelColor(x, y).name();
            forward += c == opColor(Op::F).name();
            backward += c == opColor(Op::B).name();
        }
        QVERIFY2(forward > 0 && backward > forward,
                 qPrintable(QStringLiteral("%1 %2").arg(forward).arg(backward)));
    }

    void measuredRangeSaysBusyShare() {
        TimelineView view;
        loadKnown(view);
        render(view);
        QSignalSpy spy(&view, &TimelineView::rangeMeasured);
        view.measureRange(0.0, 40.0);
        QCOMPARE(spy.count(), 1);
        const QString summary = view.rangeSummary();
        QVERIFY2(summary.contains(QStringLiteral("40.000 ms")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("GPU0 (L1-4): busy 75.0%")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("GPU1 (L5-8): busy 25.0%")), qPrintable(summary));
        // Shift + drag does the same with the mouse.
        const int y = qRound(view.yAxis->coordToPixel(0));
        QTest::mousePress(&view, Qt::LeftButton, Qt::ShiftModifier,
                          QPoint(qRound(view.xAxis->coordToPixel(10)), y));
        QTest::mouseRelease(&view, Qt::LeftButton, Qt::ShiftModifier,
                            QPoint(qRound(view.xAxis->coordToPixel(20)), y));
        // Pixels are not milliseconds: within one percent.
        const QRegularExpression busy(QStringLiteral("GPU(\\d) .*busy ([0-9.]+)%"));
        std::vector<double> share;
        for (const QString& line : view.rangeSummary().split(QLatin1Char('\n'))) {
            const auto m = busy.match(line);
            if (m.hasMatch()) share.push_back(m.captured(2).toDouble());
        }
        QCOMPARE(share.size(), std::size_t(2));
        QVERIFY2(share[0] < 1.0 && share[1] > 99.0, qPrintable(view.rangeSummary()));
    }

    // A title wider than the plot wraps at its separators instead of being
    // clipped at both ends.
    void longTitleWraps() {
        TimelineView view;
        loadKnown(view);
        view.resize(600, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QString title = QStringLiteral(
            "run.csv: 1F1B (PipeDream-Flush) \u2014 4 stages, 8 microbatches, 5 batches: "
            "utilization 57.1% measured, 57.1% ideal");
        view.setTitle(title);
        QCOMPARE(view.title(), title);
        auto* element = view.plotLayout()->element(0, 0);
        auto* text = qobject_cast<QCPTextElement*>(element);
        QVERIFY(text);
        const QStringList lines = text->text().split(QLatin1Char('\n'));
        QVERIFY(lines.size() >= 2);
        const QFontMetrics fm(text->font());
        for (const QString& line : lines)
            QVERIFY2(fm.horizontalAdvance(line) <= 560, qPrintable(line));
        QCOMPARE(lines.join(QLatin1Char(' ')), title);
        view.resize(3000, 300);
        QTRY_COMPARE(text->text(), title);  // room enough: one line
    }

    // A dark system palette gets a dark timeline: background, idle time and
    // axis text follow it, and the selection outline turns light.
    void darkPaletteGivesADarkTimeline() {
        const QPalette light = QGuiApplication::palette();
        QPalette dark = light;
        dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
        dark.setColor(QPalette::Base, QColor(0x18, 0x18, 0x18));
        dark.setColor(QPalette::WindowText, QColor(0xE0, 0xE0, 0xE0));
        QApplication::setPalette(dark);
        TimelineView view;
        loadKnown(view);
        const QImage img = render(view);
        QApplication::setPalette(light);
        QCOMPARE(pixelAt(view, img, 15.0, 0.5).name(), QStringLiteral("#181818"));  // between lanes
        QVERIFY(pixelAt(view, img, 15.0, 0.0).lightness() < 80);                    // idle, dark
        QCOMPARE(pixelAt(view, img, 2.0, -0.3).name(),
                 boxColor(Op::F, 0).name());  // ops keep colour
        QCOMPARE(view.xAxis->tickLabelColor().name(), QStringLiteral("#e0e0e0"));
        QVERIFY(idleColor().lightness() > 200);  // back to light with the palette
    }

    // Presentation mode: larger labels on the axes and on the boxes.
    void presentationModeEnlargesText() {
        TimelineView view;
        loadKnown(view);
        render(view);
        const qreal normal = view.xAxis->tickLabelFont().pointSizeF();
        const int badgeHeight = QFontMetrics(view.font()).height();
        view.setPresentation(true);
        QVERIFY(view.xAxis->tickLabelFont().pointSizeF() > normal * 1.4);
        QVERIFY(QFontMetrics(view.font()).height() > badgeHeight * 1.3);
        render(view, 1400, 500);
        QVERIFY(view.measured()->lastBadges().contains(QStringLiteral("B0 v0")));
        view.setPresentation(false);
        QCOMPARE(view.xAxis->tickLabelFont().pointSizeF(), normal);
    }

    // ---- following the cursor ----

    // Consecutive versions differ clearly (OKLab distance) for runs with few
    // or many versions, as drawn (bins included); the scale never wraps.
    void consecutiveVersionsDiffer_data() {
        QTest::addColumn<int>("top");
        for (int top : {1, 2, 4, 5, 8, 15, 40, 63, 64, 100, 500})
            QTest::addRow("v0-v%d", top) << top;
    }

    void consecutiveVersionsDiffer() {
        QFETCH(int, top);
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0")});
        view.measured()->setScale(top, 0);
        double closest = 1e9;
        for (int v = 0; v < top; ++v)
            closest = std::min(closest, colourDistance(view.measured()->versionFill(v),
                                                       view.measured()->versionFill(v + 1)));
        QVERIFY2(closest >= 0.1, qPrintable(QString::number(closest)));
        QVERIFY(colourDistance(view.measured()->versionFill(0),
                               view.measured()->versionFill(top)) >= 0.2);
        // Old palette for comparison: viridis alone put v0 and v1 of 40 within 0.02.
        if (top == 40)
            QVERIFY(colourDistance(sequentialColor(0.0), sequentialColor(1.0 / 40)) < 0.03);
    }

    // The legend row shows what fits, whole: many versions are one ramp
    // v0..vN; a row too narrow ends in "…" and the last entry.
    void legendShowsWhatFitsWithoutCutting() {
        TimelineView view;
        view.setLanes({QStringLiteral("GPU0")});
        view.setMode(TimelineView::Mode::Measured);
        for (int v = 0; v < 41; ++v)
            view.measured()->ownData().append(box(0, v * 10, v * 10 + 9, Op::F, 0, v));
        view.setColorMode(GanttPlottable::ColorMode::ByVersion);
        render(view, 1200, 250);
        const auto& entries = view.legendRow()->entries();
        QCOMPARE(entries.size(), std::size_t(2));  // the ramp and idle
        QCOMPARE(entries.front().ramp.size(), std::size_t(41));
        QStringList drawn = view.legendRow()->drawnLabels();
        QVERIFY2(drawn.contains(QStringLiteral("v0\u2026v40")) &&
                     drawn.last() == QStringLiteral("idle (bubble)"),
                 qPrintable(drawn.join(QLatin1Char('|'))));
        // Few versions: one swatch each.
        view.measured()->ownData().reset(1);
        for (int v = 0; v < 4; ++v)
            view.measured()->ownData().append(box(0, v * 10, v * 10 + 9, Op::F, 0, v));
        view.refresh();
        QCOMPARE(view.legendRow()->entries().size(), std::size_t(5));
        // By staleness in a narrow window: entries elided, the last one kept.
        view.setColorMode(GanttPlottable::ColorMode::ByStaleness);
        render(view, 420, 250);
        drawn = view.legendRow()->drawnLabels();
        QVERIFY2(drawn.size() >= 2 && drawn.last() == QStringLiteral("idle (bubble)"),
                 qPrintable(drawn.join(QLatin1Char('|'))));
    }

    // Presentation mode enlarges the box labels as drawn (the painter's
    // font, not only the metrics), the legend and the title.
    void presentationEnlargesDrawnLabels() {
        TimelineView view;
        loadKnown(view);
        view.setTitle(QStringLiteral("A title"));
        auto textRows = [&view]() {
            const QImage img = render(view, 1400, 500);
            // Rows of the backward box [20, 40] on lane 0 holding text pixels.
            int rows = 0;
            for (int y = qRound(view.yAxis->coordToPixel(-0.35));
                 y < qRound(view.yAxis->coordToPixel(0.35)); ++y) {
                for (int x = qRound(view.xAxis->coordToPixel(22));
                     x < qRound(view.xAxis->coordToPixel(38)); ++x)
                    if (img.pixelColor(x, y) != boxColor(Op::B, 0)) {
                        ++rows;
                        break;
                    }
            }
            return rows;
        };
        const int normal = textRows();
        const QFont title =
            view.plotLayout()->elementAt(0)
                ? static_cast<QCPTextElement*>(view.plotLayout()->element(0, 0))->font()
                : QFont();
        view.setPresentation(true);
        const int large = textRows();
        QVERIFY2(normal > 3 && large >= normal * 1.3,
                 qPrintable(QStringLiteral("%1 %2").arg(normal).arg(large)));
        QVERIFY(
            static_cast<QCPTextElement*>(view.plotLayout()->element(0, 0))->font().pointSizeF() >
            title.pointSizeF() * 1.4);
    }
};

QTEST_MAIN(TestTimelineView)
#include "tst_timelineview.moc"
