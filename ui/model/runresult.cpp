#include "ui/model/runresult.h"

#include <QFileInfo>
#include <QMimeData>
#include <QObject>
#include <QRegularExpression>
#include <QUrl>
#include <algorithm>

#include "engine/formats/trace.h"

namespace pd {

QString counted(long long n, const QString& one, const QString& many) {
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

QString describeConfiguration(const RunOptions& o) {
    const ScheduleConfig& c = o.schedule;
    QString text = QString::fromUtf8(displayName(c.kind)) + QStringLiteral(", ") +
                   counted(c.stages, QObject::tr("stage"), QObject::tr("stages")) +
                   QStringLiteral(", ") +
                   counted(c.microbatches, QObject::tr("microbatch"), QObject::tr("microbatches")) +
                   QStringLiteral(", ") +
                   QObject::tr("%1 of %2")
                       .arg(counted(c.batches, QObject::tr("batch"), QObject::tr("batches")))
                       .arg(o.batchSize);
    if (c.chunks > 1) text += QStringLiteral(", ") + QObject::tr("%1 chunks").arg(c.chunks);
    if (c.kind == ScheduleKind::PipeDream && !c.stash) text += QObject::tr(", no stashing");
    if (c.verticalSync) text += QObject::tr(", vertical sync");
    text += QStringLiteral(", ") +
            QObject::tr("%1 of width %2")
                .arg(counted(o.layers, QObject::tr("layer"), QObject::tr("layers")))
                .arg(o.hidden) +
            QStringLiteral(", ") + QObject::tr("learning rate %1").arg(o.lr);
    return text;
}

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
    try {
        checkRunOptions(options);
        result.options = options;
        result.ideal = makeDryRun(options);
        result.stageNames = toQStringList(stageNames(options));
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

namespace {

// The layers a trace's lane names give ("GPU0 (L1-6, L25-30)" ... "GPU3
// (L19-24, L43-48)": 48), when they are exactly what a run of `config` on
// that many layers names its lanes; 0 otherwise.
int layersFromStageNames(const std::vector<std::string>& names, const ScheduleConfig& config) {
    static const QRegularExpression range(QStringLiteral("\\bL(\\d+)(?:-(\\d+))?"));
    int layers = 0;
    for (const std::string& name : names) {
        auto it = range.globalMatch(QString::fromStdString(name));
        while (it.hasNext()) {
            const QRegularExpressionMatch m = it.next();
            const QString last = m.captured(2).isEmpty() ? m.captured(1) : m.captured(2);
            layers = std::max(layers, last.toInt());
        }
    }
    if (layers < config.parts() || layers > kMaxLayers) return 0;
    return stageNames(config, layers) == names ? layers : 0;
}

// The run a trace's recorded flags describe, when it is `o`'s schedule and
// a run this program makes; nullopt otherwise.
std::optional<RunOptions> recordedOptions(const RunRecord& record, const RunOptions& o) {
    if (record.runArgs.empty()) return std::nullopt;
    try {
        const ParsedOptions flags = parseRunOptions(record.runArgs, false);
        RunOptions recorded = o;
        recorded.batchSize = flags.options.batchSize;
        recorded.layers = flags.options.layers;
        recorded.hidden = flags.options.hidden;
        recorded.lr = flags.options.lr;
        recorded.seed = flags.options.seed;
        recorded.split = flags.options.split;
        const ScheduleConfig& c = flags.options.schedule;
        if (c.kind != o.schedule.kind || c.stages != o.schedule.stages ||
            c.microbatches != o.schedule.microbatches || c.chunks != o.schedule.chunks)
            return std::nullopt;
        checkRunOptions(recorded);
        if (!record.stageNames.empty() && stageNames(recorded) != record.stageNames)
            return std::nullopt;
        return recorded;
    } catch (const ConfigError&) {
        return std::nullopt;  // a file's words: a run they do not make is ignored
    }
}

}  // namespace

bool loadRunFile(const QString& path, const RunOptions& base, RunResult& result,
                 IdentifiedSchedule* identified, QString* error) {
    auto fail = [&](const QString& why) {
        if (error) *error = QObject::tr("Cannot open %1: %2").arg(QFileInfo(path).fileName(), why);
        return false;
    };
    RunRecord record;
    IdentifiedSchedule id;
    try {
        std::string text = readFile(path.toStdString());
        const auto first = text.find_first_not_of(" \t\r\n");
        const bool json = first != std::string::npos && (text[first] == '{' || text[first] == '[');
        if (json)
            record = parseChromeTrace(text);
        else
            record.slots = parseCsv(text);
        std::string().swap(text);  // the events hold it all now
        id = identifySchedule(record.slots);
    } catch (const Error& e) {
        return fail(QString::fromUtf8(e.what()));
    }

    RunOptions o = base;
    o.schedule = id.config;
    QStringList unrecorded{QObject::tr("batch size"), QObject::tr("hidden width"),
                           QObject::tr("learning rate")};
    if (const int layers = layersFromStageNames(record.stageNames, o.schedule); layers > 0) {
        o.layers = layers;
    } else {
        o.layers = std::max(o.layers, o.schedule.parts());
        unrecorded.insert(1, QObject::tr("layers"));
    }
    const int M = o.schedule.microbatches;
    o.batchSize = M * std::max(1, o.batchSize / M);
    // A trace of this program records the run's flags: what the events do
    // not say comes from them when they describe the same schedule (they
    // are a file's words: a run they do not make is ignored, not trusted).
    if (const auto recorded = recordedOptions(record, o)) {
        o = *recorded;
        unrecorded.clear();
    }
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
    next.unrecorded = unrecorded;
    result = std::move(next);
    if (identified) *identified = id;
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
