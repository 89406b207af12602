#include "engine/formats/trace.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/base/json.h"
#include "engine/base/parse.h"
#include "engine/formats/traceflow.h"

namespace pd {

const char* const kCsvHeader = "batch,stage,microbatch,op,chunk,version,start_us,end_us";

namespace {

constexpr const char* kMismatchColumn = "mismatch";
constexpr const char* kProcessName = "PipeDream Studio";
constexpr const char* kMemoryPrefix = "memory stage ";
constexpr const char* kInFlightPrefix = "in flight stage ";
constexpr const char* kRankPrefix = "rank ";  // process names of a distributed run

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto pos = line.find(sep, start);
        out.push_back(line.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

// Lines without their terminators ("\n" or "\r\n"); a final newline does
// not make an extra empty line.
std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out = split(text, '\n');
    if (!out.empty() && out.back().empty()) out.pop_back();
    for (auto& l : out) {
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    }
    return out;
}

[[noreturn]] void outOfRange(const char* what, int limit) {
    throw Error(std::string(what) + " must be >= 0 and < " + std::to_string(limit));
}

// The fields every slot must satisfy, whatever file it came from. Indices
// stay below the program's limits, so that "index + 1" (a count) cannot
// overflow anywhere (a stage of 2^31-1 crashed identifySchedule).
void checkSlot(const SlotEvent& e) {
    if (e.batch < 0 || e.batch >= kMaxBatches) outOfRange("batch", kMaxBatches);
    if (e.stage < 0 || e.stage >= kMaxStages) outOfRange("stage", kMaxStages);
    if (e.chunk < 0 || e.chunk >= kMaxChunks) outOfRange("chunk", kMaxChunks);
    if (e.microbatch >= kMaxMicrobatches) outOfRange("microbatch", kMaxMicrobatches);
    if (e.version < 0) throw Error("version must be >= 0");
    if (e.op == Op::U ? e.microbatch != -1 : e.microbatch < 0)
        throw Error(e.op == Op::U ? "microbatch must be -1 for U" : "microbatch must be >= 0");
    if (e.endUs < e.startUs) throw Error("end_us is before start_us");
}

void parseCsvRow(std::string_view line, std::size_t columns, SlotEvent& e) {
    const auto f = split(line, ',');
    if (f.size() != columns)
        throw Error("expected " + std::to_string(columns) + " fields, got " +
                    std::to_string(f.size()));
    const char* names[] = {"batch", "stage", "microbatch", "op", "chunk", "version"};
    int* ints[] = {&e.batch, &e.stage, &e.microbatch, nullptr, &e.chunk, &e.version};
    for (int i = 0; i < 6; ++i) {
        if (ints[i] && !parseNumber(f[i], *ints[i]))
            throw Error(std::string("bad ") + names[i] + " '" + printable(f[i]) + "'");
    }
    auto op = f[3].size() == 1 ? parseOp(f[3][0]) : std::nullopt;
    if (!op) throw Error("bad op '" + printable(f[3]) + "' (F, B, I, W or U)");
    e.op = *op;
    if (!parseNumber(f[6], e.startUs)) throw Error("bad start_us '" + printable(f[6]) + "'");
    if (!parseNumber(f[7], e.endUs)) throw Error("bad end_us '" + printable(f[7]) + "'");
    e.mismatch = false;
    if (columns == 9) {
        if (f[8] != "0" && f[8] != "1")
            throw Error("bad mismatch '" + printable(f[8]) + "' (0 or 1)");
        e.mismatch = f[8] == "1";
    }
    checkSlot(e);
}

std::string slotName(const SlotEvent& e) {
    std::string name(1, opChar(e.op));
    if (e.microbatch >= 0) name += " mb" + std::to_string(e.microbatch);
    if (e.chunk > 0) name += " c" + std::to_string(e.chunk);
    return name + " v" + std::to_string(e.version);
}

json::Ordered metadata(const char* name, int tid, json::Ordered args) {
    json::Ordered e = json::Ordered::object();
    e["name"] = name;
    e["ph"] = "M";
    e["pid"] = 0;
    e["tid"] = tid;
    e["args"] = std::move(args);
    return e;
}

json::Ordered slotArgs(const SlotEvent& s) {
    json::Ordered a = json::Ordered::object();
    a["batch"] = s.batch;
    a["stage"] = s.stage;
    a["microbatch"] = s.microbatch;
    a["op"] = std::string(1, opChar(s.op));
    a["chunk"] = s.chunk;
    a["version"] = s.version;
    a["start_us"] = s.startUs;
    a["end_us"] = s.endUs;
    a["mismatch"] = s.mismatch ? 1 : 0;
    return a;
}

json::Ordered slotEvent(const SlotEvent& s) {
    json::Ordered e = json::Ordered::object();
    e["name"] = slotName(s);
    e["cat"] = std::string(1, opChar(s.op));
    e["ph"] = "X";
    e["ts"] = s.startUs;
    e["dur"] = s.endUs - s.startUs;
    e["pid"] = 0;
    e["tid"] = s.stage;
    e["args"] = slotArgs(s);
    return e;
}

json::Ordered counter(const std::string& name, const MemoryEvent& m, json::Ordered args) {
    json::Ordered e = json::Ordered::object();
    e["name"] = name;
    e["ph"] = "C";
    e["ts"] = m.timeUs;
    e["pid"] = 0;
    e["tid"] = m.stage;
    e["args"] = std::move(args);
    return e;
}

// Bytes and counts go into separate counters because Perfetto draws one
// track per counter name with a shared scale.
std::array<json::Ordered, 2> memoryCounters(const MemoryEvent& m) {
    json::Ordered bytes = json::Ordered::object();
    bytes["activations_bytes"] = m.activationBytes;
    bytes["stash_bytes"] = m.stashBytes;
    json::Ordered counts = json::Ordered::object();
    counts["activations"] = m.activationsInFlight;
    counts["versions"] = m.versionsHeld;
    return {counter(kMemoryPrefix + std::to_string(m.stage), m, std::move(bytes)),
            counter(kInFlightPrefix + std::to_string(m.stage), m, std::move(counts))};
}

// Reads an integer member; Error when absent, not integral or out of T's range.
template <typename T>
void readInt(const json::Value& obj, const char* key, T& out) {
    std::int64_t i = 0;
    if (!json::integer(json::member(obj, key), i))
        throw Error(std::string("missing or non-integer '") + key + "'");
    if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        i > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
        throw Error(std::string("'") + key + "' out of range");
    out = static_cast<T>(i);
}

SlotEvent readSlot(const json::Value& ev) {
    const json::Value& a = json::member(ev, "args");
    SlotEvent s;
    readInt(a, "batch", s.batch);
    readInt(a, "stage", s.stage);
    readInt(a, "microbatch", s.microbatch);
    readInt(a, "chunk", s.chunk);
    readInt(a, "version", s.version);
    readInt(a, "start_us", s.startUs);
    readInt(a, "end_us", s.endUs);
    const std::string& op = json::text(json::member(a, "op"));
    auto parsed = op.size() == 1 ? parseOp(op[0]) : std::nullopt;
    if (!parsed) throw Error("bad op '" + printable(op) + "'");
    s.op = *parsed;
    int mismatch = 0;
    if (a.contains("mismatch")) readInt(a, "mismatch", mismatch);
    s.mismatch = mismatch != 0;
    checkSlot(s);
    return s;
}

bool stageFromName(const std::string& name, const char* prefix, int& stage) {
    const std::size_t n = std::strlen(prefix);
    return name.compare(0, n, prefix) == 0 &&
           parseNumber(std::string_view(name).substr(n), stage) && stage >= 0;
}

MemoryEvent readMemoryBytes(const json::Value& ev, int stage) {
    MemoryEvent m;
    m.stage = stage;
    readInt(ev, "ts", m.timeUs);
    readInt(json::member(ev, "args"), "activations_bytes", m.activationBytes);
    readInt(json::member(ev, "args"), "stash_bytes", m.stashBytes);
    return m;
}

// The counts counter follows its bytes counter (see appendMemory).
void readMemoryCounts(const json::Value& ev, int stage, RunRecord& record) {
    std::int64_t ts = 0;
    readInt(ev, "ts", ts);
    if (record.memory.empty() || record.memory.back().stage != stage ||
        record.memory.back().timeUs != ts)
        throw Error("counter without a preceding memory counter of the same stage and time");
    MemoryEvent& m = record.memory.back();
    readInt(json::member(ev, "args"), "activations", m.activationsInFlight);
    readInt(json::member(ev, "args"), "versions", m.versionsHeld);
}

void readCounter(const json::Value& ev, RunRecord& record) {
    const std::string& name = json::text(json::member(ev, "name"));
    int stage = 0;
    if (stageFromName(name, kMemoryPrefix, stage))
        record.memory.push_back(readMemoryBytes(ev, stage));
    else if (stageFromName(name, kInFlightPrefix, stage))
        readMemoryCounts(ev, stage, record);
    // else a counter of another tool: not ours, not an error
}

// "rank S (HOST)": the process of stage S in a distributed run.
void readRankProcess(const json::Value& ev, RunRecord& record) {
    const std::string& name = json::text(json::member(json::member(ev, "args"), "name"));
    const auto open = name.find(" (");
    int stage = 0;
    if (name.compare(0, std::strlen(kRankPrefix), kRankPrefix) != 0 || open == std::string::npos ||
        name.back() != ')' ||
        !parseNumber(std::string_view(name).substr(std::strlen(kRankPrefix),
                                                   open - std::strlen(kRankPrefix)),
                     stage))
        return;  // another process name: not ours, not an error
    int pid = 0;
    readInt(ev, "pid", pid);
    if (stage < 0 || stage >= kMaxStages || pid != stage)
        throw Error("process_name '" + printable(name) + "' for pid " + std::to_string(pid) +
                    ": expected a rank 0.." + std::to_string(kMaxStages - 1) + " with pid = rank");
    if (record.stageHosts.size() <= static_cast<std::size_t>(stage))
        record.stageHosts.resize(stage + 1);
    record.stageHosts[stage] = name.substr(open + 2, name.size() - open - 3);
}

void readMetadata(const json::Value& ev, RunRecord& record) {
    if (json::text(json::member(ev, "name")) == "process_name") return readRankProcess(ev, record);
    if (json::text(json::member(ev, "name")) != "thread_name") return;
    int tid = 0;
    readInt(ev, "tid", tid);
    if (tid < 0 || tid >= kMaxStages)
        throw Error("thread_name for tid " + std::to_string(tid) + " outside 0.." +
                    std::to_string(kMaxStages - 1));
    if (record.stageNames.size() <= static_cast<std::size_t>(tid))
        record.stageNames.resize(tid + 1);
    record.stageNames[tid] = json::text(json::member(json::member(ev, "args"), "name"));
}

void readEvent(const json::Value& ev, RunRecord& record) {
    if (!ev.is_object()) throw Error("not an object");
    const std::string& ph = json::text(json::member(ev, "ph"));
    if (ph == "X")
        record.slots.push_back(readSlot(ev));
    else if (ph == "C")
        readCounter(ev, record);
    else if (ph == "M")
        readMetadata(ev, record);
    // other phases (instant events, flows) carry nothing we keep
}

}  // namespace

std::string toCsv(const std::vector<SlotEvent>& slots) {
    std::string out = std::string(kCsvHeader) + "," + kMismatchColumn + "\n";
    out.reserve(out.size() + slots.size() * 40);
    for (const SlotEvent& s : slots) {
        out += std::to_string(s.batch) + ',' + std::to_string(s.stage) + ',' +
               std::to_string(s.microbatch) + ',' + opChar(s.op) + ',' + std::to_string(s.chunk) +
               ',' + std::to_string(s.version) + ',' + std::to_string(s.startUs) + ',' +
               std::to_string(s.endUs) + ',' + (s.mismatch ? '1' : '0') + '\n';
    }
    return out;
}

namespace {

std::vector<SlotEvent> parseCsvRows(const std::string& text) {
    const auto rows = lines(text);
    const std::string header = kCsvHeader;
    if (rows.empty() || (rows[0] != header && rows[0] != header + "," + kMismatchColumn))
        throw Error("line 1: expected the header '" + header + "' (optionally followed by '," +
                    kMismatchColumn + "')");
    const std::size_t columns = rows[0] == header ? 8 : 9;
    std::vector<SlotEvent> parsed(rows.size() - 1);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        try {
            parseCsvRow(rows[i], columns, parsed[i - 1]);
        } catch (const Error& e) {
            throw Error("line " + std::to_string(i + 1) + ": " + e.what());
        }
    }
    return parsed;
}

}  // namespace

std::vector<SlotEvent> parseCsv(const std::string& text) {
    try {
        return parseCsvRows(text);
    } catch (const std::bad_alloc&) {
        throw Error("not enough memory to read " + std::to_string(text.size()) + " bytes of CSV");
    }
}

std::string toChromeTrace(const RunRecord& record) {
    // One event per line: small diffs, and each event is dumped as soon as
    // it is built, so a long run never holds a second copy as a tree.
    std::string out = "{\"traceEvents\":[\n";
    out.reserve(out.size() + (record.slots.size() + record.memory.size()) * 200);
    bool first = true;
    // A distributed run: one process per rank, so every event of stage S
    // (its tid) goes to pid S.
    const bool perRank = !record.stageHosts.empty();
    auto emit = [&](json::Ordered event) {
        if (perRank) event["pid"] = event["tid"];
        if (!first) out += ",\n";
        first = false;
        out += json::dump(event);
    };
    if (!perRank) {
        json::Ordered process = json::Ordered::object();
        process["name"] = kProcessName;
        emit(metadata("process_name", 0, std::move(process)));
    }
    for (std::size_t s = 0; s < record.stageHosts.size(); ++s) {
        json::Ordered process = json::Ordered::object();
        process["name"] = kRankPrefix + std::to_string(s) + " (" + record.stageHosts[s] + ")";
        emit(metadata("process_name", static_cast<int>(s), std::move(process)));
        json::Ordered order = json::Ordered::object();
        order["sort_index"] = static_cast<int>(s);
        emit(metadata("process_sort_index", static_cast<int>(s), std::move(order)));
    }
    for (std::size_t s = 0; s < record.stageNames.size(); ++s) {
        json::Ordered name = json::Ordered::object();
        name["name"] = record.stageNames[s];
        emit(metadata("thread_name", static_cast<int>(s), std::move(name)));
        json::Ordered order = json::Ordered::object();
        order["sort_index"] = static_cast<int>(s);
        emit(metadata("thread_sort_index", static_cast<int>(s), std::move(order)));
    }
    for (const SlotEvent& s : record.slots) emit(slotEvent(s));
    for (const json::Ordered& flow : flowEvents(record.slots)) emit(flow);
    for (const MemoryEvent& m : record.memory) {
        for (const json::Ordered& counter : memoryCounters(m)) emit(counter);
    }
    out += "\n],\"displayTimeUnit\":\"ms\"";
    if (!record.status.empty() || !record.runArgs.empty()) {
        json::Ordered other = json::Ordered::object();
        if (!record.status.empty()) other["run_status"] = record.status;
        if (!record.statusMessage.empty()) other["run_error"] = record.statusMessage;
        if (!record.runArgs.empty()) {
            json::Ordered args = json::Ordered::array();
            for (const std::string& a : record.runArgs) args.push_back(a);
            other["run_args"] = std::move(args);
        }
        out += ",\"otherData\":" + json::dump(other);
    }
    out += "}\n";
    return out;
}

RunRecord parseChromeTrace(const std::string& text) {
    // A real trace spends about 10 bytes of text per JSON value (our events:
    // 19 values in about 190 bytes); a file of bare numbers spends 2 and would
    // take 20 times its size in memory. Fewer than 4 bytes per value is not a
    // trace.
    const json::Value root = json::parse(text, text.size() / 4 + 64);
    // Chrome's two formats: an object with "traceEvents", or a bare array.
    const json::Value* events = root.is_array() ? &root : &json::member(root, "traceEvents");
    if (!events->is_array())
        throw Error(
            "not a Chrome trace: neither an array of events nor an object with a "
            "\"traceEvents\" array");
    RunRecord parsed;
    for (std::size_t i = 0; i < events->size(); ++i) {
        try {
            readEvent((*events)[i], parsed);
        } catch (const Error& e) {
            throw Error("trace event " + std::to_string(i) + ": " + e.what());
        }
    }
    const json::Value& other = json::member(root, "otherData");
    parsed.status = json::text(json::member(other, "run_status"));
    parsed.statusMessage = json::text(json::member(other, "run_error"));
    // The run's flags: strings, a bounded number of short ones; anything else
    // is not ours and is left out (the run still opens, without them).
    if (const json::Value& args = json::member(other, "run_args");
        args.is_array() && args.size() <= 256) {
        std::vector<std::string> flags;
        for (const json::Value& a : args) {
            if (!a.is_string() || json::text(a).size() > 4096) {
                flags.clear();
                break;
            }
            flags.push_back(json::text(a));
        }
        parsed.runArgs = std::move(flags);
    }
    return parsed;
}

std::vector<SlotEvent> toSlotEvents(const Timeline& timeline, double usPerUnit) {
    std::vector<SlotEvent> out;
    out.reserve(timeline.actions.size());
    for (const TimedAction& t : timeline.actions) {
        out.push_back(slotEvent(t.stage, t.action, std::llround(t.start * usPerUnit),
                                std::llround(t.end * usPerUnit)));
    }
    return out;
}

std::vector<std::string> stageNames(const ScheduleConfig& config, int layers) {
    std::vector<LayerRange> parts;
    try {
        parts = splitLayers(layers, config.parts());
    } catch (const std::exception&) {
        parts.clear();  // invalid split: plain "GPUs" labels still name the lanes
    }
    return stageNames(config, parts);
}

std::vector<std::string> stageNames(const ScheduleConfig& config,
                                    const std::vector<LayerRange>& parts) {
    // Clamped so that a bad configuration cannot ask for a billion labels.
    const int stages = std::clamp(config.stages, 0, kMaxStages);
    std::vector<std::string> names;
    for (int s = 0; s < stages; ++s) {
        std::string name = "GPU" + std::to_string(s);
        std::string ranges;
        for (int c = 0; !parts.empty() && c < config.chunks; ++c) {
            const int p = partOf(config, s, c);
            if (p < 0 || p >= static_cast<int>(parts.size())) continue;
            if (!ranges.empty()) ranges += ", ";
            const LayerRange& r = parts[p];
            ranges += "L" + std::to_string(r.first);
            if (r.last != r.first) ranges += "-" + std::to_string(r.last);
        }
        names.push_back(ranges.empty() ? name : name + " (" + ranges + ")");
    }
    return names;
}

}  // namespace pd
