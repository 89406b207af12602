// pipedream-viz's command line: a saved run opened and exported headless,
// hostile files refused in one line, no display pointing at --headless, and
// the window saying an open error.
#include "cli_test_util.h"

using namespace pd;
using namespace pd::clitest;

class TestVizCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Started from a launcher, `pipedream-viz --open BAD` has no terminal to
    // print to: the window opens and says why (stderr says it too).
    void vizWindowShowsAnOpenError() {
        const QString missing = QDir::temp().filePath("pd-no-such-run.csv");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        QTemporaryDir config;
        env.insert("XDG_CONFIG_HOME", config.path());
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(kViz, {"--open", missing});
        QVERIFY(p.waitForStarted());
        QString err;
        QElapsedTimer t;
        t.start();
        while (!err.contains("Cannot open pd-no-such-run.csv: ") && t.elapsed() < 20000) {
            p.waitForReadyRead(200);
            err += QString::fromUtf8(p.readAllStandardError());
        }
        QVERIFY2(err.contains("error: Cannot open pd-no-such-run.csv: "), qPrintable(err));
        QVERIFY2(!p.waitForFinished(1500), "the window stays open with the message");
        p.kill();
        p.waitForFinished();
    }

    void vizWithoutDisplayPointsAtHeadless() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        env.remove("WAYLAND_DISPLAY");
        env.remove("QT_QPA_PLATFORM");
        const Result r = run(kViz, {}, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--headless"), qPrintable(r.err));
    }

    // A run saved by pipedream-train opens headless: its timeline is exported
    // and its schedule named; a file of no schedule's order exits 2.
    void vizOpensSavedRunHeadless() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("run.csv");
        const Result saved = run(kTrain, {"--dry-run", "--schedule", "interleaved",
                                          "--microbatches", "8", "--csv", csv});
        QVERIFY2(saved.exitCode == 0, qPrintable(saved.err));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        const QString out = dir.filePath("out");
        const Result r = run(kViz, {"--headless", "--open", csv, "--export", out}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Interleaved 1F1B, 4 stages, 8 microbatches, 5 batches"),
                 qPrintable(r.out));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        for (const char* f : {"timeline.png", "timeline.svg", "timeline.pdf"})
            QVERIFY2(QFileInfo(QDir(out).filePath(f)).size() > 1000, f);

        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QStringList rows = QString::fromUtf8(file.readAll()).trimmed().split('\n');
        file.close();
        rows.swapItemsAt(1, 2);  // same times: the order is what the file says
        QStringList a = rows[1].split(','), b = rows[2].split(',');
        for (int i : {6, 7}) std::swap(a[i], b[i]);
        rows[1] = a.join(',');
        rows[2] = b.join(',');
        const QString bad = dir.filePath("bad.csv");
        QFile w(bad);
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write(rows.join('\n').toUtf8() + '\n');
        w.close();
        const Result refused =
            run(kViz, {"--headless", "--open", bad, "--export", dir.filePath("out2")}, env);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(
            refused.err.startsWith("error: Cannot open bad.csv: the events match no schedule kind"),
            qPrintable(refused.err));
        QVERIFY(!QFileInfo::exists(dir.filePath("out2")));
    }

    // Files that would freeze, block or garble the terminal (a huge run
    // named by a tiny file, a FIFO, control bytes) are refused at once with one escaped line.
    void vizRefusesHostileFilesInOneLine() {
        QTemporaryDir dir;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        const QString tiny = dir.filePath("tiny.csv");
        QFile t(tiny);
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write("batch,stage,microbatch,op,chunk,version,start_us,end_us\n189,63,4095,F,0,0,0,1\n");
        t.close();
        const QString garbled = dir.filePath("a\rb\x1b[31m.csv");
        QFile g(garbled);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(
            "batch,stage,microbatch,op,chunk,version,start_us,end_us\n0\r\x1b[2J,0,0,F,0,0,0,1\n");
        g.close();
        const QString fifo = dir.filePath("fifo.csv");
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        for (const QString& file : {tiny, garbled, fifo, QString("/dev/zero")}) {
            const Result r =
                run(kViz, {"--headless", "--open", file, "--export", dir.filePath("out")}, env);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.startsWith("error: Cannot open "), qPrintable(r.err));
            QCOMPARE(r.err.count('\n'), 1);
            QVERIFY2(!r.err.contains('\r') && !r.err.contains(QChar(0x1b)), qPrintable(r.err));
        }
    }

    // Debian's LibTorch loads Qt 5 (through OpenCV's highgui) into
    // pipedream-viz. A function the executable exports under a name Qt 5 also
    // exports (an out-of-line Qt 6 inline) is what Qt 5 then calls: a crash
    // before main(). The build hides inline functions; this checks the result.
    void vizExportsNoFunctionQt5Binds() {
        QProcess ldd;
        ldd.start("ldd", {kViz});
        if (!ldd.waitForFinished(30000) || ldd.exitCode() != 0) QSKIP("ldd not available");
        QStringList qt5;
        for (const QString& line : QString::fromUtf8(ldd.readAllStandardOutput()).split('\n')) {
            const QStringList f = line.simplified().split(' ');
            if (f.size() >= 3 && f[0].startsWith("libQt5") && f[1] == "=>") qt5 << f[2];
        }
        if (qt5.isEmpty()) QSKIP("Qt 5 is not loaded into pipedream-viz here");
        auto functions = [](const QString& file) {
            QProcess nm;
            nm.start("nm", {"-D", "--defined-only", file});
            nm.waitForFinished(30000);
            QSet<QString> names;
            for (const QString& line : QString::fromUtf8(nm.readAllStandardOutput()).split('\n')) {
                const QStringList f = line.simplified().split(' ');
                if (f.size() < 3 || (f[1] != "T" && f[1] != "W")) continue;  // functions only
                const QString name = f[2].section('@', 0, 0);
                if (name.startsWith("_ZNSt") || name.startsWith("_ZNKSt") ||
                    name.startsWith("_ZSt"))
                    continue;
                names.insert(name);  // std:: templates are the same libstdc++ code in both
            }
            return names;
        };
        const QSet<QString> ours = functions(kViz);
        QStringList clashes;
        for (const QString& lib : qt5)
            for (const QString& name : functions(lib))
                if (ours.contains(name)) clashes << name;
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join(' ')));
    }
};

QTEST_GUILESS_MAIN(TestVizCli)
#include "tst_vizcli.moc"
