// Simulator and analytic model: simulated figures agree with the closed
// forms of shared/docs/schedules.md over many (S, M).
#include <QtTest>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"
#include "engine/schedule/validator.h"

using namespace pd;

Q_DECLARE_METATYPE(pd::ScheduleKind)

namespace {

ScheduleConfig config(ScheduleKind kind, int S, int M, int B = 1, int V = 2) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = B;
    c.chunks = chunksFor(kind, V);
    return c;
}

bool isValid(const ScheduleConfig& c) {
    try {
        checkConfig(c);
        return true;
    } catch (const ConfigError&) {
        return false;
    }
}

Analysis simulateAndAnalyze(const ScheduleConfig& c, const OpCosts& costs = {}) {
    const Schedule sch = generateSchedule(c);
    return analyze(sch, simulate(sch, costs));
}

}  // namespace

class TestSimulator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void closedForms_data() {
        QTest::addColumn<ScheduleKind>("kind");
        QTest::addColumn<int>("S");
        QTest::addColumn<int>("M");
        QTest::addColumn<int>("B");
        QTest::addColumn<int>("V");
        for (ScheduleKind kind : allScheduleKinds())
            for (int S = 1; S <= 8; ++S)
                for (int M = 1; M <= 32; ++M)
                    for (int B : {1, 3})
                        for (int V : {2, 3}) {
                            if (V == 3 && !isChunkedKind(kind)) continue;
                            if (B == 3 && M % 4 != 1) continue;
                            if (!isValid(config(kind, S, M, B, V))) continue;
                            QTest::addRow("%s S%d M%d B%d V%d", toString(kind), S, M, B, V)
                                << kind << S << M << B << V;
                        }
    }
    void closedForms() {
        QFETCH(ScheduleKind, kind);
        QFETCH(int, S);
        QFETCH(int, M);
        QFETCH(int, B);
        QFETCH(int, V);
        const ScheduleConfig c = config(kind, S, M, B, V);
        const Analysis a = simulateAndAnalyze(c);
        const ClosedForm cf = closedForm(c);
        // No closed form, the simulation is the figure: interleaved and
        // looped-bfs with M < S; zb-h2 and zb-v with several batches (they
        // overlap batches by amounts no simple formula gives).
        const bool formless =
            (isChunkedKind(kind) && kind != ScheduleKind::InterleavedZeroBubble && M < S) ||
            ((kind == ScheduleKind::ZeroBubbleH2 || kind == ScheduleKind::ZeroBubbleV) && B > 1);
        QCOMPARE(cf.bubble.has_value(), !formless);
        if (formless)
            ;
        else if (cf.exact)
            QVERIFY2(qAbs(a.bubbleFraction - *cf.bubble) < 1e-9,
                     qPrintable(QString("simulated %1, closed form %2 (%3)")
                                    .arg(a.bubbleFraction)
                                    .arg(*cf.bubble)
                                    .arg(QString::fromStdString(cf.bubbleFormula))));
        else  // zero bubble with few microbatches: the I chain is longer than the fill; never
              // better
            QVERIFY(a.bubbleFraction >= *cf.bubble - 1e-9);
        for (int s = 0; s < S; ++s) {
            QCOMPARE(a.stages[s].peakActivations, cf.peakActivations[s]);
            if (!cf.versionsHeld.empty()) QCOMPARE(a.stages[s].versionsHeld, cf.versionsHeld[s]);
        }
    }

    // Vertical sync holds stage 0's version count on every stage (the issue
    // measured [4, 4, 4, 4] at S = 4 where the old walk said [4, 4, 3, 2]).
    void verticalSyncVersions_data() {
        QTest::addColumn<int>("S");
        QTest::addColumn<int>("M");
        QTest::addColumn<int>("B");
        for (int S = 1; S <= 8; ++S)
            for (int M : {1, 2, 4, 5})
                for (int B : {1, 2, 3, 6}) QTest::addRow("S%d M%d B%d", S, M, B) << S << M << B;
    }
    void verticalSyncVersions() {
        QFETCH(int, S);
        QFETCH(int, M);
        QFETCH(int, B);
        ScheduleConfig c = config(ScheduleKind::PipeDream, S, M, B);
        c.verticalSync = true;
        const Analysis a = simulateAndAnalyze(c);
        const ClosedForm cf = closedForm(c);
        QCOMPARE(int(cf.versionsHeld.size()), S);
        for (int s = 0; s < S; ++s) QCOMPARE(a.stages[s].versionsHeld, cf.versionsHeld[s]);
        if (S == 4 && M * B >= 6) QCOMPARE(cf.versionsHeld, (std::vector<int>{4, 4, 4, 4}));
    }

    // The paper's ZB-H1 holds, counted until W, min(M, S) microbatches on
    // every stage: the issue's [4, 4, 4, 4] at S = 4, M = 8, and 1F1B's peak.
    void zeroBubbleH1Memory() {
        const Analysis zb = simulateAndAnalyze(config(ScheduleKind::ZeroBubbleH1, 4, 8));
        const Analysis oneF = simulateAndAnalyze(config(ScheduleKind::OneFOneB, 4, 8));
        for (int s = 0; s < 4; ++s) QCOMPARE(zb.stages[s].peakActivations, 4);
        QCOMPARE(zb.stages[0].peakActivations, oneF.stages[0].peakActivations);
        QCOMPARE(zb.makespan, 27.0);  // 3M + S-1
    }

    // ZB-H2 from M = 2S-1 on: no stage idles between its first and last op,
    // and the makespan is the bound 3M + S-1.
    void zeroBubbleH2Parallelogram_data() {
        QTest::addColumn<int>("S");
        QTest::addColumn<int>("M");
        for (int S = 1; S <= 8; ++S)
            for (int M : {2 * S - 1, 2 * S + 3, 4 * S}) QTest::addRow("S%d M%d", S, M) << S << M;
    }
    void zeroBubbleH2Parallelogram() {
        QFETCH(int, S);
        QFETCH(int, M);
        const Schedule sch = generateSchedule(config(ScheduleKind::ZeroBubbleH2, S, M));
        const Timeline tl = simulate(sch);
        QCOMPARE(tl.makespan, 3.0 * M + S - 1);
        for (int s = 0; s < S; ++s) {
            const TimedAction& first = tl.actions[tl.stageBegin[s]];
            const TimedAction& last = tl.actions[tl.stageBegin[s + 1] - 1];
            double busy = 0.0;
            for (std::size_t k = tl.stageBegin[s]; k < tl.stageBegin[s + 1]; ++k)
                busy += tl.actions[k].end - tl.actions[k].start;
            QCOMPARE(last.end - first.start, busy);
            QCOMPARE(first.start, double(s));
        }
    }

    // The tutorial's configuration, with its true figures.
    void tutorialFigures() {
        const Analysis naive = simulateAndAnalyze(config(ScheduleKind::Naive, 4, 4));
        QCOMPARE(naive.meanUtilization, 0.25);  // 1/S: the tutorial's 25% is right
        const Analysis fillDrain = simulateAndAnalyze(config(ScheduleKind::GPipe, 4, 4));
        QCOMPARE(fillDrain.meanUtilization, 4.0 / 7.0);  // not the tutorial's 75%
        const Analysis oneF = simulateAndAnalyze(config(ScheduleKind::OneFOneB, 4, 8));
        QCOMPARE(oneF.bubbleFraction, 3.0 / 11.0);
        QCOMPARE(oneF.makespan, 33.0);  // (M+S-1)(tF+tB)
    }

    // Fill-drain bubbles do not depend on tB/tF.
    void bubbleIndependentOfCosts_data() {
        QTest::addColumn<ScheduleKind>("kind");
        QTest::addColumn<double>("tB");
        for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::Naive})
            for (double tB : {0.5, 1.0, 3.0, 7.25})
                QTest::addRow("%s tB=%g", toString(kind), tB) << kind << tB;
    }
    void bubbleIndependentOfCosts() {
        QFETCH(ScheduleKind, kind);
        QFETCH(double, tB);
        OpCosts costs;
        costs.b = tB;
        for (int S : {2, 5, 8})
            for (int M : {1, 3, 16}) {
                const ScheduleConfig c = config(kind, S, M, 2);
                QVERIFY(qAbs(simulateAndAnalyze(c, costs).bubbleFraction - *closedForm(c).bubble) <
                        1e-9);
            }
    }

    void interleavedBeatsOneFOneB() {
        const double oneF = simulateAndAnalyze(config(ScheduleKind::OneFOneB, 4, 8)).bubbleFraction;
        const double inter =
            simulateAndAnalyze(config(ScheduleKind::Interleaved, 4, 8, 1, 2)).bubbleFraction;
        const double zb =
            simulateAndAnalyze(config(ScheduleKind::ZeroBubbleH1, 4, 8)).bubbleFraction;
        QVERIFY(inter < oneF);
        QVERIFY(zb < oneF);
    }

    void timelineIsConsistent() {
        for (ScheduleKind kind : allScheduleKinds()) {
            const ScheduleConfig c = config(kind, 4, 8, 2);
            const Schedule sch = generateSchedule(c);
            const Timeline tl = simulate(sch);
            QCOMPARE(tl.actions.size(), sch.actionCount());
            QCOMPARE(int(tl.stageBegin.size()), 5);
            const auto v = validateTimeline(sch, tl);
            QVERIFY2(v.empty(), v.empty() ? "" : v.front().message.c_str());
            for (const TimedAction& t : tl.actions) {
                QVERIFY(t.end >= t.start);
                QVERIFY(t.end <= tl.makespan + 1e-9);
            }
        }
    }

    void chunkCostsScale() {
        // A chunk holds 1/V of the stage's layers: V*M chunk-ops of 1/V each.
        const ScheduleConfig c = config(ScheduleKind::Interleaved, 2, 4, 1, 2);
        const Analysis a = simulateAndAnalyze(c);
        for (const StageFigures& f : a.stages) QCOMPARE(f.busy, 4 * 3.0);
    }

    void deadlockedScheduleThrows() {
        Schedule sch = generateSchedule(config(ScheduleKind::GPipe, 2, 2));
        std::swap(sch.stages[0][1], sch.stages[0][2]);  // B mb0 before F mb1 on stage 0
        QVERIFY_THROWS_EXCEPTION(std::logic_error, simulate(sch));
    }

    void costsOf() {
        OpCosts c;
        QCOMPARE(c.of(Op::F), 1.0);
        QCOMPARE(c.of(Op::B), 2.0);
        QCOMPARE(c.of(Op::I), 1.0);
        QCOMPARE(c.of(Op::W), 1.0);
        QCOMPARE(c.of(Op::U), 0.0);
    }
};

QTEST_APPLESS_MAIN(TestSimulator)
#include "tst_simulator.moc"
