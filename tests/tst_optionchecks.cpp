// The rules between options: which values go together (stages and layers,
// microbatches and the batch, chunks and kinds), checkRunOptions on options
// the window fills itself, and --partition choosing the cut.
#include <QtTest>

#include "engine/config/options.h"
#include "options_test_util.h"

using namespace pd;

class TestOptionChecks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void crossField_data();
    void crossField();
    void checkRunOptionsDirect_data();
    void checkRunOptionsDirect();
    void partitionChoosesTheSplit();
};

// --partition picks the cut from the estimated layer costs when the flags
// are parsed; the split then names the lanes and travels as --split.
void TestOptionChecks::partitionChoosesTheSplit() {
    // Alike layers: time keeps the tutorial's equal split, said by no split.
    Outcome p = parsed({"--partition", "time"}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QVERIFY(p.options.split.empty());
    p = parsed({"--split", "13,25,37"}, false);
    QVERIFY(p.error.empty() && p.options.split.empty());
    // PipeDream's stage 0 stashes 4 versions, the last 1: memory moves
    // layers towards the end.
    p = parsed({"--schedule", "pipedream", "--partition", "memory"}, false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    QCOMPARE(p.options.split.size(), std::size_t(3));
    QVERIFY(p.options.split[0] < 13);
    QVERIFY(p.options.split[2] < 37);
    const std::vector<std::string> names = stageNames(p.options);
    QCOMPARE(QString::fromStdString(names[0]), QString("GPU0 (L1-%1)").arg(p.options.split[0] - 1));
    QVERIFY(std::find(toArgs(p.options).begin(), toArgs(p.options).end(), "--split") !=
            toArgs(p.options).end());
    const auto ranges = layerSplit(p.options);
    QCOMPARE(ranges.front().first, 1);
    QCOMPARE(ranges.back().last, 48);
    // A limit-free PipeDream program and the schedule-aware search run too.
    for (const char* method : {"pipedream", "schedule"}) {
        p = parsed({"--schedule", "zb-h1", "--layers", "16", "--partition", method}, false);
        QVERIFY2(p.error.empty(), p.error.c_str());
        QCOMPARE(layerSplit(p.options).size(), std::size_t(4));
    }
    // A split set directly is checked like the flag.
    RunOptions bad = defaultRunOptions();
    bad.split = {5, 4, 30};
    QVERIFY(!checked(bad).empty());
}

void TestOptionChecks::crossField_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");  // empty: valid

    QTest::newRow("stages x chunks > layers")
        << QStringList{"--schedule", "interleaved", "--layers", "6"}
        << "4 stages x 2 chunks need at least 8 layers, got 6";
    QTest::newRow("stages x chunks == layers")
        << QStringList{"--schedule", "interleaved", "--layers", "8"} << "";
    QTest::newRow("stages > layers")
        << QStringList{"--stages", "8", "--layers", "4", "--microbatches", "8"}
        << "8 stages need at least 8 layers, got 4";
    QTest::newRow("stages == layers") << QStringList{"--stages", "4", "--layers", "4"} << "";
    QTest::newRow("batch not divisible") << QStringList{"--microbatches", "5"}
                                         << "batch size 32 is not divisible into 5 microbatches";
    QTest::newRow("batch divisible") << QStringList{"--microbatches", "8"} << "";
    QTest::newRow("more microbatches than samples")
        << QStringList{"--microbatches", "64"} << "batch size 32 is too small for 64 microbatches";
    QTest::newRow("one sample per microbatch")
        << QStringList{"--microbatches", "32", "--batch-size", "32"} << "";
    // PyTorch's rule: rounds of M / max(1, M/S) microbatches (M = 2 is fine at S = 4).
    QTest::newRow("interleaved M = 2")
        << QStringList{"--schedule", "interleaved", "--microbatches", "2", "--batch-size", "4"}
        << "";
    QTest::newRow("interleaved rounds")
        << QStringList{"--schedule", "interleaved", "--microbatches", "9", "--batch-size", "36"}
        << "interleaved needs microbatches divisible by its number of rounds...";
    QTest::newRow("layers 0") << QStringList{"--layers", "0"}
                              << "layers must be between 1 and 4096, got 0";
    QTest::newRow("layers 4097") << QStringList{"--layers", "4097"}
                                 << "layers must be between 1 and 4096, got 4097";
    QTest::newRow("layers 4096") << QStringList{"--layers", "4096"} << "";
    QTest::newRow("hidden 0") << QStringList{"--hidden", "0"}
                              << "hidden must be between 1 and 65536, got 0";
    QTest::newRow("hidden 65537") << QStringList{"--hidden", "65537"}
                                  << "hidden must be between 1 and 65536, got 65537";
    QTest::newRow("hidden 1") << QStringList{"--hidden", "1"} << "";
    QTest::newRow("batch size 0") << QStringList{"--batch-size", "0"}
                                  << "batch size must be between 1 and 1000000, got 0";
    QTest::newRow("batch size 1000001") << QStringList{"--batch-size", "1000001"}
                                        << "batch size must be between 1 and 1000000, got 1000001";
    QTest::newRow("batch size 1000000") << QStringList{"--batch-size", "1000000"} << "";
    QTest::newRow("split too few")
        << QStringList{"--split", "12,24"} << "--split gives 2 boundaries; 4 model parts need 3";
    QTest::newRow("split past the layers")
        << QStringList{"--layers", "8", "--split", "2,5,9"}
        << "--split 2,5,9: each boundary is a layer in 2..8, after the previous one (every part "
           "needs a layer)";
    QTest::newRow("split not numbers")
        << QStringList{"--split", "a,b,c"} << "--split takes the first layer of each part...";
    QTest::newRow("split with chunks")
        << QStringList{"--schedule", "interleaved", "--layers", "8", "--split", "2,3,4,5,6,7,8"}
        << "";
    QTest::newRow("split and partition")
        << QStringList{"--split", "12,24,36", "--partition", "time"}
        << "--split and --partition cannot be combined (--split is the cut itself)";
    QTest::newRow("partition unknown") << QStringList{"--partition", "fast"}
                                       << "--partition expects uniform, time, memory, pipedream "
                                          "or schedule, got 'fast'";
}

void TestOptionChecks::crossField() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Outcome p = parsed(toArgs(args), false);
    const QString error = QString::fromStdString(p.error);
    if (message.endsWith("..."))
        QVERIFY2(error.startsWith(message.chopped(3)), qPrintable(error));
    else
        QCOMPARE(error, message);
    // The parser and the direct check agree on options that parsed.
    if (message.isEmpty()) QCOMPARE(QString::fromStdString(checked(p.options)), QString());
}

// The GUI fills RunOptions itself and relies on checkRunOptions alone.
void TestOptionChecks::checkRunOptionsDirect_data() {
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("valid");
    for (const char* c : {"stages0", "chunks-on-1f1b", "lr-nan", "lr-zero", "device", "data",
                          "nostash-1f1b", "layers", "classes"})
        QTest::newRow(c) << QString(c) << false;
    QTest::newRow("unchanged") << QString() << true;
    QTest::newRow("pipedream-nostash") << QString("pipedream-nostash") << true;
}

void TestOptionChecks::checkRunOptionsDirect() {
    QFETCH(QString, change);
    QFETCH(bool, valid);
    RunOptions o = defaultRunOptions();
    if (change == "stages0") o.schedule.stages = 0;
    if (change == "chunks-on-1f1b") o.schedule.chunks = 2;
    if (change == "lr-nan") o.lr = std::numeric_limits<double>::quiet_NaN();
    if (change == "lr-zero") o.lr = 0.0;
    if (change == "device") o.device = "tpu";
    if (change == "data") o.data = "";
    if (change == "nostash-1f1b") o.schedule.stash = false;
    if (change == "layers") o.layers = -1;
    if (change == "classes") o.classes = 0;
    if (change == "pipedream-nostash") {
        o.schedule.kind = ScheduleKind::PipeDream;
        o.schedule.stash = false;
    }
    std::string error;
    try {
        error = checked(o);
    } catch (...) {
        QFAIL("checkRunOptions threw");
    }
    QVERIFY2(error.empty() == valid, error.c_str());
    QVERIFY(error.find('\n') == std::string::npos);
}

QTEST_APPLESS_MAIN(TestOptionChecks)
#include "tst_optionchecks.moc"
