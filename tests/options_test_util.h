// Command lines in tests: what parseRunOptions makes of one, or the line
// its ConfigError says; checkRunOptions' line; options compared field by
// field.
#pragma once

#include <QStringList>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "error_test_util.h"

namespace pd {

// What a command line makes: its options, or the one line the user would
// read (`error`, empty when the options were accepted).
struct Outcome : ParsedOptions {
    std::string error;
};

inline Outcome parsed(const std::vector<std::string>& args, bool viz) {
    Outcome out;
    if (const auto e =
            errorOf([&] { static_cast<ParsedOptions&>(out) = parseRunOptions(args, viz); }))
        out.error = *e;
    return out;
}

// checkRunOptions' message, empty when the options are valid.
inline std::string checked(const RunOptions& options) {
    return errorOf([&] { checkRunOptions(options); }).value_or("");
}

inline std::vector<std::string> toArgs(const QStringList& list) {
    std::vector<std::string> out;
    for (const QString& s : list) out.push_back(s.toStdString());
    return out;
}

// One field of the options as text, so that rows can name what they set.
inline QString field(const RunOptions& o, const QString& name) {
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

inline bool sameOptions(const RunOptions& a, const RunOptions& b) {
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

}  // namespace pd
