// Layer profiles and the cut they choose (torch-free): the profile file read
// back as written and refused with one line when it is not a profile of the
// run; the estimated costs of every model; --partition, --split,
// --profile-in, --bandwidth and --memory-limit on the command line; and the
// prediction of a cut (per stage, makespan) that the dry run prints.
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "engine/config/options.h"
#include "engine/config/report.h"
#include "engine/formats/profile.h"
#include "engine/run/comparison.h"
#include "options_test_util.h"

using namespace pd;

namespace {

// A profile of the cnn's 6 layers as the defaults of --model cnn make it.
LayerProfile cnnProfile(std::vector<double> forward) {
    const Outcome p = parsed({"--model", "cnn", "--stages", "2"}, false);
    LayerProfile prof;
    prof.model = "cnn";
    prof.shape = profileShape(p.options);
    prof.rows = p.options.microbatchSize();
    prof.names = layerNames(p.options);
    for (double f : forward) {
        LayerCost c;
        c.forward = f;
        c.backward = 2.0 * f;
        c.update = 0.01;
        c.activationBytes = 1000;
        c.outputBytes = 500;
        c.paramBytes = 4000;
        prof.layers.push_back(c);
    }
    prof.bandwidthBytesPerMs = 1e6;
    return prof;
}

QString writeText(const QTemporaryDir& dir, const char* name, const std::string& text) {
    const QString path = dir.filePath(name);
    std::ofstream(path.toStdString()) << text;
    return path;
}

QString readError(const std::string& path) {
    try {
        readProfile(path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestProfile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fileRoundTrip();
    void fileErrors();
    void adoptChecksTheShape();
    void adoptScalesToTheMicrobatch();
    void estimatesFollowTheModels();
    void profileChoosesTheCut();
    void flags_data();
    void flags();
    void memoryLimitSizes();
    void predictionAddsUp();
    void predictionAgainstMeasured();
    void comparisonOfPartitions();
};

void TestProfile::fileRoundTrip() {
    QTemporaryDir dir;
    LayerProfile p = cnnProfile({0.5, 3.0, 2.5, 1.0, 0.6, 0.05});
    p.threads = 1;
    p.concurrent = 2;
    p.warmups = 2;
    p.repetitions = 7;
    const std::string path = dir.filePath("p.json").toStdString();
    writeProfile(path, p);
    const LayerProfile q = readProfile(path);
    QCOMPARE(q.model, p.model);
    QCOMPARE(q.shape, p.shape);
    QCOMPARE(q.rows, p.rows);
    QCOMPARE(q.concurrent, 2);
    QCOMPARE(q.repetitions, 7);
    QCOMPARE(q.names, p.names);
    QCOMPARE(q.source, path);
    QCOMPARE(q.bandwidthBytesPerMs, 1e6);
    QCOMPARE(q.layers.size(), p.layers.size());
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
        QCOMPARE(q.layers[l].forward, p.layers[l].forward);
        QCOMPARE(q.layers[l].backward, p.layers[l].backward);
        QCOMPARE(q.layers[l].update, p.layers[l].update);
        QCOMPARE(q.layers[l].activationBytes, p.layers[l].activationBytes);
        QCOMPARE(q.layers[l].outputBytes, p.layers[l].outputBytes);
        QCOMPARE(q.layers[l].paramBytes, p.layers[l].paramBytes);
    }
}

void TestProfile::fileErrors() {
    QTemporaryDir dir;
    const std::string missing = dir.filePath("none.json").toStdString();
    QVERIFY(readError(missing).startsWith(QString::fromStdString(missing) + ": "));
    auto error = [&](const char* name, const std::string& text) {
        return readError(writeText(dir, name, text).toStdString());
    };
    QVERIFY(error("a", "{").contains("JSON error"));
    QVERIFY(error("b", "{\"format\": \"chrome\"}").contains("not a layer profile"));
    QVERIFY(error("c", "{\"format\": \"pipedream-profile\", \"version\": 2}")
                .contains("version 2 is not one this program reads"));
    const std::string head = "{\"format\": \"pipedream-profile\", \"version\": 1, \"layers\": ";
    QVERIFY(error("d", head + "[]}").contains("non-empty list"));
    QVERIFY(error("e", head + "[{\"forward_ms\": -1, \"backward_ms\": 1, \"activation_bytes\": 0, "
                              "\"output_bytes\": 0, \"param_bytes\": 0}]}")
                .contains("layer 1 forward_ms must be a finite number >= 0"));
    QVERIFY(error("f", head + "[{\"forward_ms\": 1, \"backward_ms\": 1, \"activation_bytes\": 1.5, "
                              "\"output_bytes\": 0, \"param_bytes\": 0}]}")
                .contains("activation_bytes must be a whole number"));
    // One line, whatever went wrong.
    QVERIFY(!error("g", "{\"format\": 1,\n\n}").contains('\n'));
}

void TestProfile::adoptChecksTheShape() {
    RunOptions o = parsed({"--model", "cnn", "--stages", "2"}, false).options;
    auto refused = [&](LayerProfile p) {
        try {
            adoptProfile(o, std::move(p));
        } catch (const ConfigError& e) {
            return QString(e.what());
        }
        return QString();
    };
    LayerProfile p = cnnProfile({1, 1, 1, 1, 1, 1});
    p.model = "gpt";
    QVERIFY(refused(p).contains("the profile is of --model gpt, the run's is cnn"));
    p = cnnProfile({1, 1, 1, 1, 1, 1});
    p.shape = "cnn 6 layers, hidden 512, data fashion-mnist";
    QVERIFY(refused(p).contains("hidden 512"));
    p = cnnProfile({1, 1, 1, 1, 1});
    QVERIFY(refused(p).contains("the profile has 5 layers, the model 6"));
    QVERIFY(refused(cnnProfile({1, 1, 1, 1, 1, 1})).isEmpty());
    QVERIFY(o.profile.has_value());
}

void TestProfile::adoptScalesToTheMicrobatch() {
    RunOptions o = parsed({"--model", "cnn", "--stages", "2"}, false).options;
    LayerProfile p = cnnProfile({1, 2, 3, 4, 5, 6});
    p.rows = o.microbatchSize() * 2;  // measured on twice the rows
    adoptProfile(o, p);
    QCOMPARE(o.profile->rows, o.microbatchSize());
    QCOMPARE(o.profile->layers[2].forward, 1.5);
    QCOMPARE(o.profile->layers[2].activationBytes, std::int64_t{500});
    QCOMPARE(o.profile->layers[2].paramBytes, std::int64_t{4000});  // weights do not scale
    QVERIFY(o.profile->source.find("scaled from") != std::string::npos);
}

void TestProfile::estimatesFollowTheModels() {
    const RunOptions cnn = parsed({"--model", "cnn"}, false).options;
    const std::vector<LayerCost> c = estimateLayerCosts(cnn);
    QCOMPARE(static_cast<int>(c.size()), 6);
    // Convolutions at full resolution cost many times the classifier.
    QVERIFY(c[1].forward > 3.0 * c[4].forward);
    QVERIFY(c[1].forward > 100.0 * c[5].forward);
    QVERIFY(c[4].paramBytes > c[1].paramBytes);  // the fc layer holds the weights
    QCOMPARE(c[5].paramBytes, std::int64_t{4 * (cnn.hidden * 10 + 10)});
    const RunOptions gpt = parsed({"--model", "gpt"}, false).options;
    const std::vector<LayerCost> g = estimateLayerCosts(gpt);
    QCOMPARE(static_cast<int>(g.size()), gpt.layers + 2);
    QCOMPARE(g[1].forward, g[2].forward);        // blocks alike
    QVERIFY(g[1].forward > 5.0 * g[0].forward);  // a block against the embedding
    const std::vector<std::string> names = layerNames(gpt);
    QCOMPARE(names.front(), std::string("embed"));
    QCOMPARE(names[1], std::string("block1"));
    QCOMPARE(names.back(), std::string("head"));
    QCOMPARE(layerNames(cnn)[1], std::string("conv2"));
}

void TestProfile::profileChoosesTheCut() {
    QTemporaryDir dir;
    // Layer 6 alone costs as much as the five before it.
    const std::string path = dir.filePath("p.json").toStdString();
    writeProfile(path, cnnProfile({1, 1, 1, 1, 1, 5}));
    Outcome p = parsed(
        {"--model", "cnn", "--stages", "2", "--partition", "time", "--profile-in", path}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QCOMPARE(p.options.split, std::vector<int>{6});
    QCOMPARE(p.options.partition, std::string("time"));
    QVERIFY(p.options.profile.has_value());
    QCOMPARE(p.options.profile->source, path);
    // The same profile with --split: the cut is the user's, the costs the file's.
    p = parsed({"--model", "cnn", "--stages", "2", "--split", "3", "--profile-in", path}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QCOMPARE(p.options.split, std::vector<int>{3});
    QCOMPARE(p.options.partition, std::string("split"));
    // A profile of another model is refused with the flag's name.
    p = parsed({"--model", "gpt", "--stages", "2", "--profile-in", path}, false);
    QVERIFY(p.error.rfind("--profile-in the profile is of --model cnn", 0) == 0);
    // Without a profile the cnn is cut from the estimate (the dry run's).
    p = parsed({"--model", "cnn", "--stages", "2", "--partition", "time"}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QVERIFY(!p.options.split.empty());
    QVERIFY(!p.options.profile);
    QVERIFY(measuresProfile(p.options));
    p.options.dryRun = true;
    QVERIFY(!measuresProfile(p.options));
}

void TestProfile::flags_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("error");
    QTest::newRow("bandwidth without pipedream")
        << QStringList{"--bandwidth", "10"} << "--bandwidth applies only to --partition pipedream";
    QTest::newRow("memory limit with time")
        << QStringList{"--partition", "time", "--memory-limit", "1GiB"}
        << "--memory-limit applies only to --partition pipedream";
    QTest::newRow("bandwidth zero") << QStringList{"--partition", "pipedream", "--bandwidth", "0"}
                                    << "--bandwidth expects GB/s above 0, got '0'";
    QTest::newRow("in and out") << QStringList{"--profile-in", "a", "--profile-out", "b"}
                                << "--profile-in and --profile-out cannot be combined (a profile "
                                   "is read or measured)";
    QTest::newRow("rank by hand")
        << QStringList{"--backend",    "gloo", "--rank",      "0",
                       "--world-size", "4",    "--partition", "time"}
        << "--partition time on a rank started by hand: give the same --split or --profile-in to "
           "every rank (each rank would measure its own profile and could cut differently)";
    QTest::newRow("memory limit no split")
        << QStringList{"--partition", "pipedream", "--memory-limit", "1KiB"}
        << "--partition pipedream: no split of 48 layers into 4 parts keeps every stage within the "
           "memory limit";
}

void TestProfile::flags() {
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    std::vector<std::string> a;
    for (const QString& s : args) a.push_back(s.toStdString());
    const Outcome p = parsed(a, false);
    QVERIFY2(QString::fromStdString(p.error).startsWith(error), p.error.c_str());
}

void TestProfile::memoryLimitSizes() {
    auto limit = [](const char* v) {
        const Outcome p = parsed({"--partition", "pipedream", "--memory-limit", v}, false);
        return p.error.empty() ? p.options.memoryLimit : std::int64_t{-1};
    };
    QCOMPARE(limit("2GiB"), std::int64_t{2} << 30);
    QCOMPARE(limit("512MiB"), std::int64_t{512} << 20);
    QCOMPARE(limit("1.5GB"), std::int64_t{1500000000});
    QCOMPARE(limit("123456789"), std::int64_t{123456789});
    QCOMPARE(limit("2XB"), std::int64_t{-1});
    QCOMPARE(limit("GiB"), std::int64_t{-1});
    QCOMPARE(limit("-1GiB"), std::int64_t{-1});
}

void TestProfile::predictionAddsUp() {
    RunOptions o = parsed({"--model", "cnn", "--stages", "2", "--batches", "3"}, false).options;
    const std::vector<double> f = {0.5, 3.0, 2.5, 1.0, 0.6, 0.05};
    adoptProfile(o, cnnProfile(f));
    o.split = {3};
    o.partition = "split";
    const CutPrediction p = predictCut(o);
    QVERIFY(p.milliseconds);
    QCOMPARE(p.stageLayers, (std::vector<std::string>{"L1-2", "L3-6"}));
    QCOMPARE(p.stageForward[0], 3.5);
    QCOMPARE(p.stageBackward[1], 2.0 * (2.5 + 1.0 + 0.6 + 0.05));
    // Busy over the run: every microbatch's F and B on the stage, and one
    // update per batch of each layer.
    const int M = o.schedule.microbatches, B = 3;
    QCOMPARE(p.stageBusy[0], B * M * (3.5 + 7.0) + B * 2 * 0.01);
    QVERIFY(p.makespan >= *std::max_element(p.stageBusy.begin(), p.stageBusy.end()));
    QVERIFY(p.bubble > 0.0 && p.bubble < 1.0);
    // Balanced better than the equal cut (L1-3: 6 of 7.65 ms forward).
    QVERIFY(p.makespan < p.equalMakespan);
    const std::string text = formatCut(o);
    QVERIFY(text.find("Cut (--split 3)") != std::string::npos);
    QVERIFY(text.find("F ms") != std::string::npos);
    QVERIFY(text.find("Predicted makespan of 3 batches") != std::string::npos);
}

void TestProfile::predictionAgainstMeasured() {
    RunOptions o = parsed({"--model", "cnn", "--stages", "2", "--batches", "2"}, false).options;
    adoptProfile(o, cnnProfile({1, 1, 1, 1, 1, 1}));
    const CutPrediction p = predictCut(o);
    const std::vector<double> measured = {p.stageBusy[0] * 2.0, p.stageBusy[1]};
    const json::Ordered j = partitionJson(o, &measured, p.makespan * 1.25);
    QCOMPARE(j["units"].get<std::string>(), std::string("ms"));
    QCOMPARE(j["stage_error"][0].get<double>(), -0.5);
    QCOMPARE(j["stage_error"][1].get<double>(), 0.0);
    QCOMPARE(j["makespan_error"].get<double>(), -0.2);
    QCOMPARE(j["predicted_makespan_ms"].get<double>(), p.makespan);
    const std::string text = formatCutAgainstMeasured(o, measured, p.makespan * 1.25);
    QVERIFY(text.find("-50.0%") != std::string::npos);
    QVERIFY(text.find("-20.0%") != std::string::npos);
    // Estimated costs have no milliseconds to put beside a measurement.
    RunOptions estimated = o;
    estimated.profile.reset();
    QVERIFY(formatCutAgainstMeasured(estimated, measured, 1.0).empty());
    QVERIFY(!partitionJson(estimated, &measured, 1.0).contains("measured_stage_ms"));
}

// The comparison's rows for one schedule: one per distinct cut, named by
// every partitioner that chooses it, the dragged cut as a row of its own;
// each simulated with its parts' own costs.
void TestProfile::comparisonOfPartitions() {
    RunOptions o = parsed({"--model", "cnn", "--stages", "2", "--batches", "2"}, false).options;
    adoptProfile(o, cnnProfile({0.5, 3.0, 2.5, 1.0, 0.6, 0.05}));
    std::vector<ComparisonEntry> entries = partitionEntries(o);
    QVERIFY(entries.size() >= 2);
    QVERIFY(entries.front().label.rfind("uniform", 0) == 0);
    QVERIFY(entries.front().options.split.empty());
    std::set<std::vector<int>> cuts;
    for (const ComparisonEntry& e : entries) {
        QVERIFY(cuts.insert(e.options.split).second);  // distinct
        QVERIFY(e.name.find(e.label + ": L1") == 0);
        QCOMPARE(e.options.schedule.kind, o.schedule.kind);
    }
    // time balances 3.5 + 7 against 4.15 + 8.3: L1-2 | L3-6, and the
    // schedule-aware search agrees.
    const auto time = std::find_if(entries.begin(), entries.end(), [](const ComparisonEntry& e) {
        return e.label.find("time") != std::string::npos;
    });
    QVERIFY(time != entries.end());
    QCOMPARE(time->options.split, std::vector<int>{3});
    QVERIFY(time->label.find("schedule") != std::string::npos);
    const ComparisonRow equal = compareEntry(entries.front(), {});
    const ComparisonRow balanced = compareEntry(*time, {});
    QVERIFY(balanced.valid && equal.valid);
    QVERIFY(balanced.analyticMakespan < equal.analyticMakespan);
    QCOMPARE(balanced.label, time->label);
    // A dragged cut is a row of its own.
    o.partition = "split";
    o.split = {5};
    entries = partitionEntries(o);
    QCOMPARE(entries.back().label, std::string("dragged"));
    QCOMPARE(entries.back().options.split, std::vector<int>{5});
}

QTEST_GUILESS_MAIN(TestProfile)
#include "tst_profile.moc"
