// The layer strip above the timeline: cells as wide as their layers' cost
// (with a minimum, equal when no cost is known), coloured by stage and
// labelled by part; its handles dragged with the mouse (snapping to cell
// edges, never past a neighbour, Escape puts the press's cut back) or moved
// with the arrow keys, with the live and the committed cut signalled; read
// only while a run trains; and input that does not fit never breaks it.
#include <QSignalSpy>
#include <QtTest>
#include <cmath>

#include "ui/views/layerstrip.h"
#include "ui/views/palette.h"

using namespace pd;

namespace {

using Cut = std::vector<int>;

std::vector<LayerCost> costsOf(const std::vector<double>& totals) {
    std::vector<LayerCost> out;
    for (double t : totals) {
        LayerCost c;
        c.forward = 0.4 * t;
        c.backward = 0.6 * t;
        out.push_back(c);
    }
    return out;
}

std::vector<QString> namesOf(int n) {
    std::vector<QString> out;
    for (int i = 0; i < n; ++i) out.push_back(QStringLiteral("layer%1").arg(i + 1));
    return out;
}

// `n` equal layers in a strip 30 px a cell wide, shown, cut in `parts`.
void equalStrip(LayerStrip& strip, int n, const Cut& cut, int parts) {
    strip.setLayers(namesOf(n), costsOf(std::vector<double>(n, 1.0)), QStringLiteral("ms"));
    strip.setCut(cut, parts, parts);
    strip.resize(n * 30 + 8, 48);
    strip.show();
    QVERIFY(QTest::qWaitForWindowExposed(&strip));
}

int midY(const LayerStrip& strip) {
    return strip.height() / 2;
}

Cut lastCut(const QSignalSpy& spy) {
    return spy.last().at(0).value<Cut>();
}

}  // namespace

class TestLayerStrip : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Cut>(); }

    // 6 layers of {8,6,3,1,0.5,0.2}: each cell's width is its share of the
    // strip to a pixel, the cells tile the strip without gaps.
    void widthsFollowCosts() {
        const std::vector<double> totals{8, 6, 3, 1, 0.5, 0.2};
        LayerStrip strip;
        strip.setLayers(namesOf(6), costsOf(totals), QStringLiteral("ms"));
        strip.setCut({4}, 2, 2);
        strip.resize(600, 48);
        const int room = 600 - 8;
        double sum = 0;
        for (double t : totals) sum += t;
        for (int i = 0; i < 6; ++i) {
            const double want = totals[i] / sum * room;
            QVERIFY2(std::abs(strip.cellRect(i).width() - want) <= 1.0,
                     qPrintable(QStringLiteral("layer %1: %2 px, want %3")
                                    .arg(i)
                                    .arg(strip.cellRect(i).width())
                                    .arg(want)));
            if (i > 0) QCOMPARE(strip.cellRect(i).left(), strip.cellRect(i - 1).right() + 1);
        }
        QCOMPARE(strip.cellRect(0).left(), 4);
        QCOMPARE(strip.cellRect(5).right(), 600 - 4 - 1);
        QVERIFY(strip.cellRect(0).width() > strip.cellRect(1).width());
        QCOMPARE(strip.handleX(0), strip.cellRect(3).left());
        QCOMPARE(strip.layerAt(strip.cellRect(2).center().x()), 2);
        QCOMPARE(strip.cellRect(6), QRect());
    }

    // A nearly free layer (a classifier head) is still a 3 px cell; the
    // others share the rest in proportion.
    void cheapLayerKeepsMinimum() {
        LayerStrip strip;
        strip.setLayers(namesOf(3), costsOf({1000, 1000, 0.001}), QString());
        strip.resize(300, 48);
        QCOMPARE(strip.cellRect(2).width(), 3);
        QVERIFY(std::abs(strip.cellRect(0).width() - strip.cellRect(1).width()) <= 1);
        QCOMPARE(strip.cellRect(0).width() + strip.cellRect(1).width(), 292 - 3);
    }

    // No cost known (zeros, NaN, negative): equal widths.
    void zeroCostsGiveEqualWidths() {
        LayerStrip strip;
        std::vector<LayerCost> costs = costsOf({0, 0, 0, 0, 0});
        costs[1].forward = std::nan("");
        costs[3].backward = -5;
        strip.setLayers(namesOf(5), costs, QString());
        strip.setCut({3}, 2, 2);
        strip.resize(508, 48);
        for (int i = 0; i < 5; ++i) QCOMPARE(strip.cellRect(i).width(), 100);
        QCOMPARE(strip.handleX(0), 4 + 200);
    }

    // Dragging the first handle two cells right in 10 px steps: one
    // cutChanged per layer crossed, the last with the new cut, and one
    // cutCommitted on release.
    void dragMovesBoundary() {
        LayerStrip strip;
        equalStrip(strip, 16, {5, 9, 13}, 4);
        QSignalSpy changed(&strip, &LayerStrip::cutChanged);
        QSignalSpy committed(&strip, &LayerStrip::cutCommitted);
        const int x = strip.handleX(0);
        QCOMPARE(x, 4 + 4 * 30);
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x + 3, midY(strip)));
        QVERIFY(strip.isDragging());
        for (int dx = 10; dx <= 60; dx += 10)
            QTest::mouseMove(&strip, QPoint(x + 3 + dx, midY(strip)));
        QCOMPARE(changed.count(), 2);
        QCOMPARE(changed.at(0).at(0).value<Cut>(), Cut({6, 9, 13}));
        QCOMPARE(lastCut(changed), Cut({7, 9, 13}));
        QCOMPARE(committed.count(), 0);
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(x + 63, midY(strip)));
        QCOMPARE(committed.count(), 1);
        QCOMPARE(lastCut(committed), Cut({7, 9, 13}));
        QCOMPARE(strip.boundaries(), Cut({7, 9, 13}));
        QCOMPARE(strip.selectedHandle(), 0);
        QVERIFY(!strip.isDragging());
    }

    // Far past a neighbour the handle stops one layer short of it (no part
    // empties), at either end too; a press away from every handle drags
    // nothing.
    void dragStopsAtNeighbours() {
        LayerStrip strip;
        equalStrip(strip, 16, {5, 9, 13}, 4);
        QSignalSpy committed(&strip, &LayerStrip::cutCommitted);
        auto drag = [&](int handle, int toX) {
            const int x = strip.handleX(handle);
            QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
            QTest::mouseMove(&strip, QPoint((x + toX) / 2, midY(strip)));
            QTest::mouseMove(&strip, QPoint(toX, midY(strip)));
            QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(toX, midY(strip)));
        };
        drag(0, strip.width() + 200);
        QCOMPARE(strip.boundaries(), Cut({8, 9, 13}));
        drag(1, -200);
        QCOMPARE(strip.boundaries(), Cut({8, 9, 13}));  // already next to its neighbour
        drag(0, -200);
        QCOMPARE(strip.boundaries(), Cut({2, 9, 13}));
        drag(2, strip.width() + 200);
        QCOMPARE(strip.boundaries(), Cut({2, 9, 16}));
        QCOMPARE(committed.count(), 3);
        for (const LayerRange& r : rangesFromBoundaries(16, strip.boundaries()))
            QVERIFY(r.first <= r.last);
        // A press in the middle of a cell is no drag.
        QTest::mousePress(&strip, Qt::LeftButton, {}, strip.cellRect(5).center());
        QVERIFY(!strip.isDragging());
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, strip.cellRect(5).center());
        QCOMPARE(committed.count(), 3);
    }

    // Escape while dragging puts the press's cut back (and says so); the
    // release after it commits nothing; so does a press and release in place.
    void escapeRestores() {
        LayerStrip strip;
        equalStrip(strip, 16, {5, 9, 13}, 4);
        QSignalSpy changed(&strip, &LayerStrip::cutChanged);
        QSignalSpy committed(&strip, &LayerStrip::cutCommitted);
        const int x = strip.handleX(1);
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QTest::mouseMove(&strip, QPoint(x + 65, midY(strip)));
        QCOMPARE(strip.boundaries(), Cut({5, 11, 13}));
        QTest::keyClick(&strip, Qt::Key_Escape);
        QVERIFY(!strip.isDragging());
        QCOMPARE(strip.boundaries(), Cut({5, 9, 13}));
        QCOMPARE(changed.count(), 2);
        QCOMPARE(lastCut(changed), Cut({5, 9, 13}));
        QTest::mouseMove(&strip, QPoint(x + 95, midY(strip)));
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(x + 95, midY(strip)));
        QCOMPARE(strip.boundaries(), Cut({5, 9, 13}));
        QCOMPARE(committed.count(), 0);
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QCOMPARE(changed.count(), 2);
        QCOMPARE(committed.count(), 0);
    }

    // Left/Right move the selected handle a layer (changed then committed),
    // Up/Down choose it; a handle against its neighbour stays.
    void keyboardMoves() {
        LayerStrip strip;
        equalStrip(strip, 16, {5, 9, 13}, 4);
        QCOMPARE(strip.focusPolicy(), Qt::StrongFocus);
        QSignalSpy changed(&strip, &LayerStrip::cutChanged);
        QSignalSpy committed(&strip, &LayerStrip::cutCommitted);
        QTest::keyClick(&strip, Qt::Key_Right);
        QCOMPARE(strip.boundaries(), Cut({6, 9, 13}));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(committed.count(), 1);
        QCOMPARE(lastCut(committed), Cut({6, 9, 13}));
        QTest::keyClick(&strip, Qt::Key_Down);
        QTest::keyClick(&strip, Qt::Key_Right);
        QCOMPARE(strip.boundaries(), Cut({6, 10, 13}));
        QTest::keyClick(&strip, Qt::Key_Up);
        QTest::keyClick(&strip, Qt::Key_Up);
        QCOMPARE(strip.selectedHandle(), 0);
        QTest::keyClick(&strip, Qt::Key_Left);
        QCOMPARE(strip.boundaries(), Cut({5, 10, 13}));
        for (int k = 0; k < 5; ++k) QTest::keyClick(&strip, Qt::Key_Down);
        QCOMPARE(strip.selectedHandle(), 2);
        for (int k = 0; k < 6; ++k) QTest::keyClick(&strip, Qt::Key_Right);
        QCOMPARE(strip.boundaries(), Cut({5, 10, 16}));
        QCOMPARE(changed.count(), 6);
        QCOMPARE(committed.count(), 6);
        QCOMPARE(lastCut(changed), Cut({5, 10, 16}));
        // A click on a handle selects it for the keys.
        const int x = strip.handleX(1);
        QTest::mouseClick(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QCOMPARE(strip.selectedHandle(), 1);
    }

    // Read only: no drag, no keys, no resize cursor; tooltips still there.
    void notEditableRefusesDrags() {
        LayerStrip strip;
        equalStrip(strip, 16, {5, 9, 13}, 4);
        strip.setEditable(false);
        QSignalSpy changed(&strip, &LayerStrip::cutChanged);
        QSignalSpy committed(&strip, &LayerStrip::cutCommitted);
        const int x = strip.handleX(0);
        QTest::mouseMove(&strip, QPoint(x, midY(strip)));
        QVERIFY(strip.cursor().shape() != Qt::SplitHCursor);
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QVERIFY(!strip.isDragging());
        QTest::mouseMove(&strip, QPoint(x + 90, midY(strip)));
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(x + 90, midY(strip)));
        QTest::keyClick(&strip, Qt::Key_Right);
        QCOMPARE(strip.boundaries(), Cut({5, 9, 13}));
        QCOMPARE(changed.count(), 0);
        QCOMPARE(committed.count(), 0);
        QVERIFY(strip.layerToolTip(0).contains(QStringLiteral("layer1")));
        // Editable again: the hover cursor, and a drag that stops mid-way
        // when editing is switched off puts the press's cut back.
        strip.setEditable(true);
        QTest::mouseMove(&strip, QPoint(x + 2, midY(strip)));
        QCOMPARE(strip.cursor().shape(), Qt::SplitHCursor);
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(x, midY(strip)));
        QTest::mouseMove(&strip, QPoint(x + 30, midY(strip)));
        QCOMPARE(strip.boundaries(), Cut({6, 9, 13}));
        strip.setEditable(false);
        QVERIFY(!strip.isDragging());
        QCOMPARE(strip.boundaries(), Cut({5, 9, 13}));
        QCOMPARE(lastCut(changed), Cut({5, 9, 13}));
        QTest::mouseRelease(&strip, Qt::LeftButton, {}, QPoint(x + 30, midY(strip)));
        QCOMPARE(committed.count(), 0);
    }

    // Boundaries that do not fit become equal counts (as splitLayers);
    // more parts than layers, or no layers, paint a note and nothing else.
    void badInputFallsBack() {
        LayerStrip strip;
        strip.setLayers(namesOf(10), costsOf(std::vector<double>(10, 2.0)), QString());
        strip.resize(400, 48);
        const Cut equal{5, 8};  // 4, 3, 3 layers
        for (const Cut& bad : {Cut{3, 2}, Cut{0, 5}, Cut{5, 11}, Cut{5}, Cut{5, 8, 9}, Cut{4, 4}}) {
            strip.setCut(bad, 3, 3);
            QCOMPARE(strip.boundaries(), equal);
        }
        strip.setCut({2, 10}, 3, 3);
        QCOMPARE(strip.boundaries(), Cut({2, 10}));
        strip.setCut({}, 12, 4);
        QVERIFY(strip.boundaries().empty());
        QVERIFY(strip.note().contains(QStringLiteral("12 parts")));
        QVERIFY(!strip.grab().isNull());
        QVERIFY(strip.drawnLabels().isEmpty());
        QTest::mousePress(&strip, Qt::LeftButton, {}, QPoint(200, 24));
        QTest::keyClick(&strip, Qt::Key_Right);
        QVERIFY(!strip.isDragging());
        // Layers given after the cut: the cut applies to them.
        LayerStrip late;
        late.setCut({3}, 2, 2);
        QVERIFY(late.boundaries().empty());
        QVERIFY(!late.note().isEmpty());
        late.setLayers(namesOf(4), costsOf({1, 1, 1, 1}), QString());
        QCOMPARE(late.boundaries(), Cut({3}));
        late.setLayers({}, {}, QString());
        QVERIFY(late.boundaries().empty());
        QCOMPARE(late.layerToolTip(0), QString());
        late.resize(300, 48);
        QVERIFY(!late.grab().isNull());
        QCOMPARE(late.cellRect(0), QRect());
        QCOMPARE(late.handleX(0), -1);
    }

    // Part labels: stage, layers and cost share when they fit; shorter
    // forms when narrow, never wider than the part.
    void labelsAndColours() {
        LayerStrip strip;
        strip.setLayers(namesOf(6), costsOf({8, 6, 3, 1, 0.5, 0.2}), QStringLiteral("ms"));
        strip.setCut({4}, 2, 2);
        strip.resize(2000, 48);
        (void)strip.grab();
        QCOMPARE(strip.drawnLabels(), QStringList({QStringLiteral("GPU0 L1-3 \u00b7 91%"),
                                                   QStringLiteral("GPU1 L4-6 \u00b7 9%")}));
        // 800 px: the second part (9%, 72 px) gets a shorter form.
        strip.resize(800, 48);
        const QImage image = strip.grab().toImage();
        QCOMPARE(strip.drawnLabels().at(0), QStringLiteral("GPU0 L1-3 \u00b7 91%"));
        QVERIFY2(strip.drawnLabels().at(1) == QStringLiteral("GPU1 \u00b7 9%") ||
                     strip.drawnLabels().at(1) == QStringLiteral("GPU1"),
                 qPrintable(strip.drawnLabels().at(1)));
        // Cells take their stage's colour (below the label, off the lines).
        const QRect c0 = strip.cellRect(0), c5 = strip.cellRect(5);
        QCOMPARE(image.pixelColor(c0.center().x(), c0.bottom() - 1), stageColor(0, 2));
        QCOMPARE(image.pixelColor(c5.center().x(), c5.bottom() - 1), stageColor(1, 2));
        strip.resize(90, 48);
        (void)strip.grab();
        QCOMPARE(strip.drawnLabels().size(), 2);
        QVERIFY(strip.drawnLabels().at(0).startsWith(QStringLiteral("GPU0")));
        QVERIFY(strip.drawnLabels().at(0).size() < QStringLiteral("GPU0 L1-3 · 91%").size());
        const QFontMetrics fm(strip.font());
        const int spans[] = {strip.handleX(0) - strip.cellRect(0).left(),
                             strip.cellRect(5).right() + 1 - strip.handleX(0)};
        for (int p = 0; p < 2; ++p)
            QVERIFY2(fm.horizontalAdvance(strip.drawnLabels().at(p)) < spans[p],
                     qPrintable(strip.drawnLabels().at(p)));
        // Interleaved: 4 parts on 2 stages, part 2 on stage 0 again.
        strip.setCut({2, 3, 5}, 4, 2);
        strip.resize(800, 48);
        const QImage interleaved = strip.grab().toImage();
        const QRect c3 = strip.cellRect(3);  // layer 4: part 2 (layers 3-4)
        QCOMPARE(interleaved.pixelColor(c3.center().x(), c3.bottom() - 1), stageColor(0, 2));
        QCOMPARE(strip.drawnLabels().at(2), QStringLiteral("GPU0 L3-4 \u00b7 21%"));
    }

    // Tooltips: name, stage and layers, costs with their unit (shares only
    // when estimated), share of the total, bytes readable.
    void toolTips() {
        LayerStrip strip;
        std::vector<LayerCost> costs = costsOf({8, 6, 3, 1, 0.5, 0.2});
        costs[0].paramBytes = 2 * 1024 * 1024;
        costs[0].activationBytes = 512 * 1024;
        std::vector<QString> names = namesOf(6);
        names[0] = QStringLiteral("conv1");
        strip.setLayers(names, costs, QStringLiteral("ms"));
        strip.setCut({4}, 2, 2);
        const QString tip = strip.layerToolTip(0);
        for (const char* part : {"conv1", "layer 1 of 6", "GPU0", "layers 1-3", "3.20 ms",
                                 "4.80 ms", "42.8%", "2.0 MiB", "512.0 KiB"})
            QVERIFY2(tip.contains(QLatin1String(part)), qPrintable(tip));
        QVERIFY2(strip.layerToolTip(5).contains(QStringLiteral("GPU1")),
                 qPrintable(strip.layerToolTip(5)));
        strip.setLayers(names, costs, QString());
        const QString estimated = strip.layerToolTip(0);
        QVERIFY2(!estimated.contains(QStringLiteral("ms")), qPrintable(estimated));
        QVERIFY2(estimated.contains(QStringLiteral("42.8%")), qPrintable(estimated));
        QVERIFY2(estimated.contains(QStringLiteral("17.1%")), qPrintable(estimated));  // forward
    }

    // Stage colours: neighbours (and the first and last, which meet in
    // interleaved schedules) clearly apart, a stage's colour the same for
    // any count up to eight, distinct for 16 stages too.
    void stageColours() {
        for (int stages : {2, 4, 8, 16}) {
            for (int s = 0; s < stages; ++s) {
                const QColor a = stageColor(s, stages), b = stageColor((s + 1) % stages, stages);
                QVERIFY2(colourDistance(a, b) > 0.1,
                         qPrintable(QStringLiteral("%1 stages: %2 and %3 are %4 apart")
                                        .arg(stages)
                                        .arg(s)
                                        .arg((s + 1) % stages)
                                        .arg(colourDistance(a, b))));
            }
        }
        QCOMPARE(stageColor(1, 2), stageColor(1, 8));
    }
};

QTEST_MAIN(TestLayerStrip)
#include "tst_layerstrip.moc"
