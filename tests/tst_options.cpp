// Run options: every flag accepted in both spellings, every bad input
// rejected with one clear line, defaults equal to the tutorial's setup, and
// the help. The rules between options: tst_optionchecks; a distributed
// run's: tst_rankoptions.
#include <QtTest>
#include <random>

#include "engine/config/options.h"
#include "options_test_util.h"

using namespace pd;

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
    void help_data();
    void help();
    void usageListsEveryOptionWithDefaults_data();
    void usageListsEveryOptionWithDefaults();
    void randomArgumentsNeverThrow();
};

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

QTEST_APPLESS_MAIN(TestOptions)
#include "tst_options.moc"
