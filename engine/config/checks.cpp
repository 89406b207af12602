// The checks of a run's options: which flags go together, value ranges,
// sizes against the model, devices, data sources and models; and the
// helpers that echo an argument in an error.
#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <sstream>
#include <string_view>

#include "engine/base/safefile.h"
#include "engine/config/optionsdetail.h"

namespace pd {

namespace optionsdetail {

std::string quoted(const std::string& s) {
    return "'" + printable(s) + "'";
}

void checkHost(const std::string& flag, const std::string& host) {
    if (host.empty()) throw ConfigError(flag + " expects a host name or address, got ''");
    bool ok = host.size() <= 253;
    for (char ch : host)
        ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) ||
                    std::string_view(".-_:%[]").find(ch) != std::string_view::npos);
    if (!ok) throw ConfigError(flag + " expects a host name or address, got " + quoted(host));
}

std::string str(int v) {
    return std::to_string(v);
}

std::string str(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

}  // namespace optionsdetail

using namespace optionsdetail;

namespace {

constexpr int kMaxCudaIndex = 1023;

// The same file, also through another name (a link, "./"), written twice
// would lose the first write.
bool sameOutput(const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return false;
    if (a == b || (isStdoutPath(a) && isStdoutPath(b))) return true;
    struct stat sa {
    }, sb{};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && S_ISREG(sa.st_mode) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void checkOutputCombinations(const RunOptions& o) {
    if (sameOutput(o.csvPath, o.tracePath))
        throw ConfigError("--csv and --trace name the same file " + quoted(o.csvPath) +
                          "; give each its own");
    for (const std::string* path : {&o.csvPath, &o.tracePath})
        if (o.json && isStdoutPath(*path))
            throw ConfigError("--json and " +
                              std::string(path == &o.csvPath ? "--csv " : "--trace ") +
                              quoted(*path) + " would both write to standard output");
}

void checkDistributedCombinations(const RunOptions& o, bool vizFlags) {
    const bool threads = o.backend == "threads";
    if (vizFlags && !threads)
        throw ConfigError(
            "pipedream-viz chooses local processes in its Controls dock; --backend is "
            "pipedream-train's");
    if (o.launch && threads) throw ConfigError("--launch needs --backend gloo or nccl");
    const bool rankGiven = o.rank >= 0 || o.worldSize >= 0 || o.localRank >= 0 ||
                           !o.masterAddr.empty() || o.masterPort > 0 || !o.events.empty();
    if (threads && rankGiven)
        throw ConfigError(
            "--rank, --world-size, --local-rank, --master-addr, --master-port and --events "
            "need --backend gloo or nccl");
    if (threads && (o.noSecret || !o.secretFile.empty()))
        throw ConfigError(
            "--secret-file and --no-secret are for distributed runs: they need --backend "
            "gloo or nccl");
    if (o.noSecret && !o.secretFile.empty())
        throw ConfigError("--no-secret and --secret-file contradict each other: give one of them");
    if (o.launch && !o.secretFile.empty())
        throw ConfigError("--launch makes a new run secret for its ranks: leave out --secret-file");
    if (o.launch && (o.rank >= 0 || o.worldSize >= 0 || o.localRank >= 0))
        throw ConfigError(
            "--launch starts every rank itself: leave out --rank, --world-size and "
            "--local-rank");
    if (o.launch && (!o.masterAddr.empty() || o.masterPort > 0 || !o.events.empty()))
        throw ConfigError(
            "--launch meets its ranks on this machine and collects their events itself: leave "
            "out --master-addr, --master-port and --events");
    if (!threads && o.dryRun) throw ConfigError("--dry-run trains nothing: leave out --backend");
}

void checkAnimationFlags(const State& s) {
    const RunOptions& o = s.o;
    if (!o.animationPath.empty() && !o.headless)
        throw ConfigError(
            "--export-animation needs --headless (in the window: File > Export > Animation)");
    const RunOptions d;
    const bool tuned = o.animWidth != d.animWidth || o.animFps != d.animFps || o.animFrom >= 0 ||
                       o.animTo >= 0 || !o.animCaption || o.animBase != d.animBase ||
                       o.animEveryMs > 0.0 || o.animColors != d.animColors;
    if (tuned && o.animationPath.empty())
        throw ConfigError(
            "--anim-width, --anim-fps, --anim-from, --anim-to, --anim-no-caption, --anim-base, "
            "--anim-every-ms and --anim-color-by need --export-animation FILE");
    if (o.animEveryMs > 0.0 && o.animBase != AnimBase::Measured)
        throw ConfigError("--anim-every-ms steps through measured time: add --anim-base measured");
    if (o.animFrom >= 0 && o.animTo >= 0 && o.animTo < o.animFrom)
        throw ConfigError("--anim-to " + std::to_string(o.animTo) + " comes before --anim-from " +
                          std::to_string(o.animFrom));
    if (o.animFrom >= 0 && o.animTo >= 0 &&
        static_cast<long long>(o.animTo) - o.animFrom + 1 > kAnimMaxFrames)
        throw ConfigError("--anim-from " + std::to_string(o.animFrom) + " to --anim-to " +
                          std::to_string(o.animTo) + " is more than " +
                          std::to_string(kAnimMaxFrames) + " frames");
}

void checkDevice(const std::string& device) {
    if (device == "cpu" || device == "cuda") return;
    int index = -1;
    if (device.compare(0, 5, "cuda:") == 0 && parseNumber(device.substr(5), index) && index >= 0 &&
        index <= kMaxCudaIndex)
        return;
    throw ConfigError("unknown device " + quoted(device) + " (cpu, cuda or cuda:K)");
}

void checkData(const std::string& data) {
    if (data == "synthetic" || data == "fashion-mnist" || data == "text") return;
    for (const char* prefix : {"mnist:", "fashion-mnist:", "text:"}) {
        const std::size_t n = std::string(prefix).size();
        if (data.compare(0, n, prefix) != 0) continue;
        if (data.size() == n)
            throw ConfigError("--data " + std::string(prefix) + " needs a " +
                              (n == 5 ? "file or folder (text:PATH)"
                                      : std::string("folder (") + prefix + "DIR)"));
        return;
    }
    throw ConfigError("unknown data source " + quoted(data) +
                      " (synthetic, mnist:DIR, fashion-mnist[:DIR] or text[:PATH])");
}

void checkRange(const char* what, long long v, long long lo, long long hi) {
    if (v >= lo && v <= hi) return;
    throw ConfigError(std::string(what) + " must be between " + std::to_string(lo) + " and " +
                      std::to_string(hi) + ", got " + std::to_string(v));
}

void checkModel(const RunOptions& o) {
    if (o.model != "mlp" && o.model != "cnn" && o.model != "gpt")
        throw ConfigError("unknown model " + quoted(o.model) + " (mlp, cnn or gpt)");
    const bool text = isTextData(o.data);
    if (o.model == "gpt" && !text)
        throw ConfigError("--model gpt trains on text (--data text or text:PATH)");
    if (o.model != "gpt" && text)
        throw ConfigError("--data " + o.data + " is text: it needs --model gpt");
    if (o.model == "cnn" && o.layers != 6)
        throw ConfigError(
            "--model cnn has 6 layers (4 convolutions, 2 fully connected): leave out --layers");
    if (o.model == "gpt") {
        checkRange("heads", o.heads, 1, o.hidden);
        if (o.hidden % o.heads != 0)
            throw ConfigError("--heads " + std::to_string(o.heads) + " must divide --hidden " +
                              std::to_string(o.hidden));
        checkRange("seq-len", o.seqLen, 1, kMaxSeqLen);
    }
}

void checkSizes(const RunOptions& o) {
    checkRange("layers", o.layers, 1, kMaxLayers);
    checkRange("hidden", o.hidden, 1, kMaxHidden);
    checkRange("batch size", o.batchSize, 1, kMaxBatchSize);
    checkRange("classes", o.classes, 2, kMaxHidden);
    const ScheduleConfig& c = o.schedule;
    const int layers = partitionLayers(o);
    const std::string got =
        std::to_string(layers) +
        (o.model == "gpt" ? " (the embedding, " + std::to_string(o.layers) + " blocks and the head)"
                          : "");
    if (static_cast<long long>(c.stages) * c.chunks > layers) {
        if (c.chunks > 1)
            throw ConfigError(std::to_string(c.stages) + " stages x " + std::to_string(c.chunks) +
                              " chunks need at least " + std::to_string(c.parts()) +
                              " layers, got " + got);
        throw ConfigError(std::to_string(c.stages) + " stages need at least " +
                          std::to_string(c.stages) + " layers, got " + got);
    }
    if (c.microbatches > o.batchSize)
        throw ConfigError("batch size " + std::to_string(o.batchSize) + " is too small for " +
                          std::to_string(c.microbatches) + " microbatches");
    if (o.batchSize % c.microbatches != 0)
        throw ConfigError("batch size " + std::to_string(o.batchSize) + " is not divisible into " +
                          std::to_string(c.microbatches) + " microbatches");
}

}  // namespace

namespace optionsdetail {

// pipedream-viz --open shows a saved run: the file decides the schedule and
// nothing is trained or written, so these flags would be silently ignored.
void checkOpenCombinations(const std::set<std::string>& seen) {
    for (const FlagSpec& f : flagSpecs()) {
        const std::string name = f.name;
        if (f.vizOnly || !seen.count(name)) continue;
        throw ConfigError(
            "option " + quoted(name) +
            " cannot be combined with --open (the run is read from the file; nothing is "
            "trained or written)");
    }
}

// Rules about which flags go together; value ranges are checkRunOptions'.
// The profile is read or measured, not both; --bandwidth and --memory-limit
// are pipedream's.
static void checkPartitionFlags(const State& s, bool vizFlags) {
    const RunOptions& o = s.o;
    if (!o.profileIn.empty() && !o.profileOut.empty())
        throw ConfigError(
            "--profile-in and --profile-out cannot be combined (a profile is read or measured)");
    if (vizFlags && !o.profileOut.empty())
        throw ConfigError(
            "--profile-out is pipedream-train's (the window measures with Run > Profile "
            "layers, and reads a file with --profile-in)");
    const bool byHandRank = o.backend != "threads" && !o.launch;
    if (byHandRank && o.profileIn.empty() && !s.partition.empty() && s.partition != "uniform")
        throw ConfigError(
            "--partition " + s.partition +
            " on a rank started by hand: give the same --split or --profile-in to every rank "
            "(each rank would measure its own profile and could cut differently)");
    if (byHandRank && !o.profileOut.empty())
        throw ConfigError(
            "--profile-out on a rank started by hand: profile with pipedream-train "
            "--dry-run --profile-out FILE and give every rank --profile-in FILE");
    if ((o.bandwidthGBs > 0.0 || o.memoryLimit > 0) && s.partition != "pipedream")
        throw ConfigError(std::string(o.bandwidthGBs > 0.0 ? "--bandwidth" : "--memory-limit") +
                          " applies only to --partition pipedream");
}

void checkFlagCombinations(State& s, bool vizFlags) {
    ScheduleConfig& c = s.o.schedule;
    if (!s.chunksGiven) c.chunks = chunksFor(c.kind, 2);
    if (s.chunksGiven && !isChunkedKind(c.kind) && c.chunks != chunksFor(c.kind, c.chunks))
        throw ConfigError(isVShapeKind(c.kind)
                              ? "--schedule " + std::string(toString(c.kind)) +
                                    " has exactly 2 chunks per stage"
                              : "--chunks applies only to --schedule interleaved, looped-bfs "
                                "and interleaved-zb");
    const bool pipedream = c.kind == ScheduleKind::PipeDream;
    if (!c.stash && !pipedream)
        throw ConfigError("--no-stash applies only to --schedule pipedream");
    if (c.verticalSync && !pipedream)
        throw ConfigError("--vertical-sync applies only to --schedule pipedream");
    if (c.verticalSync && !c.stash)
        throw ConfigError(
            "--vertical-sync and --no-stash cannot be combined (vertical sync needs stashing)");
    if (vizFlags && s.o.headless && s.o.exportDir.empty() && s.o.animationPath.empty())
        throw ConfigError("--headless needs --export DIR or --export-animation FILE");
    checkAnimationFlags(s);
    checkPartitionFlags(s, vizFlags);
    checkDistributedCombinations(s.o, vizFlags);
    checkOutputCombinations(s.o);
}

}  // namespace optionsdetail

void checkRunOptions(const RunOptions& options) {
    ScheduleConfig c = options.schedule;
    if (options.epochs > 0 && c.batches == 0) c.batches = 1;  // the epochs decide
    checkConfig(c);
    if (!(std::isfinite(options.lr) && options.lr > 0.0 && options.lr <= kMaxLr))
        throw ConfigError("learning rate must be greater than 0 and at most " + str(kMaxLr) +
                          ", got " + str(options.lr));
    if (options.epochs < 0 || options.epochs > kMaxEpochs)
        throw ConfigError("epochs must be between 1 and " + str(kMaxEpochs) + ", got " +
                          str(options.epochs));
    if (options.epochs > 0 && options.data == "synthetic")
        throw ConfigError(
            "--epochs needs a data set of finite size (--data synthetic has no epochs)");
    if (options.evalEvery < 0 || options.evalEvery > kMaxBatches)
        throw ConfigError("--eval-every must be between 1 and " + str(kMaxBatches) +
                          " batches, got " + str(options.evalEvery));
    if (options.optimizer != "sgd" && options.optimizer != "momentum" &&
        options.optimizer != "adam")
        throw ConfigError("unknown optimizer '" + options.optimizer + "' (sgd, momentum or adam)");
    checkSizes(options);
    if (!options.split.empty()) {
        std::string text;
        for (int b : options.split) text += (text.empty() ? "" : ",") + std::to_string(b);
        parseSplit(text, partitionableLayers(options), options.schedule.parts());
    }
    checkDevice(options.device);
    checkData(options.data);
    checkModel(options);
}

}  // namespace pd
