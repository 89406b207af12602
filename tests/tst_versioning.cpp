// Weight versioning in the runtime, checked on events and on tensors:
// PipeDream stashing (backward uses its forward's version; at most S-s
// versions at stage s), vertical sync, the no-stash ablation, and 2BW
// (two versions; W(k+1) = W(k) - lr * grad(W(k-1))).
#include <QtTest>
#include <map>
#include <tuple>

#include "engine/run/runtime_internal.h"
#include "engine_test_util.h"

using namespace pd;
using pd::test::RecordingSink;

namespace {

struct Finished {
    RecordingSink sink;
    std::unique_ptr<TrainingRun> run;
};

std::unique_ptr<Finished> runToEnd(const RunOptions& o) {
    auto f = std::make_unique<Finished>();
    f->run = std::make_unique<TrainingRun>(o, f->sink);
    f->run->setKeepAllVersions(true);
    f->run->start();
    if (!f->run->wait(std::chrono::seconds(60))) return nullptr;
    return f;
}

RunOptions pipeDreamOptions() {
    RunOptions o = test::smallOptions(ScheduleKind::PipeDream, 3, 4);
    o.schedule.batches = 3;
    o.lr = 0.05;
    return o;
}

using MbKey = std::tuple<int, int, int>;  // stage, batch, microbatch

std::map<MbKey, SlotEvent> slotsOf(const std::vector<SlotEvent>& slots, Op op) {
    std::map<MbKey, SlotEvent> out;
    for (const SlotEvent& e : slots)
        if (e.op == op) out[{e.stage, e.batch, e.microbatch}] = e;
    return out;
}

// Every record's gradient, recomputed with autograd at `version(record)`;
// returns the largest difference.
template <typename Pick>
double recomputeError(const TrainingRun& run, const std::vector<BackwardRecord>& records,
                      Pick pick) {
    const auto& spec = RuntimeAccess::spec(run);
    double worst = 0;
    for (const BackwardRecord& r : records) {
        const auto versions = RuntimeAccess::versions(run, r.part);
        const auto& params = versions.at(pick(r));
        const auto g =
            test::recomputeGrad(params, model::hasHead(spec, r.part), r.input, r.gradOut, r.labels);
        worst = std::max(worst, test::maxAbsDiff(g, r.grads));
    }
    return worst;
}

}  // namespace

class TestVersioning : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pipeDreamStash();
    void verticalSync();
    void noStashAblation();
    void twoBW();
};

void TestVersioning::pipeDreamStash() {
    const RunOptions o = pipeDreamOptions();
    const int S = o.schedule.stages;
    auto f = runToEnd(o);
    QVERIFY(f);
    QVERIFY(f->sink.errors.empty());
    const auto& slots = f->sink.slots;
    // Events: each backward read the version its forward read, never flagged.
    const auto F = slotsOf(slots, Op::F), B = slotsOf(slots, Op::B);
    QCOMPARE(B.size(), F.size());
    for (const auto& [key, b] : B) {
        QCOMPARE(b.version, F.at(key).version);
        QVERIFY(!b.mismatch);
    }
    // Different stages used different versions for a microbatch at some point.
    bool lagging = false;
    for (const auto& [key, fe] : F)
        if (std::get<0>(key) == 0 &&
            F.at({S - 1, std::get<1>(key), std::get<2>(key)}).version != fe.version)
            lagging = true;
    QVERIFY(lagging);
    // Stash bounds from memory and version events; stage 0 really stashes.
    std::vector<int> maxHeld(S, 0);
    for (const MemoryEvent& m : f->sink.memory)
        maxHeld[m.stage] = std::max(maxHeld[m.stage], m.versionsHeld);
    for (const VersionEvent& v : f->sink.versions)
        QVERIFY(1 + int(v.stashed.size()) <= S - v.stage);
    for (int s = 0; s < S; ++s)
        QVERIFY2(maxHeld[s] <= S - s,
                 qPrintable(QString("stage %1 held %2").arg(s).arg(maxHeld[s])));
    QCOMPARE(maxHeld[0], S);
    // Tensors: each backward's gradient equals one recomputed at the stashed version.
    const auto records = RuntimeAccess::backwardRecords(*f->run);
    QCOMPARE(records.size(), B.size());
    for (const auto& r : records) QCOMPARE(r.backwardVersion, r.forwardVersion);
    const double err =
        recomputeError(*f->run, records, [](const BackwardRecord& r) { return r.forwardVersion; });
    QVERIFY2(err < 1e-5, qPrintable(QString("gradient error %1").arg(err)));
    // Each update: W(v+1) = W(v) - lr * (gradient of the backward just before).
    for (const auto& r : records) {
        const auto versions = RuntimeAccess::versions(*f->run, r.part);
        // The stage's k-th backward (in stage order) made version k+1.
        int k = 0;
        for (const auto& q : records)
            if (q.stage == r.stage &&
                (q.batch < r.batch || (q.batch == r.batch && q.microbatch < r.microbatch)))
                ++k;
        model::PartParams expect;
        for (std::size_t j = 0; j < r.grads.size(); ++j)
            expect.push_back(versions.at(k)[j] - o.lr * r.grads[j]);
        QVERIFY(test::maxAbsDiff(expect, versions.at(k + 1)) < 1e-6);
    }
}

void TestVersioning::verticalSync() {
    RunOptions o = pipeDreamOptions();
    o.schedule.verticalSync = true;
    const int S = o.schedule.stages;
    auto f = runToEnd(o);
    QVERIFY(f);
    QVERIFY(f->sink.errors.empty());
    const auto F = slotsOf(f->sink.slots, Op::F), B = slotsOf(f->sink.slots, Op::B);
    for (const auto& [key, fe] : F) {
        const auto [s, b, m] = key;
        QCOMPARE(fe.version, F.at({0, b, m}).version);  // one version index per microbatch
        QCOMPARE(B.at(key).version, fe.version);
    }
    std::vector<int> maxHeld(S, 0);
    for (const MemoryEvent& m : f->sink.memory)
        maxHeld[m.stage] = std::max(maxHeld[m.stage], m.versionsHeld);
    QVERIFY(*std::max_element(maxHeld.begin() + 1, maxHeld.end()) >=
            2);  // later stages keep older ones
    const auto records = RuntimeAccess::backwardRecords(*f->run);
    const double err =
        recomputeError(*f->run, records, [](const BackwardRecord& r) { return r.forwardVersion; });
    QVERIFY2(err < 1e-5, qPrintable(QString("gradient error %1").arg(err)));
}

void TestVersioning::noStashAblation() {
    RunOptions o = pipeDreamOptions();
    o.schedule.stash = false;
    auto f = runToEnd(o);
    QVERIFY(f);
    QVERIFY(f->sink.errors.empty());
    const auto F = slotsOf(f->sink.slots, Op::F), B = slotsOf(f->sink.slots, Op::B);
    int flagged = 0;
    for (const auto& [key, b] : B) {
        QCOMPARE(b.mismatch, b.version != F.at(key).version);
        flagged += b.mismatch;
    }
    QVERIFY(flagged > 0);
    // Tensors: a flagged backward's gradient is not the stashed-weight gradient.
    const auto records = RuntimeAccess::backwardRecords(*f->run);
    std::vector<BackwardRecord> mismatched;
    for (const auto& r : records)
        if (r.backwardVersion != r.forwardVersion) mismatched.push_back(r);
    QCOMPARE(int(mismatched.size()), flagged);
    const double err = recomputeError(*f->run, mismatched,
                                      [](const BackwardRecord& r) { return r.forwardVersion; });
    QVERIFY2(err > 1e-6,
             qPrintable(QString("no-stash gradients equal stashed ones (%1)").arg(err)));
    // And the trained weights differ from the stashing run's.
    auto stashed = runToEnd(pipeDreamOptions());
    QVERIFY(stashed);
    QVERIFY(test::maxAbsDiff(test::runParameters(*f->run), test::runParameters(*stashed->run)) >
            1e-6f);
}

void TestVersioning::twoBW() {
    RunOptions o = test::smallOptions(ScheduleKind::TwoBW, 3, 4);
    o.schedule.batches = 4;
    const int S = o.schedule.stages, M = o.schedule.microbatches;
    auto f = runToEnd(o);
    QVERIFY(f);
    QVERIFY(f->sink.errors.empty());
    for (const MemoryEvent& m : f->sink.memory) QVERIFY(m.versionsHeld <= 2);
    for (const VersionEvent& v : f->sink.versions) QVERIFY(v.stashed.size() <= 1);
    for (const SlotEvent& e : f->sink.slots)
        if (e.op != Op::U) QCOMPARE(e.version, std::max(e.batch - 1, 0));
    const auto records = RuntimeAccess::backwardRecords(*f->run);
    const double err =
        recomputeError(*f->run, records, [](const BackwardRecord& r) { return r.backwardVersion; });
    QVERIFY2(err < 1e-5, qPrintable(QString("gradient error %1").arg(err)));
    // W(k+1) = W(k) - lr * mean over window k of grad at W(max(k-1, 0)).
    for (int p = 0; p < S; ++p) {
        const auto versions = RuntimeAccess::versions(*f->run, p);
        QCOMPARE(int(versions.size()), o.schedule.batches + 1);
        for (int k = 0; k < o.schedule.batches; ++k) {
            model::PartParams mean;
            int n = 0;
            for (const auto& r : records) {
                if (r.part != p || r.batch != k) continue;
                QCOMPARE(r.backwardVersion, std::max(k - 1, 0));
                if (mean.empty())
                    for (const auto& g : r.grads) mean.push_back(g.clone());
                else
                    for (std::size_t j = 0; j < mean.size(); ++j) mean[j] += r.grads[j];
                ++n;
            }
            QCOMPARE(n, M);
            model::PartParams expect;
            for (std::size_t j = 0; j < mean.size(); ++j)
                expect.push_back(versions.at(k)[j] - o.lr * mean[j] / M);
            const double d = test::maxAbsDiff(expect, versions.at(k + 1));
            QVERIFY2(d < 1e-6, qPrintable(QString("part %1 window %2: %3").arg(p).arg(k).arg(d)));
        }
    }
}

QTEST_GUILESS_MAIN(TestVersioning)
#include "tst_versioning.moc"
