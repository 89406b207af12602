// Partitioners: each exact on its objective (checked against every
// partition of small random cost vectors), the split syntax, and the
// simulator with per-part costs.
#include <QtTest>
#include <functional>
#include <random>

#include "engine/schedule/partition.h"
#include "error_test_util.h"

using namespace pd;

namespace {

ScheduleConfig config(ScheduleKind kind, int stages, int microbatches, int chunks = 1) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = stages;
    c.microbatches = microbatches;
    c.batches = 1;
    c.chunks = chunks;
    return c;
}

std::vector<LayerCost> randomLayers(int n, std::mt19937& rng) {
    std::uniform_real_distribution<double> time(0.1, 10.0);
    std::uniform_int_distribution<std::int64_t> bytes(1, 5000);
    std::vector<LayerCost> out;
    for (int i = 0; i < n; ++i) {
        LayerCost l;
        l.forward = time(rng);
        l.backward = 2.0 * l.forward * time(rng) / 5.0;
        l.activationBytes = bytes(rng);
        l.outputBytes = bytes(rng);
        l.paramBytes = bytes(rng) * 10;
        out.push_back(l);
    }
    return out;
}

// Every partition of L layers into P contiguous non-empty parts.
void forEachPartition(int L, int P, const std::function<void(const std::vector<LayerRange>&)>& f) {
    std::vector<int> b(P - 1);
    std::function<void(int, int)> place = [&](int k, int low) {
        if (k == P - 1) {
            f(rangesFromBoundaries(L, b));
            return;
        }
        for (int v = low; v <= L - (P - 2 - k); ++v) {
            b[k] = v;
            place(k + 1, v + 1);
        }
    };
    place(0, 2);
}

double bruteForce(int L, int P, const std::function<double(const std::vector<LayerRange>&)>& f) {
    double best = std::numeric_limits<double>::infinity();
    forEachPartition(
        L, P, [&](const std::vector<LayerRange>& parts) { best = std::min(best, f(parts)); });
    return best;
}

bool near(double a, double b) {
    if (std::isinf(a) || std::isinf(b)) return a == b;
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

bool wellFormed(const std::vector<LayerRange>& parts, int L, int P) {
    if (static_cast<int>(parts.size()) != P) return false;
    int next = 1;
    for (const LayerRange& r : parts) {
        if (r.first != next || r.last < r.first) return false;
        next = r.last + 1;
    }
    return next == L + 1;
}

}  // namespace

class TestPartition : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void boundariesAndRanges() {
        const auto parts = rangesFromBoundaries(16, {4, 9, 13});
        QCOMPARE(parts.size(), std::size_t(4));
        QCOMPARE(parts[0].first, 1);
        QCOMPARE(parts[0].last, 3);
        QCOMPARE(parts[3].first, 13);
        QCOMPARE(parts[3].last, 16);
        QVERIFY(boundariesOf(parts) == (std::vector<int>{4, 9, 13}));
        QVERIFY(wellFormed(splitLayers(48, 4), 48, 4));
    }

    void parseSplit_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("layers");
        QTest::addColumn<int>("parts");
        QTest::addColumn<bool>("ok");
        QTest::newRow("good") << "4,9,13" << 16 << 4 << true;
        QTest::newRow("one part") << "" << 16 << 1 << true;
        QTest::newRow("last layer alone") << "16" << 16 << 2 << true;
        QTest::newRow("too few") << "4,9" << 16 << 4 << false;
        QTest::newRow("too many") << "4,9,13,14" << 16 << 4 << false;
        QTest::newRow("not increasing") << "9,4,13" << 16 << 4 << false;
        QTest::newRow("equal") << "4,4,13" << 16 << 4 << false;
        QTest::newRow("layer 1") << "1,9,13" << 16 << 4 << false;
        QTest::newRow("past the end") << "4,9,17" << 16 << 4 << false;
        QTest::newRow("word") << "4,x,13" << 16 << 4 << false;
        QTest::newRow("empty item") << "4,,13" << 16 << 4 << false;
        QTest::newRow("trailing junk") << "4,9,13a" << 16 << 4 << false;
        QTest::newRow("huge") << "4,9,99999999999999" << 16 << 4 << false;
    }
    void parseSplit() {
        QFETCH(QString, text);
        QFETCH(int, layers);
        QFETCH(int, parts);
        QFETCH(bool, ok);
        std::vector<pd::LayerRange> ranges;
        const auto error =
            errorOf([&] { ranges = pd::parseSplit(text.toStdString(), layers, parts); });
        QCOMPARE(!error, ok);
        if (ok) QVERIFY(wellFormed(ranges, layers, parts));
        if (!ok) QVERIFY2(error->find("--split") != std::string::npos, error->c_str());
    }

    // Equal parts under per-part costs are the whole-stage simulation.
    void perPartCostsMatchWholeStageCosts_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("chunks");
        for (auto [kind, chunks] :
             std::vector<std::pair<ScheduleKind, int>>{{ScheduleKind::GPipe, 1},
                                                       {ScheduleKind::OneFOneB, 1},
                                                       {ScheduleKind::PipeDream, 1},
                                                       {ScheduleKind::ZeroBubbleH1, 1},
                                                       {ScheduleKind::Interleaved, 2},
                                                       {ScheduleKind::ZeroBubbleV, 2},
                                                       {ScheduleKind::DualPipeV, 2}})
            QTest::newRow(toString(kind)) << int(kind) << chunks;
    }
    void perPartCostsMatchWholeStageCosts() {
        QFETCH(int, kind);
        QFETCH(int, chunks);
        ScheduleConfig c = config(static_cast<ScheduleKind>(kind), 4, 8, chunks);
        c.batches = 2;
        const Schedule schedule = generateSchedule(c);
        OpCosts whole;
        whole.f = 1.5;
        whole.b = 3.5;
        whole.i = 2.0;
        whole.w = 1.5;
        OpCosts part = whole;
        part.f /= chunks;
        part.b /= chunks;
        part.i /= chunks;
        part.w /= chunks;
        part.u = 0.0;
        whole.u = 0.0;
        const Timeline a = simulate(schedule, whole);
        const Timeline b = simulate(schedule, std::vector<OpCosts>(c.parts(), part));
        QVERIFY(near(a.makespan, b.makespan));
        QCOMPARE(a.actions.size(), b.actions.size());
        // A slower part lengthens the run.
        std::vector<OpCosts> slow(c.parts(), part);
        slow[1].f *= 3.0;
        QVERIFY(simulate(schedule, slow).makespan > b.makespan);
    }

    void timeIsExact() {
        std::mt19937 rng(1);
        for (int trial = 0; trial < 60; ++trial) {
            const int L = 2 + trial % 9, P = 1 + trial % std::min(L, 4);
            const auto layers = randomLayers(L, rng);
            PartitionGoal goal;
            goal.config = config(ScheduleKind::OneFOneB, P, 4);
            const Partition p = partitionLayers(PartitionMethod::Time, layers, goal);
            QVERIFY(wellFormed(p.parts, L, P));
            QVERIFY(near(p.objective, slowestPart(layers, p.parts)));
            const double best =
                bruteForce(L, P, [&](const auto& parts) { return slowestPart(layers, parts); });
            QVERIFY2(near(p.objective, best),
                     qPrintable(
                         QString("L %1 P %2: %3 vs %4").arg(L).arg(P).arg(p.objective).arg(best)));
        }
    }

    void memoryIsExact_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("chunks");
        QTest::newRow("1f1b") << int(ScheduleKind::OneFOneB) << 1;
        QTest::newRow("gpipe") << int(ScheduleKind::GPipe) << 1;
        QTest::newRow("pipedream") << int(ScheduleKind::PipeDream) << 1;
        QTest::newRow("interleaved") << int(ScheduleKind::Interleaved) << 2;
        QTest::newRow("zb-v") << int(ScheduleKind::ZeroBubbleV) << 2;
    }
    void memoryIsExact() {
        QFETCH(int, kind);
        QFETCH(int, chunks);
        std::mt19937 rng(2 + kind);
        for (int trial = 0; trial < 12; ++trial) {
            const int S = 2 + trial % 2;
            const int L = S * chunks + trial % 5;
            const auto layers = randomLayers(L, rng);
            PartitionGoal goal;
            goal.config = config(static_cast<ScheduleKind>(kind), S, 4, chunks);
            const auto worst = [&](const std::vector<LayerRange>& parts) {
                const auto m = partitionMemory(layers, parts, goal.config);
                return static_cast<double>(*std::max_element(m.begin(), m.end()));
            };
            const Partition p = partitionLayers(PartitionMethod::Memory, layers, goal);
            QVERIFY(wellFormed(p.parts, L, goal.config.parts()));
            QVERIFY(near(p.objective, worst(p.parts)));
            QVERIFY(near(p.objective, bruteForce(L, goal.config.parts(), worst)));
        }
        // PipeDream's first stage stashes S versions: it gets fewer weights
        // than the uniform split gives it when layers are alike.
        std::vector<LayerCost> same(16);
        for (LayerCost& l : same) {
            l.forward = l.backward = 1.0;
            l.paramBytes = 1000;
            l.activationBytes = 10;
        }
        PartitionGoal goal;
        goal.config = config(ScheduleKind::PipeDream, 4, 4);
        const Partition p = partitionLayers(PartitionMethod::Memory, same, goal);
        QVERIFY(p.parts[0].last - p.parts[0].first + 1 < 4);
        QVERIFY(p.parts[3].last - p.parts[3].first + 1 > 4);
    }

    void pipeDreamIsExact() {
        std::mt19937 rng(3);
        for (int trial = 0; trial < 40; ++trial) {
            const int S = 1 + trial % 4, L = S + trial % 6;
            const auto layers = randomLayers(L, rng);
            PartitionGoal goal;
            goal.config = config(ScheduleKind::PipeDream, S, 4);
            goal.bandwidth = trial % 3 == 0 ? 0.0 : 500.0 + 100.0 * trial;
            const auto memory = partitionMemory(layers, splitLayers(L, S), goal.config);
            goal.memoryLimit = trial % 2 ? 0 : *std::max_element(memory.begin(), memory.end());
            const auto objective = [&](const std::vector<LayerRange>& parts) {
                return pipeDreamObjective(layers, parts, goal);
            };
            const Partition p = partitionLayers(PartitionMethod::PipeDream, layers, goal);
            QVERIFY(wellFormed(p.parts, L, S));
            QVERIFY(near(p.objective, objective(p.parts)));
            QVERIFY(near(p.objective, bruteForce(L, S, objective)));
        }
        // A limit no split meets: one error, no partition.
        PartitionGoal goal;
        goal.config = config(ScheduleKind::PipeDream, 2, 4);
        goal.memoryLimit = 1;
        QVERIFY_THROWS_EXCEPTION(
            ConfigError, partitionLayers(PartitionMethod::PipeDream, randomLayers(6, rng), goal));
    }

    void scheduleIsExactWhereSmall_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("chunks");
        QTest::newRow("1f1b") << int(ScheduleKind::OneFOneB) << 1;
        QTest::newRow("gpipe") << int(ScheduleKind::GPipe) << 1;
        QTest::newRow("zb-h1") << int(ScheduleKind::ZeroBubbleH1) << 1;
        QTest::newRow("interleaved") << int(ScheduleKind::Interleaved) << 2;
        QTest::newRow("zb-v") << int(ScheduleKind::ZeroBubbleV) << 2;
    }
    void scheduleIsExactWhereSmall() {
        QFETCH(int, kind);
        QFETCH(int, chunks);
        std::mt19937 rng(4 + kind);
        for (int trial = 0; trial < 6; ++trial) {
            const int S = 2;
            const int L = S * chunks + 1 + trial % 4;
            const auto layers = randomLayers(L, rng);
            PartitionGoal goal;
            goal.config = config(static_cast<ScheduleKind>(kind), S, 4, chunks);
            const auto makespan = [&](const std::vector<LayerRange>& parts) {
                return simulatedMakespan(layers, parts, goal.config);
            };
            const Partition p = partitionLayers(PartitionMethod::Schedule, layers, goal);
            QVERIFY(wellFormed(p.parts, L, goal.config.parts()));
            QVERIFY(near(p.objective, makespan(p.parts)));
            QVERIFY(near(p.objective, bruteForce(L, goal.config.parts(), makespan)));
        }
    }

    // Too many partitions to try them all: the search never does worse than
    // the partitions it starts from, and beats uniform on a skewed model.
    void scheduleSearchOnALargeModel() {
        std::vector<LayerCost> layers;
        for (int i = 0; i < 120; ++i) {
            LayerCost l;
            l.forward = i < 20 ? 6.0 : 1.0;  // costly early layers, as a CNN's convolutions
            l.backward = 2.0 * l.forward;
            layers.push_back(l);
        }
        PartitionGoal goal;
        goal.config = config(ScheduleKind::OneFOneB, 8, 8);
        const Partition p = partitionLayers(PartitionMethod::Schedule, layers, goal);
        QVERIFY(wellFormed(p.parts, 120, 8));
        const double uniform = simulatedMakespan(layers, splitLayers(120, 8), goal.config);
        const Partition byTime = partitionLayers(PartitionMethod::Time, layers, goal);
        const double timed = simulatedMakespan(layers, byTime.parts, goal.config);
        QVERIFY(p.objective <= timed + 1e-9);
        QVERIFY2(p.objective < 0.8 * uniform,
                 qPrintable(QString("%1 vs %2").arg(p.objective).arg(uniform)));
        QVERIFY(byTime.objective < slowestPart(layers, splitLayers(120, 8)));
    }

    void uniformIsTheTutorialsSplit() {
        std::mt19937 rng(5);
        const auto layers = randomLayers(48, rng);
        PartitionGoal goal;
        goal.config = config(ScheduleKind::OneFOneB, 4, 4);
        const Partition p = partitionLayers(PartitionMethod::Uniform, layers, goal);
        QVERIFY(boundariesOf(p.parts) == (std::vector<int>{13, 25, 37}));
        QVERIFY(!parsePartitionMethod("fastest"));
        for (const char* name : {"uniform", "time", "memory", "pipedream", "schedule"})
            QCOMPARE(toString(*parsePartitionMethod(name)), std::string(name));
        goal.config.stages = 60;
        QVERIFY_THROWS_EXCEPTION(ConfigError, partitionLayers(PartitionMethod::Time, layers, goal));
    }
};

QTEST_APPLESS_MAIN(TestPartition)
#include "tst_partition.moc"
