// Run options: every flag accepted in both spellings, every bad input
// rejected with one clear line, defaults equal to the tutorial's setup.
#include <QtTest>
#include <map>
#include <random>

#include "engine/config/options.h"
#include "engine/distributed/distributed.h"
#include "options_test_util.h"

using namespace pd;

namespace {

std::vector<std::string> toArgs(const QStringList& list) {
    std::vector<std::string> out;
    for (const QString& s : list) out.push_back(s.toStdString());
    return out;
}

// One field of the options as text, so that rows can name what they set.
QString field(const RunOptions& o, const QString& name) {
    const ScheduleConfig& c = o.schedule;
    if (name == "schedule") return QString::fromLatin1(toString(c.kind));
    if (name == "stages") return QString::number(c.stages);
    if (name == "microbatches") return QString::number(c.microbatches);
    if (name == "batches") return QString::number(c.batches);
    if (name == "batch-size") return QString::number(o.batchSize);
    if (name == "layers") return QString::number(o.layers);
    if (name == "hidden") return QString::number(o.hidden);
    if (name == "chunks") return QString::number(c.chunks);
    if (name == "lr") return QString::number(o.lr);
    if (name == "seed") return QString::number(o.seed);
    if (name == "device") return QString::fromStdString(o.device);
    if (name == "data") return QString::fromStdString(o.data);
    if (name == "model") return QString::fromStdString(o.model);
    if (name == "heads") return QString::number(o.heads);
    if (name == "seq-len") return QString::number(o.seqLen);
    if (name == "stash") return c.stash ? "1" : "0";
    if (name == "vertical-sync") return c.verticalSync ? "1" : "0";
    if (name == "dry-run") return o.dryRun ? "1" : "0";
    if (name == "json") return o.json ? "1" : "0";
    if (name == "csv") return QString::fromStdString(o.csvPath);
    if (name == "trace") return QString::fromStdString(o.tracePath);
    if (name == "headless") return o.headless ? "1" : "0";
    if (name == "export") return QString::fromStdString(o.exportDir);
    if (name == "open") return QString::fromStdString(o.openFile);
    if (name == "split") {
        QStringList b;
        for (int v : o.split) b << QString::number(v);
        return b.join(',');
    }
    if (name == "export-animation") return QString::fromStdString(o.animationPath);
    if (name == "anim-width") return QString::number(o.animWidth);
    if (name == "anim-fps") return QString::number(o.animFps);
    if (name == "anim-from") return QString::number(o.animFrom);
    if (name == "anim-to") return QString::number(o.animTo);
    if (name == "anim-no-caption") return o.animCaption ? "0" : "1";
    if (name == "anim-base") return o.animBase == AnimBase::Measured ? "measured" : "slots";
    if (name == "anim-every-ms") return QString::number(o.animEveryMs);
    if (name == "anim-color-by")
        return o.animColors == AnimColors::ByVersion     ? "version"
               : o.animColors == AnimColors::ByStaleness ? "staleness"
                                                         : "op";
    return "?" + name;
}

bool sameOptions(const RunOptions& a, const RunOptions& b) {
    for (const char* f : {"schedule",
                          "stages",
                          "microbatches",
                          "batches",
                          "batch-size",
                          "layers",
                          "hidden",
                          "chunks",
                          "lr",
                          "seed",
                          "device",
                          "data",
                          "stash",
                          "vertical-sync",
                          "dry-run",
                          "json",
                          "csv",
                          "trace",
                          "headless",
                          "export",
                          "open",
                          "split",
                          "export-animation",
                          "anim-width",
                          "anim-fps",
                          "anim-from",
                          "anim-to",
                          "anim-no-caption",
                          "anim-base",
                          "anim-every-ms",
                          "model",
                          "heads",
                          "seq-len"})
        if (field(a, f) != field(b, f)) return false;
    return a.classes == b.classes;
}

}  // namespace

class TestOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreTheTutorialConfig();
    void goodFlag_data();
    void goodFlag();
    void badFlag_data();
    void badFlag();
    void interleavedDefaultChunks_data();
    void interleavedDefaultChunks();
    void crossField_data();
    void crossField();
    void checkRunOptionsDirect_data();
    void checkRunOptionsDirect();
    void help_data();
    void help();
    void usageListsEveryOptionWithDefaults_data();
    void usageListsEveryOptionWithDefaults();
    void randomArgumentsNeverThrow();
    void distributedFlags_data();
    void distributedFlags();
    void toArgsRoundTrip_data();
    void toArgsRoundTrip();
    void rankSettingsFromEnvironment_data();
    void rankSettingsFromEnvironment();
    void partitionChoosesTheSplit();
    void runSecretSources_data();
    void runSecretSources();
};

// --partition picks the cut from the estimated layer costs when the flags
// are parsed; the split then names the lanes and travels as --split.
void TestOptions::partitionChoosesTheSplit() {
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

void TestOptions::defaultsAreTheTutorialConfig() {
    const RunOptions d = defaultRunOptions();
    // The tutorial: 4 stages, 4 microbatches, 5 batches, batch 32, 48 layers,
    // hidden 512, 10 classes (architecture.md "Command line").
    QCOMPARE(d.schedule.kind, ScheduleKind::OneFOneB);
    QCOMPARE(d.schedule.stages, 4);
    QCOMPARE(d.schedule.microbatches, 4);
    QCOMPARE(d.schedule.batches, 5);
    QCOMPARE(d.schedule.chunks, 1);
    QCOMPARE(d.batchSize, 32);
    QCOMPARE(d.layers, 48);
    QCOMPARE(d.hidden, 512);
    QCOMPARE(d.classes, 10);
    QVERIFY(d.lr > 0.0);
    QCOMPARE(d.seed, std::uint64_t(0));
    QCOMPARE(d.device, std::string("cpu"));
    QCOMPARE(d.data, std::string("synthetic"));
    QVERIFY(d.schedule.stash);
    QVERIFY(!d.schedule.verticalSync);
    QCOMPARE(d.microbatchSize(), d.batchSize / d.schedule.microbatches);
    QCOMPARE(QString::fromStdString(checked(d)), QString());

    for (bool viz : {false, true}) {
        const Outcome p = parsed({}, viz);
        QCOMPARE(QString::fromStdString(p.error), QString());
        QVERIFY(!p.help);
        QVERIFY(sameOptions(p.options, d));
    }
}

void TestOptions::goodFlag_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("viz");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    struct Row {
        const char* flag;
        const char* value;
        const char* field;
        const char* expected;
    };
    const Row rows[] = {
        {"--schedule", "naive", "schedule", "naive"},
        {"--schedule", "gpipe", "schedule", "gpipe"},
        {"--schedule", "1f1b", "schedule", "1f1b"},
        {"--schedule", "pipedream", "schedule", "pipedream"},
        {"--schedule", "2bw", "schedule", "2bw"},
        {"--schedule", "interleaved", "schedule", "interleaved"},
        {"--schedule", "zb-h1", "schedule", "zb-h1"},
        {"--stages", "2", "stages", "2"},
        {"--stages", "8", "stages", "8"},
        {"--microbatches", "8", "microbatches", "8"},
        {"--microbatches", "1", "microbatches", "1"},
        {"--batches", "20", "batches", "20"},
        {"--batch-size", "64", "batch-size", "64"},
        {"--layers", "12", "layers", "12"},
        {"--hidden", "1024", "hidden", "1024"},
        {"--lr", "0.1", "lr", "0.1"},
        {"--lr", "1e-3", "lr", "0.001"},
        {"--seed", "42", "seed", "42"},
        {"--seed", "18446744073709551615", "seed", "18446744073709551615"},
        {"--device", "cpu", "device", "cpu"},
        {"--device", "cuda", "device", "cuda"},
        {"--device", "cuda:1", "device", "cuda:1"},
        {"--data", "synthetic", "data", "synthetic"},
        {"--data", "mnist:/tmp/mnist", "data", "mnist:/tmp/mnist"},
        {"--data", "fashion-mnist", "data", "fashion-mnist"},
        {"--data", "fashion-mnist:/tmp/f", "data", "fashion-mnist:/tmp/f"},
        {"--model", "mlp", "model", "mlp"},
        {"--model", "cnn", "model", "cnn"},
        {"--model", "gpt", "model", "gpt"},
        {"--model", "gpt", "data", "text"},
        {"--model", "cnn", "layers", "6"},
        {"--model", "cnn", "data", "fashion-mnist"},
        {"--csv", "run.csv", "csv", "run.csv"},
        {"--trace", "out/trace.json", "trace", "out/trace.json"},
        {"--chunks", "1", "chunks", "1"},
        {"--split", "2,30,47", "split", "2,30,47"},
        {"--partition", "uniform", "split", ""},
    };
    for (const Row& r : rows) {
        for (bool joined : {false, true}) {
            const QStringList args = joined ? QStringList{QString(r.flag) + "=" + r.value}
                                            : QStringList{r.flag, r.value};
            QTest::addRow("%s %s%s", r.flag, r.value, joined ? " (=)" : "")
                << args << false << r.field << r.expected;
        }
    }
    // Flags without a value, and the ones that need a partner.
    QTest::newRow("gpt --heads") << QStringList{"--model", "gpt", "--heads", "8"} << false
                                 << "heads"
                                 << "8";
    QTest::newRow("gpt --seq-len")
        << QStringList{"--model", "gpt", "--seq-len", "32"} << false << "seq-len"
        << "32";
    QTest::newRow("gpt text:PATH")
        << QStringList{"--model", "gpt", "--data", "text:/x"} << false << "data"
        << "text:/x";
    QTest::newRow("gpt --layers") << QStringList{"--model", "gpt", "--layers", "2"} << false
                                  << "layers"
                                  << "2";
    QTest::newRow("--dry-run") << QStringList{"--dry-run"} << false << "dry-run"
                               << "1";
    QTest::newRow("--json") << QStringList{"--json"} << false << "json"
                            << "1";
    QTest::newRow("--no-stash") << QStringList{"--schedule", "pipedream", "--no-stash"} << false
                                << "stash"
                                << "0";
    QTest::newRow("--vertical-sync")
        << QStringList{"--schedule=pipedream", "--vertical-sync"} << false << "vertical-sync"
        << "1";
    QTest::newRow("--chunks 4 interleaved")
        << QStringList{"--schedule", "interleaved", "--chunks", "4"} << false << "chunks"
        << "4";
    QTest::newRow("value starting with one dash is a value")
        << QStringList{"--csv", "-"} << false << "csv"
        << "-";
    QTest::newRow("viz --headless --export")
        << QStringList{"--headless", "--export", "figs"} << true << "headless"
        << "1";
    QTest::newRow("viz --export=DIR") << QStringList{"--export=figs"} << true << "export"
                                      << "figs";
    QTest::newRow("viz --export alone") << QStringList{"--export", "figs"} << true << "headless"
                                        << "0";
    QTest::newRow("viz --open FILE") << QStringList{"--open", "run.csv"} << true << "open"
                                     << "run.csv";
    QTest::newRow("viz --open with --headless --export")
        << QStringList{"--headless", "--open=t.json", "--export", "figs"} << true << "open"
        << "t.json";
    QTest::newRow("viz --export-animation alone headless")
        << QStringList{"--headless", "--export-animation", "walk.gif"} << true << "export-animation"
        << "walk.gif";
    QTest::newRow("viz --export-animation WEBP any case")
        << QStringList{"--headless", "--export-animation=w.WebP"} << true << "export-animation"
        << "w.WebP";
    QTest::newRow("viz --anim-width")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-width", "4000"} << true
        << "anim-width"
        << "4000";
    QTest::newRow("viz --anim-fps")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-fps=50"} << true
        << "anim-fps"
        << "50";
    QTest::newRow("viz --anim-from")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-from", "3"} << true
        << "anim-from"
        << "3";
    QTest::newRow("viz --anim-to")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-to", "0"} << true
        << "anim-to"
        << "0";
    QTest::newRow("viz --anim-no-caption")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-no-caption"} << true
        << "anim-no-caption"
        << "1";
    QTest::newRow("viz --anim-base measured")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-base", "measured"}
        << true << "anim-base"
        << "measured";
    QTest::newRow("viz --anim-base slots")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-base=slots"} << true
        << "anim-base"
        << "slots";
    QTest::newRow("viz --anim-every-ms fraction")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-base",
                       "measured",   "--anim-every-ms",    "2.5"}
        << true << "anim-every-ms"
        << "2.5";
    QTest::newRow("viz --anim-color-by version")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-color-by", "version"}
        << true << "anim-color-by"
        << "version";
    QTest::newRow("viz --anim-color-by staleness")
        << QStringList{"--headless", "--export-animation", "w.gif", "--anim-color-by=staleness"}
        << true << "anim-color-by"
        << "staleness";
    QTest::newRow("viz --export-animation with --open")
        << QStringList{"--headless", "--open", "r.csv", "--export-animation", "w.gif"} << true
        << "export-animation"
        << "w.gif";
}

void TestOptions::goodFlag() {
    QFETCH(QStringList, args);
    QFETCH(bool, viz);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const Outcome p = parsed(toArgs(args), viz);
    QCOMPARE(QString::fromStdString(p.error), QString());
    QVERIFY(!p.help);
    QCOMPARE(::field(p.options, field), expected);
}

void TestOptions::badFlag_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("viz");
    QTest::addColumn<QString>("message");  // exact, or a fragment when it ends in "..."

    auto row = [](const char* name, QStringList args, const char* message, bool viz = false) {
        QTest::newRow(name) << args << viz << QString(message);
    };
    row("unknown flag", {"--stagse", "4"}, "unknown option '--stagse' (see --help)");
    row("unknown flag with =", {"--stagse=4"}, "unknown option '--stagse' (see --help)");
    row("single dash", {"-s", "4"}, "unexpected argument '-s' (see --help)");
    row("positional junk", {"4"}, "unexpected argument '4' (see --help)");
    row("value-less junk after flag", {"--dry-run", "junk"},
        "unexpected argument 'junk' (see --help)");
    row("bare --", {"--"}, "unexpected argument '--' (see --help)");
    row("empty token", {""}, "unexpected argument '' (see --help)");
    row("viz flag in train", {"--headless"}, "unknown option '--headless' (see --help)");
    row("export in train", {"--export", "d"}, "unknown option '--export' (see --help)");
    row("open in train", {"--open", "run.csv"}, "unknown option '--open' (see --help)");
    row("missing value at end", {"--stages"}, "option '--stages' needs a value (--stages N)");
    // Network flags checked before anything starts.
    row("events port out of range", {"--events", "HOST:70000"},
        "--events: bad port in 'HOST:70000': expected a number from 1 to 65535");
    row("events without port", {"--events", "HOST"},
        "--events: expected HOST:PORT (e.g. 127.0.0.1:29400), got 'HOST'");
    row("events host with control bytes", {"--events", "a\x1b[2Jb:1"},
        "--events expects a host name or address, got 'a\\x1b[2Jb'");
    row("master-addr with a space", {"--master-addr", "a b"},
        "--master-addr expects a host name or address, got 'a b'");
    row("master-addr with a newline", {"--master-addr", "a\nb"},
        "--master-addr expects a host name or address, got 'a\\nb'");
    row("missing value before flag", {"--csv", "--json"},
        "option '--csv' needs a value (--csv FILE)");
    row("empty = value", {"--csv="}, "option '--csv' needs a non-empty value");
    row("value on a switch", {"--dry-run=1"}, "option '--dry-run' takes no value");
    row("duplicate switch", {"--json", "--json"}, "option '--json' given more than once");
    row("duplicate value", {"--stages", "2", "--stages=4"},
        "option '--stages' given more than once");
    row("schedule unknown", {"--schedule", "pipe"}, "unknown schedule 'pipe'...");
    row("schedule case", {"--schedule", "GPipe"}, "unknown schedule 'GPipe'...");
    row("stages junk", {"--stages", "4x"}, "--stages expects an integer, got '4x'");
    row("stages float", {"--stages", "4.0"}, "--stages expects an integer, got '4.0'");
    row("stages plus", {"--stages", "+4"}, "--stages expects an integer, got '+4'");
    row("stages space", {"--stages", " 4"}, "--stages expects an integer, got ' 4'");
    row("stages overflow", {"--stages", "99999999999"},
        "--stages expects an integer, got '99999999999'");
    row("stages zero", {"--stages", "0"}, "stages must be at least 1...");
    row("stages negative", {"--stages", "-2"}, "stages must be at least 1...");
    row("stages too many", {"--stages", "65"}, "stages must be at most...");
    row("microbatches junk", {"--microbatches", "two"},
        "--microbatches expects an integer, got 'two'");
    row("microbatches zero", {"--microbatches", "0"}, "microbatches must be at least 1...");
    row("batches junk", {"--batches", "5b"}, "--batches expects an integer, got '5b'");
    row("batches zero", {"--batches", "0"}, "batches must be at least 1...");
    row("batch-size junk", {"--batch-size", "32k"}, "--batch-size expects an integer, got '32k'");
    row("layers junk", {"--layers", "1e2"}, "--layers expects an integer, got '1e2'");
    row("hidden junk", {"--hidden", "0x10"}, "--hidden expects an integer, got '0x10'");
    row("chunks junk", {"--chunks", "2.5"}, "--chunks expects an integer, got '2.5'");
    row("lr junk", {"--lr", "fast"}, "--lr expects a finite number, got 'fast'");
    row("lr trailing", {"--lr", "0.1x"}, "--lr expects a finite number, got '0.1x'");
    row("lr inf", {"--lr", "inf"}, "--lr expects a finite number, got 'inf'");
    row("lr nan", {"--lr", "nan"}, "--lr expects a finite number, got 'nan'");
    row("lr overflow", {"--lr", "1e999"}, "--lr expects a finite number, got '1e999'");
    row("lr zero", {"--lr", "0"}, "learning rate must be greater than 0 and at most 10000, got 0");
    row("lr negative", {"--lr=-0.5"},
        "learning rate must be greater than 0 and at most 10000, got -0.5");
    // 1e308 is finite, passed, and overflowed the first update.
    row("lr huge", {"--lr", "1e308"},
        "learning rate must be greater than 0 and at most 10000, got 1e+308");
    row("csv and trace one file", {"--csv", "run.out", "--trace", "run.out"},
        "--csv and --trace name the same file 'run.out'; give each its own");
    row("csv and trace both stdout", {"--csv", "-", "--trace", "/dev/stdout"},
        "--csv and --trace name the same file '-'; give each its own");
    row("json and csv on stdout", {"--json", "--csv", "-"},
        "--json and --csv '-' would both write to standard output");
    row("control bytes escaped", {"--schedule", "a\r\x1b[2Jb"},
        "unknown schedule 'a\\r\\x1b[2Jb'...");
    for (const char* flag : {"--csv", "--trace"})
        QTest::newRow(qPrintable(QString("open with ") + flag))
            << QStringList{"--open", "r.csv", flag, "x"} << true
            << QString(
                   "option '%1' cannot be combined with --open (the run is read from the file; "
                   "nothing is "
                   "trained or written)")
                   .arg(flag);
    for (const QStringList& extra : {QStringList{"--json"}, QStringList{"--dry-run"},
                                     QStringList{"--stages", "2"}, QStringList{"--lr", "0.1"}})
        QTest::newRow(qPrintable("open with " + extra[0]))
            << (QStringList{"--headless", "--export", "d", "--open", "r.csv"} + extra) << true
            << QString("option '%1' cannot be combined with --open...").arg(extra[0]);
    row("seed negative", {"--seed", "-1"}, "--seed expects a non-negative integer, got '-1'");
    row("seed overflow", {"--seed", "18446744073709551616"},
        "--seed expects a non-negative integer, got '18446744073709551616'");
    row("device unknown", {"--device", "gpu"}, "unknown device 'gpu' (cpu, cuda or cuda:K)");
    row("device cuda:", {"--device", "cuda:"}, "unknown device 'cuda:' (cpu, cuda or cuda:K)");
    row("device cuda:-1", {"--device", "cuda:-1"},
        "unknown device 'cuda:-1' (cpu, cuda or cuda:K)");
    row("device cuda:x", {"--device", "cuda:x"}, "unknown device 'cuda:x' (cpu, cuda or cuda:K)");
    row("data unknown", {"--data", "cifar"},
        "unknown data source 'cifar' (synthetic, mnist:DIR, fashion-mnist[:DIR] or text[:PATH])");
    row("data text without path", {"--model", "gpt", "--data", "text:"},
        "--data text: needs a file or folder (text:PATH)");
    row("data fashion without dir", {"--data", "fashion-mnist:"},
        "--data fashion-mnist: needs a folder (fashion-mnist:DIR)");
    row("model unknown", {"--model", "resnet"}, "unknown model 'resnet' (mlp, cnn or gpt)");
    row("gpt on images", {"--model", "gpt", "--data", "fashion-mnist"},
        "--model gpt trains on text (--data text or text:PATH)");
    row("mlp on text", {"--data", "text"}, "--data text is text: it needs --model gpt");
    row("cnn layers", {"--model", "cnn", "--layers", "4"},
        "--model cnn has 6 layers (4 convolutions, 2 fully connected): leave out --layers");
    row("gpt heads", {"--model", "gpt", "--heads", "3"}, "--heads 3 must divide --hidden 128");
    row("gpt seq-len", {"--model", "gpt", "--seq-len", "0"},
        "seq-len must be between 1 and 4096, got 0");
    row("gpt too many stages", {"--model", "gpt", "--layers", "1", "--stages", "4"},
        "4 stages need at least 4 layers, got 3 (the embedding, 1 blocks and the head)");
    row("data mnist without dir", {"--data", "mnist:"}, "--data mnist: needs a folder (mnist:DIR)");
    row("data mnist no colon", {"--data", "mnist"},
        "unknown data source 'mnist' (synthetic, mnist:DIR, fashion-mnist[:DIR] or text[:PATH])");
    row("chunks on 1f1b", {"--chunks", "2"},
        "--chunks applies only to --schedule interleaved, looped-bfs and interleaved-zb");
    row("chunks on gpipe", {"--schedule", "gpipe", "--chunks=3"},
        "--chunks applies only to --schedule interleaved, looped-bfs and interleaved-zb");
    row("chunks 3 on zb-v", {"--schedule", "zb-v", "--chunks", "3"},
        "--schedule zb-v has exactly 2 chunks per stage");
    row("chunks 1 on interleaved", {"--schedule", "interleaved", "--chunks", "1"},
        "interleaved needs 2 to...");
    row("no-stash on 1f1b", {"--no-stash"}, "--no-stash applies only to --schedule pipedream");
    row("no-stash on 2bw", {"--schedule", "2bw", "--no-stash"},
        "--no-stash applies only to --schedule pipedream");
    row("vertical-sync on gpipe", {"--schedule", "gpipe", "--vertical-sync"},
        "--vertical-sync applies only to --schedule pipedream");
    row("no-stash with vertical-sync", {"--schedule", "pipedream", "--no-stash", "--vertical-sync"},
        "--vertical-sync and --no-stash cannot be combined (vertical sync needs stashing)");
    row("viz headless without export", {"--headless"},
        "--headless needs --export DIR or --export-animation FILE", true);
    row("viz animation not gif", {"--headless", "--export-animation", "w.mp4"},
        "--export-animation 'w.mp4': use a .gif or .webp file name", true);
    row("viz animation no suffix", {"--headless", "--export-animation", "gif"},
        "--export-animation 'gif': use a .gif or .webp file name", true);
    row("viz animation without headless", {"--export-animation", "w.gif"},
        "--export-animation needs --headless (in the window: File > Export > Animation)", true);
    row("viz anim-width too small",
        {"--headless", "--export-animation", "w.gif", "--anim-width", "63"},
        "--anim-width expects an integer between 64 and 4000, got '63'", true);
    row("viz anim-width too large",
        {"--headless", "--export-animation", "w.gif", "--anim-width", "4001"},
        "--anim-width expects an integer between 64 and 4000, got '4001'", true);
    row("viz anim-fps zero", {"--headless", "--export-animation", "w.gif", "--anim-fps", "0"},
        "--anim-fps expects an integer between 1 and 50, got '0'", true);
    row("viz anim-fps too many", {"--headless", "--export-animation", "w.gif", "--anim-fps", "51"},
        "--anim-fps expects an integer between 1 and 50, got '51'", true);
    row("viz anim-from negative",
        {"--headless", "--export-animation", "w.gif", "--anim-from", "-1"},
        "--anim-from expects a non-negative integer, got '-1'", true);
    row("viz anim-to before anim-from",
        {"--headless", "--export-animation", "w.gif", "--anim-from", "5", "--anim-to", "4"},
        "--anim-to 4 comes before --anim-from 5", true);
    row("viz anim range too long",
        {"--headless", "--export-animation", "w.gif", "--anim-from", "0", "--anim-to", "5000"},
        "--anim-from 0 to --anim-to 5000 is more than 5000 frames", true);
    row("viz anim-base unknown",
        {"--headless", "--export-animation", "w.gif", "--anim-base", "ideal"},
        "--anim-base expects slots or measured, got 'ideal'", true);
    row("viz anim-every-ms zero",
        {"--headless", "--export-animation", "w.gif", "--anim-base", "measured", "--anim-every-ms",
         "0"},
        "--anim-every-ms expects milliseconds above 0 (at most 86400000), got '0'", true);
    row("viz anim-every-ms negative",
        {"--headless", "--export-animation", "w.gif", "--anim-base", "measured", "--anim-every-ms",
         "-5"},
        "--anim-every-ms expects milliseconds above 0 (at most 86400000), got '-5'", true);
    row("viz anim-every-ms not a number",
        {"--headless", "--export-animation", "w.gif", "--anim-base", "measured", "--anim-every-ms",
         "20ms"},
        "--anim-every-ms expects milliseconds above 0 (at most 86400000), got '20ms'", true);
    row("viz anim-every-ms nan",
        {"--headless", "--export-animation", "w.gif", "--anim-base", "measured", "--anim-every-ms",
         "nan"},
        "--anim-every-ms expects milliseconds above 0 (at most 86400000), got 'nan'", true);
    row("viz anim-every-ms without measured base",
        {"--headless", "--export-animation", "w.gif", "--anim-every-ms", "20"},
        "--anim-every-ms steps through measured time: add --anim-base measured", true);
    row("viz anim-color-by unknown",
        {"--headless", "--export-animation", "w.gif", "--anim-color-by", "microbatch"},
        "--anim-color-by expects op, version or staleness, got 'microbatch'", true);
    row("viz anim-color-by without animation",
        {"--headless", "--export", "d", "--anim-color-by", "version"},
        "--anim-width, --anim-fps, --anim-from, --anim-to, --anim-no-caption, --anim-base, "
        "--anim-every-ms and --anim-color-by need --export-animation FILE",
        true);
    row("viz anim-base without animation",
        {"--headless", "--export", "d", "--anim-base", "measured"},
        "--anim-width, --anim-fps, --anim-from, --anim-to, --anim-no-caption, --anim-base, "
        "--anim-every-ms and --anim-color-by need --export-animation FILE",
        true);
    row("viz anim flag without animation", {"--headless", "--export", "d", "--anim-fps", "5"},
        "--anim-width, --anim-fps, --anim-from, --anim-to, --anim-no-caption, --anim-base, "
        "--anim-every-ms and --anim-color-by need --export-animation FILE",
        true);
    row("anim flag in train", {"--anim-fps", "5"}, "unknown option '--anim-fps' (see --help)");
    row("viz export missing value", {"--headless", "--export"},
        "option '--export' needs a value (--export DIR)", true);
}

void TestOptions::badFlag() {
    QFETCH(QStringList, args);
    QFETCH(bool, viz);
    QFETCH(QString, message);
    Outcome p;
    try {
        p = parsed(toArgs(args), viz);
    } catch (...) {
        QFAIL("parseRunOptions threw");
    }
    const QString error = QString::fromStdString(p.error);
    QVERIFY2(!error.isEmpty(), "bad input was accepted");
    QVERIFY2(!error.contains('\n'), qPrintable(error));
    QVERIFY2(!error.startsWith("error"), qPrintable(error));
    if (message.endsWith("..."))
        QVERIFY2(error.startsWith(message.chopped(3)), qPrintable(error));
    else
        QCOMPARE(error, message);
}

void TestOptions::interleavedDefaultChunks_data() {
    QTest::addColumn<QString>("schedule");
    QTest::addColumn<int>("chunks");
    for (ScheduleKind kind : allScheduleKinds())
        QTest::newRow(toString(kind)) << QString(toString(kind)) << chunksFor(kind, 2);
}

void TestOptions::interleavedDefaultChunks() {
    QFETCH(QString, schedule);
    QFETCH(int, chunks);
    // 8 microbatches: dualpipev needs 2 x stages.
    const Outcome p = parsed({"--schedule", schedule.toStdString(), "--microbatches", "8"}, false);
    QCOMPARE(QString::fromStdString(p.error), QString());
    QCOMPARE(p.options.schedule.chunks, chunks);
    QCOMPARE(p.options.schedule.parts(), p.options.schedule.stages * chunks);
}

void TestOptions::crossField_data() {
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

void TestOptions::crossField() {
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
void TestOptions::checkRunOptionsDirect_data() {
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("valid");
    for (const char* c : {"stages0", "chunks-on-1f1b", "lr-nan", "lr-zero", "device", "data",
                          "nostash-1f1b", "layers", "classes"})
        QTest::newRow(c) << QString(c) << false;
    QTest::newRow("unchanged") << QString() << true;
    QTest::newRow("pipedream-nostash") << QString("pipedream-nostash") << true;
}

void TestOptions::checkRunOptionsDirect() {
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

void TestOptions::help_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("viz");
    QTest::newRow("-h") << QStringList{"-h"} << false;
    QTest::newRow("--help") << QStringList{"--help"} << false;
    QTest::newRow("--help viz") << QStringList{"--help"} << true;
    QTest::newRow("help after junk") << QStringList{"--stagse", "x", "--help"} << false;
    QTest::newRow("help with options") << QStringList{"--stages", "2", "-h"} << false;
}

void TestOptions::help() {
    QFETCH(QStringList, args);
    QFETCH(bool, viz);
    const Outcome p = parsed(toArgs(args), viz);
    QVERIFY(p.help);
    QCOMPARE(QString::fromStdString(p.error), QString());
}

void TestOptions::usageListsEveryOptionWithDefaults_data() {
    QTest::addColumn<bool>("viz");
    QTest::newRow("train") << false;
    QTest::newRow("viz") << true;
}

void TestOptions::usageListsEveryOptionWithDefaults() {
    QFETCH(bool, viz);
    const QString text = QString::fromStdString(usage("prog", viz));
    QVERIFY(text.startsWith("Usage: prog"));
    const QStringList flags = {
        "--schedule", "--stages",   "--microbatches",  "--batches", "--batch-size",
        "--layers",   "--hidden",   "--chunks",        "--lr",      "--seed",
        "--device",   "--no-stash", "--vertical-sync", "--dry-run", "--csv",
        "--trace",    "--json",     "--data",          "--help",    "-h"};
    for (const QString& f : flags) QVERIFY2(text.contains(f), qPrintable(f));
    QCOMPARE(text.contains("--headless"), viz);
    QCOMPARE(text.contains("--export"), viz);
    QCOMPARE(text.contains("--open FILE"), viz);
    for (ScheduleKind kind : allScheduleKinds())
        QVERIFY2(text.contains(toString(kind)), toString(kind));
    // Defaults shown are the real ones.
    const RunOptions d = defaultRunOptions();
    auto shows = [&](const QString& v) { return text.contains("[default: " + v + "]"); };
    QVERIFY(shows(toString(d.schedule.kind)));
    QVERIFY(shows(QString::number(d.schedule.stages)));
    QVERIFY(shows(QString::number(d.schedule.batches)));
    QVERIFY(shows(QString::number(d.batchSize)));
    QVERIFY(shows(QString::number(d.layers)));
    QVERIFY(shows(QString::number(d.hidden)));
    QVERIFY(shows(QString::number(d.lr)));
    QVERIFY(shows(QString::number(d.seed)));
    QVERIFY(shows(QString::fromStdString(d.device)));
    QVERIFY(shows(QString::fromStdString(d.data)));
    for (const QString& line : text.split('\n')) QVERIFY2(line.size() <= 80, qPrintable(line));
}

// Random mixes of good and bad tokens: never a throw, and whatever parses
// is valid by checkRunOptions.
void TestOptions::randomArgumentsNeverThrow() {
    const std::vector<std::string> pool = {"--schedule",
                                           "interleaved",
                                           "pipedream",
                                           "gpipe",
                                           "--stages",
                                           "--microbatches",
                                           "--batches",
                                           "--batch-size",
                                           "--layers",
                                           "--hidden",
                                           "--chunks",
                                           "--lr",
                                           "--seed",
                                           "--device",
                                           "--data",
                                           "--no-stash",
                                           "--vertical-sync",
                                           "--dry-run",
                                           "--csv",
                                           "--trace",
                                           "--json",
                                           "--headless",
                                           "--export",
                                           "--open",
                                           "0",
                                           "1",
                                           "2",
                                           "3",
                                           "4",
                                           "8",
                                           "16",
                                           "-1",
                                           "1e9",
                                           "99999999999999999999",
                                           "cuda:0",
                                           "mnist:",
                                           "x",
                                           "",
                                           "--stages=",
                                           "--lr=0.2",
                                           "=",
                                           "--chunks=3",
                                           "--stages=2"};
    std::mt19937 rng(12345);
    int accepted = 0;
    for (int round = 0; round < 5000; ++round) {
        std::vector<std::string> args(rng() % 7);
        for (auto& a : args) a = pool[rng() % pool.size()];
        for (bool viz : {false, true}) {
            Outcome p;
            try {
                p = parsed(args, viz);
            } catch (...) {
                QFAIL("parseRunOptions threw");
            }
            if (p.error.empty() && !p.help) {
                ++accepted;
                QCOMPARE(QString::fromStdString(checked(p.options)), QString());
            } else if (!p.help) {
                QVERIFY(p.error.find('\n') == std::string::npos);
            }
        }
    }
    QVERIFY(accepted > 0);  // the pool does produce valid command lines
}

// --backend and the rank settings: values, ranges and the combinations
// that cannot work (one line each).
void TestOptions::distributedFlags_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");  // empty: valid
    QTest::newRow("gloo") << QStringList{"--backend", "gloo"} << "";
    QTest::newRow("gloo launch") << QStringList{"--backend=gloo", "--launch"} << "";
    QTest::newRow("nccl") << QStringList{"--backend", "nccl"} << "";
    QTest::newRow("threads") << QStringList{"--backend", "threads"} << "";
    QTest::newRow("mpi") << QStringList{"--backend", "mpi"}
                         << "unknown backend 'mpi' (threads, gloo or nccl)";
    QTest::newRow("launch alone") << QStringList{"--launch"}
                                  << "--launch needs --backend gloo or nccl";
    QTest::newRow("rank with threads")
        << QStringList{"--rank", "1"}
        << "--rank, --world-size, --local-rank, --master-addr, --master-port and --events need "
           "--backend gloo or nccl";
    QTest::newRow("launch with rank")
        << QStringList{"--backend", "gloo", "--launch", "--rank", "1"}
        << "--launch starts every rank itself: leave out --rank, --world-size and --local-rank";
    QTest::newRow("launch with events")
        << QStringList{"--backend", "gloo", "--launch", "--events", "h:1"}
        << "--launch meets its ranks on this machine and collects their events itself: leave out "
           "--master-addr, --master-port and --events";
    QTest::newRow("negative rank") << QStringList{"--backend", "gloo", "--rank", "-1"}
                                   << "--rank expects a non-negative integer, got '-1'";
    QTest::newRow("rank x") << QStringList{"--backend", "gloo", "--rank", "x"}
                            << "--rank expects a non-negative integer, got 'x'";
    QTest::newRow("port 0") << QStringList{"--backend", "gloo", "--master-port", "0"}
                            << "--master-port expects a port between 1 and 65535, got '0'";
    QTest::newRow("port 65536") << QStringList{"--backend", "gloo", "--master-port", "65536"}
                                << "--master-port expects a port between 1 and 65535, got '65536'";
    QTest::newRow("timeout 0") << QStringList{"--backend", "gloo", "--timeout", "0"}
                               << "--timeout expects seconds between 1 and 86400, got '0'";
    QTest::newRow("rendezvous timeout")
        << QStringList{"--backend", "gloo", "--rendezvous-timeout", "5"} << "";
    QTest::newRow("dry run") << QStringList{"--backend", "gloo", "--dry-run"}
                             << "--dry-run trains nothing: leave out --backend";
    QTest::newRow("secret file") << QStringList{"--backend", "gloo", "--secret-file", "/x"} << "";
    QTest::newRow("no secret") << QStringList{"--backend", "gloo", "--no-secret"} << "";
    QTest::newRow("launch no secret")
        << QStringList{"--backend", "gloo", "--launch", "--no-secret"} << "";
    QTest::newRow("secret file empty name") << QStringList{"--backend", "gloo", "--secret-file", ""}
                                            << "option '--secret-file' needs a non-empty value";
    QTest::newRow("secret with threads")
        << QStringList{"--no-secret"}
        << "--secret-file and --no-secret are for distributed runs: they need --backend gloo or "
           "nccl";
    QTest::newRow("secret and no secret")
        << QStringList{"--backend", "gloo", "--no-secret", "--secret-file", "/x"}
        << "--no-secret and --secret-file contradict each other: give one of them";
    QTest::newRow("launch with secret file")
        << QStringList{"--backend", "gloo", "--launch", "--secret-file", "/x"}
        << "--launch makes a new run secret for its ranks: leave out --secret-file";
    QTest::newRow("all rank settings") << QStringList{"--backend",     "gloo",
                                                      "--rank",        "2",
                                                      "--world-size",  "4",
                                                      "--local-rank",  "0",
                                                      "--master-addr", "10.0.0.1",
                                                      "--master-port", "29501",
                                                      "--events",      "10.0.0.2:29600"}
                                       << "";
}

void TestOptions::distributedFlags() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Outcome p = parsed(toArgs(args), false);
    QCOMPARE(QString::fromStdString(p.error), message);
    // The window has no rank of its own: it starts processes from its dock.
    if (message.isEmpty() && args.contains("gloo"))
        QVERIFY(!parsed(toArgs(args), true).error.empty());
}

// A rank process is started with toArgs(options): it must train the same run.
void TestOptions::toArgsRoundTrip_data() {
    QTest::addColumn<QStringList>("args");
    QTest::newRow("defaults") << QStringList{};
    QTest::newRow("interleaved") << QStringList{"--schedule", "interleaved", "--chunks",
                                                "3",          "--layers",    "24"};
    QTest::newRow("pipedream ablation") << QStringList{"--schedule", "pipedream", "--no-stash"};
    QTest::newRow("vertical sync") << QStringList{"--schedule", "pipedream", "--vertical-sync"};
    QTest::newRow("odd lr and seed")
        << QStringList{"--lr", "0.0123456789012345", "--seed", "18446744073709551615"};
    QTest::newRow("sizes") << QStringList{"--stages",  "2",  "--microbatches", "8",
                                          "--batches", "7",  "--batch-size",   "64",
                                          "--layers",  "10", "--hidden",       "48"};
    QTest::newRow("gloo") << QStringList{
        "--backend", "gloo", "--timeout", "7", "--rendezvous-timeout", "9", "--data", "mnist:/x"};
    QTest::newRow("zb-v") << QStringList{"--schedule", "zb-v", "--device", "cuda:1"};
    QTest::newRow("split") << QStringList{"--layers", "10", "--split", "2,3,9"};
    QTest::newRow("partition memory")
        << QStringList{"--schedule", "pipedream", "--partition", "memory"};
    QTest::newRow("cnn") << QStringList{"--model", "cnn", "--hidden", "64", "--batch-size", "32"};
    QTest::newRow("gpt") << QStringList{"--model", "gpt",       "--layers", "2",      "--heads",
                                        "2",       "--seq-len", "16",       "--data", "text:/t"};
}

void TestOptions::toArgsRoundTrip() {
    QFETCH(QStringList, args);
    const Outcome a = parsed(toArgs(args), false);
    QVERIFY2(a.error.empty(), a.error.c_str());
    const Outcome b = parsed(pd::toArgs(a.options), false);
    QVERIFY2(b.error.empty(), b.error.c_str());
    QVERIFY(sameOptions(a.options, b.options));
    QCOMPARE(b.options.lr, a.options.lr);  // exactly, not as printed
    QCOMPARE(QString::fromStdString(b.options.backend), QString::fromStdString(a.options.backend));
    QCOMPARE(b.options.timeoutS, a.options.timeoutS);
    QCOMPARE(b.options.rendezvousTimeoutS, a.options.rendezvousTimeoutS);
}

// torchrun's environment fills what the flags leave unset; flags win.
void TestOptions::rankSettingsFromEnvironment_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");   // NAME=VALUE
    QTest::addColumn<QString>("expected");  // rank world local addr port, or the error
    QTest::newRow("torchrun") << QStringList{}
                              << QStringList{"RANK=3", "WORLD_SIZE=4", "LOCAL_RANK=1",
                                             "MASTER_ADDR=nodeA", "MASTER_PORT=29400"}
                              << "3 4 1 nodeA 29400";
    QTest::newRow("flags win") << QStringList{"--rank", "1", "--master-port", "30000"}
                               << QStringList{"RANK=3", "MASTER_PORT=29400"}
                               << "1 4 1 127.0.0.1 30000";
    QTest::newRow("defaults") << QStringList{"--rank", "0"} << QStringList{}
                              << "0 4 0 127.0.0.1 29500";
    QTest::newRow("no rank") << QStringList{} << QStringList{}
                             << "no rank given: set --rank (or RANK, as torchrun does), or use "
                                "--launch";
    QTest::newRow("world mismatch")
        << QStringList{} << QStringList{"RANK=0", "WORLD_SIZE=2"}
        << "world size mismatch: 2 ranks for 4 stages (one rank per stage: --stages 2 or launch "
           "4 ranks)";
    QTest::newRow("rank outside") << QStringList{"--rank", "4"} << QStringList{}
                                  << "rank 4 is outside the world of 4 ranks (0..3)";
    QTest::newRow("bad env") << QStringList{} << QStringList{"RANK=two"}
                             << "environment variable RANK='two' is not a valid value";
    QTest::newRow("bad port env") << QStringList{"--rank", "0"} << QStringList{"MASTER_PORT=0"}
                                  << "environment variable MASTER_PORT='0' is not a valid value";
}

void TestOptions::rankSettingsFromEnvironment() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QString, expected);
    Outcome p = parsed(toArgs(QStringList{"--backend", "gloo"} + args), false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    std::map<std::string, std::string> vars;
    for (const QString& kv : env)
        vars[kv.section('=', 0, 0).toStdString()] = kv.section('=', 1).toStdString();
    const auto error = errorOf([&] {
        resolveRankSettings(p.options, [&](const char* name) {
            auto it = vars.find(name);
            return it == vars.end() ? static_cast<const char*>(nullptr) : it->second.c_str();
        });
    });
    if (error) {
        QCOMPARE(QString::fromStdString(*error), expected);
        return;
    }
    const RunOptions& o = p.options;
    QCOMPARE(QString("%1 %2 %3 %4 %5")
                 .arg(o.rank)
                 .arg(o.worldSize)
                 .arg(o.localRank)
                 .arg(QString::fromStdString(o.masterAddr))
                 .arg(o.masterPort),
             expected);
}

// Where a rank's run secret comes from, and each way that fails (one line).
void TestOptions::runSecretSources_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("env");       // PIPEDREAM_SECRET, "<unset>" for none
    QTest::addColumn<QByteArray>("file");   // written to FILE, named by --secret-file FILE
    QTest::addColumn<QString>("expected");  // "=SECRET" or the error ("FILE": the file's name)
    const QString none = QStringLiteral("<unset>");
    QTest::newRow("environment") << QStringList{} << " s3cret \n" << QByteArray() << "=s3cret";
    QTest::newRow("file") << QStringList{"--secret-file", "FILE"} << none
                          << QByteArray("  abc def \nsecond line\n") << "=abc def";
    QTest::newRow("file wins") << QStringList{"--secret-file", "FILE"} << "env"
                               << QByteArray("from-file") << "=from-file";
    QTest::newRow("no secret") << QStringList{"--no-secret"} << "env" << QByteArray() << "=";
    QTest::newRow("none")
        << QStringList{} << none << QByteArray()
        << "ranks started by hand need a shared run secret: set PIPEDREAM_SECRET (the same on "
           "every rank) or --secret-file FILE; --no-secret accepts events from anyone who can "
           "reach the collector (a trusted network only)";
    QTest::newRow("empty environment")
        << QStringList{} << " " << QByteArray()
        << "the environment variable PIPEDREAM_SECRET is set but empty (it holds the run secret)";
    QTest::newRow("long environment")
        << QStringList{} << QString(1025, 'x') << QByteArray()
        << "the environment variable PIPEDREAM_SECRET is longer than 1024 bytes";
    QTest::newRow("empty file") << QStringList{"--secret-file", "FILE"} << none << QByteArray()
                                << "--secret-file 'FILE' is empty (its first line is the run "
                                   "secret)";
    QTest::newRow("blank first line")
        << QStringList{"--secret-file", "FILE"} << none << QByteArray(" \t\nlater")
        << "--secret-file 'FILE' is empty (its first line is the run secret)";
    QTest::newRow("long line") << QStringList{"--secret-file", "FILE"} << none
                               << QByteArray(2000, 'x')
                               << "--secret-file 'FILE': its first line is longer than 1024 bytes";
    QTest::newRow("missing") << QStringList{"--secret-file", "MISSING"} << none << QByteArray()
                             << "--secret-file 'MISSING' cannot be read (No such file or "
                                "directory)";
    QTest::newRow("directory") << QStringList{"--secret-file", "DIR"} << none << QByteArray()
                               << "--secret-file 'DIR' is not a regular file";
}

void TestOptions::runSecretSources() {
    QFETCH(QStringList, args);
    QFETCH(QString, env);
    QFETCH(QByteArray, file);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("secret");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(file);
    }
    QStringList flags{"--backend", "gloo"};
    for (QString a : args) {
        if (a == "FILE") a = path;
        if (a == "MISSING") a = dir.filePath("missing");
        if (a == "DIR") a = dir.path();
        flags << a;
    }
    const Outcome p = parsed(toArgs(flags), false);
    QVERIFY2(p.error.empty(), p.error.c_str());
    const std::string value = env.toStdString();
    std::string secret = "stale";
    const auto error = errorOf([&] {
        secret = readRunSecret(p.options, [&](const char* name) {
            return std::string(name) == kSecretVariable && env != "<unset>" ? value.c_str()
                                                                            : nullptr;
        });
    });
    QString got = error ? QString::fromStdString(*error) : "=" + QString::fromStdString(secret);
    got.replace(path, "FILE")
        .replace(dir.filePath("missing"), "MISSING")
        .replace(dir.path(), "DIR");
    QCOMPARE(got, expected);
}

QTEST_APPLESS_MAIN(TestOptions)
#include "tst_options.moc"
