#include "runresult.h"

#include <QFileInfo>
#include <QMimeData>
#include <QObject>
#include <QUrl>
#include <algorithm>

#include "trace.h"

namespace pd {

QStringList toQStringList(const std::vector<std::string>& v) {
    QStringList out;
    for (const std::string& s : v) out << QString::fromStdString(s);
    return out;
}

QStringList laneLabels(const QStringList& names, const QStringList& hosts) {
    QStringList out = names;
    for (int s = 0; s < out.size() && s < hosts.size(); ++s)
        if (!hosts[s].isEmpty()) out[s] += QStringLiteral(" \u00B7 ") + hosts[s];
    return out;
}

bool prepareRun(const RunOptions& options, RunResult& result, QString* error) {
    const std::string problem = checkRunOptions(options);
    if (!problem.empty()) {
        if (error) *error = QString::fromStdString(problem);
        return false;
    }
    try {
        result.options = options;
        result.ideal = makeDryRun(options);
        result.stageNames = toQStringList(stageNames(options.schedule, options.layers));
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

bool loadRunFile(const QString& path, const RunOptions& base, RunResult& result,
                 IdentifiedSchedule* identified, QString* error) {
    auto fail = [&](const QString& why) {
        if (error) *error = QObject::tr("Cannot open %1: %2").arg(QFileInfo(path).fileName(), why);
        return false;
    };
    std::string text, problem;
    if (!readFile(path.toStdString(), text, problem)) return fail(QString::fromStdString(problem));
    RunRecord record;
    const auto first = text.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && (text[first] == '{' || text[first] == '[');
    if (json ? !parseChromeTrace(text, record, problem) : !parseCsv(text, record.slots, problem))
        return fail(QString::fromStdString(problem));
    const auto id = identifySchedule(record.slots, problem);
    if (!id) return fail(QString::fromStdString(problem));

    RunOptions o = base;
    o.schedule = id->config;
    o.layers = std::max(o.layers, o.schedule.parts());
    const int M = o.schedule.microbatches;
    o.batchSize = M * std::max(1, o.batchSize / M);
    RunResult next;
    QString invalid;
    if (!prepareRun(o, next, &invalid)) return fail(invalid);
    const int S = o.schedule.stages;
    if (static_cast<int>(record.stageNames.size()) == S) {
        next.stageNames = toQStringList(record.stageNames);
    } else {
        next.stageNames.clear();
        for (int s = 0; s < S; ++s) next.stageNames << QStringLiteral("GPU%1").arg(s);
    }
    // A distributed run's trace says each stage's host: the lanes show it.
    if (static_cast<int>(record.stageHosts.size()) == S)
        next.stageHosts = toQStringList(record.stageHosts);
    next.measured = true;
    next.source = path;
    next.slots = std::move(record.slots);
    next.memory = std::move(record.memory);
    result = std::move(next);
    if (identified) *identified = *id;
    return true;
}

QString droppedRunFile(const QMimeData* mime) {
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1) return {};
    const QUrl url = mime->urls().constFirst();
    if (!url.isLocalFile()) return {};
    const QString path = url.toLocalFile();
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("csv") || suffix == QLatin1String("json") ? path : QString();
}

QString cutShortNote(const IdentifiedSchedule& id) {
    if (id.complete) return {};
    return QObject::tr(" (cut short: %1 of %2 actions)").arg(id.recorded).arg(id.expected);
}

}  // namespace pd
