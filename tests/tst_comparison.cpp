// The comparison's statistical efficiency: the held-out figure every row
// reached, and each row's training time to it (accuracy for images, loss
// for text), from rows made here.
#include <QtTest>
#include <cmath>

#include "engine/run/comparison.h"

using namespace pd;

namespace {

ComparisonRow row(std::vector<std::pair<double, double>> secondsAndFigure, bool text = false) {
    ComparisonRow r;
    r.valid = true;
    int batch = 0;
    for (const auto& [seconds, figure] : secondsAndFigure) {
        EvaluationEvent e;
        e.batch = ++batch;
        e.trainUs = static_cast<std::int64_t>(seconds * 1e6);
        e.accuracy = text ? NAN : figure;
        e.loss = text ? figure : 1.0 - figure;
        r.evaluations.push_back(e);
    }
    return r;
}

}  // namespace

class TestComparison : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accuracyTarget();
    void lossTargetForText();
    void noEvaluations();
};

void TestComparison::accuracyTarget() {
    // Fast but ends lower; slow but ends higher; one never evaluated.
    const std::vector<ComparisonRow> rows = {row({{1.0, 0.70}, {2.0, 0.80}}),
                                             row({{3.0, 0.75}, {6.0, 0.85}}), ComparisonRow{}};
    const HeldOutTarget t = heldOutTarget(rows);
    QVERIFY(t.accuracy);
    QCOMPARE(t.value, 0.80);  // what both reached
    QCOMPARE(secondsToTarget(rows[0], t), 2.0);
    QCOMPARE(secondsToTarget(rows[1], t), 6.0);
    QVERIFY(std::isnan(secondsToTarget(rows[2], t)));
}

void TestComparison::lossTargetForText() {
    const std::vector<ComparisonRow> rows = {row({{1.0, 3.0}, {2.0, 2.5}}, true),
                                             row({{1.5, 2.4}, {3.0, 2.0}}, true)};
    const HeldOutTarget t = heldOutTarget(rows);
    QVERIFY(!t.accuracy);
    QCOMPARE(t.value, 2.5);  // the highest final loss
    QCOMPARE(secondsToTarget(rows[0], t), 2.0);
    QCOMPARE(secondsToTarget(rows[1], t), 1.5);
}

void TestComparison::noEvaluations() {
    const HeldOutTarget t = heldOutTarget({ComparisonRow{}, ComparisonRow{}});
    QVERIFY(std::isnan(t.value));
    QVERIFY(std::isnan(secondsToTarget(ComparisonRow{}, t)));
}

QTEST_GUILESS_MAIN(TestComparison)
#include "tst_comparison.moc"
