// Export: every format gives a valid file of the asked size, the headless
// export writes every figure, and a failed write leaves no partial file.
#include <sys/resource.h>

#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QProcess>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <cstring>

#include "ui/export/exporter.h"
#include "ui/export/figures.h"
#include "ui/model/runmodel.h"
#include "ui/views/charts.h"
#include "ui/views/timelineplot.h"

using namespace pd;

namespace {

RunOptions small() {
    RunOptions o = defaultRunOptions();
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = 2;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    return o;
}

// The model outlives the views that draw it: one for the whole test.
RunModel& sharedModel() {
    static RunModel model;
    return model;
}

void loadSmall(TimelineView& view) {
    RunResult run;
    QString error;
    QVERIFY2(prepareRun(small(), run, &error), qPrintable(error));
    loadTimeline(&view, sharedModel(), run);
}

// A full disk, simulated for this process with a file size limit: writes
// beyond `bytes` fail with EFBIG ("File too large") instead of ENOSPC.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = saved_;
        small.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &small);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_);
    }

private:
    rlimit saved_{};
    void (*previous_)(int) = nullptr;
};

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

}  // namespace

class TestExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void formatFromSuffix_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("format");
        QTest::addRow("png") << "a/b.png" << int(ImageFormat::Png);
        QTest::addRow("upper") << "B.PNG" << int(ImageFormat::Png);
        QTest::addRow("svg") << "x.svg" << int(ImageFormat::Svg);
        QTest::addRow("pdf") << "x.pdf" << int(ImageFormat::Pdf);
        QTest::addRow("other") << "x.jpg" << int(ImageFormat::Unknown);
        QTest::addRow("none") << "x" << int(ImageFormat::Unknown);
    }
    void formatFromSuffix() {
        QFETCH(QString, path);
        QFETCH(int, format);
        QCOMPARE(int(pd::formatFromSuffix(path)), format);
    }

    void eachFormatIsValid_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QSize>("size");
        QTest::addRow("png 800x300") << "t.png" << QSize(800, 300);
        QTest::addRow("png 1234x567") << "t2.png" << QSize(1234, 567);
        QTest::addRow("svg") << "t.svg" << QSize(900, 400);
        QTest::addRow("pdf") << "t.pdf" << QSize(900, 400);
    }
    void eachFormatIsValid() {
        QFETCH(QString, name);
        QFETCH(QSize, size);
        QTemporaryDir dir;
        TimelineView view;
        loadSmall(view);
        const QString path = dir.filePath(name);
        QString error;
        QVERIFY2(exportPlot(&view, path, size, &error), qPrintable(error));
        switch (pd::formatFromSuffix(path)) {
            case ImageFormat::Png: {
                QImageReader reader(path);
                const QImage img = reader.read();
                QVERIFY2(!img.isNull(), qPrintable(reader.errorString()));
                QCOMPARE(img.size(), size);
                break;
            }
            case ImageFormat::Svg: {
                QSvgRenderer svg(path);
                QVERIFY(svg.isValid());
                QCOMPARE(svg.viewBox(), QRect(QPoint(0, 0), size));
                QVERIFY(head(path, 200).contains("<svg") || QFile(path).size() > 1000);
                break;
            }
            case ImageFormat::Pdf:
                QCOMPARE(head(path, 4), QByteArray("%PDF"));
                QVERIFY(QFile(path).size() > 1000);
                break;
            case ImageFormat::Unknown:
                QFAIL("unexpected");
        }
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1);  // no temporary left over
    }

    void chartsExport() {
        QTemporaryDir dir;
        GroupedBarChart chart;
        chart.setData({"a", "b"}, {{"s", Qt::blue, {0.25, 0.5}}});
        const QString path = dir.filePath("c.png");
        QString error;
        QVERIFY2(exportStacked({&chart, &chart}, path, QSize(400, 200), &error), qPrintable(error));
        QCOMPARE(QImage(path).size(), QSize(400, 400));
    }

    void badRequestsFailCleanly() {
        QTemporaryDir dir;
        TimelineView view;
        loadSmall(view);
        QString error;
        QVERIFY(!exportPlot(&view, dir.filePath("x.jpg"), QSize(100, 100), &error));
        QVERIFY(error.contains("unknown image format"));
        QVERIFY(!exportPlot(&view, dir.filePath("x.png"), QSize(0, 100), &error));
        QVERIFY(!exportPlot(&view, dir.filePath("missing/x.png"), QSize(100, 100), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(
            QDir(dir.path()).entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
    }

    // On a full disk an export fails, keeps the previous
    // file and names the cause; for every format and for text.
    void fullDiskKeepsThePreviousFile_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"t.svg", "t.png", "t.pdf", "t.csv"}) QTest::newRow(n) << n;
    }
    void fullDiskKeepsThePreviousFile() {
        QFETCH(QString, name);
        QTemporaryDir dir;
        const QString path = dir.filePath(name);
        TimelineView view;
        loadSmall(view);
        QString error;
        const bool text = name.endsWith(".csv");
        const QByteArray big(1 << 20, 'x');
        QVERIFY(text ? writeFileSafely(path, big, &error)
                     : exportPlot(&view, path, QSize(1600, 1200), &error));
        const QByteArray before = head(path, 1 << 24);
        QVERIFY(before.size() > 4096);
        bool ok = true;
        {
            FileSizeLimit limit(2048);
            ok = text ? writeFileSafely(path, big + "more", &error)
                      : exportPlot(&view, path, QSize(1600, 1300), &error);
        }
        QVERIFY2(!ok, "reported as written");
        QVERIFY2(error.contains(QString::fromLocal8Bit(std::strerror(EFBIG))), qPrintable(error));
        QCOMPARE(head(path, 1 << 24), before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{name});
    }

    void failedWriteLeavesNoPartialFile() {
        QTemporaryDir dir;
        // The target is a folder: the data is written to a temporary file, the
        // final rename fails, and nothing is left behind.
        QVERIFY(QDir(dir.path()).mkdir("taken.png"));
        TimelineView view;
        loadSmall(view);
        QString error;
        QVERIFY(!exportPlot(&view, dir.filePath("taken.png"), QSize(300, 200), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!writeFileSafely(dir.filePath("taken.png"), "data", &error));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot),
                 QStringList{"taken.png"});
        // An existing file is replaced only by a complete one.
        const QString kept = dir.filePath("kept.csv");
        QVERIFY(writeFileSafely(kept, "old", &error));
        QVERIFY(writeFileSafely(kept, "new content", &error));
        QCOMPARE(head(kept, 100), QByteArray("new content"));
    }

    void headlessExportWritesEverything() {
        QTemporaryDir dir;
        QString outText, errText;
        QTextStream out(&outText), err(&errText);
        const int rc = headlessExport(small(), dir.path(), out, err);
        QVERIFY2(rc == 0, qPrintable(errText));
        const QStringList files{"naive_pipeline.png",
                                "microbatch_forward.png",
                                "microbatch_backward.png",
                                "weight_versioning.png",
                                "utilization_comparison.png",
                                "timeline.png",
                                "timeline.svg",
                                "timeline.pdf",
                                "run.csv",
                                "trace.json"};
        for (const QString& f : files) {
            const QString path = dir.filePath(f);
            QVERIFY2(QFile::exists(path), qPrintable(f));
            QVERIFY2(QFile(path).size() > 100, qPrintable(f));
            if (f.endsWith(".png")) QVERIFY2(!QImage(path).isNull(), qPrintable(f));
        }
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), files.size());
        QVERIFY(head(dir.filePath("run.csv"), 60)
                    .startsWith("batch,stage,microbatch,op,chunk,version,start_us,end_us"));
        QCOMPARE(head(dir.filePath("timeline.pdf"), 4), QByteArray("%PDF"));
        QVERIFY(QSvgRenderer(dir.filePath("timeline.svg")).isValid());
    }

    // --headless --csv FILE --trace FILE: the run's measured timeline where
    // the command line says, besides the export folder's own copies; the
    // loader reads them back as that run.
    void headlessWritesCsvAndTraceWhereAsked() {
        QTemporaryDir dir, elsewhere;
        RunOptions o = small();
        o.schedule.kind = ScheduleKind::GPipe;
        o.csvPath = elsewhere.filePath("asked.csv").toStdString();
        o.tracePath = elsewhere.filePath("asked.json").toStdString();
        QString outText, errText;
        QTextStream out(&outText), err(&errText);
        QVERIFY2(headlessExport(o, dir.path(), out, err) == 0, qPrintable(errText));
        for (const std::string& path : {o.csvPath, o.tracePath}) {
            const QString file = QString::fromStdString(path);
            QVERIFY2(outText.contains(QStringLiteral("wrote ") + file), qPrintable(outText));
            RunResult read;
            IdentifiedSchedule id;
            QString error;
            QVERIFY2(loadRunFile(file, defaultRunOptions(), read, &id, &error), qPrintable(error));
            QVERIFY(id.complete);
            QCOMPARE(id.config.kind, o.schedule.kind);
            QCOMPARE(id.config.stages, o.schedule.stages);
            QCOMPARE(id.config.microbatches, o.schedule.microbatches);
            QCOMPARE(id.config.batches, o.schedule.batches);
        }
        QCOMPARE(head(QString::fromStdString(o.csvPath), 4096),
                 head(dir.filePath("run.csv"), 4096));
    }

    void vizHeadlessCommandLine() {
#ifdef PD_VIZ_EXE
        QTemporaryDir dir, work;
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");  // --headless needs no display
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(work.path());  // --csv and --trace relative to it
        p.start(QStringLiteral(PD_VIZ_EXE),
                {"--headless", "--export", dir.path(), "--stages", "2", "--microbatches", "2",
                 "--batches", "2", "--layers", "4", "--hidden", "16", "--batch-size", "8", "--csv",
                 "run-cli.csv", "--trace", "run-cli.json"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 10);
        QCOMPARE(QImage(dir.filePath("timeline.png")).size(), QSize(1600, 600));
        for (const char* name : {"run-cli.csv", "run-cli.json"}) {
            RunResult read;
            IdentifiedSchedule id;
            QString error;
            QVERIFY2(loadRunFile(QDir(work.path()).filePath(QString::fromLatin1(name)),
                                 defaultRunOptions(), read, &id, &error),
                     qPrintable(error));
            QVERIFY(id.complete);
            QCOMPARE(id.config.stages, 2);
            QCOMPARE(id.config.batches, 2);
        }
#else
        QSKIP("pipedream-viz is not built");
#endif
    }

    void headlessExportIntoAFileFails() {
        QTemporaryDir dir;
        QFile f(dir.filePath("file"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QString outText, errText;
        QTextStream out(&outText), err(&errText);
        QCOMPARE(headlessExport(small(), dir.filePath("file"), out, err), 1);
        QVERIFY(errText.startsWith("error: "));
    }
};

QTEST_MAIN(TestExport)
#include "tst_export_ui.moc"
