// The rank wire format's records, both directions (see wire.h).
#include "engine/formats/wire.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>

#include "engine/base/parse.h"
#include "engine/base/safefile.h"

namespace pd::wire {

namespace {

std::string join(std::initializer_list<std::string> parts) {
    std::string out;
    for (const std::string& p : parts) {
        if (!out.empty()) out += ' ';
        out += p;
    }
    return out;
}

std::string str(std::int64_t v) {
    return std::to_string(v);
}

// Out of int's range: kept at its edge, for the range checks to refuse.
int narrow(std::int64_t v) {
    return static_cast<int>(std::clamp<std::int64_t>(v, INT_MIN, INT_MAX));
}

// Fields [from, from + n) as integers; false when any is not one.
bool integers(const std::vector<std::string_view>& f, std::size_t from,
              std::initializer_list<std::int64_t*> out) {
    if (f.size() < from + out.size()) return false;
    std::size_t i = from;
    for (std::int64_t* o : out)
        if (!parseNumber(f[i++], *o)) return false;
    return true;
}

// A double as it was: %.17g reads back to the same bits.
std::string exact(double v) {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

[[noreturn]] void doesNotParse(const std::vector<std::string_view>& f) {
    std::string line;
    for (std::string_view p : f) line += (line.empty() ? "" : " ") + std::string(p);
    throw Error(std::string(f.empty() ? "" : f[0]) + ": does not parse: " + printable(line, 80));
}

}  // namespace

std::string encode(const SlotEvent& e) {
    return join({"slot", str(e.batch), str(e.stage), str(e.microbatch),
                 std::string(1, opChar(e.op)), str(e.chunk), str(e.version), str(e.startUs),
                 str(e.endUs), e.mismatch ? "1" : "0"});
}

std::string encode(const MemoryEvent& e) {
    return join({"mem", str(e.stage), str(e.timeUs), str(e.activationsInFlight),
                 str(e.versionsHeld), str(e.activationBytes), str(e.stashBytes)});
}

std::string encode(const VersionEvent& e) {
    std::string stashed;
    for (int v : e.stashed) stashed += (stashed.empty() ? "" : ",") + str(v);
    return join(
        {"ver", str(e.stage), str(e.timeUs), str(e.version), stashed.empty() ? "-" : stashed});
}

std::string encode(const BatchPart& e) {
    return join({"batch", str(e.batch), str(e.stage), exact(e.loss), str(e.versionUsed),
                 str(e.versionAfter), str(e.timeUs)});
}

std::string encode(const EvaluationEvent& e) {
    return join({"eval", str(e.batch), str(e.epoch), str(e.trainUs), str(e.samples), exact(e.loss),
                 std::isnan(e.accuracy) ? "-" : exact(e.accuracy)});
}

SlotEvent decodeSlot(const std::vector<std::string_view>& f) {
    std::int64_t a[8] = {};
    if (f.size() != 10 || f[0] != "slot" || f[4].size() != 1 ||
        !integers(f, 1, {&a[0], &a[1], &a[2]}) ||
        !integers(f, 5, {&a[3], &a[4], &a[5], &a[6], &a[7]}))
        doesNotParse(f);
    const auto op = parseOp(f[4][0]);
    if (!op) throw Error("slot: unknown op");
    SlotEvent e;
    e.batch = narrow(a[0]);
    e.stage = narrow(a[1]);
    e.microbatch = narrow(a[2]);
    e.op = *op;
    e.chunk = narrow(a[3]);
    e.version = narrow(a[4]);
    e.startUs = a[5];
    e.endUs = a[6];
    e.mismatch = a[7] != 0;
    return e;
}

MemoryEvent decodeMemory(const std::vector<std::string_view>& f) {
    std::int64_t a[6] = {};
    if (f.size() != 7 || f[0] != "mem" ||
        !integers(f, 1, {&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]}))
        doesNotParse(f);
    MemoryEvent e;
    e.stage = narrow(a[0]);
    e.timeUs = a[1];
    e.activationsInFlight = narrow(a[2]);
    e.versionsHeld = narrow(a[3]);
    e.activationBytes = a[4];
    e.stashBytes = a[5];
    return e;
}

VersionEvent decodeVersion(const std::vector<std::string_view>& f, std::size_t maxStashed) {
    std::int64_t a[3] = {};
    if (f.size() != 5 || f[0] != "ver" || !integers(f, 1, {&a[0], &a[1], &a[2]})) doesNotParse(f);
    VersionEvent e;
    e.stage = narrow(a[0]);
    e.timeUs = a[1];
    e.version = narrow(a[2]);
    if (f[4] == "-") return e;
    std::string_view rest = f[4];
    while (true) {
        const auto comma = rest.find(',');
        int v = 0;
        if (!parseNumber(rest.substr(0, comma), v) || v < 0 || e.stashed.size() >= maxStashed)
            throw Error("ver: stashed versions");
        e.stashed.push_back(v);
        if (comma == std::string_view::npos) return e;
        rest.remove_prefix(comma + 1);
    }
}

BatchPart decodeBatch(const std::vector<std::string_view>& f) {
    std::int64_t a[5] = {};
    if (f.size() != 7 || f[0] != "batch" || !integers(f, 1, {&a[0], &a[1]}) ||
        !integers(f, 4, {&a[2], &a[3], &a[4]}))
        doesNotParse(f);
    double loss = 0;
    if (!parseNumber(f[3], loss) || !std::isfinite(loss) || loss < 0)
        throw Error("batch: loss " + printable(f[3], 40));
    BatchPart e;
    e.batch = narrow(a[0]);
    e.stage = narrow(a[1]);
    e.loss = loss;
    e.versionUsed = narrow(a[2]);
    e.versionAfter = narrow(a[3]);
    e.timeUs = a[4];
    return e;
}

EvaluationEvent decodeEvaluation(const std::vector<std::string_view>& f) {
    std::int64_t a[4] = {};
    if (f.size() != 7 || f[0] != "eval" || !integers(f, 1, {&a[0], &a[1], &a[2], &a[3]}))
        doesNotParse(f);
    double loss = 0, accuracy = std::numeric_limits<double>::quiet_NaN();
    if (!parseNumber(f[5], loss) || !std::isfinite(loss) || loss < 0)
        throw Error("eval: loss " + printable(f[5], 40));
    if (f[6] != "-" && (!parseNumber(f[6], accuracy) || !(accuracy >= 0 && accuracy <= 1)))
        throw Error("eval: accuracy " + printable(f[6], 40));
    EvaluationEvent e;
    e.batch = narrow(a[0]);
    e.epoch = narrow(a[1]);
    e.trainUs = a[2];
    e.samples = a[3];
    e.loss = loss;
    e.accuracy = accuracy;
    return e;
}

}  // namespace pd::wire
