// The layer profiler on every model (tiny sizes, data the test writes): one
// entry per partitionable layer with positive times, the parameter and
// output bytes the model's shapes give, the bytes a forward keeps, a
// bandwidth; a run cut from the profile trains.
#include <QtTest>

#include "engine/config/report.h"
#include "engine/run/profiler.h"
#include "engine/run/runtime_internal.h"
#include "engine_test_util.h"
#include "model_test_data.h"

using namespace pd;
using test::Data;

namespace {

ProfileSettings quick() {
    ProfileSettings s;
    s.warmups = 1;
    s.repetitions = 3;
    s.threads = 1;
    return s;
}

void checkCommon(const RunOptions& o, const LayerProfile& p) {
    QCOMPARE(static_cast<int>(p.layers.size()), partitionableLayers(o));
    QCOMPARE(p.names, layerNames(o));
    QCOMPARE(p.shape, profileShape(o));
    QCOMPARE(p.rows, o.microbatchSize());
    QCOMPARE(p.source, std::string("measured"));
    QVERIFY(p.bandwidthBytesPerMs > 0.0);
    for (const LayerCost& c : p.layers) {
        QVERIFY(c.forward > 0.0);
        QVERIFY(c.backward > 0.0);
        QVERIFY(c.update > 0.0);
        QVERIFY(c.outputBytes > 0);
        QVERIFY(c.paramBytes > 0);
    }
}

}  // namespace

class TestProfiler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void mlp();
    void cnn();
    void gpt();
    void concurrentCopies();
    void cutFromTheProfileTrains();
    void badInputIsOneLine();
};

void TestProfiler::mlp() {
    RunOptions o = test::smallOptions(ScheduleKind::OneFOneB, 2, 4);
    const LayerProfile p = profileLayers(o, quick());
    checkCommon(o, p);
    const std::int64_t rows = o.microbatchSize(), h = o.hidden;
    // Hidden layers: a [h, h] weight and a bias; the last carries the head.
    QCOMPARE(p.layers[1].paramBytes, 4 * (h * h + h));
    QCOMPARE(p.layers.back().paramBytes, 4 * (h * h + h + h * o.classes + o.classes));
    QCOMPARE(p.layers[1].outputBytes, 4 * rows * h);
    QCOMPARE(p.layers.back().outputBytes, 4 * rows * o.classes);
    // A forward keeps its pre-activation and its output for the backward.
    QVERIFY(p.layers[1].activationBytes >= 2 * 4 * rows * h);
}

void TestProfiler::cnn() {
    Data d;
    RunOptions o = test::modelOptions("cnn", d, ScheduleKind::OneFOneB, 1);
    const LayerProfile p = profileLayers(o, quick());
    checkCommon(o, p);
    const std::int64_t rows = o.microbatchSize();
    QCOMPARE(p.layers[0].paramBytes, std::int64_t{4 * (16 * 9 + 16)});  // conv 1 -> 16
    const std::int64_t side = 8;                                        // the test's images
    QCOMPARE(p.layers[0].outputBytes, 4 * rows * 16 * side * side);
    QCOMPARE(p.layers[1].outputBytes, 4 * rows * 32 * (side / 2) * (side / 2));  // pooled
    // conv2 at full resolution against the head: many times the work.
    QVERIFY(p.layers[1].forward > 3.0 * p.layers[5].forward);
    QVERIFY(p.layers[1].activationBytes > p.layers[1].outputBytes);
}

void TestProfiler::gpt() {
    Data d;
    RunOptions o = test::modelOptions("gpt", d, ScheduleKind::OneFOneB, 1);
    const LayerProfile p = profileLayers(o, quick());
    checkCommon(o, p);
    const std::int64_t rows = o.microbatchSize();
    QCOMPARE(p.layers[0].outputBytes, 4 * rows * o.seqLen * o.hidden);
    const std::int64_t H = o.hidden;
    QCOMPARE(p.layers[1].paramBytes, 4 * (12 * H * H + 13 * H));  // a block
}

void TestProfiler::concurrentCopies() {
    RunOptions o = test::smallOptions(ScheduleKind::GPipe, 2, 2);
    ProfileSettings s = quick();
    s.concurrent = 2;
    const LayerProfile p = profileLayers(o, s);
    QCOMPARE(p.concurrent, 2);
    checkCommon(o, p);
}

void TestProfiler::cutFromTheProfileTrains() {
    Data d;
    RunOptions o = test::modelOptions("cnn", d, ScheduleKind::OneFOneB, 2);
    o.partition = "time";
    LayerProfile p = profileLayers(o, quick());
    adoptProfile(o, p);
    QVERIFY(o.profile.has_value());
    const CutPrediction predicted = predictCut(o);
    QVERIFY(predicted.milliseconds);
    QCOMPARE(static_cast<int>(predicted.stageBusy.size()), 2);
    // The time cut's slowest stage is never slower than the equal cut's.
    RunOptions equal = o;
    equal.split.clear();
    const CutPrediction even = predictCut(equal);
    auto slowest = [](const CutPrediction& c) {
        double worst = 0.0;
        for (std::size_t s = 0; s < c.stageForward.size(); ++s)
            worst = std::max(worst, c.stageForward[s] + c.stageBackward[s]);
        return worst;
    };
    QVERIFY(slowest(predicted) <= slowest(even) * (1 + 1e-9));
    test::RecordingSink sink;
    TrainingRun run(o, sink);
    run.setThreadsPerWorker(1);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(120)));
    QVERIFY2(sink.errors.empty(), sink.errors.empty() ? "" : sink.errors.front().c_str());
    QCOMPARE(static_cast<int>(sink.batches.size()), 2);
}

void TestProfiler::badInputIsOneLine() {
    Data d;
    RunOptions o = test::modelOptions("cnn", d, ScheduleKind::GPipe, 1);
    o.data = "mnist:/nonexistent-folder";
    try {
        profileLayers(o, quick());
        QFAIL("profiled a model without its data");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("nonexistent-folder"), e.what());
        QVERIFY(!QString(e.what()).contains('\n'));
    }
}

QTEST_GUILESS_MAIN(TestProfiler)
#include "tst_profiler.moc"
