// pipedream-train's command line: bad input exits 2 with one "error:" line;
// --dry-run prints the schedule and the analytic figures; training, its
// outputs, signals and epochs. pipedream-viz's: tst_vizcli.
#include "cli_test_util.h"

using namespace pd;
using namespace pd::clitest;

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void badInputExitsTwo_data() {
        QTest::addColumn<QString>("exe");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        for (const QString& exe : {kTrain, kViz}) {
            const QString tag = QFileInfo(exe).fileName();
            auto row = [&](const char* name, const QStringList& args, const QString& mentions) {
                QTest::addRow("%s %s", qPrintable(tag), name) << exe << args << mentions;
            };
            row("zero stages", {"--stages", "0"}, "stages");
            row("too many stages", {"--stages", "65"}, "stages");
            row("not a number", {"--stages", "four"}, "--stages");
            row("trailing junk", {"--microbatches", "4x"}, "--microbatches");
            row("missing value", {"--stages"}, "--stages");
            row("unknown flag", {"--stagse", "4"}, "--stagse");
            row("unknown schedule", {"--schedule", "pipedream-flush"}, "pipedream-flush");
            row("interleaved rounds",
                {"--schedule", "interleaved", "--stages", "4", "--microbatches", "9",
                 "--batch-size", "36"},
                "rounds");
            row("dualpipev M<2S",
                {"--schedule", "dualpipev", "--stages", "4", "--microbatches", "4"}, "2 x stages");
            row("zb-v chunks 3", {"--schedule", "zb-v", "--chunks", "3"}, "exactly 2 chunks");
            row("batch not divisible", {"--microbatches", "5"}, "5");
            row("stages > layers", {"--stages", "8", "--layers", "4"}, "layers");
            row("absurd microbatches", {"--microbatches", "100000", "--batch-size", "100000"},
                "microbatches");
            row("negative lr", {"--lr", "-1"}, "learning rate");
            row("chunks on 1f1b", {"--chunks", "3"}, "chunks");
            row("no-stash on gpipe", {"--schedule", "gpipe", "--no-stash"}, "pipedream");
            row("lr out of range", {"--lr", "1e308"}, "at most 10000");
            row("csv and trace one file", {"--csv", "same.out", "--trace", "same.out"},
                "the same file");
            row("epochs zero", {"--epochs", "0"}, "--epochs expects a positive integer");
            row("unknown optimizer", {"--optimizer", "rmsprop"}, "sgd, momentum or adam");
            row("epochs of synthetic data", {"--epochs", "2", "--batches", "3"}, "finite size");
        }
        QTest::addRow("train dry run epochs without batches")
            << kTrain << QStringList{"--model", "cnn", "--epochs", "2"}
            << "give --batches with --epochs";
        QTest::addRow("viz model too large for memory")
            << kViz << QStringList{"--headless", "--export", "unused", "--hidden",
                                   "65536",      "--layers", "4096"}
            << "of memory is available";
        QTest::addRow("viz open with csv")
            << kViz << QStringList{"--open", "r.csv", "--csv", "x.csv"}
            << "cannot be combined with --open";
        // --csv / --trace are written when the run ends: a folder that is not
        // there is said before anything runs (window or headless).
        const QString noFolder = QDir::temp().filePath("pd-no-such-folder/run.csv");
        QTest::addRow("viz csv into a missing folder")
            << kViz << QStringList{"--csv", noFolder} << "does not exist";
        QTest::addRow("viz headless trace into a missing folder")
            << kViz
            << QStringList{"--headless", "--export", QDir::temp().filePath("pd-unused"), "--trace",
                           noFolder}
            << "does not exist";
        QTest::addRow("viz headless without export")
            << kViz << QStringList{"--headless"} << "--export";
        const QString missing = QDir::temp().filePath("pd-no-such-run.csv");
        QTest::addRow("viz headless open missing file")
            << kViz
            << QStringList{"--headless", "--open", missing, "--export",
                           QDir::temp().filePath("pd-unused")}
            << "Cannot open pd-no-such-run.csv: ";
    }

    void badInputExitsTwo() {
        QFETCH(QString, exe);
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        args << "--dry-run";
        if (exe == kViz) args.removeAll("--dry-run");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        const Result r = run(exe, args, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith("error: "), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);  // one line
        QVERIFY2(r.err.contains(mentions), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void dryRunShowsBubble() {
        const Result r = run(
            kTrain, {"--dry-run", "--schedule", "1f1b", "--stages", "4", "--microbatches", "8"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("(S-1)/(M+S-1) = 3/11 = 0.2727"), qPrintable(r.out));
        QVERIFY(r.out.contains("simulated 0.2727"));
        QVERIFY(r.out.contains("GPU0 (L1-12)"));
        QVERIFY(r.out.contains("GPU3 (L37-48)"));
        // Grid: stage 3 runs microbatch 0's forward at t3 and its backward right after.
        const QStringList lines = r.out.split('\n');
        const auto row = [&](int t) {
            for (const QString& l : lines)
                if (l.startsWith(QString("t%1 ").arg(t))) return l.split('|');
            return QStringList();
        };
        QCOMPARE(row(3).value(4).trimmed(), QString("F b0:mb0 v0"));
        QCOMPARE(row(4).value(4).trimmed(), QString("B b0:mb0 v0"));
        QCOMPARE(row(0).value(2).trimmed(), QString("idle"));
    }

    // Every kind's dry run prints its grid and its figures.
    void dryRunEveryKind_data() {
        QTest::addColumn<QString>("schedule");
        for (pd::ScheduleKind k : pd::allScheduleKinds())
            QTest::newRow(pd::toString(k)) << QString(pd::toString(k));
    }

    void dryRunEveryKind() {
        QFETCH(QString, schedule);
        const Result r = run(
            kTrain, {"--dry-run", "--schedule", schedule, "--stages", "4", "--microbatches", "8"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Schedule: " + schedule + " - "), qPrintable(r.out.left(400)));
        QVERIFY(r.out.startsWith("Time "));
        QVERIFY(r.out.contains(QRegularExpression("\\nt0 +\\| F b0:mb0")));
        QVERIFY(r.out.contains("Bubble fraction (idle / (S x makespan)): simulated"));
        QVERIFY(r.out.contains(QRegularExpression("\\nGPU3 [^\\n]*%")));
    }

    void dryRunDefaultIsTutorialConfig() {
        const Result r = run(kTrain, {"--dry-run"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("Stages 4, microbatches 4, batches 5"),
                 qPrintable(r.out.left(2000)));
        QVERIFY(r.out.contains("48 layers, batch size 32 (8 per microbatch)"));
        QVERIFY(r.out.contains("3/7 = 0.4286"));
    }

    void dryRunJson() {
        const Result r = run(kTrain, {"--dry-run", "--json", "--schedule", "pipedream", "--stages",
                                      "4", "--microbatches", "4", "--batches", "3"});
        QCOMPARE(r.exitCode, 0);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
        QVERIFY2(!doc.isNull(), qPrintable(error.errorString()));
        const QJsonObject o = doc.object();
        QCOMPARE(o["schedule"].toString(), QString("pipedream"));
        QCOMPARE(o["stages"].toInt(), 4);
        const QJsonObject bubble = o["bubble_fraction"].toObject();
        QCOMPARE(bubble["simulated"].toDouble(), 3.0 / 15.0);
        QCOMPARE(bubble["closed_form"].toDouble(), 3.0 / 15.0);
        const QJsonArray stages = o["stage_figures"].toArray();
        QCOMPARE(stages.size(), 4);
        QCOMPARE(stages[0].toObject()["versions_held"].toInt(), 4);  // S-s stashed
        QCOMPARE(stages[3].toObject()["versions_held"].toInt(), 1);
        const QJsonArray timeline = o["timeline"].toArray();
        QCOMPARE(timeline.size(), 4 * 12 * 3);  // F, B, U per microbatch per stage
    }

    // A cut other than the equal one: the dry run says what it does by the
    // layers' estimated costs, in text and JSON; lopsided costs more.
    void dryRunShowsTheCut() {
        const Result r = run(kTrain, {"--dry-run", "--split", "4,25,37"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("GPU0 (L1-3)") && r.out.contains("GPU1 (L4-24)"),
                 qPrintable(r.out.right(1500)));
        QVERIFY2(r.out.contains("Cut (--split 4,25,37)"), qPrintable(r.out.right(1500)));
        const Result j = run(kTrain, {"--dry-run", "--json", "--split", "4,25,37"});
        QCOMPARE(j.exitCode, 0);
        const QJsonObject p =
            QJsonDocument::fromJson(j.out.toUtf8()).object()["partition"].toObject();
        QCOMPARE(p["boundaries"].toArray().size(), 3);
        QCOMPARE(p["units"].toString(), QString("relative"));
        QCOMPARE(p["cost_source"].toString(), QString("estimated from the shapes"));
        const QJsonArray busy = p["predicted_stage"].toArray();
        QCOMPARE(busy.size(), 4);
        QVERIFY(busy[1].toDouble() > 3 * busy[0].toDouble());  // 21 layers against 3
        QVERIFY(p["predicted_vs_equal_cut"].toDouble() > 1.1);
        // The equal cut prints no such section; time chooses the equal cut.
        const Result equal = run(kTrain, {"--dry-run", "--partition", "time"});
        QCOMPARE(equal.exitCode, 0);
        QVERIFY(!equal.out.contains("Cut (--split"));
        QVERIFY(equal.out.contains("GPU0 (L1-12)"));
    }

#ifdef PD_HAVE_ENGINE
    // --profile-out measures the layers (with --dry-run, without training);
    // --profile-in predicts from them in milliseconds; a run with
    // --partition puts its measurement beside the prediction.
    void profileMeasuresAndPredicts() {
        QTemporaryDir dir;
        const QString profile = dir.filePath("profile.json");
        const QStringList small = {"--layers",     "6",  "--hidden",  "64", "--stages", "2",
                                   "--batch-size", "16", "--batches", "2"};
        Result r = run(kTrain, QStringList{"--dry-run", "--profile-out", profile} + small);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Layer profile (measured: cpu"), qPrintable(r.out.left(800)));
        QVERIFY(r.out.contains("Profiled 6 layers in"));
        QFile f(profile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject p = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(p["format"].toString(), QString("pipedream-profile"));
        QCOMPARE(p["layers"].toArray().size(), 6);
        QVERIFY(p["layers"].toArray()[0].toObject()["forward_ms"].toDouble() > 0);

        r = run(kTrain,
                QStringList{"--dry-run", "--json", "--partition", "time", "--profile-in", profile} +
                    small);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject dry =
            QJsonDocument::fromJson(r.out.toUtf8()).object()["partition"].toObject();
        QCOMPARE(dry["units"].toString(), QString("ms"));
        QCOMPARE(dry["method"].toString(), QString("time"));
        QVERIFY(dry["predicted_makespan_ms"].toDouble() > 0);
        QCOMPARE(dry["predicted_stage_ms"].toArray().size(), 2);

        r = run(kTrain, QStringList{"--json", "--partition", "time"} + small);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject trained =
            QJsonDocument::fromJson(r.out.toUtf8()).object()["partition"].toObject();
        QCOMPARE(trained["cost_source"].toString(), QString("measured at the start"));
        QCOMPARE(trained["measured_stage_ms"].toArray().size(), 2);
        QVERIFY(trained["measured_makespan_ms"].toDouble() > 0);
        QVERIFY(trained.contains("makespan_error"));

        r = run(kTrain, QStringList{"--partition", "time"} + small);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Cut predicted (measured at the start) against measured:"),
                 qPrintable(r.out.right(1200)));
        // A profile of another shape is refused before anything runs.
        r = run(kTrain, {"--dry-run", "--profile-in", profile});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--profile-in the profile is of \"mlp 6 layers, hidden 64"),
                 qPrintable(r.err));
    }
#endif

    void dryRunWritesCsvAndTrace() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("ideal.csv"), trace = dir.filePath("trace.json");
        const Result r =
            run(kTrain, {"--dry-run", "--schedule", "gpipe", "--stages", "2", "--microbatches", "2",
                         "--batches", "1", "--csv", csv, "--trace", trace});
        QCOMPARE(r.exitCode, 0);
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList rows = QString::fromUtf8(f.readAll()).trimmed().split('\n');
        QVERIFY(rows[0].startsWith("batch,stage,microbatch,op,chunk,version,start_us,end_us"));
        QCOMPARE(rows.size(), 1 + 2 * 5);  // 2 F, 2 B, 1 U per stage
        QFile t(trace);
        QVERIFY(t.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(t.readAll()).object().contains("traceEvents"));
    }

    void unwritableOutputExitsOne() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("missing/folder/ideal.csv");
        const Result r = run(kTrain, {"--dry-run", "--csv", csv});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: "), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(csv));
        QCOMPARE(QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size(), 0);
    }

    // The schedule alone of this configuration (in the
    // documented limits) does not fit in a 3 GiB address space: refused
    // before anything is built, with what it needs and what there is.
    void tooLargeForMemoryExitsTwo() {
        QProcess p;
        p.setChildProcessModifier([] {
            rlimit limit{std::uint64_t{3} << 30, std::uint64_t{3} << 30};
            ::setrlimit(RLIMIT_AS, &limit);
        });
        p.start(kTrain, {"--dry-run", "--stages", "64", "--microbatches", "4096", "--batch-size",
                         "4096", "--layers", "64", "--batches", "190"});
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.startsWith("error: this dry run needs about ") &&
                     err.contains("of memory is available"),
                 qPrintable(err));
        QCOMPARE(err.trimmed().count('\n'), 0);
        const Result weights = run(kTrain, {"--hidden", "65536", "--layers", "4096"});
        QCOMPARE(weights.exitCode, 2);
        QVERIFY2(
            weights.err.startsWith("error: this run needs about ") && weights.err.contains("TiB"),
            qPrintable(weights.err));
    }

    // "--csv -" pipes the CSV; the report stays off stdout.
    void dryRunCsvToStdout() {
        const Result r = run(kTrain, {"--dry-run", "--schedule", "gpipe", "--stages", "2",
                                      "--microbatches", "2", "--batches", "1", "--csv", "-"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("batch,stage,microbatch,op,chunk,version,start_us,end_us"),
                 qPrintable(r.out));
        QCOMPARE(r.out.trimmed().split('\n').size(), 1 + 2 * 5);
    }

#ifdef PD_HAVE_ENGINE
    // A small real run: the tutorial-style log, the results table and the
    // measured figures; --json and --csv carry the same run.
    void trainingRunPrintsLogAndResults_data() {
        QTest::addColumn<QString>("schedule");
        for (const char* k : {"gpipe", "1f1b", "pipedream", "2bw", "zb-h1", "zb-v", "dualpipev"})
            QTest::newRow(k) << k;
    }

    void trainingRunPrintsLogAndResults() {
        QFETCH(QString, schedule);
        const auto kind = pd::parseScheduleKind(schedule.toStdString());
        QVERIFY(kind);
        const bool vShape = pd::isVShapeKind(*kind);  // two chunks: L1, L4 and L2, L3
        const QStringList small{
            "--schedule",   schedule, "--stages", "2", "--microbatches", vShape ? "4" : "2",
            "--batches",    "3",      "--layers", "4", "--hidden",       "16",
            "--batch-size", "8"};
        const Result r = run(kTrain, small);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("BATCH 3/3"), qPrintable(r.out));
        QVERIFY(r.out.contains("WEIGHT UPDATE PHASE"));
        QVERIFY(r.out.contains("| Batch | Loss"));
        QVERIFY(r.out.contains("Bubble fraction"));
        QVERIFY(r.out.contains("samples/s"));
        QVERIFY2(r.out.contains(vShape ? "GPU1 (L2, L3)" : "GPU1 (L3-4)"), qPrintable(r.out));

        QTemporaryDir dir;
        const QString csv = dir.filePath("run.csv");
        const Result j = run(kTrain, small + QStringList{"--json", "--csv", csv});
        QVERIFY2(j.exitCode == 0, qPrintable(j.err));
        const QJsonObject o = QJsonDocument::fromJson(j.out.toUtf8()).object();
        QCOMPARE(o["schedule"].toString(), schedule);
        QCOMPARE(o["batch_results"].toArray().size(), 3);
        QCOMPARE(o["stage_figures"].toArray().size(), 2);
        const double loss = o["batch_results"].toArray()[0].toObject()["loss"].toDouble();
        QVERIFY2(loss > 1.5 && loss < 3.5,
                 qPrintable(QString::number(loss)));  // about ln(10) at first
        const double bubble = o["bubble_fraction"].toObject()["measured"].toDouble();
        QVERIFY(bubble >= 0.0 && bubble < 1.0);
        // Mean op times only for the ops this schedule ran.
        const QJsonObject costs = o["mean_op_us"].toObject();
        const bool split = pd::usesSplitBackward(*kind);
        QVERIFY(costs["f_us"].toDouble() > 0);
        QCOMPARE(costs.contains("b_us"), !split || *kind == pd::ScheduleKind::DualPipeV);
        QCOMPARE(costs.contains("i_us"), split);
        QCOMPARE(costs.contains("w_us"), split);
        QVERIFY(costs[split ? "w_us" : "b_us"].toDouble() > 0);
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList rows = QString::fromUtf8(f.readAll()).trimmed().split('\n');
        QCOMPARE(rows.size() - 1, o["slots"].toInt());
        QVERIFY(rows[0].startsWith("batch,stage,microbatch,op,chunk,version,start_us,end_us"));
    }
#endif

#ifdef PD_HAVE_ENGINE
    // scripts/check-run.py, which scripts/gpu-check.sh runs on a GPU machine,
    // passes a consistent run (CPU against CPU here) and fails one whose
    // events break a dependency or whose losses differ.
    void checkRunScript_data() {
        QTest::addColumn<QString>("schedule");
        for (const char* k : {"1f1b", "pipedream", "interleaved", "zb-h1"}) QTest::newRow(k) << k;
    }

    void checkRunScript() {
        QFETCH(QString, schedule);
        const QString python = QStandardPaths::findExecutable("python3");
        if (python.isEmpty()) QSKIP("no python3");
        QTemporaryDir dir;
        QStringList args{"--schedule",   schedule, "--stages", "2", "--microbatches", "4",
                         "--batches",    "2",      "--layers", "4", "--hidden",       "16",
                         "--batch-size", "8",      "--json"};
        if (schedule == "interleaved")
            args << "--chunks"
                 << "2";
        const QString csv = dir.filePath("run.csv"), json = dir.filePath("run.json");
        const Result r = run(kTrain, args + QStringList{"--csv", csv});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto write = [](const QString& path, const QByteArray& bytes) {
            QFile f(path);
            return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
        };
        QVERIFY(write(json, r.out.toUtf8()));
        const QString script = QStringLiteral(PD_CHECK_RUN_SCRIPT);
        const Result ok = run(python, {script, json, json, csv});
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.out + ok.err));
        QVERIFY2(ok.out.contains(": ok"), qPrintable(ok.out));

        // Stage 1's first forward moved to time 0: before stage 0's ended.
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QStringList rows = QString::fromUtf8(f.readAll()).trimmed().split('\n');
        f.close();
        bool moved = false;
        for (QString& row : rows) {
            QStringList c = row.split(',');
            if (c.size() >= 8 && c[0] == "0" && c[1] == "1" && c[2] == "0" && c[3] == "F" &&
                c[4] == "0") {
                c[6] = "0";
                row = c.join(',');
                moved = true;
                break;
            }
        }
        QVERIFY(moved);
        const QString bad = dir.filePath("bad.csv");
        QVERIFY(write(bad, rows.join('\n').toUtf8() + '\n'));
        const Result broken = run(python, {script, json, json, bad});
        QCOMPARE(broken.exitCode, 1);
        QVERIFY2(broken.out.contains("starts before"), qPrintable(broken.out));

        // A different loss in the reference.
        QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QJsonArray batches = o["batch_results"].toArray();
        QJsonObject first = batches[0].toObject();
        first["loss"] = first["loss"].toDouble() + 0.5;
        batches[0] = first;
        o["batch_results"] = batches;
        const QString other = dir.filePath("other.json");
        QVERIFY(write(other, QJsonDocument(o).toJson()));
        const Result differs = run(python, {script, other, json, csv});
        QCOMPARE(differs.exitCode, 1);
        QVERIFY2(differs.out.contains("batch 0: loss"), qPrintable(differs.out));
    }
#endif

#ifdef PD_HAVE_ENGINE
    // Training would take its time: an output folder that cannot be written
    // is reported before, not after it.
    void trainingChecksOutputsFirst() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("missing/run.csv");
        const Result r =
            run(kTrain, {"--csv", csv, "--batches", "2", "--layers", "4", "--hidden", "16"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: cannot write"), qPrintable(r.err));
        QVERIFY2(!r.out.contains("BATCH"), qPrintable(r.out));
        QVERIFY(!QFileInfo::exists(csv));
    }
#endif

#ifdef PD_HAVE_ENGINE
    // A --csv that is a folder is reported before training.
    void csvFolderIsReportedFirst() {
        QTemporaryDir dir;
        const Result r =
            run(kTrain, {"--csv", dir.path(), "--batches", "2", "--layers", "4", "--hidden", "16"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: cannot write '" + dir.path() + "': Is a directory"),
                 qPrintable(r.err));
        QVERIFY2(!r.out.contains("BATCH"), qPrintable(r.out));
    }

    // SIGTERM and SIGHUP cancel like SIGINT; the partial
    // run is written and marked.
    void terminationSignalsCancelCleanly_data() {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGHUP") << int(SIGHUP);
        QTest::newRow("SIGINT") << int(SIGINT);
    }

    void terminationSignalsCancelCleanly() {
        QFETCH(int, signal);
        QTemporaryDir dir;
        const QString csv = dir.filePath("run.csv"), trace = dir.filePath("run.json");
        const Result r = interruptedRun({"--batches", "100000", "--layers", "4", "--hidden", "16",
                                         "--csv", csv, "--trace", trace},
                                        signal);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("interrupted by SIG"), qPrintable(r.err));
        QVERIFY2(r.err.contains("error: the run was cancelled after"), qPrintable(r.err));
        QVERIFY(csvRows(csv) > 0);
        const QJsonObject o = readJson(trace);
        QCOMPARE(o["otherData"].toObject()["run_status"].toString(), QString("cancelled"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(),
                 2);  // no temporaries
    }

    // A run that fails (NaN loss) writes what it recorded,
    // marked failed, and its --json summary.
    void failedRunWritesItsOutput() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("n.csv"), trace = dir.filePath("n.json");
        const Result r = run(kTrain, {"--lr", "100", "--csv", csv, "--trace", trace, "--json"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: "), qPrintable(r.err));
        const QJsonObject summary = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(summary["status"].toString(), QString("failed"));
        QVERIFY2(!summary["error"].toString().isEmpty(), qPrintable(r.out));
        QVERIFY(r.err.contains(summary["error"].toString()));
        QVERIFY(csvRows(csv) > 0);
        QCOMPARE(csvRows(csv), summary["slots"].toInt());
        const QJsonObject other = readJson(trace)["otherData"].toObject();
        QCOMPARE(other["run_status"].toString(), QString("failed"));
        QCOMPARE(other["run_error"].toString(), summary["error"].toString());
    }
#endif

    // Start-up: --help and --dry-run never train, so pipedream-train
    // does not link LibTorch; it loads the engine module only to train.
    void trainStartsWithoutLibTorch() {
        QProcess ldd;
        ldd.start("ldd", {kTrain});
        if (!ldd.waitForFinished(30000) || ldd.exitCode() != 0) QSKIP("ldd not available");
        const QString libs = QString::fromUtf8(ldd.readAllStandardOutput());
        QVERIFY2(!libs.contains("libtorch") && !libs.contains("libc10"), qPrintable(libs));
#ifdef PD_HAVE_ENGINE
        QVERIFY(QFileInfo::exists(QFileInfo(kTrain).dir().filePath("pipedream-train-engine.so")));
#endif
    }

    // A cnn run on tiny IDX files with epochs: the log prints each held-out
    // evaluation after its batch; --json has them and what the data holds.
    void epochsAndEvaluations() {
        pd::test::Data d;
        const QStringList args = {
            "--model",      "cnn", "--data",      QString::fromStdString(d.images()),
            "--stages",     "2",   "--hidden",    "16",
            "--batch-size", "32",  "--epochs",    "2",
            "--eval-every", "3",   "--optimizer", "adam"};
        const Result log = run(kTrain, args);
        QVERIFY2(log.exitCode == 0, qPrintable(log.err));
        QVERIFY2(log.out.contains("Epochs: 2, each in its own seeded order (16 batches in all)"),
                 qPrintable(log.out.left(800)));
        QVERIFY(log.out.contains("optimizer Adam (0.9, 0.999), lr 0.001"));
        // After batch 3's block, before batch 4's.
        const int held = log.out.indexOf("HELD-OUT after batch 3 (epoch 1): loss ");
        QVERIFY(held > log.out.indexOf("BATCH 3/16") && held < log.out.indexOf("BATCH 4/16"));
        QCOMPARE(log.out.count("HELD-OUT after batch"), 7);  // 3 6 8 9 12 15 16

        const Result json = run(kTrain, args + QStringList{"--json"});
        QVERIFY2(json.exitCode == 0, qPrintable(json.err));
        const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).object();
        const QJsonObject data = o["data"].toObject();
        QCOMPARE(data["name"].toString(), QString("mnist"));
        QCOMPARE(data["train_samples"].toInt(), 256);
        QCOMPARE(data["heldout_samples"].toInt(), 64);
        QVERIFY(data["unigram_loss"].isNull());
        const QJsonArray evals = o["evaluations"].toArray();
        QList<int> batches, epochs;
        for (const QJsonValue& v : evals) {
            const QJsonObject e = v.toObject();
            batches << e["batch"].toInt();
            epochs << e["epoch"].toInt();
            QVERIFY(e["accuracy"].toDouble() >= 0.0 && e["accuracy"].toDouble() <= 1.0);
            QVERIFY(e["train_seconds"].toDouble() > 0.0);
            QVERIFY(e["loss"].toDouble() > 0.0);
        }
        QCOMPARE(batches, (QList<int>{3, 6, 8, 9, 12, 15, 16}));
        QCOMPARE(epochs, (QList<int>{1, 1, 1, 2, 2, 2, 2}));
        QCOMPARE(o["batches"].toInt(), 16);
    }

    void helpExitsZero() {
        for (const QString& exe : {kTrain, kViz}) {
            const Result r = run(exe, {"--help"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY(r.out.contains("--schedule"));
            QVERIFY(r.out.contains("--microbatches"));
        }
        // pipedream-viz says when --csv and --trace are written, and when not.
        const QString viz = run(kViz, {"--help"}).out;
        QVERIFY2(viz.contains("--csv and --trace write the run the command line configures"),
                 qPrintable(viz));
        QVERIFY2(viz.contains("writes nothing"), qPrintable(viz));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
