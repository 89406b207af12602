// The cnn and gpt models (autograd parts): every schedule kind trains them
// with threads on tiny data the test writes; synchronous kinds give
// gpipe's losses; zero-bubble's split I/W equals B; the pipelined gradient
// of a cnn part equals the unsplit model's.
#include <QtTest>
#include <fstream>

#include "engine/run/runtime_internal.h"
#include "engine_test_util.h"
#include "model_test_data.h"
#include "options_test_util.h"

using namespace pd;
using test::Data;
using test::modelOptions;

namespace {

std::vector<double> lossesOf(const RunOptions& o, QString* error = nullptr) {
    test::RecordingSink sink;
    TrainingRun run(o, sink);
    run.setThreadsPerWorker(1);
    run.start();
    if (!run.wait(std::chrono::seconds(120))) return {};
    if (!sink.errors.empty()) {
        if (error) *error = QString::fromStdString(sink.errors.front());
        return {};
    }
    std::vector<double> out(static_cast<std::size_t>(o.schedule.batches), NAN);
    for (const auto& b : sink.batches) out[static_cast<std::size_t>(b.batch)] = b.loss;
    return out;
}

}  // namespace

class TestModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyKindTrains_data();
    void everyKindTrains();
    void evaluation_data();
    void evaluation();
    void layersAndShapes();
    void badCombinations();
};

void TestModels::everyKindTrains_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"cnn", "gpt"}) QTest::newRow(m) << QString(m);
}

void TestModels::everyKindTrains() {
    QFETCH(QString, model);
    Data d;
    // Plain SGD takes the transformer past the characters' frequencies slowly.
    const int batches = model == "gpt" ? 40 : 8;
    const auto ref = lossesOf(modelOptions(model.toStdString(), d, ScheduleKind::GPipe, batches));
    QCOMPARE(ref.size(), std::size_t(batches));
    // Learning: the last batches' loss is well below the first's.
    const double first = ref[0], last = (ref[batches - 1] + ref[batches - 2]) / 2;
    QVERIFY2(last < 0.8 * first, qPrintable(QString("gpipe %1 -> %2").arg(first).arg(last)));
    for (ScheduleKind kind : allScheduleKinds()) {
        QString error;
        const RunOptions o = modelOptions(model.toStdString(), d, kind, batches);
        const auto losses = lossesOf(o, &error);
        QVERIFY2(losses.size() == std::size_t(batches),
                 qPrintable(QString(toString(kind)) + ": " + error));
        for (double l : losses) QVERIFY2(std::isfinite(l), toString(kind));
        if (isFlushKind(kind)) {
            for (int b = 0; b < batches; ++b)
                // Gradients summed in another order differ in the last bits,
                // which grow over many batches.
                QVERIFY2(
                    std::abs(losses[b] - ref[b]) < (b < 8 ? 1e-5 : 1e-4) * std::max(1.0, ref[b]),
                    qPrintable(QString("%1 batch %2: %3 vs gpipe %4")
                                   .arg(toString(kind))
                                   .arg(b)
                                   .arg(losses[b], 0, 'g', 10)
                                   .arg(ref[b], 0, 'g', 10)));
        } else {
            const double l = (losses[batches - 1] + losses[batches - 2]) / 2;
            QVERIFY2(l < 0.9 * losses[0],
                     qPrintable(QString("%1: %2 -> %3").arg(toString(kind)).arg(losses[0]).arg(l)));
        }
    }
    // The no-stash ablation runs too.
    RunOptions o = modelOptions(model.toStdString(), d, ScheduleKind::PipeDream, batches);
    o.schedule.stash = false;
    const auto noStash = lossesOf(o);
    QCOMPARE(noStash.size(), std::size_t(batches));
    for (double l : noStash) QVERIFY(std::isfinite(l));
}

void TestModels::evaluation_data() {
    everyKindTrains_data();
}

// Held-out loss and accuracy with the newest weights: better after
// training than before; no accuracy for text.
void TestModels::evaluation() {
    QFETCH(QString, model);
    Data d;
    RunOptions o =
        modelOptions(model.toStdString(), d, ScheduleKind::OneFOneB, model == "gpt" ? 40 : 12);
    test::RecordingSink sink;
    TrainingRun run(o, sink);
    const DataInfo info = run.dataInfo();
    const Evaluation before = run.evaluate();
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(120)));
    QVERIFY(sink.errors.empty());
    const Evaluation after = run.evaluate();
    QCOMPARE(after.samples, info.heldoutSamples);
    QVERIFY(after.samples > 0);
    QVERIFY2(after.loss < 0.8 * before.loss,
             qPrintable(QString("%1 -> %2").arg(before.loss).arg(after.loss)));
    if (model == "gpt") {
        QCOMPARE(info.name, std::string("text"));
        QVERIFY(std::isnan(after.accuracy));
        // "the cat sat on the mat. ": 11 distinct characters.
        QVERIFY(info.unigramLoss > 1.0 && info.unigramLoss < std::log(11.0));
    } else {
        QCOMPARE(info.name, std::string("mnist"));
        QCOMPARE(info.heldoutSamples, std::int64_t{64});
        QVERIFY2(after.accuracy > before.accuracy && after.accuracy > 0.5,
                 qPrintable(QString("%1 -> %2").arg(before.accuracy).arg(after.accuracy)));
        QVERIFY(std::isnan(info.unigramLoss));
    }
    QCOMPARE(run.evaluate(10).samples, std::int64_t{10});
}

// Layer counts, parameter shapes and the activations between parts.
void TestModels::layersAndShapes() {
    auto cnn = model::makeModelSpec("cnn", 6, 128, 4, 64, 10, 784, 6);
    QCOMPARE(cnn.partitionLayers(), 6);
    auto params = model::initParameters(cnn, 1);
    torch::Tensor x = torch::randn({3, 784});
    for (int p = 0; p < 6; ++p) {
        if (p > 0) QCOMPARE(x.sizes().vec(), model::boundaryShape(cnn, p, 3));
        x = model::forwardLayers(cnn, p, params[p], x);
    }
    QCOMPARE(x.sizes().vec(), (std::vector<std::int64_t>{3, 10}));
    // The split does not change the model: one part gives the same logits.
    auto whole = model::makeModelSpec("cnn", 6, 128, 4, 64, 10, 784, 1);
    torch::manual_seed(0);
    torch::Tensor in = torch::randn({2, 784});
    torch::Tensor y1 = model::forwardLayers(whole, 0, model::initParameters(whole, 1)[0], in);
    torch::Tensor y6 = in;
    for (int p = 0; p < 6; ++p) y6 = model::forwardLayers(cnn, p, params[p], y6);
    QVERIFY(torch::allclose(y1, y6, 1e-5, 1e-6));

    auto gpt = model::makeModelSpec("gpt", 3, 32, 4, 16, 27, 16, 5);
    QCOMPARE(gpt.partitionLayers(), 5);
    auto gp = model::initParameters(gpt, 2);
    torch::Tensor t = torch::randint(27, {2, 16}, torch::kLong);
    torch::Tensor h = t;
    for (int p = 0; p < 5; ++p) {
        if (p > 0) QCOMPARE(h.sizes().vec(), model::boundaryShape(gpt, p, 2));
        h = model::forwardLayers(gpt, p, gp[p], h);
    }
    QCOMPARE(h.sizes().vec(), (std::vector<std::int64_t>{2, 16, 27}));
    // Causal: changing the last token leaves earlier positions' logits alone.
    torch::Tensor t2 = t.clone();
    t2[0][15] = (t[0][15].item<std::int64_t>() + 1) % 27;
    torch::Tensor h2 = t2;
    for (int p = 0; p < 5; ++p) h2 = model::forwardLayers(gpt, p, gp[p], h2);
    QVERIFY(torch::allclose(h.narrow(1, 0, 15), h2.narrow(1, 0, 15)));
    QVERIFY(!torch::allclose(h.narrow(1, 15, 1), h2.narrow(1, 15, 1)));
    // The first loss is about ln(vocab).
    const double loss = model::lossOf(gpt, h, t).item<double>();
    QVERIFY2(std::abs(loss - std::log(27.0)) < 0.3, qPrintable(QString::number(loss)));
}

void TestModels::badCombinations() {
    Data d;
    test::RecordingSink sink;
    auto error = [&](RunOptions o) {
        try {
            TrainingRun run(o, sink);
        } catch (const ConfigError& e) {
            return QString(e.what());
        }
        return QString();
    };
    RunOptions o = modelOptions("gpt", d, ScheduleKind::GPipe, 2);
    o.data = "synthetic";
    QVERIFY(error(o).contains("--model gpt trains on text"));
    o = modelOptions("cnn", d, ScheduleKind::GPipe, 2);
    o.data = d.text();
    QVERIFY(error(o).contains("needs --model gpt"));
    o = modelOptions("gpt", d, ScheduleKind::GPipe, 2);
    o.heads = 3;
    QVERIFY(error(o).contains("must divide --hidden"));
    o = modelOptions("gpt", d, ScheduleKind::GPipe, 2);
    o.seqLen = 4000;
    QVERIFY2(error(o).contains("too few for a context of 4000"), qPrintable(error(o)));
    o = modelOptions("cnn", d, ScheduleKind::GPipe, 2);
    o.data = "synthetic";  // 28 x 28 Gaussian "images": runs
    QVERIFY(error(o).isEmpty());
    // Parsing applies each model's defaults to the flags not given.
    const Outcome p = parsed({"--model", "gpt", "--data", d.text()}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QCOMPARE(p.options.layers, modelDefaults("gpt").layers);
    QCOMPARE(p.options.hidden, 128);
    const Outcome c = parsed({"--model", "cnn", "--hidden", "64"}, false);
    QVERIFY2(c.error.empty(), c.error.c_str());
    QCOMPARE(c.options.layers, 6);
    QCOMPARE(c.options.hidden, 64);
    QCOMPARE(c.options.data, std::string("fashion-mnist"));
    QCOMPARE(parseRunOptions(toArgs(c.options), false).options.hidden, 64);
    QVERIFY(parsed({"--model", "cnn", "--layers", "8"}, false).error.find("6 layers") !=
            std::string::npos);
}

QTEST_GUILESS_MAIN(TestModels)
#include "tst_models.moc"
