#include "engine/config/resources.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/schedule/runcheck.h"

namespace pd {

namespace {

constexpr std::uint64_t kFloat = 4;
// Per action of actionBound (about twice a schedule's real count), the most
// a run holds at once (maximum RSS of large dry runs, 76 bytes per real
// action plain, 1.3 KB with --json, --csv and --trace): the action and its timed copy
// (dry run) or its slot event, recorded and snapshotted (training), plus its
// row in each output asked for, as text and, for JSON, as a value tree.
std::uint64_t bytesPerAction(const RunOptions& o) {
    std::uint64_t bytes = o.dryRun ? 96 : 384;
    if (!o.csvPath.empty()) bytes += 64;
    if (!o.tracePath.empty()) bytes += 256;
    if (o.json && o.dryRun) bytes += 512;  // the dry run's JSON lists the timeline
    return bytes;
}

// Saturating arithmetic: a hostile configuration must not wrap around to
// a small figure.
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
    return a * b;
}

std::uint64_t add(std::uint64_t a, std::uint64_t b) {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

std::uint64_t u(long long v) {
    return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

std::uint64_t parameterCount(const RunOptions& o) {
    const std::uint64_t h = u(o.hidden);
    const std::uint64_t layer = add(mul(h, h), h);  // W and b of Linear(H, H)
    return add(mul(u(o.layers), layer), add(mul(h, u(o.classes)), u(o.classes)));
}

// Weight versions beyond the current one that the kind may keep per stage.
std::uint64_t extraVersions(const ScheduleConfig& c) {
    if (c.kind == ScheduleKind::PipeDream && c.stash) return u(c.stages);  // up to S in flight
    if (c.kind == ScheduleKind::TwoBW) return 1;
    return 0;
}

// Microbatches whose activations a stage may hold at once.
std::uint64_t inFlight(const ScheduleConfig& c) {
    const std::uint64_t m = u(c.microbatches), s = u(c.stages), v = u(std::max(c.chunks, 1));
    if (c.kind == ScheduleKind::GPipe || c.kind == ScheduleKind::Naive) return mul(m, v);
    return mul(std::min(m, s + 1), v);
}

long long readMeminfo(const char* key) {
    std::ifstream in("/proc/meminfo");
    std::string name;
    long long kb = 0;
    std::string unit;
    while (in >> name >> kb >> unit)
        if (name == key) return kb;
    return -1;
}

long long mappedBytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmSize:", 0) == 0) return std::atoll(line.c_str() + 7) * 1024;
    return -1;
}

long long readNumber(const char* path) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return -1;
    return std::atoll(text.c_str());
}

}  // namespace

std::string formatBytes(std::uint64_t bytes) {
    const double b = static_cast<double>(bytes);
    char buf[48];
    if (b >= 1024.0 * 1024.0 * 1024.0 * 1024.0)
        std::snprintf(buf, sizeof buf, "%.1f TiB", b / (1024.0 * 1024.0 * 1024.0 * 1024.0));
    else if (b >= 1024.0 * 1024.0 * 1024.0)
        std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024.0 * 1024.0));
    else if (b >= 1024.0 * 1024.0)
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024.0));
    else if (b >= 1024.0)
        std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
}

std::string MemoryEstimate::describe() const {
    std::string s = "about " + formatBytes(total()) + " (";
    if (parameters) s += "weights and gradients " + formatBytes(parameters) + ", ";
    if (versions) s += "stashed weight versions " + formatBytes(versions) + ", ";
    if (optimizer) s += "optimizer state " + formatBytes(optimizer) + ", ";
    if (activations) s += "activations " + formatBytes(activations) + ", ";
    return s + "schedule and events of " + std::to_string(actions) + " actions " +
           formatBytes(events) + ")";
}

MemoryEstimate estimateRunMemory(const RunOptions& o) {
    MemoryEstimate e;
    e.actions = actionBound(o.schedule);
    if (o.dryRun) {
        e.events = mul(e.actions, bytesPerAction(o));
        return e;
    }
    const std::uint64_t weights = mul(parameterCount(o), kFloat);
    e.parameters = mul(weights, 2);
    e.versions = mul(weights, extraVersions(o.schedule));
    // The optimizer's state follows the newest version only (stashed
    // versions are read, never updated).
    e.optimizer = mul(weights, o.optimizer == "adam" ? 2 : o.optimizer == "momentum" ? 1 : 0);
    // Per sample and layer, the layer's input and pre-activation (H floats each).
    const std::uint64_t perSample = mul(mul(u(o.layers), u(o.hidden)), 2 * kFloat);
    const std::uint64_t microbatch =
        u(o.schedule.microbatches ? o.batchSize / o.schedule.microbatches : 0);
    // Each in-flight microbatch holds the activations of its own part only;
    // all stages together hold at most inFlight microbatches of the whole model.
    e.activations = mul(mul(perSample, microbatch), inFlight(o.schedule));
    e.events = mul(e.actions, bytesPerAction(o));
    return e;
}

std::optional<std::uint64_t> availableMemoryBytes() {
    std::optional<std::uint64_t> best;
    auto consider = [&](long long bytes) {
        if (bytes < 0) return;
        const auto b = static_cast<std::uint64_t>(bytes);
        best = best ? std::min(*best, b) : b;
    };
    const long long kb = readMeminfo("MemAvailable:");
    if (kb >= 0) consider(kb * 1024);
    rlimit as{};
    if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
        const long long mapped = mappedBytes();
        consider(std::max(0LL, static_cast<long long>(as.rlim_cur) - std::max(mapped, 0LL)));
    }
    const long long limit = readNumber("/sys/fs/cgroup/memory.max");
    if (limit >= 0)
        consider(std::max(0LL, limit - std::max(readNumber("/sys/fs/cgroup/memory.current"), 0LL)));
    return best;
}

void checkRunMemory(const RunOptions& options, std::uint64_t available) {
    const MemoryEstimate e = estimateRunMemory(options);
    if (e.total() > available)
        throw ConfigError(std::string(options.dryRun ? "this dry run" : "this run") + " needs " +
                          e.describe() + ", but only " + formatBytes(available) +
                          " of memory is available");
}

void checkRunMemory(const RunOptions& options) {
    if (const auto available = availableMemoryBytes()) checkRunMemory(options, *available);
}

std::string coreSharingNote(const RunOptions& o, unsigned cores) {
    const int S = o.schedule.stages;
    if (o.device != "cpu" || cores == 0 || static_cast<unsigned>(S) <= cores ||
        !(o.backend == "threads" || o.launch))
        return {};
    return std::to_string(S) + " stage workers share " + std::to_string(cores) + " CPU core" +
           (cores == 1 ? "" : "s") + ", so measured stage times include waiting for a core.";
}

}  // namespace pd
