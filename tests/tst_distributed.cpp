// Distributed stages on loopback (issue 11): pipedream-train --backend gloo
// with 2 and 4 local rank processes against the threaded runtime, the
// merged trace, a killed rank, bad rendezvous settings, and a torchrun
// launch where Debian's python3-torch is installed.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "schedule.h"

namespace {

const QString kTrain = QStringLiteral(PD_TRAIN_EXE);
const QString kCheck = QStringLiteral(PD_CHECK_RUN_SCRIPT);

struct Result {
    int exitCode = -1;  // -2: crashed, -1: did not finish
    QString out;
    QString err;
    qint64 ms = 0;
};

Result run(const QString& exe, const QStringList& args, int timeoutMs = 120000,
           const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(exe, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError()), t.elapsed()};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError()), t.elapsed()};
}

QJsonObject jsonOf(const QString& text) {
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// A small model: every kind trains in well under a second per run.
QStringList smallRun(const QString& kind, int stages) {
    QStringList a = {"--schedule",     kind,
                     "--stages",       QString::number(stages),
                     "--layers",       "16",
                     "--hidden",       "32",
                     "--batches",      "3",
                     "--batch-size",   "16",
                     "--microbatches", QString::number(stages == 2 ? 4 : 4)};
    return a;
}

// A socket listening on a port of its own (0.0.0.0), closed on destruction.
struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t n = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), n) != 0 || ::listen(fd, 4) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0)
            return;
        port = ntohs(a.sin_port);
    }
    ~Listener() {
        if (fd >= 0) ::close(fd);
    }
};

// A port nothing listens on (it was free a moment ago).
int freePort() {
    return Listener().port;
}

}  // namespace

class TestDistributed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Same seed, same losses as the threaded runtime, for every schedule
    // kind; every event present and consistent in measured time on the
    // merged timeline (check-run.py), one pid per rank in the trace.
    void launchMatchesThreads_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("stages");
        for (const char* kind :
             {"naive", "gpipe", "1f1b", "pipedream", "2bw", "interleaved", "zb-h1", "zb-h2", "zb-v",
              "looped-bfs", "interleaved-zb", "dualpipev"}) {
            for (int stages : {2, 4})
                QTest::newRow(qPrintable(QString("%1/%2").arg(kind).arg(stages)))
                    << QString(kind) << stages;
        }
    }
    void launchMatchesThreads() {
        QFETCH(QString, kind);
        QFETCH(int, stages);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QStringList args = smallRun(kind, stages);
        const Result threads = run(kTrain, args + QStringList{"--json"});
        QVERIFY2(threads.exitCode == 0, qPrintable(threads.err));
        const QString csv = dir.filePath("run.csv"), trace = dir.filePath("run.json");
        const Result gloo =
            run(kTrain, args + QStringList{"--backend", "gloo", "--launch", "--json", "--csv", csv,
                                           "--trace", trace, "--timeout", "30"});
        QVERIFY2(gloo.exitCode == 0, qPrintable(gloo.out + gloo.err));
        const QJsonObject a = jsonOf(threads.out), b = jsonOf(gloo.out.section("\n[rank", 0, 0));
        QCOMPARE(b.value("status").toString(), QString("completed"));
        const QJsonArray la = a.value("batch_results").toArray(),
                         lb = b.value("batch_results").toArray();
        QCOMPARE(lb.size(), 3);
        QCOMPARE(la.size(), lb.size());
        for (int i = 0; i < la.size(); ++i) {
            const double x = la[i].toObject().value("loss").toDouble();
            const double y = lb[i].toObject().value("loss").toDouble();
            QVERIFY2(std::abs(x - y) <= 1e-6 * std::max(1.0, std::abs(x)),
                     qPrintable(QString("batch %1: threads %2, gloo %3").arg(i).arg(x).arg(y)));
            QCOMPARE(lb[i].toObject().value("version_used").toArray(),
                     la[i].toObject().value("version_used").toArray());
            QCOMPARE(lb[i].toObject().value("version_after").toArray(),
                     la[i].toObject().value("version_after").toArray());
        }
        const QJsonObject d = b.value("distributed").toObject();
        QCOMPARE(d.value("world_size").toInt(), stages);
        QCOMPARE(d.value("ranks").toArray().size(), stages);
        const double clockError = d.value("clock_error_us").toDouble();
        QVERIFY2(clockError >= 0 && clockError < 5000, qPrintable(QString::number(clockError)));

        // The merged CSV against the run's own summary: complete, no overlap,
        // dependencies in measured time up to the clock alignment's error.
        const QString summary = dir.filePath("summary.json");
        QVERIFY(writeFile(summary, QJsonDocument(b).toJson()));
        const QString python = QStandardPaths::findExecutable("python3");
        if (!python.isEmpty()) {
            const Result check =
                run(python, {kCheck, summary, summary, csv, "--slack-us",
                             QString::number(static_cast<int>(2 * clockError) + 2)});
            QVERIFY2(check.exitCode == 0, qPrintable(check.out + check.err));
        }
        // One process per rank in the Chrome trace, named with its host.
        QFile f(trace);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray events =
            QJsonDocument::fromJson(f.readAll()).object().value("traceEvents").toArray();
        QSet<int> pids, named;
        for (const QJsonValue& v : events) {
            const QJsonObject e = v.toObject();
            if (e.value("ph") == "X") pids.insert(e.value("pid").toInt());
            if (e.value("ph") == "M" && e.value("name") == "process_name" &&
                e.value("args").toObject().value("name").toString().startsWith("rank "))
                named.insert(e.value("pid").toInt());
        }
        QCOMPARE(pids.size(), stages);
        QCOMPARE(named, pids);
    }

    // A rank killed mid-run: every other rank stops within the timeout, the
    // launcher exits non-zero naming the rank, the events received so far
    // are written, marked as a run that did not complete.
    void killedRankEndsTheRun() {
        QTemporaryDir dir;
        const QString trace = dir.filePath("partial.json");
        QProcess p;
        p.start(kTrain,
                {"--backend", "gloo", "--launch", "--stages", "4", "--layers", "16", "--hidden",
                 "64", "--batches", "100000", "--timeout", "10", "--trace", trace});
        QString out;
        QElapsedTimer t;
        t.start();
        while (!out.contains("BATCH 2/") && t.elapsed() < 60000 && p.waitForReadyRead(60000))
            out += QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains("BATCH 2/"), qPrintable(out));
        // Rank 2 is a child of the launcher.
        QProcess pgrep;
        pgrep.start("pgrep", {"-P", QString::number(p.processId())});
        QVERIFY(pgrep.waitForFinished(10000));
        const QStringList children =
            QString::fromUtf8(pgrep.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(children.size(), 4);
        // Children start in rank order.
        QVector<int> pids;
        for (const QString& c : children) pids.append(c.toInt());
        std::sort(pids.begin(), pids.end());
        QElapsedTimer killed;
        killed.start();
        QCOMPARE(::kill(pids[2], SIGKILL), 0);
        QVERIFY2(p.waitForFinished(40000), "the launcher did not end after a rank was killed");
        const qint64 ms = killed.elapsed();
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY(p.exitStatus() == QProcess::NormalExit);
        QVERIFY2(p.exitCode() != 0, qPrintable(err));
        QVERIFY2(err.contains("rank 2"), qPrintable(err));
        QVERIFY2(ms < 10000 + 5000, qPrintable(QString("took %1 ms").arg(ms)));
        QFile f(trace);
        QVERIFY2(f.open(QIODevice::ReadOnly), "no partial trace written");
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(doc.value("traceEvents").toArray().size() > 10);
        QVERIFY(doc.toVariantMap().value("otherData").toMap().value("status").toString() !=
                "completed");
    }

    // Bad rendezvous settings: one "error:" line, exit 2, never a hang.
    void badRendezvous_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        const int unused = freePort();
        QTest::newRow("unreachable master") << QStringList{"--rank",
                                                           "1",
                                                           "--world-size",
                                                           "2",
                                                           "--stages",
                                                           "2",
                                                           "--master-port",
                                                           QString::number(unused),
                                                           "--rendezvous-timeout",
                                                           "2"}
                                            << "cannot reach the rendezvous";
        QTest::newRow("world size mismatch")
            << QStringList{"--rank", "0", "--world-size", "3", "--stages", "4"}
            << "world size mismatch";
        QTest::newRow("rank outside the world")
            << QStringList{"--rank", "4", "--world-size", "4"} << "outside the world";
        QTest::newRow("missing peers") << QStringList{"--rank",
                                                      "0",
                                                      "--world-size",
                                                      "2",
                                                      "--stages",
                                                      "2",
                                                      "--master-port",
                                                      QString::number(unused),
                                                      "--rendezvous-timeout",
                                                      "2"}
                                       << "within 2 s";
    }
    void badRendezvous() {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"})
            env.remove(name);
        const Result r = run(kTrain, QStringList{"--backend", "gloo"} + args, 30000, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith("error: ") && r.err.trimmed().count('\n') == 0,
                 qPrintable(r.err));
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QVERIFY2(r.ms < 15000, qPrintable(QString("took %1 ms").arg(r.ms)));
    }

    void portInUse() {
        Listener busy;
        QVERIFY(busy.port > 0);
        const Result r = run(kTrain,
                             {"--backend", "gloo", "--rank", "0", "--world-size", "2", "--stages",
                              "2", "--master-port", QString::number(busy.port)},
                             30000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("port"), qPrintable(r.err));
    }

    // torchrun (Debian's python3-torch) starts the ranks; rank 0 collects
    // and prints the summary of both.
    void torchrunLaunch() {
        const QString torchrun = QStandardPaths::findExecutable("torchrun");
        if (torchrun.isEmpty()) QSKIP("torchrun is not installed (Debian: python3-torch)");
        const Result r = run(torchrun,
                             QStringList{"--nproc_per_node", "2", "--master_port",
                                         QString::number(freePort()), "--no_python", kTrain} +
                                 smallRun("1f1b", 2) + QStringList{"--backend", "gloo", "--json"},
                             180000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const int brace = r.out.indexOf('{');
        QVERIFY2(brace >= 0, qPrintable(r.out));
        const QJsonObject j = jsonOf(r.out.mid(brace));
        QCOMPARE(j.value("status").toString(), QString("completed"));
        QCOMPARE(j.value("distributed").toObject().value("ranks").toArray().size(), 2);
        QCOMPARE(j.value("batch_results").toArray().size(), 3);
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
