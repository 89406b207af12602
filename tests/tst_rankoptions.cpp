// A distributed run's options: the rank flags and their combinations, the
// flags every rank must agree on (toArgs), torchrun's environment and the
// run secret's sources.
#include <QtTest>
#include <map>

#include "engine/config/options.h"
#include "engine/distributed/distributed.h"
#include "options_test_util.h"

using namespace pd;

class TestRankOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void distributedFlags_data();
    void distributedFlags();
    void toArgsRoundTrip_data();
    void toArgsRoundTrip();
    void rankSettingsFromEnvironment_data();
    void rankSettingsFromEnvironment();
    void runSecretSources_data();
    void runSecretSources();
};

// --backend and the rank settings: values, ranges and the combinations
// that cannot work (one line each).
void TestRankOptions::distributedFlags_data() {
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

void TestRankOptions::distributedFlags() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Outcome p = parsed(toArgs(args), false);
    QCOMPARE(QString::fromStdString(p.error), message);
    // The window has no rank of its own: it starts processes from its dock.
    if (message.isEmpty() && args.contains("gloo"))
        QVERIFY(!parsed(toArgs(args), true).error.empty());
}

// A rank process is started with toArgs(options): it must train the same run.
void TestRankOptions::toArgsRoundTrip_data() {
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

void TestRankOptions::toArgsRoundTrip() {
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
void TestRankOptions::rankSettingsFromEnvironment_data() {
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

void TestRankOptions::rankSettingsFromEnvironment() {
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
void TestRankOptions::runSecretSources_data() {
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

void TestRankOptions::runSecretSources() {
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

QTEST_APPLESS_MAIN(TestRankOptions)
#include "tst_rankoptions.moc"
