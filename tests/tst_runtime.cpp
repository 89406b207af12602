// The pipeline runtime: every flush kind trains exactly like sequential
// training with gradient accumulation; the event stream of every kind is
// complete and consistent (one forward and one backward per microbatch per
// part, no overlap per stage, dependencies hold in measured time) and
// round-trips through CSV and Chrome trace; errors end the run cleanly.
#include <torch/cuda.h>

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "engine/formats/trace.h"
#include "engine_test_util.h"
#include "options_test_util.h"

using namespace pd;
using pd::test::RecordingSink;

Q_DECLARE_METATYPE(pd::ScheduleKind)

namespace {

using SlotKey = std::tuple<int, int, int, int>;  // op, part, batch, microbatch

bool sameSlot(const SlotEvent& a, const SlotEvent& b) {
    return a.batch == b.batch && a.stage == b.stage && a.microbatch == b.microbatch &&
           a.op == b.op && a.chunk == b.chunk && a.version == b.version && a.startUs == b.startUs &&
           a.endUs == b.endUs && a.mismatch == b.mismatch;
}

// Empty when consistent, else the first problem found.
QString checkEventStream(const Schedule& sch, const std::vector<SlotEvent>& slots) {
    const int S = sch.config.stages;
    std::vector<std::vector<SlotEvent>> perStage(S);
    for (const SlotEvent& e : slots) {
        if (e.stage < 0 || e.stage >= S) return "bad stage";
        perStage[e.stage].push_back(e);
    }
    std::map<SlotKey, SlotEvent> byKey;
    for (int s = 0; s < S; ++s) {
        const auto& ev = perStage[s];
        const auto& acts = sch.stages[s];
        if (ev.size() != acts.size())
            return QString("stage %1: %2 events for %3 actions")
                .arg(s)
                .arg(ev.size())
                .arg(acts.size());
        for (std::size_t i = 0; i < ev.size(); ++i) {
            const SlotEvent& e = ev[i];
            const Action& a = acts[i];
            if (e.batch != a.batch || e.microbatch != a.microbatch || e.op != a.op ||
                e.chunk != a.chunk || e.version != a.version || e.mismatch != a.mismatch)
                return QString("stage %1 event %2 is %3, schedule says %4")
                    .arg(s)
                    .arg(i)
                    .arg(QString::fromStdString(describe(
                        Action{e.batch, e.microbatch, e.op, e.chunk, e.version, e.mismatch}, true)))
                    .arg(QString::fromStdString(describe(a, true)));
            if (e.startUs > e.endUs) return "slot ends before it starts";
            if (i > 0 && ev[i - 1].endUs > e.startUs)
                return QString("stage %1: slots %2 and %3 overlap").arg(s).arg(i - 1).arg(i);
            if (e.op == Op::U) continue;
            const int part = partOf(sch.config, s, e.chunk);
            const SlotKey key{static_cast<int>(e.op == Op::I ? Op::B : e.op), part, e.batch,
                              e.microbatch};
            if (!byKey.emplace(key, e).second) return "duplicate slot";
            if (e.op == Op::W) continue;
        }
    }
    const int parts = sch.config.parts();
    const int B = sch.config.batches, M = sch.config.microbatches;
    for (int b = 0; b < B; ++b)
        for (int m = 0; m < M; ++m)
            for (int p = 0; p < parts; ++p) {
                auto get = [&](Op op, int part) -> const SlotEvent* {
                    auto it = byKey.find({static_cast<int>(op), part, b, m});
                    return it == byKey.end() ? nullptr : &it->second;
                };
                const SlotEvent* f = get(Op::F, p);
                const SlotEvent* bw = get(Op::B, p);  // B, or I when split
                const SlotEvent* w = get(Op::W, p);
                if (!f || !bw || (bw->op == Op::I) != (w != nullptr))
                    return QString("missing forward or backward of b%1 mb%2 part %3")
                        .arg(b)
                        .arg(m)
                        .arg(p);
                if (bw->startUs < f->endUs) return "backward before its forward";
                if (p > 0 && f->startUs < get(Op::F, p - 1)->endUs)
                    return QString("F part %1 mb%2 starts before part %3 ended")
                        .arg(p)
                        .arg(m)
                        .arg(p - 1);
                if (p + 1 < parts && bw->startUs < get(Op::B, p + 1)->endUs)
                    return QString("backward part %1 mb%2 starts before part %3's")
                        .arg(p)
                        .arg(m)
                        .arg(p + 1);
                if (w && w->startUs < bw->endUs) return "W before its I";
            }
    return {};
}

}  // namespace

class TestRuntime : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void flushKindsEqualSequential_data();
    void flushKindsEqualSequential();
    void eventStream_data();
    void eventStream();
    void synchronousKindsMatchGpipe_data();
    void synchronousKindsMatchGpipe();
    void zeroBubbleH1MemoryAsOneFOneB();
    void customSplitTrainsTheSameModel();
    void verticalSyncHoldsWhatLaterForwardsRead();
    void lossFalls();
    void nanLossStopsRun();
    void cudaOnCpuBuildIsConfigError();
    void cudaMatchesSequential();
    void badOptionsThrow();
};

void TestRuntime::flushKindsEqualSequential_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<int>("stages");
    QTest::addColumn<int>("microbatches");
    QTest::newRow("naive S2") << ScheduleKind::Naive << 2 << 4;
    QTest::newRow("gpipe S2") << ScheduleKind::GPipe << 2 << 4;
    QTest::newRow("gpipe S3") << ScheduleKind::GPipe << 3 << 3;
    QTest::newRow("1f1b S3") << ScheduleKind::OneFOneB << 3 << 6;
    QTest::newRow("interleaved S2 V2") << ScheduleKind::Interleaved << 2 << 4;
    QTest::newRow("zb-h1 S3") << ScheduleKind::ZeroBubbleH1 << 3 << 4;
    QTest::newRow("1f1b S1") << ScheduleKind::OneFOneB << 1 << 2;
    QTest::newRow("interleaved S2 M3 V2") << ScheduleKind::Interleaved << 2 << 3;
    QTest::newRow("zb-h2 S3") << ScheduleKind::ZeroBubbleH2 << 3 << 4;
    QTest::newRow("zb-v S2") << ScheduleKind::ZeroBubbleV << 2 << 4;
    QTest::newRow("looped-bfs S2") << ScheduleKind::LoopedBFS << 2 << 4;
    QTest::newRow("interleaved-zb S2") << ScheduleKind::InterleavedZeroBubble << 2 << 4;
    QTest::newRow("dualpipev S2") << ScheduleKind::DualPipeV << 2 << 4;
}

void TestRuntime::flushKindsEqualSequential() {
    QFETCH(ScheduleKind, kind);
    QFETCH(int, stages);
    QFETCH(int, microbatches);
    RunOptions o = test::smallOptions(kind, stages, microbatches);
    RecordingSink sink;
    TrainingRun run(o, sink);
    const std::vector<float> initial = test::runParameters(run);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(60)));
    QVERIFY2(sink.errors.empty(), sink.errors.empty() ? "" : sink.errors.front().c_str());
    QCOMPARE(sink.batchCount(), o.schedule.batches);
    const std::vector<float> pipelined = test::runParameters(run);
    const std::vector<float> reference = test::sequentialReference(o, o.schedule.batches);
    QCOMPARE(pipelined.size(), reference.size());
    QVERIFY2(test::maxAbsDiff(initial, reference) > 1e-3f, "training must change the parameters");
    const float diff = test::maxAbsDiff(pipelined, reference);
    QVERIFY2(diff < 2e-5f, qPrintable(QString("max |pipelined - sequential| = %1").arg(diff)));
    // One version per batch, the last one B at every stage.
    for (int s = 0; s < stages; ++s)
        QCOMPARE(sink.batches.back().versionAfter[s], o.schedule.batches);
}

void TestRuntime::eventStream_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<int>("stages");
    QTest::addColumn<int>("microbatches");
    for (ScheduleKind k : allScheduleKinds()) {
        const int S = chunksFor(k, 2) > 1 ? 2 : 3;
        QTest::newRow(toString(k)) << k << S << 4;
    }
    // Configurations the references accept beyond the simplest ones.
    QTest::newRow("zb-v S3 M6") << ScheduleKind::ZeroBubbleV << 3 << 6;
    QTest::newRow("dualpipev S3 M6") << ScheduleKind::DualPipeV << 3 << 6;
    QTest::newRow("interleaved S3 M2") << ScheduleKind::Interleaved << 3 << 2;
    QTest::newRow("interleaved-zb S3 M3") << ScheduleKind::InterleavedZeroBubble << 3 << 3;
}

void TestRuntime::eventStream() {
    QFETCH(ScheduleKind, kind);
    QFETCH(int, stages);
    QFETCH(int, microbatches);
    RunOptions o = test::smallOptions(kind, stages, microbatches);
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(60)));
    QVERIFY(sink.errors.empty());
    QCOMPARE(sink.finishedCount, 1);
    QVERIFY(!sink.summary.cancelled && !sink.summary.failed);
    QCOMPARE(sink.summary.batchesDone, o.schedule.batches);
    const QString problem = checkEventStream(run.schedule(), sink.slots);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    // Batch events in order, one per batch, finite loss, versions per stage.
    QCOMPARE(sink.batchCount(), o.schedule.batches);
    for (int b = 0; b < o.schedule.batches; ++b) {
        QCOMPARE(sink.batches[b].batch, b);
        QVERIFY(std::isfinite(sink.batches[b].loss));
        QCOMPARE(int(sink.batches[b].versionAfter.size()), stages);
    }
    // Memory events: every stage reports, nothing in flight at the end.
    std::vector<MemoryEvent> last(stages);
    std::vector<bool> seen(stages, false);
    for (const MemoryEvent& m : sink.memory) {
        last[m.stage] = m;
        seen[m.stage] = true;
        QVERIFY(m.activationsInFlight >= 0 && m.activationBytes >= 0 && m.versionsHeld >= 1);
        QVERIFY((m.activationsInFlight == 0) == (m.activationBytes == 0));
    }
    // Peak activations in flight and weight versions held, per stage, as
    // measured: the analytic figures (closed form, or read off the order
    // where the kind has none) and the simulator's walk of the order.
    std::vector<int> peak(stages, 0), held(stages, 0);
    for (const MemoryEvent& m : sink.memory) {
        peak[m.stage] = std::max(peak[m.stage], m.activationsInFlight);
        held[m.stage] = std::max(held[m.stage], m.versionsHeld);
    }
    const ClosedForm cf = closedForm(o.schedule);
    const Analysis walked = analyze(run.schedule(), simulate(run.schedule()));
    for (int s = 0; s < stages; ++s) {
        QCOMPARE(peak[s], cf.peakActivations[s]);
        QCOMPARE(peak[s], walked.stages[s].peakActivations);
        QCOMPARE(held[s], walked.stages[s].versionsHeld);
        if (!cf.versionsHeld.empty()) QCOMPARE(held[s], cf.versionsHeld[s]);
    }
    for (int s = 0; s < stages; ++s) {
        QVERIFY(seen[s]);
        QCOMPARE(last[s].activationsInFlight, 0);
        QCOMPARE(last[s].versionsHeld, 1);
        QCOMPARE(last[s].stashBytes, std::int64_t{0});
    }

    // CSV and Chrome trace round-trip.
    std::vector<SlotEvent> parsed;
    QVERIFY_THROWS_NO_EXCEPTION(parsed = parseCsv(toCsv(sink.slots)));
    QCOMPARE(parsed.size(), sink.slots.size());
    for (std::size_t i = 0; i < parsed.size(); ++i) QVERIFY(sameSlot(parsed[i], sink.slots[i]));
    RunRecord record;
    record.stageNames = stageNames(o.schedule, o.layers);
    record.slots = sink.slots;
    record.memory = sink.memory;
    RunRecord back;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(toChromeTrace(record)));
    QCOMPARE(back.slots.size(), record.slots.size());
    auto order = [](const SlotEvent& a, const SlotEvent& b) {
        return std::tie(a.stage, a.startUs, a.endUs, a.batch, a.microbatch) <
               std::tie(b.stage, b.startUs, b.endUs, b.batch, b.microbatch);
    };
    std::vector<SlotEvent> x = record.slots, y = back.slots;
    std::stable_sort(x.begin(), x.end(), order);
    std::stable_sort(y.begin(), y.end(), order);
    for (std::size_t i = 0; i < x.size(); ++i) QVERIFY(sameSlot(x[i], y[i]));
}

namespace {

struct FinishedRun {
    std::vector<double> losses;  // per batch
    std::vector<MemoryEvent> memory;
    QString error;
};

FinishedRun runToEnd(const RunOptions& o) {
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    FinishedRun out;
    if (!run.wait(std::chrono::seconds(60))) out.error = "timed out";
    if (!sink.errors.empty()) out.error = QString::fromStdString(sink.errors.front());
    for (const BatchEvent& b : sink.batches) out.losses.push_back(b.loss);
    out.memory = sink.memory;
    return out;
}

std::vector<int> peakPerStage(const std::vector<MemoryEvent>& memory, int stages,
                              bool bytes = false) {
    std::vector<int> peak(static_cast<std::size_t>(stages), 0);
    for (const MemoryEvent& m : memory) {
        const int v = bytes ? static_cast<int>(m.activationBytes) : m.activationsInFlight;
        peak[static_cast<std::size_t>(m.stage)] =
            std::max(peak[static_cast<std::size_t>(m.stage)], v);
    }
    return peak;
}

}  // namespace

// Every synchronous kind computes the same gradient sum per batch, so for
// one seed and one model (same layers, whatever the split) every batch's
// loss equals gpipe's.
void TestRuntime::synchronousKindsMatchGpipe_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<int>("stages");
    QTest::addColumn<int>("microbatches");
    for (int config = 0; config < 2; ++config) {
        const int S = config == 0 ? 2 : 3, M = config == 0 ? 4 : 6;
        for (ScheduleKind k : allScheduleKinds())
            if (isFlushKind(k) && k != ScheduleKind::GPipe)
                QTest::addRow("%s S%d M%d", toString(k), S, M) << k << S << M;
    }
}

void TestRuntime::synchronousKindsMatchGpipe() {
    QFETCH(ScheduleKind, kind);
    QFETCH(int, stages);
    QFETCH(int, microbatches);
    auto options = [&](ScheduleKind k) {
        RunOptions o = test::smallOptions(k, stages, microbatches);
        o.layers = 12;  // the same model for every split into S x V parts
        return o;
    };
    const FinishedRun gpipe = runToEnd(options(ScheduleKind::GPipe));
    const FinishedRun other = runToEnd(options(kind));
    QVERIFY2(gpipe.error.isEmpty() && other.error.isEmpty(), qPrintable(gpipe.error + other.error));
    QCOMPARE(other.losses.size(), gpipe.losses.size());
    QVERIFY(gpipe.losses.back() < gpipe.losses.front());  // it trains
    for (std::size_t b = 0; b < gpipe.losses.size(); ++b)
        QVERIFY2(std::abs(other.losses[b] - gpipe.losses[b]) < 1e-5,
                 qPrintable(QString("batch %1: %2 %3, gpipe %4")
                                .arg(b)
                                .arg(toString(kind))
                                .arg(other.losses[b], 0, 'g', 10)
                                .arg(gpipe.losses[b], 0, 'g', 10)));
}

// Where the model is cut changes who holds what, not what is learned: a
// 1F1B run cut 1-2 | 3-11 | 12 trains gpipe's losses on the equal cut, and
// its stages hold activation bytes in proportion to their layers.
void TestRuntime::customSplitTrainsTheSameModel() {
    RunOptions o = test::smallOptions(ScheduleKind::GPipe, 3, 4);
    o.layers = 12;
    const FinishedRun uniform = runToEnd(o);
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.split = {3, 12};
    QCOMPARE(QString::fromStdString(checked(o)), QString());
    const FinishedRun cut = runToEnd(o);
    QVERIFY2(uniform.error.isEmpty() && cut.error.isEmpty(), qPrintable(uniform.error + cut.error));
    QCOMPARE(cut.losses.size(), uniform.losses.size());
    for (std::size_t b = 0; b < cut.losses.size(); ++b)
        QVERIFY(std::abs(cut.losses[b] - uniform.losses[b]) < 1e-5);
    const std::vector<int> bytes = peakPerStage(cut.memory, 3, true);
    QVERIFY2(bytes[1] > 3 * bytes[2] && bytes[1] > 2 * bytes[0],
             qPrintable(QString("%1 %2 %3").arg(bytes[0]).arg(bytes[1]).arg(bytes[2])));
    QCOMPARE(QString::fromStdString(stageNames(o)[1]), QString("GPU1 (L3-11)"));
}

// The paper's ZB-H1 keeps 1F1B's peak memory: measured at S = 4, M = 8 the
// first stage holds as many microbatches as 1F1B's first stage (4, counted
// from F until W) and no more activation bytes.
void TestRuntime::zeroBubbleH1MemoryAsOneFOneB() {
    RunOptions o = test::smallOptions(ScheduleKind::ZeroBubbleH1, 4, 8);
    o.schedule.batches = 1;
    const FinishedRun zb = runToEnd(o);
    const std::vector<int> zbForm = closedForm(o.schedule).peakActivations;
    o.schedule.kind = ScheduleKind::OneFOneB;
    const FinishedRun oneF = runToEnd(o);
    QVERIFY2(zb.error.isEmpty() && oneF.error.isEmpty(), qPrintable(zb.error + oneF.error));
    const std::vector<int> zbPeak = peakPerStage(zb.memory, 4),
                           oneFPeak = peakPerStage(oneF.memory, 4);
    QCOMPARE(zbPeak, zbForm);
    QCOMPARE(zbPeak, (std::vector<int>{4, 4, 4, 4}));
    QCOMPARE(zbPeak[0], oneFPeak[0]);
    QCOMPARE(*std::max_element(zbPeak.begin(), zbPeak.end()),
             *std::max_element(oneFPeak.begin(), oneFPeak.end()));
    QVERIFY(peakPerStage(zb.memory, 4, true)[0] <= peakPerStage(oneF.memory, 4, true)[0]);
}

// Vertical sync: stage s keeps every version that stage 0 chose for a
// forward still to come, so the analytic figure (the walk of the order) is
// what the runtime really holds.
void TestRuntime::verticalSyncHoldsWhatLaterForwardsRead() {
    RunOptions o = test::smallOptions(ScheduleKind::PipeDream, 4, 4);
    o.schedule.verticalSync = true;
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(60)));
    QVERIFY(sink.errors.empty());
    std::vector<int> held(4, 0);
    for (const MemoryEvent& m : sink.memory)
        held[m.stage] = std::max(held[m.stage], m.versionsHeld);
    const Analysis a = analyze(run.schedule(), simulate(run.schedule()));
    for (int s = 0; s < 4; ++s) QCOMPARE(held[s], a.stages[s].versionsHeld);
    QCOMPARE(held, (std::vector<int>{4, 4, 4, 4}));
}

// The default configuration (48 layers x 512, S=4, M=4, batch 32, default
// lr, plain SGD) with a synchronous kind: the loss starts near ln 10 and is
// well under 2 within 20 batches.
void TestRuntime::lossFalls() {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.batches = 20;
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(100)));
    QVERIFY(sink.errors.empty());
    QCOMPARE(sink.batchCount(), 20);
    const double first = sink.batches.front().loss;
    double lastFive = 0;
    for (int b = 15; b < 20; ++b) lastFive += sink.batches[b].loss / 5;
    QVERIFY2(std::abs(first - std::log(10.0)) < 0.3,
             qPrintable(QString("first loss %1").arg(first)));
    QVERIFY2(lastFive < 1.5,
             qPrintable(QString("loss %1 -> %2 (mean of the last five)").arg(first).arg(lastFive)));
}

void TestRuntime::nanLossStopsRun() {
    RunOptions o = test::smallOptions(ScheduleKind::OneFOneB, 2, 4);
    o.lr = 1e4;  // the largest rate checkRunOptions accepts; diverges at once
    o.schedule.batches = 6;
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(30)));
    QCOMPARE(int(sink.errors.size()), 1);
    QVERIFY2(QString::fromStdString(sink.errors[0]).contains("loss became"),
             sink.errors[0].c_str());
    QVERIFY(sink.summary.failed);
    QCOMPARE(sink.finishedCount, 1);
    QVERIFY(sink.summary.batchesDone < o.schedule.batches);
}

void TestRuntime::cudaOnCpuBuildIsConfigError() {
    RunOptions o = test::smallOptions(ScheduleKind::GPipe);
    o.device = "cuda";
    RecordingSink sink;
    bool threw = false;
    try {
        TrainingRun run(o, sink);
        // A CUDA build with a GPU may legitimately run; that is covered elsewhere.
        QSKIP("this LibTorch has CUDA and a GPU");
    } catch (const ConfigError& e) {
        threw = true;
        QVERIFY(QString(e.what()).contains("cuda"));
    }
    QVERIFY(threw);
}

// On a CUDA build with a GPU: stage s on GPU s mod N (own stream when one
// GPU); the result still equals sequential training on the CPU.
void TestRuntime::cudaMatchesSequential() {
    if (!torch::cuda::is_available()) QSKIP("no CUDA device");
    RunOptions o = test::smallOptions(ScheduleKind::OneFOneB, 2, 4);
    o.device = "cuda";
    RecordingSink sink;
    TrainingRun run(o, sink);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(60)));
    QVERIFY(sink.errors.empty());
    const float diff = test::maxAbsDiff(test::runParameters(run),
                                        test::sequentialReference(o, o.schedule.batches));
    QVERIFY2(diff < 1e-4f, qPrintable(QString("max diff %1").arg(diff)));
    QVERIFY(checkEventStream(run.schedule(), sink.slots).isEmpty());
}

void TestRuntime::badOptionsThrow() {
    RunOptions o = test::smallOptions(ScheduleKind::GPipe);
    o.schedule.stages = 0;
    RecordingSink sink;
    QVERIFY_THROWS_EXCEPTION(ConfigError, (TrainingRun{o, sink}));
    o = test::smallOptions(ScheduleKind::GPipe);
    o.data = "mnist:/nonexistent/folder";
    QVERIFY_THROWS_EXCEPTION(ConfigError, (TrainingRun{o, sink}));
}

QTEST_GUILESS_MAIN(TestRuntime)
#include "tst_runtime.moc"
