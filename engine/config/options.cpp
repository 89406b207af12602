#include "engine/config/options.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>

#include "engine/base/parse.h"
#include "engine/base/safefile.h"
#include "engine/formats/trace.h"

namespace pd {

namespace {

constexpr int kMaxCudaIndex = 1023;

// Arguments are echoed in errors: control bytes escaped, so one line stays one.
std::string quoted(const std::string& s) {
    return "'" + printable(s) + "'";
}

// A host name or address as the network takes it: letters, digits and
// . - _ : % [ ] (IPv6, zone), at most 253 bytes. Anything else (a space, a
// control byte) is refused before anything starts, not as a rendezvous failure.
std::string checkHost(const std::string& flag, const std::string& host) {
    if (host.empty()) return flag + " expects a host name or address, got ''";
    bool ok = host.size() <= 253;
    for (char ch : host)
        ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) ||
                    std::string_view(".-_:%[]").find(ch) != std::string_view::npos);
    return ok ? std::string() : flag + " expects a host name or address, got " + quoted(host);
}

// Whole token, no trailing junk, no overflow ("4x", "1e3", "99999999999" fail).
template <typename T>
bool parseInteger(const std::string& text, T& out) {
    if (text.empty()) return false;
    const char* first = text.data();
    const char* last = first + text.size();
    auto r = std::from_chars(first, last, out);
    return r.ec == std::errc() && r.ptr == last;
}

bool parseFinite(const std::string& text, double& out) {
    if (text.empty()) return false;
    // from_chars ignores the C locale, which Qt sets from the environment.
    auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(out);
}

struct State {
    RunOptions o;
    bool chunksGiven = false;
    std::string split;      // --split as typed, read once the sizes are known
    std::string partition;  // --partition METHOD
};

std::string setInt(const std::string& flag, const std::string& v, int& out) {
    if (!parseInteger(v, out)) return flag + " expects an integer, got " + quoted(v);
    return {};
}

std::string setNonNegative(const std::string& flag, const std::string& v, int& out) {
    if (!parseInteger(v, out) || out < 0)
        return flag + " expects a non-negative integer, got " + quoted(v);
    return {};
}

std::string setPort(const std::string& flag, const std::string& v, int& out) {
    if (!parseInteger(v, out) || out < 1 || out > 65535)
        return flag + " expects a port between 1 and 65535, got " + quoted(v);
    return {};
}

constexpr int kMaxTimeoutS = 86400;

std::string setTimeout(const std::string& flag, const std::string& v, int& out) {
    if (!parseInteger(v, out) || out < 1 || out > kMaxTimeoutS)
        return flag + " expects seconds between 1 and " + std::to_string(kMaxTimeoutS) + ", got " +
               quoted(v);
    return {};
}

std::string setBetween(const std::string& flag, const std::string& v, int lo, int hi, int& out) {
    if (!parseInteger(v, out) || out < lo || out > hi)
        return flag + " expects an integer between " + std::to_string(lo) + " and " +
               std::to_string(hi) + ", got " + quoted(v);
    return {};
}

std::string setAnimationPath(State& s, const std::string& v) {
    std::string suffix =
        v.substr(v.find_last_of('.') == std::string::npos ? v.size() : v.find_last_of('.'));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (suffix != ".gif" && suffix != ".webp")
        return "--export-animation " + quoted(v) + ": use a .gif or .webp file name";
    s.o.animationPath = v;
    return {};
}

std::string setSchedule(State& s, const std::string& v) {
    auto kind = parseScheduleKind(v);
    if (!kind)
        return "unknown schedule " + quoted(v) +
               " (naive, gpipe, 1f1b, pipedream, 2bw, interleaved, zb-h1, zb-h2, zb-v, looped-bfs, "
               "interleaved-zb, dualpipev)";
    s.o.schedule.kind = *kind;
    return {};
}

std::string setLr(State& s, const std::string& v) {
    if (!parseFinite(v, s.o.lr)) return "--lr expects a finite number, got " + quoted(v);
    return {};
}

std::string setSeed(State& s, const std::string& v) {
    if (!parseInteger(v, s.o.seed))
        return "--seed expects a non-negative integer, got " + quoted(v);
    return {};
}

std::string setChunks(State& s, const std::string& v) {
    s.chunksGiven = true;
    return setInt("--chunks", v, s.o.schedule.chunks);
}

// One table drives parsing and --help, so the two cannot drift apart.
struct FlagSpec {
    const char* name;
    const char* metavar;  // nullptr: the flag takes no value
    bool vizOnly;
    std::string (*set)(State&, const std::string&);
    const char* help;
    std::string (*defaultText)(const RunOptions&);  // nullptr: no default shown
};

std::string str(int v) {
    return std::to_string(v);
}

std::string str(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

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
        {"--seed", "N", false, setSeed, "random seed for weights and data",
         [](const RunOptions& o) { return std::to_string(o.seed); }},
        {"--device", "DEV", false,
         [](State& s, const std::string& v) {
             s.o.device = v;
             return std::string();
         },
         "cpu | cuda | cuda:K", [](const RunOptions& o) { return o.device; }},
        {"--data", "SRC", false,
         [](State& s, const std::string& v) {
             s.o.data = v;
             return std::string();
         },
         "synthetic | mnist:DIR | fashion-mnist[:DIR] (IDX files, plain or .gz; "
         "held out: t10k) | text[:PATH] (a file or folder; text: the fortunes)",
         [](const RunOptions& o) { return o.data; }},
        {"--model", "NAME", false,
         [](State& s, const std::string& v) {
             if (v != "mlp" && v != "cnn" && v != "gpt")
                 return "unknown model " + quoted(v) + " (mlp, cnn or gpt)";
             s.o.model = v;
             return std::string();
         },
         "mlp | cnn (6 layers, for 28 x 28 images) | gpt (character-level transformer)",
         [](const RunOptions& o) { return o.model; }},
        {"--heads", "N", false,
         [](State& s, const std::string& v) { return setInt("--heads", v, s.o.heads); },
         "gpt: attention heads", [](const RunOptions&) { return std::string("4"); }},
        {"--seq-len", "N", false,
         [](State& s, const std::string& v) { return setInt("--seq-len", v, s.o.seqLen); },
         "gpt: context length in characters", [](const RunOptions&) { return std::string("64"); }},
        {"--split", "L,L,...", false,
         [](State& s, const std::string& v) {
             s.split = v;
             return std::string();
         },
         "where to cut the model: the first layer of each model part after the first "
         "(4 parts of 16 layers: 4,9,13)",
         nullptr},
        {"--partition", "METHOD", false,
         [](State& s, const std::string& v) {
             if (!parsePartitionMethod(v))
                 return "--partition expects uniform, time, memory, pipedream or schedule, got " +
                        quoted(v);
             s.partition = v;
             return std::string();
         },
         "uniform | time | memory | pipedream | schedule: choose the cut from the layers' "
         "estimated costs (engine/schedule/partition.h)",
         [](const RunOptions&) { return std::string("uniform"); }},
        {"--no-stash", nullptr, false,
         [](State& s, const std::string&) {
             s.o.schedule.stash = false;
             return std::string();
         },
         "pipedream ablation: backward on the newest weights", nullptr},
        {"--vertical-sync", nullptr, false,
         [](State& s, const std::string&) {
             s.o.schedule.verticalSync = true;
             return std::string();
         },
         "pipedream: one version per microbatch, chosen at stage 0", nullptr},
        {"--dry-run", nullptr, false,
         [](State& s, const std::string&) {
             s.o.dryRun = true;
             return std::string();
         },
         "schedule and analytic figures only, no training", nullptr},
        {"--csv", "FILE", false,
         [](State& s, const std::string& v) {
             s.o.csvPath = v;
             return std::string();
         },
         "write one CSV row per action", nullptr},
        {"--trace", "FILE", false,
         [](State& s, const std::string& v) {
             s.o.tracePath = v;
             return std::string();
         },
         "write a Chrome trace (Perfetto, chrome://tracing)", nullptr},
        {"--json", nullptr, false,
         [](State& s, const std::string&) {
             s.o.json = true;
             return std::string();
         },
         "machine-readable summary on stdout", nullptr},
        {"--backend", "B", false,
         [](State& s, const std::string& v) {
             if (v != "threads" && v != "gloo" && v != "nccl")
                 return "unknown backend " + quoted(v) + " (threads, gloo or nccl)";
             s.o.backend = v;
             return std::string();
         },
         "threads: one process; gloo | nccl: one process per stage over torch.distributed",
         [](const RunOptions& o) { return o.backend; }},
        {"--launch", nullptr, false,
         [](State& s, const std::string&) {
             s.o.launch = true;
             return std::string();
         },
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
             std::string host, error;
             int port = 0;
             if (!parseHostPort(v, host, port, error)) return "--events: " + error;
             return checkHost("--events", host);
         },
         "send this rank's events to a collector there (the GUI's Attach)", nullptr},
        {"--secret-file", "FILE", false,
         [](State& s, const std::string& v) {
             s.o.secretFile = v;
             return std::string();
         },
         "the run secret, shared by every rank and the collector: this file's first line "
         "[default: $PIPEDREAM_SECRET; --launch makes its own]",
         nullptr},
        {"--no-secret", nullptr, false,
         [](State& s, const std::string&) {
             s.o.noSecret = true;
             return std::string();
         },
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
        {"--headless", nullptr, true,
         [](State& s, const std::string&) {
             s.o.headless = true;
             return std::string();
         },
         "no window (needs --export DIR or --export-animation FILE)", nullptr},
        {"--export", "DIR", true,
         [](State& s, const std::string& v) {
             s.o.exportDir = v;
             return std::string();
         },
         "write figures, CSV and trace into DIR", nullptr},
        {"--open", "FILE", true,
         [](State& s, const std::string& v) {
             s.o.openFile = v;
             return std::string();
         },
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
         "animation frames (slots) per second (1 to 50)",
         [](const RunOptions& o) { return str(o.animFps); }},
        {"--anim-from", "SLOT", true,
         [](State& s, const std::string& v) {
             return setNonNegative("--anim-from", v, s.o.animFrom);
         },
         "first slot of the animation [default: 0]", nullptr},
        {"--anim-to", "SLOT", true,
         [](State& s, const std::string& v) { return setNonNegative("--anim-to", v, s.o.animTo); },
         "last slot of the animation [default: the run's last]", nullptr},
        {"--anim-no-caption", nullptr, true,
         [](State& s, const std::string&) {
             s.o.animCaption = false;
             return std::string();
         },
         "animation without the caption line (the slot's actions and versions)", nullptr},
    };
    return specs;
}

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
std::string parseOne(const std::vector<std::string>& args, std::size_t& i, bool vizFlags,
                     State& state, std::set<std::string>& seen) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
        return "unexpected argument " + quoted(arg) + " (see --help)";
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const FlagSpec* spec = findFlag(name, vizFlags);
    if (!spec) return "unknown option " + quoted(name) + " (see --help)";
    // A repeated flag is almost always a typo in a script; say so.
    if (!seen.insert(name).second) return "option " + quoted(name) + " given more than once";
    if (!spec->metavar) {
        if (eq != std::string::npos) return "option " + quoted(name) + " takes no value";
        return spec->set(state, {});
    }
    std::string value;
    if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0) {
        value = args[++i];
    } else {
        return "option " + quoted(name) + " needs a value (" + name + " " + spec->metavar + ")";
    }
    if (value.empty()) return "option " + quoted(name) + " needs a non-empty value";
    return spec->set(state, value);
}

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

std::string checkOutputCombinations(const RunOptions& o) {
    if (sameOutput(o.csvPath, o.tracePath))
        return "--csv and --trace name the same file " + quoted(o.csvPath) + "; give each its own";
    for (const std::string* path : {&o.csvPath, &o.tracePath})
        if (o.json && isStdoutPath(*path))
            return "--json and " + std::string(path == &o.csvPath ? "--csv " : "--trace ") +
                   quoted(*path) + " would both write to standard output";
    return {};
}

// pipedream-viz --open shows a saved run: the file decides the schedule and
// nothing is trained or written, so these flags would be silently ignored.
std::string checkOpenCombinations(const std::set<std::string>& seen) {
    for (const FlagSpec& f : flagSpecs()) {
        const std::string name = f.name;
        if (f.vizOnly || !seen.count(name)) continue;
        return "option " + quoted(name) +
               " cannot be combined with --open (the run is read from the file; nothing is trained "
               "or "
               "written)";
    }
    return {};
}

std::string checkDistributedCombinations(const RunOptions& o, bool vizFlags) {
    const bool threads = o.backend == "threads";
    if (vizFlags && !threads)
        return "pipedream-viz chooses local processes in its Controls dock; --backend is "
               "pipedream-train's";
    if (o.launch && threads) return "--launch needs --backend gloo or nccl";
    const bool rankGiven = o.rank >= 0 || o.worldSize >= 0 || o.localRank >= 0 ||
                           !o.masterAddr.empty() || o.masterPort > 0 || !o.events.empty();
    if (threads && rankGiven)
        return "--rank, --world-size, --local-rank, --master-addr, --master-port and --events "
               "need --backend gloo or nccl";
    if (threads && (o.noSecret || !o.secretFile.empty()))
        return "--secret-file and --no-secret are for distributed runs: they need --backend "
               "gloo or nccl";
    if (o.noSecret && !o.secretFile.empty())
        return "--no-secret and --secret-file contradict each other: give one of them";
    if (o.launch && !o.secretFile.empty())
        return "--launch makes a new run secret for its ranks: leave out --secret-file";
    if (o.launch && (o.rank >= 0 || o.worldSize >= 0 || o.localRank >= 0))
        return "--launch starts every rank itself: leave out --rank, --world-size and "
               "--local-rank";
    if (o.launch && (!o.masterAddr.empty() || o.masterPort > 0 || !o.events.empty()))
        return "--launch meets its ranks on this machine and collects their events itself: leave "
               "out --master-addr, --master-port and --events";
    if (!threads && o.dryRun) return "--dry-run trains nothing: leave out --backend";
    return {};
}

std::string checkAnimationFlags(const State& s) {
    const RunOptions& o = s.o;
    if (!o.animationPath.empty() && !o.headless)
        return "--export-animation needs --headless (in the window: File > Export > Animation)";
    const RunOptions d;
    const bool tuned = o.animWidth != d.animWidth || o.animFps != d.animFps || o.animFrom >= 0 ||
                       o.animTo >= 0 || !o.animCaption;
    if (tuned && o.animationPath.empty())
        return "--anim-width, --anim-fps, --anim-from, --anim-to and --anim-no-caption need "
               "--export-animation FILE";
    if (o.animFrom >= 0 && o.animTo >= 0 && o.animTo < o.animFrom)
        return "--anim-to " + std::to_string(o.animTo) + " comes before --anim-from " +
               std::to_string(o.animFrom);
    if (o.animFrom >= 0 && o.animTo >= 0 &&
        static_cast<long long>(o.animTo) - o.animFrom + 1 > kAnimMaxFrames)
        return "--anim-from " + std::to_string(o.animFrom) + " to --anim-to " +
               std::to_string(o.animTo) + " is more than " + std::to_string(kAnimMaxFrames) +
               " frames";
    return {};
}

// Rules about which flags go together; value ranges are checkRunOptions'.
std::string checkFlagCombinations(State& s, bool vizFlags) {
    ScheduleConfig& c = s.o.schedule;
    if (!s.chunksGiven) c.chunks = chunksFor(c.kind, 2);
    if (s.chunksGiven && !isChunkedKind(c.kind) && c.chunks != chunksFor(c.kind, c.chunks))
        return isVShapeKind(c.kind) ? "--schedule " + std::string(toString(c.kind)) +
                                          " has exactly 2 chunks per stage"
                                    : "--chunks applies only to --schedule interleaved, looped-bfs "
                                      "and interleaved-zb";
    const bool pipedream = c.kind == ScheduleKind::PipeDream;
    if (!c.stash && !pipedream) return "--no-stash applies only to --schedule pipedream";
    if (c.verticalSync && !pipedream) return "--vertical-sync applies only to --schedule pipedream";
    if (c.verticalSync && !c.stash)
        return "--vertical-sync and --no-stash cannot be combined (vertical sync needs stashing)";
    if (vizFlags && s.o.headless && s.o.exportDir.empty() && s.o.animationPath.empty())
        return "--headless needs --export DIR or --export-animation FILE";
    if (std::string e = checkAnimationFlags(s); !e.empty()) return e;
    if (std::string e = checkDistributedCombinations(s.o, vizFlags); !e.empty()) return e;
    return checkOutputCombinations(s.o);
}

std::string checkDevice(const std::string& device) {
    if (device == "cpu" || device == "cuda") return {};
    int index = -1;
    if (device.compare(0, 5, "cuda:") == 0 && parseInteger(device.substr(5), index) && index >= 0 &&
        index <= kMaxCudaIndex)
        return {};
    return "unknown device " + quoted(device) + " (cpu, cuda or cuda:K)";
}

std::string checkData(const std::string& data) {
    if (data == "synthetic" || data == "fashion-mnist" || data == "text") return {};
    for (const char* prefix : {"mnist:", "fashion-mnist:", "text:"}) {
        const std::size_t n = std::string(prefix).size();
        if (data.compare(0, n, prefix) != 0) continue;
        if (data.size() == n)
            return "--data " + std::string(prefix) + " needs a " +
                   (n == 5 ? "file or folder (text:PATH)"
                           : std::string("folder (") + prefix + "DIR)");
        return {};
    }
    return "unknown data source " + quoted(data) +
           " (synthetic, mnist:DIR, fashion-mnist[:DIR] or text[:PATH])";
}

std::string checkRange(const char* what, long long v, long long lo, long long hi);

std::string checkModel(const RunOptions& o) {
    if (o.model != "mlp" && o.model != "cnn" && o.model != "gpt")
        return "unknown model " + quoted(o.model) + " (mlp, cnn or gpt)";
    const bool text = isTextData(o.data);
    if (o.model == "gpt" && !text) return "--model gpt trains on text (--data text or text:PATH)";
    if (o.model != "gpt" && text) return "--data " + o.data + " is text: it needs --model gpt";
    if (o.model == "cnn" && o.layers != 6)
        return "--model cnn has 6 layers (4 convolutions, 2 fully connected): leave out --layers";
    if (o.model == "gpt") {
        std::string e = checkRange("heads", o.heads, 1, o.hidden);
        if (e.empty() && o.hidden % o.heads != 0)
            e = "--heads " + std::to_string(o.heads) + " must divide --hidden " +
                std::to_string(o.hidden);
        if (e.empty()) e = checkRange("seq-len", o.seqLen, 1, kMaxSeqLen);
        return e;
    }
    return {};
}

std::string checkRange(const char* what, long long v, long long lo, long long hi) {
    if (v >= lo && v <= hi) return {};
    return std::string(what) + " must be between " + std::to_string(lo) + " and " +
           std::to_string(hi) + ", got " + std::to_string(v);
}

std::string checkSizes(const RunOptions& o) {
    std::string e = checkRange("layers", o.layers, 1, kMaxLayers);
    if (e.empty()) e = checkRange("hidden", o.hidden, 1, kMaxHidden);
    if (e.empty()) e = checkRange("batch size", o.batchSize, 1, kMaxBatchSize);
    if (e.empty()) e = checkRange("classes", o.classes, 2, kMaxHidden);
    if (!e.empty()) return e;
    const ScheduleConfig& c = o.schedule;
    const int layers = partitionLayers(o);
    const std::string got =
        std::to_string(layers) +
        (o.model == "gpt" ? " (the embedding, " + std::to_string(o.layers) + " blocks and the head)"
                          : "");
    if (static_cast<long long>(c.stages) * c.chunks > layers) {
        if (c.chunks > 1)
            return std::to_string(c.stages) + " stages x " + std::to_string(c.chunks) +
                   " chunks need at least " + std::to_string(c.parts()) + " layers, got " + got;
        return std::to_string(c.stages) + " stages need at least " + std::to_string(c.stages) +
               " layers, got " + got;
    }
    if (c.microbatches > o.batchSize)
        return "batch size " + std::to_string(o.batchSize) + " is too small for " +
               std::to_string(c.microbatches) + " microbatches";
    if (o.batchSize % c.microbatches != 0)
        return "batch size " + std::to_string(o.batchSize) + " is not divisible into " +
               std::to_string(c.microbatches) + " microbatches";
    return {};
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

using Flags = std::vector<std::pair<std::string, std::string>>;  // flag, value ("" for switches)

Flags flagsOf(const std::vector<std::string>& args) {
    Flags out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool hasValue = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
        out.emplace_back(args[i], hasValue ? args[i + 1] : std::string());
        if (hasValue) ++i;
    }
    return out;
}

std::string shown(const std::string& flag, const std::string& value) {
    return value.empty() ? flag : flag + " " + value;
}

// What differs between a rank's options and the expected ones, flag by
// flag ("--microbatches 8, expected 4"); empty when they agree.
std::string describeDifference(const std::vector<std::string>& actual,
                               const std::vector<std::string>& expected) {
    const Flags a = flagsOf(actual);
    const Flags e = flagsOf(expected);
    auto find = [](const Flags& f, const std::string& flag) -> const std::string* {
        for (const auto& [k, v] : f)
            if (k == flag) return &v;
        return nullptr;
    };
    std::string out;
    auto add = [&](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
    for (const auto& [flag, value] : e) {
        const std::string* got = find(a, flag);
        if (!got)
            add("without " + flag + ", expected " + shown(flag, value));
        else if (*got != value)
            add(shown(flag, *got) + ", expected " + (value.empty() ? flag : value));
    }
    for (const auto& [flag, value] : a) {
        if (!find(e, flag)) add(shown(flag, value) + ", expected without " + flag);
    }
    return out;
}

// The options as toArgs writes them, so that two spellings of one run agree.
std::vector<std::string> normalized(const std::vector<std::string>& args) {
    const ParsedOptions p = parseRunOptions(args, false);
    return p.error.empty() ? toArgs(p.options) : args;
}

}  // namespace

bool isTextData(const std::string& data) {
    return data == "text" || data.compare(0, 5, "text:") == 0;
}

int partitionLayers(const RunOptions& o) {
    if (o.model == "cnn") return 6;
    if (o.model == "gpt") return o.layers + 2;
    return o.layers;
}

RunOptions modelDefaults(const std::string& model) {
    RunOptions o = defaultRunOptions();
    if (model == "cnn") {
        o.model = model;
        o.layers = 6;
        o.hidden = 128;
        o.batchSize = 64;
        o.lr = 0.05;
        o.data = "fashion-mnist";
    } else if (model == "gpt") {
        o.model = model;
        o.layers = 4;
        o.hidden = 128;
        o.heads = 4;
        o.seqLen = 64;
        o.batchSize = 32;
        o.lr = 0.3;
        o.data = "text";
    }
    return o;
}

RunOptions defaultRunOptions() {
    RunOptions o;
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.schedule.batches = 5;
    o.schedule.chunks = 1;
    o.batchSize = 32;
    o.layers = 48;
    o.hidden = 512;
    o.classes = 10;
    o.lr = 0.02;  // plain SGD; 0.05 diverges for pipedream / 2bw on the 48-layer default
    o.seed = 0;
    o.device = "cpu";
    o.data = "synthetic";
    return o;
}

namespace {

// --split read against the sizes, or --partition's choice from the layers'
// estimated costs. Both at once: which one is meant is not ours to guess.
std::string resolveSplit(State& s) {
    if (!s.split.empty() && !s.partition.empty())
        return "--split and --partition cannot be combined (--split is the cut itself)";
    const int parts = s.o.schedule.parts();
    if (!s.split.empty()) {
        std::string error;
        const auto ranges = parseSplit(s.split, partitionableLayers(s.o), parts, error);
        if (!ranges) return error;
        s.o.split = boundariesOf(*ranges);
        if (s.o.split == boundariesOf(splitLayers(partitionableLayers(s.o), parts)))
            s.o.split.clear();
        return {};
    }
    if (s.partition.empty() || s.partition == "uniform") return {};
    if (s.o.model != "mlp")
        return "--partition " + s.partition +
               " estimates the MLP's layer costs only; for --model " + s.o.model +
               " give the cut with --split";
    try {
        PartitionGoal goal;
        goal.config = s.o.schedule;
        const Partition p =
            partitionLayers(*parsePartitionMethod(s.partition), estimateLayerCosts(s.o), goal);
        s.o.split = boundariesOf(p.parts);
    } catch (const std::exception& e) {
        return std::string("--partition ") + s.partition + ": " + e.what();
    }
    // The equal cut is the default's: said by no split at all.
    if (s.o.split == boundariesOf(splitLayers(partitionableLayers(s.o), parts))) s.o.split.clear();
    return {};
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
    for (std::size_t i = 0; i < args.size() && result.error.empty(); ++i)
        result.error = parseOne(args, i, vizFlags, state, seen);
    if (result.error.empty() && state.o.model != "mlp") {
        // The model's own defaults for what the command line leaves open.
        const RunOptions d = modelDefaults(state.o.model);
        if (!seen.count("--layers")) state.o.layers = d.layers;
        if (!seen.count("--hidden")) state.o.hidden = d.hidden;
        if (!seen.count("--batch-size")) state.o.batchSize = d.batchSize;
        if (!seen.count("--lr")) state.o.lr = d.lr;
        if (!seen.count("--data")) state.o.data = d.data;
    }
    if (result.error.empty()) result.error = checkFlagCombinations(state, vizFlags);
    if (result.error.empty() && vizFlags && !state.o.openFile.empty())
        result.error = checkOpenCombinations(seen);
    if (result.error.empty()) result.error = checkRunOptions(state.o);
    if (result.error.empty()) result.error = resolveSplit(state);  // the sizes hold
    result.options = state.o;
    return result;
}

std::string checkRunOptions(const RunOptions& options) {
    try {
        checkConfig(options.schedule);
    } catch (const ConfigError& e) {
        return e.what();
    }
    if (!(std::isfinite(options.lr) && options.lr > 0.0 && options.lr <= kMaxLr))
        return "learning rate must be greater than 0 and at most " + str(kMaxLr) + ", got " +
               str(options.lr);
    std::string e = checkSizes(options);
    if (e.empty() && !options.split.empty()) {
        std::string text;
        for (int b : options.split) text += (text.empty() ? "" : ",") + std::to_string(b);
        if (!parseSplit(text, partitionableLayers(options), options.schedule.parts(), e)) return e;
    }
    if (e.empty()) e = checkDevice(options.device);
    if (e.empty()) e = checkData(options.data);
    if (e.empty()) e = checkModel(options);
    return e;
}

int partitionableLayers(const RunOptions& o) {
    return o.model == "gpt" ? o.layers + 2 : o.layers;  // gpt: embedding and head beside
}

std::vector<LayerRange> layerSplit(const RunOptions& o) {
    if (o.split.empty()) return splitLayers(partitionableLayers(o), o.schedule.parts());
    std::string error;
    std::string text;
    for (int b : o.split) text += (text.empty() ? "" : ",") + std::to_string(b);
    const auto ranges = parseSplit(text, partitionableLayers(o), o.schedule.parts(), error);
    if (!ranges) throw ConfigError(error);
    return *ranges;
}

std::vector<std::string> stageNames(const RunOptions& o) {
    std::vector<LayerRange> parts;
    try {
        parts = layerSplit(o);
    } catch (const std::exception&) {
        parts.clear();
    }
    return stageNames(o.schedule, parts);
}

std::vector<LayerCost> estimateLayerCosts(const RunOptions& o) {
    // The MLP of engine/model/model.cpp: layer 1 from the input, L-1 hidden
    // layers, the class head inside the last layer's part. Forward: 2 x rows
    // x in x out flops; backward: twice that (input and weight gradients),
    // the first layer's without the input gradient. Per microbatch it keeps
    // each layer's input and pre-activation.
    const double rows = std::max(1, o.microbatchSize());
    const double input = o.data.compare(0, 6, "mnist:") == 0 ? 784.0 : o.hidden;
    std::vector<LayerCost> out;
    for (int l = 1; l <= o.layers; ++l) {
        const double in = l == 1 ? input : o.hidden;
        double flops = 2.0 * rows * in * o.hidden;
        double params = in * o.hidden + o.hidden;
        double kept = rows * (in + o.hidden);
        if (l == o.layers) {  // the head rides with the last layer
            flops += 2.0 * rows * o.hidden * o.classes;
            params += static_cast<double>(o.hidden) * o.classes + o.classes;
            kept += rows * (o.hidden + 2.0 * o.classes);
        }
        LayerCost c;
        c.forward = flops;
        c.backward = l == 1 ? flops : 2.0 * flops;
        c.activationBytes = static_cast<std::int64_t>(4.0 * kept);
        c.outputBytes = static_cast<std::int64_t>(4.0 * rows * o.hidden);
        c.paramBytes = static_cast<std::int64_t>(4.0 * params);
        out.push_back(c);
    }
    return out;
}

std::vector<std::string> toArgs(const RunOptions& o) {
    const ScheduleConfig& c = o.schedule;
    std::vector<std::string> a = {"--schedule",     toString(c.kind),
                                  "--stages",       str(c.stages),
                                  "--microbatches", str(c.microbatches),
                                  "--batches",      str(c.batches),
                                  "--batch-size",   str(o.batchSize),
                                  "--layers",       str(o.layers),
                                  "--hidden",       str(o.hidden),
                                  "--seed",         std::to_string(o.seed),
                                  "--device",       o.device,
                                  "--data",         o.data};
    std::ostringstream lr;
    lr.precision(17);
    lr << o.lr;
    a.insert(a.end(), {"--lr", lr.str()});
    if (o.model != "mlp") a.insert(a.end(), {"--model", o.model});
    if (o.model == "gpt") a.insert(a.end(), {"--heads", str(o.heads), "--seq-len", str(o.seqLen)});
    if (isChunkedKind(c.kind)) a.insert(a.end(), {"--chunks", str(c.chunks)});
    if (!o.split.empty()) {
        std::string text;
        for (int b : o.split) text += (text.empty() ? "" : ",") + str(b);
        a.insert(a.end(), {"--split", text});
    }
    if (!c.stash) a.push_back("--no-stash");
    if (c.verticalSync) a.push_back("--vertical-sync");
    if (o.backend != "threads") {
        a.insert(a.end(), {"--backend", o.backend, "--rendezvous-timeout",
                           str(o.rendezvousTimeoutS), "--timeout", str(o.timeoutS)});
    }
    return a;
}

std::string optionsDifference(const std::vector<std::string>& actual,
                              const std::vector<std::string>& expected) {
    return describeDifference(normalized(actual), expected);
}

std::string resolveRankSettings(RunOptions& o, const std::function<const char*(const char*)>& env) {
    auto fromEnv = [&](const char* name, int& out, int lo, int hi) -> std::string {
        if (out >= 0 && !(out == 0 && std::string(name) == "MASTER_PORT")) return {};
        const char* v = env(name);
        if (!v || !*v) return {};
        int parsed = 0;
        if (!parseInteger(std::string(v), parsed) || parsed < lo || parsed > hi)
            return std::string("environment variable ") + name + "=" + quoted(v) +
                   " is not a valid value";
        out = parsed;
        return {};
    };
    if (std::string e = fromEnv("RANK", o.rank, 0, 1 << 20); !e.empty()) return e;
    if (std::string e = fromEnv("WORLD_SIZE", o.worldSize, 1, 1 << 20); !e.empty()) return e;
    if (std::string e = fromEnv("LOCAL_RANK", o.localRank, 0, 1 << 20); !e.empty()) return e;
    if (std::string e = fromEnv("MASTER_PORT", o.masterPort, 1, 65535); !e.empty()) return e;
    if (o.masterAddr.empty()) {
        const char* v = env("MASTER_ADDR");
        o.masterAddr = v && *v ? v : "127.0.0.1";
        if (std::string e = checkHost("MASTER_ADDR", o.masterAddr); !e.empty()) return e;
    }
    if (o.masterPort <= 0) o.masterPort = 29500;
    const int stages = o.schedule.stages;
    if (o.worldSize < 0) o.worldSize = stages;
    if (o.worldSize != stages)
        return "world size mismatch: " + str(o.worldSize) + " ranks for " + str(stages) +
               " stages (one rank per stage: --stages " + str(o.worldSize) + " or launch " +
               str(stages) + " ranks)";
    if (o.rank < 0) return "no rank given: set --rank (or RANK, as torchrun does), or use --launch";
    if (o.rank >= o.worldSize)
        return "rank " + str(o.rank) + " is outside the world of " + str(o.worldSize) +
               " ranks (0.." + str(o.worldSize - 1) + ")";
    if (o.localRank < 0) o.localRank = o.rank;
    return {};
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
