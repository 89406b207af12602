// Training beyond the schedule: epochs (their batches, resolved once the
// data is read), held-out evaluations taken during the run at batch ends
// (the weights after exactly that batch on synchronous kinds), and the
// optimizers (sgd, momentum, adam) on tiny data the test writes.
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "engine/run/runtime_internal.h"
#include "engine_test_util.h"
#include "model_test_data.h"
#include "options_test_util.h"

using namespace pd;
using test::Data;

namespace {

// The cnn on 256 training images (16 batches of 16 per epoch) and 64 held out.
RunOptions cnnOptions(const Data& d, ScheduleKind kind) {
    return test::modelOptions("cnn", d, kind, 3);
}

struct Result {
    std::vector<double> losses;
    std::vector<EvaluationEvent> evaluations;
    Evaluation final;
    RunSummary summary;
    int batches = 0;
    QString error;
};

Result train(const RunOptions& o) {
    Result r;
    test::RecordingSink sink;
    try {
        TrainingRun run(o, sink);
        run.setThreadsPerWorker(1);
        r.batches = run.schedule().config.batches;
        run.start();
        if (!run.wait(std::chrono::seconds(120))) {
            r.error = "timed out";
            return r;
        }
        if (!sink.errors.empty()) {
            r.error = QString::fromStdString(sink.errors.front());
            return r;
        }
        r.final = run.evaluate();
    } catch (const std::exception& e) {
        r.error = e.what();
        return r;
    }
    r.losses.assign(static_cast<std::size_t>(r.batches), NAN);
    for (const auto& b : sink.batches) r.losses[static_cast<std::size_t>(b.batch)] = b.loss;
    r.evaluations = sink.evaluations;
    r.summary = sink.summary;
    return r;
}

QString parseError(const std::vector<std::string>& args, bool viz = false) {
    return QString::fromStdString(parsed(args, viz).error);
}

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void epochsMakeTheBatches();
    void evaluationsDuringTheRun();
    void evaluationIsTheWeightsAfterItsBatch_data();
    void evaluationIsTheWeightsAfterItsBatch();
    void asynchronousKindsEvaluateToo();
    void adamFirstStepIsLrTimesSign();
    void momentumStartsAsSgdThenDiffers();
    void synchronousKindsAgreeUnderAdam();
    void flags();
};

// --epochs E: E passes of whole batches; --batches caps them; data of no
// finite size has no epochs.
void TestTraining::epochsMakeTheBatches() {
    Data d;
    RunOptions o = cnnOptions(d, ScheduleKind::GPipe);
    o.epochs = 2;
    o.schedule.batches = 0;
    test::RecordingSink sink;
    {
        TrainingRun run(o, sink);
        QCOMPARE(run.schedule().config.batches, 32);
        QCOMPARE(run.dataInfo().batchesPerEpoch, std::int64_t{16});
    }
    o.schedule.batches = 20;
    {
        TrainingRun run(o, sink);
        QCOMPARE(run.schedule().config.batches, 20);
    }
    o.schedule.batches = 100;  // a cap above the epochs' batches does not add any
    {
        TrainingRun run(o, sink);
        QCOMPARE(run.schedule().config.batches, 32);
    }
    // The window drew 100 batches: fewer would leave its timeline half run.
    o.exactBatches = true;
    try {
        TrainingRun run(o, sink);
        QFAIL("a run for the window trained fewer batches than it drew");
    } catch (const ConfigError& e) {
        QCOMPARE(QString(e.what()),
                 QStringLiteral("2 epochs of 16 batches make 32, fewer than the 100 batches asked "
                                "for: lower Batches or raise Epochs"));
    }
    o.schedule.batches = 32;
    {
        TrainingRun run(o, sink);
        QCOMPARE(run.schedule().config.batches, 32);
    }
    o.exactBatches = false;
    RunOptions synthetic = test::smallOptions(ScheduleKind::GPipe);
    synthetic.epochs = 1;
    synthetic.schedule.batches = 0;
    try {
        TrainingRun run(synthetic, sink);
        QFAIL("epochs of the unbounded synthetic set were accepted");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("finite size"), e.what());
    }
}

// Every --eval-every batches, each epoch's end and the last batch, in
// order, with the training time by then.
void TestTraining::evaluationsDuringTheRun() {
    Data d;
    RunOptions o = cnnOptions(d, ScheduleKind::OneFOneB);
    o.epochs = 2;
    o.schedule.batches = 0;
    o.evalEvery = 5;
    const Result r = train(o);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    std::vector<int> batches, epochs;
    for (const EvaluationEvent& e : r.evaluations) {
        batches.push_back(e.batch);
        epochs.push_back(e.epoch);
        QCOMPARE(e.samples, std::int64_t{64});
        QVERIFY(std::isfinite(e.loss) && e.loss > 0.0);
        QVERIFY(e.accuracy >= 0.0 && e.accuracy <= 1.0);
        QVERIFY(e.trainUs > 0 && e.trainUs <= r.summary.timeUs);
    }
    QCOMPARE(batches, (std::vector<int>{5, 10, 15, 16, 20, 25, 30, 32}));
    QCOMPARE(epochs, (std::vector<int>{1, 1, 1, 1, 2, 2, 2, 2}));
    for (std::size_t i = 1; i < r.evaluations.size(); ++i)
        QVERIFY(r.evaluations[i].trainUs >= r.evaluations[i - 1].trainUs);
    // The last is the finished run's own evaluation; the model learned.
    QCOMPARE(r.evaluations.back().loss, r.final.loss);
    QVERIFY2(r.evaluations.back().accuracy > 0.9,
             qPrintable(QString::number(r.evaluations.back().accuracy)));
    QVERIFY(r.evaluations.back().loss < r.evaluations.front().loss);
}

void TestTraining::evaluationIsTheWeightsAfterItsBatch_data() {
    QTest::addColumn<int>("kind");
    for (ScheduleKind k : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::ZeroBubbleH1,
                           ScheduleKind::Interleaved})
        QTest::newRow(toString(k)) << static_cast<int>(k);
}

// On a flushing kind the evaluation taken after batch b during a longer run
// is the evaluation of a run that stopped after b batches: the same
// weights, and the hold did not disturb the rest of the run.
void TestTraining::evaluationIsTheWeightsAfterItsBatch() {
    QFETCH(int, kind);
    Data d;
    RunOptions o = cnnOptions(d, static_cast<ScheduleKind>(kind));
    o.epochs = 1;
    o.schedule.batches = 0;
    o.evalEvery = 4;
    const Result whole = train(o);
    QVERIFY2(whole.error.isEmpty(), qPrintable(whole.error));
    QCOMPARE(whole.evaluations.size(), std::size_t(4));  // 4, 8, 12, 16
    for (int b : {4, 8}) {
        RunOptions shorter = o;
        shorter.schedule.batches = b;
        shorter.evalEvery = 0;
        const Result part = train(shorter);
        QVERIFY2(part.error.isEmpty(), qPrintable(part.error));
        const EvaluationEvent& e = whole.evaluations[static_cast<std::size_t>(b / 4 - 1)];
        QCOMPARE(e.batch, b);
        // Reductions on other threads round the last float bits differently;
        // a batch more or less changes the loss by far more.
        QVERIFY2(std::abs(e.loss - part.final.loss) < 1e-6 * std::max(1.0, part.final.loss),
                 qPrintable(QString("after batch %1: %2 during the run, %3 after a run of %1")
                                .arg(b)
                                .arg(e.loss, 0, 'g', 12)
                                .arg(part.final.loss, 0, 'g', 12)));
        QCOMPARE(e.accuracy, part.final.accuracy);
        for (int i = 0; i < b; ++i)
            QVERIFY2(std::abs(whole.losses[i] - part.losses[i]) < 1e-6 * part.losses[i],
                     qPrintable(QString("batch %1: %2 vs %3")
                                    .arg(i)
                                    .arg(whole.losses[i], 0, 'g', 12)
                                    .arg(part.losses[i], 0, 'g', 12)));
        const RunOptions one = [&] {
            RunOptions x = shorter;
            x.schedule.batches = b + 1;
            return x;
        }();
        // ... and not the weights a batch later.
        QVERIFY(std::abs(train(one).final.loss - e.loss) > 1e-4);
    }
}

// PipeDream and 2BW have no flush: they evaluate at the boundary's slot
// with whatever each stage's newest version is, and still finish.
void TestTraining::asynchronousKindsEvaluateToo() {
    Data d;
    for (ScheduleKind k : {ScheduleKind::PipeDream, ScheduleKind::TwoBW}) {
        RunOptions o = cnnOptions(d, k);
        o.schedule.batches = 9;
        o.evalEvery = 3;
        const Result r = train(o);
        QVERIFY2(r.error.isEmpty(), qPrintable(QString(toString(k)) + ": " + r.error));
        QCOMPARE(r.evaluations.size(), std::size_t(3));
        QCOMPARE(r.evaluations.back().batch, 9);
        QCOMPARE(r.evaluations.back().loss, r.final.loss);
    }
}

// Adam's first step is lr * m / sqrt(v) with bias-corrected moments of one
// gradient: lr * sign(g) wherever the gradient is well above epsilon, and
// nothing where it is zero (units ReLU left dead).
void TestTraining::adamFirstStepIsLrTimesSign() {
    Data d;
    RunOptions o = cnnOptions(d, ScheduleKind::GPipe);
    o.optimizer = "adam";
    o.lr = 0.001;
    o.schedule.batches = 1;
    test::RecordingSink sink;
    TrainingRun run(o, sink);
    run.setKeepAllVersions(true);
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(60)));
    QVERIFY(sink.errors.empty());
    for (int part = 0; part < 2; ++part) {
        const std::vector<float> v0 = run.parameters(part, 0), v1 = run.parameters(part, 1);
        QCOMPARE(v1.size(), v0.size());
        QVERIFY(!v0.empty());
        std::size_t exact = 0, moved = 0;
        for (std::size_t i = 0; i < v0.size(); ++i) {
            const double step = std::abs(static_cast<double>(v1[i]) - v0[i]);
            if (step > 0) ++moved;
            // float rounding of the weight itself bounds the agreement
            if (std::abs(step - o.lr) < 1e-5 + 1e-6 * std::abs(v0[i])) ++exact;
        }
        QVERIFY2(moved >= v0.size() / 2 && exact >= moved * 95 / 100,
                 qPrintable(QString("part %1: %2 of %3 steps are lr (%4 moved)")
                                .arg(part)
                                .arg(exact)
                                .arg(v0.size())
                                .arg(moved)));
    }
}

// Momentum's buffer starts at the first gradient: the first update is
// SGD's, so the first two batches' losses agree; the third differs.
void TestTraining::momentumStartsAsSgdThenDiffers() {
    Data d;
    RunOptions o = cnnOptions(d, ScheduleKind::OneFOneB);
    o.schedule.batches = 3;
    const Result sgd = train(o);
    o.optimizer = "momentum";
    const Result momentum = train(o);
    QVERIFY2(sgd.error.isEmpty() && momentum.error.isEmpty(),
             qPrintable(sgd.error + momentum.error));
    QCOMPARE(momentum.losses[0], sgd.losses[0]);
    QVERIFY(std::abs(momentum.losses[1] - sgd.losses[1]) < 1e-6);
    QVERIFY2(std::abs(momentum.losses[2] - sgd.losses[2]) > 1e-4,
             qPrintable(QString("%1 vs %2").arg(momentum.losses[2]).arg(sgd.losses[2])));
}

// The optimizer sits in the update: synchronous kinds still give gpipe's
// losses, and Adam trains.
void TestTraining::synchronousKindsAgreeUnderAdam() {
    Data d;
    for (const char* opt : {"adam", "momentum"}) {
        RunOptions o = cnnOptions(d, ScheduleKind::GPipe);
        o.optimizer = opt;
        o.lr = std::string(opt) == "adam" ? 0.003 : 0.02;
        o.schedule.batches = 8;
        const Result ref = train(o);
        QVERIFY2(ref.error.isEmpty(), qPrintable(ref.error));
        QVERIFY2(
            ref.losses[7] < 0.8 * ref.losses[0],
            qPrintable(QString("%1: %2 -> %3").arg(opt).arg(ref.losses[0]).arg(ref.losses[7])));
        for (ScheduleKind k :
             {ScheduleKind::OneFOneB, ScheduleKind::ZeroBubbleH2, ScheduleKind::DualPipeV}) {
            RunOptions other = o;
            other.schedule.kind = k;
            other.schedule.chunks = chunksFor(k, 2);
            other.layers = 6;
            const Result r = train(other);
            QVERIFY2(r.error.isEmpty(), qPrintable(QString(toString(k)) + ": " + r.error));
            for (int b = 0; b < 8; ++b)
                QVERIFY2(
                    std::abs(r.losses[b] - ref.losses[b]) < 1e-4 * std::max(1.0, ref.losses[b]),
                    qPrintable(QString("%1 %2 batch %3: %4 vs %5")
                                   .arg(opt)
                                   .arg(toString(k))
                                   .arg(b)
                                   .arg(r.losses[b])
                                   .arg(ref.losses[b])));
        }
    }
}

void TestTraining::flags() {
    Outcome p = parsed({"--model", "cnn", "--epochs", "3"}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QCOMPARE(p.options.epochs, 3);
    QCOMPARE(p.options.schedule.batches, 0);  // the epochs decide
    // Written back and read again: the same run.
    Outcome again = parsed(toArgs(p.options), false);
    QVERIFY2(again.error.empty(), again.error.c_str());
    QCOMPARE(again.options.epochs, 3);
    QCOMPARE(again.options.schedule.batches, 0);
    p = parsed({"--model", "cnn", "--epochs", "3", "--batches", "7", "--eval-every", "2"}, false);
    QCOMPARE(p.options.schedule.batches, 7);
    QCOMPARE(p.options.evalEvery, 2);
    QVERIFY(p.options.evaluates());
    QVERIFY(!parsed({}, false).options.evaluates());  // the tutorial's run is as it was
    QVERIFY(parsed({"--model", "cnn"}, false).options.evaluates());  // real data

    p = parsed({"--optimizer", "adam"}, false);
    QCOMPARE(p.options.optimizer, std::string("adam"));
    QCOMPARE(p.options.lr, kAdamLr);
    QCOMPARE(parsed({"--optimizer", "adam", "--lr", "0.01"}, false).options.lr, 0.01);
    QCOMPARE(parsed({"--optimizer", "momentum"}, false).options.lr, 0.02);
    // Each model's optimizer and rate where the flags leave them open: the
    // gpt trains with Adam; another optimizer takes the model's SGD rate.
    p = parsed({"--model", "gpt"}, false);
    QCOMPARE(p.options.optimizer, std::string("adam"));
    QCOMPARE(p.options.lr, kAdamLr);
    p = parsed({"--model", "gpt", "--optimizer", "sgd"}, false);
    QCOMPARE(p.options.optimizer, std::string("sgd"));
    QCOMPARE(p.options.lr, 0.3);
    p = parsed({"--model", "gpt", "--lr", "0.01"}, false);
    QCOMPARE(p.options.optimizer, std::string("adam"));
    QCOMPARE(p.options.lr, 0.01);
    p = parsed({"--model", "cnn"}, false);
    QCOMPARE(p.options.optimizer, std::string("momentum"));
    QCOMPARE(p.options.lr, 0.005);
    QCOMPARE(parsed({"--model", "cnn", "--optimizer", "sgd"}, false).options.lr, 0.05);
    QCOMPARE(parsed({"--model", "cnn", "--optimizer", "adam"}, false).options.lr, kAdamLr);

    QCOMPARE(parseError({"--epochs", "0"}),
             QString("--epochs expects a positive integer, got '0'"));
    QCOMPARE(parseError({"--eval-every", "-1"}),
             QString("--eval-every expects a positive integer, got '-1'"));
    QCOMPARE(parseError({"--optimizer", "rmsprop"}),
             QString("unknown optimizer 'rmsprop' (sgd, momentum or adam)"));
    QCOMPARE(parseError({"--epochs", "1001", "--batches", "5"}),
             QString("epochs must be between 1 and 1000, got 1001"));
    QVERIFY(parseError({"--epochs", "2", "--dry-run"}).contains("give --batches with --epochs"));
    QVERIFY(parseError({"--epochs", "2"}, true).startsWith("pipedream-viz"));
    QVERIFY(
        parseError({"--model", "cnn", "--epochs", "2", "--dry-run", "--batches", "4"}).isEmpty());
    QCOMPARE(parseError({"--epochs", "2", "--batches", "4"}),
             QString("--epochs needs a data set of finite size (--data synthetic has no epochs)"));
}

QTEST_GUILESS_MAIN(TestTraining)
#include "tst_training.moc"
