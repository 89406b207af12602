// The command line: one table of flags drives parsing, --help and the
// echo of a flag in errors (engine/config/optionsdetail.h); parseRunOptions
// reads arguments into RunOptions and runs the checks.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <sstream>

#include "engine/base/parse.h"
#include "engine/config/optionsdetail.h"

namespace pd {

using namespace optionsdetail;

namespace {

void setInt(const std::string& flag, const std::string& v, int& out) {
    if (!parseNumber(v, out)) throw ConfigError(flag + " expects an integer, got " + quoted(v));
}

void setPositive(const std::string& flag, const std::string& v, int& out) {
    if (!parseNumber(v, out) || out < 1)
        throw ConfigError(flag + " expects a positive integer, got " + quoted(v));
}

void setNonNegative(const std::string& flag, const std::string& v, int& out) {
    if (!parseNumber(v, out) || out < 0)
        throw ConfigError(flag + " expects a non-negative integer, got " + quoted(v));
}

void setPort(const std::string& flag, const std::string& v, int& out) {
    if (!parseNumber(v, out) || out < 1 || out > 65535)
        throw ConfigError(flag + " expects a port between 1 and 65535, got " + quoted(v));
}

constexpr int kMaxTimeoutS = 86400;

void setTimeout(const std::string& flag, const std::string& v, int& out) {
    if (!parseNumber(v, out) || out < 1 || out > kMaxTimeoutS)
        throw ConfigError(flag + " expects seconds between 1 and " + std::to_string(kMaxTimeoutS) +
                          ", got " + quoted(v));
}

void setBetween(const std::string& flag, const std::string& v, int lo, int hi, int& out) {
    if (!parseNumber(v, out) || out < lo || out > hi)
        throw ConfigError(flag + " expects an integer between " + std::to_string(lo) + " and " +
                          std::to_string(hi) + ", got " + quoted(v));
}

// "2GiB", "512MiB", "64KiB", "1GB", or plain bytes.
void setMemoryLimit(State& s, const std::string& v) {
    static const std::pair<const char*, double> units[] = {
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
        {"KB", 1e3},     {"MB", 1e6},        {"GB", 1e9},           {"TB", 1e12},
        {"B", 1.0}};
    double scale = 1.0;
    std::string number = v;
    for (const auto& [suffix, k] : units) {
        const std::string u = suffix;
        if (v.size() > u.size() && v.compare(v.size() - u.size(), u.size(), u) == 0) {
            number = v.substr(0, v.size() - u.size());
            scale = k;
            break;
        }
    }
    double x = 0;
    if (!parseFinite(number, x) || x <= 0.0 || x * scale > 9e18)
        throw ConfigError("--memory-limit expects a size such as 512MiB or 2GiB, got " + quoted(v));
    s.o.memoryLimit = static_cast<std::int64_t>(x * scale);
}

void setAnimationPath(State& s, const std::string& v) {
    std::string suffix =
        v.substr(v.find_last_of('.') == std::string::npos ? v.size() : v.find_last_of('.'));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (suffix != ".gif" && suffix != ".webp")
        throw ConfigError("--export-animation " + quoted(v) + ": use a .gif or .webp file name");
    s.o.animationPath = v;
}

void setAnimBase(State& s, const std::string& v) {
    if (v == "slots")
        s.o.animBase = AnimBase::Slots;
    else if (v == "measured")
        s.o.animBase = AnimBase::Measured;
    else
        throw ConfigError("--anim-base expects slots or measured, got " + quoted(v));
}

void setAnimColors(State& s, const std::string& v) {
    if (v == "op")
        s.o.animColors = AnimColors::ByOp;
    else if (v == "version")
        s.o.animColors = AnimColors::ByVersion;
    else if (v == "staleness")
        s.o.animColors = AnimColors::ByStaleness;
    else
        throw ConfigError("--anim-color-by expects op, version or staleness, got " + quoted(v));
}

// Above 0 and at most a day: a frame per day of a real run is already one
// frame.
void setAnimEveryMs(State& s, const std::string& v) {
    double ms = 0.0;
    if (!parseFinite(v, ms) || !(ms > 0.0) || ms > 86400000.0)
        throw ConfigError("--anim-every-ms expects milliseconds above 0 (at most 86400000), got " +
                          quoted(v));
    s.o.animEveryMs = ms;
}

void setSchedule(State& s, const std::string& v) {
    auto kind = parseScheduleKind(v);
    if (!kind)
        throw ConfigError(
            "unknown schedule " + quoted(v) +
            " (naive, gpipe, 1f1b, pipedream, 2bw, interleaved, zb-h1, zb-h2, zb-v, looped-bfs, "
            "interleaved-zb, dualpipev)");
    s.o.schedule.kind = *kind;
}

void setLr(State& s, const std::string& v) {
    if (!parseFinite(v, s.o.lr))
        throw ConfigError("--lr expects a finite number, got " + quoted(v));
}

void setSeed(State& s, const std::string& v) {
    if (!parseNumber(v, s.o.seed))
        throw ConfigError("--seed expects a non-negative integer, got " + quoted(v));
}

void setChunks(State& s, const std::string& v) {
    s.chunksGiven = true;
    return setInt("--chunks", v, s.o.schedule.chunks);
}

}  // namespace

namespace optionsdetail {

const std::vector<FlagSpec>& flagSpecs() {
    static const std::vector<FlagSpec> specs = {
        {"--schedule", "KIND", false, setSchedule,
         "naive | gpipe | 1f1b | pipedream | 2bw | interleaved | zb-h1 | zb-h2 | zb-v | "
         "looped-bfs | interleaved-zb | dualpipev",
         [](const RunOptions& o) { return std::string(toString(o.schedule.kind)); }},
        {"--stages", "N", false,
         [](State& s, const std::string& v) { return setInt("--stages", v, s.o.schedule.stages); },
         "pipeline stages (devices)", [](const RunOptions& o) { return str(o.schedule.stages); }},
        {"--microbatches", "M", false,
         [](State& s, const std::string& v) {
             return setInt("--microbatches", v, s.o.schedule.microbatches);
         },
         "microbatches per batch",
         [](const RunOptions& o) { return str(o.schedule.microbatches); }},
        {"--batches", "B", false,
         [](State& s, const std::string& v) {
             return setInt("--batches", v, s.o.schedule.batches);
         },
         "batches to train", [](const RunOptions& o) { return str(o.schedule.batches); }},
        {"--batch-size", "N", false,
         [](State& s, const std::string& v) { return setInt("--batch-size", v, s.o.batchSize); },
         "samples per batch (a multiple of M)",
         [](const RunOptions& o) { return str(o.batchSize); }},
        {"--layers", "L", false,
         [](State& s, const std::string& v) { return setInt("--layers", v, s.o.layers); },
         "hidden layers of the MLP", [](const RunOptions& o) { return str(o.layers); }},
        {"--hidden", "H", false,
         [](State& s, const std::string& v) { return setInt("--hidden", v, s.o.hidden); },
         "width of each hidden layer", [](const RunOptions& o) { return str(o.hidden); }},
        {"--chunks", "V", false, setChunks,
         "model chunks per stage (interleaved, looped-bfs, interleaved-zb)",
         [](const RunOptions&) { return std::string("2"); }},
        {"--lr", "X", false, setLr, "learning rate, above 0 and at most 10000",
         [](const RunOptions& o) { return str(o.lr); }},
        {"--optimizer", "NAME", false,
         [](State& s, const std::string& v) {
             if (v != "sgd" && v != "momentum" && v != "adam")
                 throw ConfigError("unknown optimizer " + quoted(v) + " (sgd, momentum or adam)");
             s.o.optimizer = v;
         },
         "sgd | momentum (0.9; cnn's default) | adam (--lr 0.001; gpt's default)",
         [](const RunOptions& o) { return o.optimizer; }},
        {"--epochs", "E", false,
         [](State& s, const std::string& v) { return setPositive("--epochs", v, s.o.epochs); },
         "passes over the training data, each shuffled (seeded); --batches caps them", nullptr},
        {"--eval-every", "N", false,
         [](State& s, const std::string& v) {
             return setPositive("--eval-every", v, s.o.evalEvery);
         },
         "held-out loss and accuracy every N batches (also at each epoch's end and the run's)",
         nullptr},
        {"--seed", "N", false, setSeed, "random seed for weights and data",
         [](const RunOptions& o) { return std::to_string(o.seed); }},
        {"--device", "DEV", false, [](State& s, const std::string& v) { s.o.device = v; },
         "cpu | cuda | cuda:K", [](const RunOptions& o) { return o.device; }},
        {"--data", "SRC", false, [](State& s, const std::string& v) { s.o.data = v; },
         "synthetic | mnist:DIR | fashion-mnist[:DIR] (IDX files, plain or .gz; "
         "held out: t10k) | text[:PATH] (a file or folder; text: the fortunes)",
         [](const RunOptions& o) { return o.data; }},
        {"--model", "NAME", false,
         [](State& s, const std::string& v) {
             if (v != "mlp" && v != "cnn" && v != "gpt")
                 throw ConfigError("unknown model " + quoted(v) + " (mlp, cnn or gpt)");
             s.o.model = v;
         },
         "mlp | cnn (6 layers, for 28 x 28 images) | gpt (character-level transformer)",
         [](const RunOptions& o) { return o.model; }},
        {"--heads", "N", false,
         [](State& s, const std::string& v) { return setInt("--heads", v, s.o.heads); },
         "gpt: attention heads", [](const RunOptions&) { return std::string("4"); }},
        {"--seq-len", "N", false,
         [](State& s, const std::string& v) { return setInt("--seq-len", v, s.o.seqLen); },
         "gpt: context length in characters", [](const RunOptions&) { return std::string("64"); }},
        {"--split", "L,L,...", false, [](State& s, const std::string& v) { s.split = v; },
         "where to cut the model: the first layer of each model part after the first "
         "(4 parts of 16 layers: 4,9,13)",
         nullptr},
        {"--partition", "METHOD", false,
         [](State& s, const std::string& v) {
             if (!parsePartitionMethod(v))
                 throw ConfigError(
                     "--partition expects uniform, time, memory, pipedream or schedule, got " +
                     quoted(v));
             s.partition = v;
         },
         "uniform | time | memory | pipedream | schedule: choose the cut from the layers' "
         "profile (measured when a run starts, or --profile-in; estimated for --dry-run)",
         [](const RunOptions&) { return std::string("uniform"); }},
        {"--profile-in", "FILE", false,
         [](State& s, const std::string& v) {
             if (v.empty()) throw ConfigError(std::string("--profile-in expects a file"));
             s.o.profileIn = v;
         },
         "the layers' measured costs from a --profile-out file (no profiling at the start)",
         nullptr},
        {"--profile-out", "FILE", false,
         [](State& s, const std::string& v) {
             if (v.empty()) throw ConfigError(std::string("--profile-out expects a file"));
             s.o.profileOut = v;
         },
         "measure every layer's forward/backward time and bytes and write them as JSON "
         "(with --dry-run: profile without training)",
         nullptr},
        {"--bandwidth", "GB/S", false,
         [](State& s, const std::string& v) {
             double x = 0;
             if (!parseFinite(v, x) || x <= 0.0 || x > 1e6)
                 throw ConfigError("--bandwidth expects GB/s above 0, got " + quoted(v));
             s.o.bandwidthGBs = x;
         },
         "--partition pipedream: the link between stages (default: the profile's, measured)",
         nullptr},
        {"--memory-limit", "BYTES", false, setMemoryLimit,
         "--partition pipedream: the most a stage may hold (e.g. 512MiB, 2GiB)", nullptr},
        {"--no-stash", nullptr, false,
         [](State& s, const std::string&) { s.o.schedule.stash = false; },
         "pipedream ablation: backward on the newest weights", nullptr},
        {"--vertical-sync", nullptr, false,
         [](State& s, const std::string&) { s.o.schedule.verticalSync = true; },
         "pipedream: one version per microbatch, chosen at stage 0", nullptr},
        {"--dry-run", nullptr, false, [](State& s, const std::string&) { s.o.dryRun = true; },
         "schedule and analytic figures only, no training", nullptr},
        {"--csv", "FILE", false, [](State& s, const std::string& v) { s.o.csvPath = v; },
         "write one CSV row per action", nullptr},
        {"--trace", "FILE", false, [](State& s, const std::string& v) { s.o.tracePath = v; },
         "write a Chrome trace (Perfetto, chrome://tracing)", nullptr},
        {"--json", nullptr, false, [](State& s, const std::string&) { s.o.json = true; },
         "machine-readable summary on stdout", nullptr},
        {"--backend", "B", false,
         [](State& s, const std::string& v) {
             if (v != "threads" && v != "gloo" && v != "nccl")
                 throw ConfigError("unknown backend " + quoted(v) + " (threads, gloo or nccl)");
             s.o.backend = v;
         },
         "threads: one process; gloo | nccl: one process per stage over torch.distributed",
         [](const RunOptions& o) { return o.backend; }},
        {"--launch", nullptr, false, [](State& s, const std::string&) { s.o.launch = true; },
         "with gloo | nccl: start the S rank processes here and collect their events", nullptr},
        {"--rank", "R", false,
         [](State& s, const std::string& v) { return setNonNegative("--rank", v, s.o.rank); },
         "this process's rank (= stage) [default: $RANK]", nullptr},
        {"--world-size", "W", false,
         [](State& s, const std::string& v) {
             return setNonNegative("--world-size", v, s.o.worldSize);
         },
         "ranks in the run, one per stage [default: $WORLD_SIZE]", nullptr},
        {"--local-rank", "R", false,
         [](State& s, const std::string& v) {
             return setNonNegative("--local-rank", v, s.o.localRank);
         },
         "rank on this machine, picks cuda:R [default: $LOCAL_RANK]", nullptr},
        {"--master-addr", "HOST", false,
         [](State& s, const std::string& v) {
             s.o.masterAddr = v;
             return checkHost("--master-addr", v);
         },
         "rendezvous host (rank 0's) [default: $MASTER_ADDR or 127.0.0.1]", nullptr},
        {"--master-port", "PORT", false,
         [](State& s, const std::string& v) { return setPort("--master-port", v, s.o.masterPort); },
         "rendezvous port [default: $MASTER_PORT or 29500]", nullptr},
        {"--events", "HOST:PORT", false,
         [](State& s, const std::string& v) {
             s.o.events = v;
             std::string host;
             try {
                 host = parseHostPort(v).host;
             } catch (const Error& e) {
                 throw ConfigError(std::string("--events: ") + e.what());
             }
             checkHost("--events", host);
         },
         "send this rank's events to a collector there (the GUI's Attach)", nullptr},
        {"--secret-file", "FILE", false, [](State& s, const std::string& v) { s.o.secretFile = v; },
         "the run secret, shared by every rank and the collector: this file's first line "
         "[default: $PIPEDREAM_SECRET; --launch makes its own]",
         nullptr},
        {"--no-secret", nullptr, false, [](State& s, const std::string&) { s.o.noSecret = true; },
         "ranks and collector prove no run secret: anyone who can reach the collector may pose "
         "as a rank (a trusted network only)",
         nullptr},
        {"--rendezvous-timeout", "SEC", false,
         [](State& s, const std::string& v) {
             return setTimeout("--rendezvous-timeout", v, s.o.rendezvousTimeoutS);
         },
         "give up when the ranks have not all met within this time",
         [](const RunOptions& o) { return str(o.rendezvousTimeoutS); }},
        {"--timeout", "SEC", false,
         [](State& s, const std::string& v) { return setTimeout("--timeout", v, s.o.timeoutS); },
         "fail when a peer sends nothing this long (pauses excluded)",
         [](const RunOptions& o) { return str(o.timeoutS); }},
        {"--headless", nullptr, true, [](State& s, const std::string&) { s.o.headless = true; },
         "no window (needs --export DIR or --export-animation FILE)", nullptr},
        {"--export", "DIR", true, [](State& s, const std::string& v) { s.o.exportDir = v; },
         "write figures, CSV and trace into DIR", nullptr},
        {"--open", "FILE", true, [](State& s, const std::string& v) { s.o.openFile = v; },
         "show a run saved as CSV or Chrome trace (with --headless: export its timeline)", nullptr},
        {"--export-animation", "FILE", true, setAnimationPath,
         "with --headless: the walk through the run as an animated .gif or .webp, one frame per "
         "slot",
         nullptr},
        {"--anim-width", "PX", true,
         [](State& s, const std::string& v) {
             return setBetween("--anim-width", v, kAnimMinWidth, kAnimMaxWidth, s.o.animWidth);
         },
         "animation width in pixels (64 to 4000)",
         [](const RunOptions& o) { return str(o.animWidth); }},
        {"--anim-fps", "N", true,
         [](State& s, const std::string& v) {
             return setBetween("--anim-fps", v, kAnimMinFps, kAnimMaxFps, s.o.animFps);
         },
         "animation frames per second (1 to 50)",
         [](const RunOptions& o) { return str(o.animFps); }},
        {"--anim-from", "SLOT", true,
         [](State& s,
            const std::string& v) { return setNonNegative("--anim-from", v, s.o.animFrom); },
         "first slot of the animation [default: 0]", nullptr},
        {"--anim-to", "SLOT", true,
         [](State& s, const std::string& v) { return setNonNegative("--anim-to", v, s.o.animTo); },
         "last slot of the animation [default: the run's last]", nullptr},
        {"--anim-no-caption", nullptr, true,
         [](State& s, const std::string&) { s.o.animCaption = false; },
         "animation without the caption line (the slot's actions and versions)", nullptr},
        {"--anim-base", "BASE", true, setAnimBase,
         "slots (a frame per slot) | measured (a frame per --anim-every-ms of measured time, "
         "boxes at their measured times; a run with measured times only)",
         [](const RunOptions& o) {
             return std::string(o.animBase == AnimBase::Measured ? "measured" : "slots");
         }},
        {"--anim-every-ms", "MS", true, setAnimEveryMs,
         "with --anim-base measured: one frame per MS of measured time [default: about one "
         "per slot]",
         nullptr},
        {"--anim-color-by", "WHAT", true, setAnimColors,
         "animation boxes coloured by op | version (the weight version read) | staleness",
         [](const RunOptions& o) {
             return std::string(o.animColors == AnimColors::ByVersion     ? "version"
                                : o.animColors == AnimColors::ByStaleness ? "staleness"
                                                                          : "op");
         }},
    };
    return specs;
}

}  // namespace optionsdetail

namespace {

const FlagSpec* findFlag(const std::string& name, bool vizFlags) {
    for (const FlagSpec& f : flagSpecs()) {
        if (name == f.name && (vizFlags || !f.vizOnly)) return &f;
    }
    return nullptr;
}

bool isHelp(const std::string& a) {
    return a == "-h" || a == "--help";
}

// Applies one flag; `i` advances past a separate value token.
void parseOne(const std::vector<std::string>& args, std::size_t& i, bool vizFlags, State& state,
              std::set<std::string>& seen) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
        throw ConfigError("unexpected argument " + quoted(arg) + " (see --help)");
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const FlagSpec* spec = findFlag(name, vizFlags);
    if (!spec) throw ConfigError("unknown option " + quoted(name) + " (see --help)");
    // A repeated flag is almost always a typo in a script; say so.
    if (!seen.insert(name).second)
        throw ConfigError("option " + quoted(name) + " given more than once");
    if (!spec->metavar) {
        if (eq != std::string::npos)
            throw ConfigError("option " + quoted(name) + " takes no value");
        return spec->set(state, {});
    }
    std::string value;
    if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0) {
        value = args[++i];
    } else {
        throw ConfigError("option " + quoted(name) + " needs a value (" + name + " " +
                          spec->metavar + ")");
    }
    if (value.empty()) throw ConfigError("option " + quoted(name) + " needs a non-empty value");
    return spec->set(state, value);
}

// "  --flag VALUE   text [default: x]", wrapped at 80 columns under the
// text column; the default stays in one piece so it is easy to spot.
std::string helpLine(const std::string& flag, const std::string& text,
                     const std::string& defaultText = {}) {
    constexpr std::size_t kTextColumn = 24, kWidth = 80;
    std::string line = "  " + flag;
    line.resize(std::max(line.size() + 1, kTextColumn), ' ');
    std::string out;
    std::istringstream stream(text);
    std::vector<std::string> words;
    for (std::string w; stream >> w;) words.push_back(w);
    if (!defaultText.empty()) words.push_back("[default: " + defaultText + "]");
    bool first = true;
    for (const std::string& word : words) {
        if (!first && line.size() + 1 + word.size() > kWidth) {
            out += line + "\n";
            line.assign(kTextColumn, ' ');
            first = true;
        }
        line += (first ? "" : " ") + word;
        first = false;
    }
    return out + line + "\n";
}

}  // namespace

ParsedOptions parseRunOptions(const std::vector<std::string>& args, bool vizFlags) {
    ParsedOptions result;
    // Help wins over everything else, so "--help" always works.
    for (const std::string& a : args) {
        if (isHelp(a)) {
            result.options = defaultRunOptions();
            result.help = true;
            return result;
        }
    }
    State state;
    state.o = defaultRunOptions();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < args.size(); ++i) parseOne(args, i, vizFlags, state, seen);
    if (state.o.model != "mlp") {
        // The model's own defaults for what the command line leaves open.
        const RunOptions d = modelDefaults(state.o.model);
        if (!seen.count("--layers")) state.o.layers = d.layers;
        if (!seen.count("--hidden")) state.o.hidden = d.hidden;
        if (!seen.count("--batch-size")) state.o.batchSize = d.batchSize;
        if (!seen.count("--optimizer")) state.o.optimizer = d.optimizer;
        if (!seen.count("--data")) state.o.data = d.data;
    }
    if (!seen.count("--lr")) state.o.lr = defaultLr(state.o.model, state.o.optimizer);
    // --epochs without --batches: every batch of the epochs, known once the
    // data is read (pipedream-viz and the dry run need --batches).
    if (seen.count("--epochs") && !seen.count("--batches")) {
        if (vizFlags || state.o.dryRun || state.o.backend != "threads")
            throw ConfigError(std::string(vizFlags         ? "pipedream-viz"
                                          : state.o.dryRun ? "--dry-run"
                                                           : "a distributed run") +
                              " does not read the data before it schedules: give --batches with "
                              "--epochs (it caps them)");
        state.o.schedule.batches = 0;
    }
    checkFlagCombinations(state, vizFlags);
    if (vizFlags && !state.o.openFile.empty()) checkOpenCombinations(seen);
    checkRunOptions(state.o);
    resolveSplit(state);  // the sizes hold
    result.options = state.o;
    return result;
}

std::string usage(const std::string& program, bool vizFlags) {
    const RunOptions d = defaultRunOptions();
    std::ostringstream out;
    out << "Usage: " << program << (vizFlags ? " [--headless --export DIR]" : "")
        << " [options]\n\n"
        << (vizFlags ? "Pipeline-parallel training, made visible.\n\n"
                     : "Pipeline-parallel training on the command line.\n\n")
        << "Options:\n";
    for (const FlagSpec& f : flagSpecs()) {
        if (f.vizOnly && !vizFlags) continue;
        const std::string lhs =
            std::string(f.name) + (f.metavar ? std::string(" ") + f.metavar : "");
        out << helpLine(lhs, f.help, f.defaultText ? f.defaultText(d) : std::string());
    }
    out << helpLine("-h, --help", "show this help") << "\n";
    if (vizFlags)
        out << "--csv and --trace write the run the command line configures, when it ends:\n"
            << "with --headless after the export; in the window once that run reaches its\n"
            << "end, however it is walked (played or stepped). A run replaced (a control\n"
            << "changed, a new run, a file opened), failed or left unfinished when the window\n"
            << "closes writes nothing, says so, and the exit status is 1. Later runs never\n"
            << "write them. Files are replaced atomically.\n\n";
    out << "Values may also be given as --flag=VALUE. Exit status: 0 success, 2 bad input,\n"
        << "1 failure at run time.\n";
    return out.str();
}

}  // namespace pd
