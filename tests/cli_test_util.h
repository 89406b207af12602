// The command-line tests' fixtures: running pipedream-train and
// pipedream-viz as a user does, and reading what they wrote.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/schedule/schedule.h"
#include "model_test_data.h"

namespace pd::clitest {

struct Result {
    int exitCode = -1;
    QString out;
    QString err;
};

inline Result run(const QString& exe, const QStringList& args,
                  const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(exe, args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

inline const QString kTrain = QStringLiteral(PD_TRAIN_EXE);
inline const QString kViz = QStringLiteral(PD_VIZ_EXE);

inline QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

inline int csvRows(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return -1;
    return static_cast<int>(QString::fromUtf8(f.readAll()).trimmed().split('\n').size()) - 1;
}

// Starts a small but long training run, waits until its first batch is
// logged, sends `signal` and returns its result.
inline Result interruptedRun(const QStringList& args, int signal) {
    QProcess p;
    p.start(kTrain, args);
    QString out;
    QElapsedTimer t;
    t.start();
    while (!out.contains("BATCH 1/") && t.elapsed() < 60000 && p.waitForReadyRead(60000))
        out += QString::fromUtf8(p.readAllStandardOutput());
    ::kill(static_cast<pid_t>(p.processId()), signal);
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    out += QString::fromUtf8(p.readAllStandardOutput());
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, out,
            QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace pd::clitest
