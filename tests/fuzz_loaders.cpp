// Fuzzer of the run-file loaders: mutations of real runs of every schedule
// kind, as CSV and as Chrome trace, go through what opening a file does
// (parse, identify the schedule with its checks, and for an accepted file the
// figures the window shows). Counts cases, rejections, acceptances, crashes
// (an exception escaping, std::bad_alloc included, or an accepted run with an
// impossible figure) and hangs (a case slower than --case-seconds). A real
// crash aborts the process, a real hang trips the alarm: both fail the test.
//
// Usage: fuzz_loaders [--cases N] [--seed S] [--case-seconds T] [--memory-mib M]
//                     [--save DIR]   (writes failing cases there)
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "engine/formats/trace.h"
#include "engine/schedule/measured.h"
#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"

using namespace pd;

namespace {

struct Settings {
    int cases = 400;
    unsigned long seed = 1;
    double caseSeconds = 5.0;
    long memoryMiB = 2048;
    std::string saveDir;
};

struct Counts {
    int cases = 0, rejectedParse = 0, rejectedIdentify = 0, accepted = 0, crashes = 0, hangs = 0;
};

int gCurrentCase = -1;

extern "C" void onAlarm(int) {
    // Only async-signal-safe calls: the case number is in the message.
    char msg[96];
    const int n =
        std::snprintf(msg, sizeof msg, "fuzz_loaders: HANG in case %d (alarm)\n", gCurrentCase);
    if (n > 0) ::write(STDERR_FILENO, msg, static_cast<std::size_t>(n));
    ::_exit(3);
}

// A real run of `c` as the program writes it: CSV, and Chrome trace with
// stage names and memory counters. Empty when the kind does not take `c`.
std::vector<std::string> filesOf(const ScheduleConfig& c) {
    Schedule schedule;
    try {
        checkConfig(c);
        schedule = generateSchedule(c);
    } catch (const ConfigError&) {
        return {};
    }
    RunRecord record;
    record.stageNames = stageNames(c, 8 * c.stages);
    record.slots = toSlotEvents(simulate(schedule, OpCosts{}), 1000.0);
    for (int s = 0; s < c.stages; ++s) {
        MemoryEvent m;
        m.stage = s;
        m.timeUs = 100 * s;
        m.activationsInFlight = s + 1;
        m.versionsHeld = 1;
        m.activationBytes = 4096;
        record.memory.push_back(m);
    }
    return {toCsv(record.slots), toChromeTrace(record)};
}

// Runs of every kind on 2 and 4 stages, with the first microbatch count the
// kind takes. `missing` names the kinds that got none (a failure: every
// kind must be fuzzed).
std::vector<std::string> seedFiles(std::string& missing) {
    std::vector<std::string> out;
    for (ScheduleKind kind : allScheduleKinds()) {
        bool any = false;
        for (int stages : {2, 4})
            for (int microbatches : {4, 8, 2 * stages - 1}) {
                ScheduleConfig c;
                c.kind = kind;
                c.stages = stages;
                c.microbatches = microbatches;
                c.batches = 2;
                c.chunks = chunksFor(kind, 2);
                const std::vector<std::string> files = filesOf(c);
                if (files.empty()) continue;
                out.insert(out.end(), files.begin(), files.end());
                any = true;
                break;
            }
        if (!any) missing += std::string(missing.empty() ? "" : ", ") + toString(kind);
    }
    return out;
}

const char* const kExtremes[] = {"-1",
                                 "0",
                                 "2147483647",
                                 "-2147483648",
                                 "9223372036854775807",
                                 "-9223372036854775808",
                                 "99999999999999999999",
                                 "1e9",
                                 "4095",
                                 "63",
                                 "189",
                                 "",
                                 "\x1b[2J",
                                 "\r",
                                 "0.5",
                                 "null",
                                 "[]",
                                 "{}",
                                 "\"F\"",
                                 "100000"};

class Mutator {
public:
    explicit Mutator(unsigned long seed) : rng_(seed) {}

    // Half the cases keep the format and change the run (numbers, times,
    // order, deleted events), so that they reach the run checks; the other
    // half damage the bytes as well.
    std::string mutate(std::string text) {
        const bool semantic = pick(2) == 0;
        const int rounds = 1 + static_cast<int>(pick(3));
        for (int r = 0; r < rounds && !text.empty(); ++r)
            text = semantic ? semanticOnce(std::move(text)) : once(std::move(text));
        return text;
    }

private:
    std::size_t pick(std::size_t n) { return n ? static_cast<std::size_t>(rng_() % n) : 0; }

    std::string once(std::string t) {
        switch (pick(10)) {
            case 0:
                t[pick(t.size())] = static_cast<char>(pick(256));
                return t;  // byte
            case 1:
                t.insert(pick(t.size()), 1, "\"{}[],:\n\r0-9e."[pick(15)]);
                return t;
            case 2: {
                const std::size_t a = pick(t.size());
                return t.erase(a, pick(64));
            }
            case 3: {
                const std::size_t a = pick(t.size());
                return t.insert(a, t.substr(a, pick(200)));
            }
            case 4:
                return t.substr(0, pick(t.size()));  // truncated
            case 5:
                return replaceNumber(t);
            case 6:
                return swapLines(t);
            case 7:
                return shiftTime(t);
            case 8:
                return std::string(pick(2000) + 1, "[{"[pick(2)]) + t;  // deep nesting
            default:
                return t.front() == '{' ? bareArray(t) : replaceNumber(replaceNumber(t));
        }
    }

    std::string semanticOnce(std::string t) {
        switch (pick(4)) {
            case 0:
                return replaceNumber(t);
            case 1:
                return swapLines(t);
            case 2:
                return t.front() == '{' ? shiftTime(t) : shiftCsvTime(t);
            default:
                return t.front() == '{' ? bareArray(t) : replaceNumber(t);
        }
    }

    // The CSV's start_us or end_us of one row moved.
    std::string shiftCsvTime(const std::string& t) {
        std::size_t line = t.find('\n', pick(t.size()));
        if (line == std::string::npos || line + 1 >= t.size()) return replaceNumber(t);
        const std::size_t rowEnd = t.find('\n', line + 1);
        std::string row =
            t.substr(line + 1, rowEnd == std::string::npos ? std::string::npos : rowEnd - line - 1);
        std::vector<std::string> f;
        std::size_t start = 0;
        for (std::size_t c; (c = row.find(',', start)) != std::string::npos; start = c + 1)
            f.push_back(row.substr(start, c - start));
        f.push_back(row.substr(start));
        if (f.size() < 8) return t;
        const long long shifts[] = {-1000, -500, 1, 999, 1000000, -1000000000000LL};
        const std::size_t field = 6 + pick(2);
        f[field] = std::to_string(std::atoll(f[field].c_str()) + shifts[pick(6)]);
        std::string joined;
        for (std::size_t i = 0; i < f.size(); ++i) joined += (i ? "," : "") + f[i];
        return t.substr(0, line + 1) + joined +
               (rowEnd == std::string::npos ? "" : t.substr(rowEnd));
    }

    // A number (a CSV field or a JSON value) becomes an extreme one.
    std::string replaceNumber(const std::string& t) {
        std::size_t at = pick(t.size());
        while (at < t.size() && !(t[at] >= '0' && t[at] <= '9')) ++at;
        if (at >= t.size()) return t;
        std::size_t end = at;
        while (end < t.size() && ((t[end] >= '0' && t[end] <= '9') || t[end] == '-')) ++end;
        return t.substr(0, at) + kExtremes[pick(std::size(kExtremes))] + t.substr(end);
    }

    std::string swapLines(const std::string& t) {
        std::vector<std::string> lines;
        std::size_t start = 0;
        for (std::size_t nl; (nl = t.find('\n', start)) != std::string::npos; start = nl + 1)
            lines.push_back(t.substr(start, nl - start + 1));
        lines.push_back(t.substr(start));
        if (lines.size() < 3) return t;
        const std::size_t a = 1 + pick(lines.size() - 1), b = 1 + pick(lines.size() - 1);
        if (pick(2))
            std::swap(lines[a], lines[b]);
        else
            lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(a));  // a deleted event
        std::string out;
        for (const auto& l : lines) out += l;
        return out;
    }

    // Moves one event in time (overlaps, broken dependencies, negative times).
    std::string shiftTime(const std::string& t) {
        const std::size_t key = t.find(pick(2) ? "\"start_us\":" : "\"end_us\":", pick(t.size()));
        if (key == std::string::npos) return replaceNumber(t);
        std::size_t at = t.find(':', key) + 1, end = at;
        while (end < t.size() && (t[end] == '-' || (t[end] >= '0' && t[end] <= '9'))) ++end;
        const long long v = std::atoll(t.substr(at, end - at).c_str());
        const long long shifts[] = {-1000, -500, 1, 999, 1000000, -1000000000000LL};
        return t.substr(0, at) + std::to_string(v + shifts[pick(6)]) + t.substr(end);
    }

    // Chrome's JSON array format: the events without the enclosing object.
    static std::string bareArray(const std::string& t) {
        const std::size_t a = t.find('['), b = t.rfind(']');
        return a == std::string::npos || b == std::string::npos || b < a ? t
                                                                         : t.substr(a, b - a + 1);
    }

    std::mt19937_64 rng_;
};

enum class Verdict { RejectedParse, RejectedIdentify, Accepted, Crash };

// The figures an accepted run shows must be possible ones.
bool figuresArePossible(const Analysis& a) {
    if (!(a.makespan >= 0.0) || !(a.bubbleFraction >= -1e-9 && a.bubbleFraction <= 1.0 + 1e-9))
        return false;
    for (const StageFigures& s : a.stages)
        if (!(s.utilization >= -1e-9 && s.utilization <= 1.0 + 1e-9)) return false;
    return true;
}

// What opening the file does: parse, identify (with the run checks) and,
// when accepted, the measured figures against the identified schedule. A
// file is refused with pd::Error; any other exception is a crash.
Verdict open(const std::string& text, std::string& why) {
    RunRecord record;
    const auto first = text.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && (text[first] == '{' || text[first] == '[');
    try {
        if (json)
            record = parseChromeTrace(text);
        else
            record.slots = parseCsv(text);
    } catch (const Error& e) {
        why = e.what();
        return Verdict::RejectedParse;
    }
    IdentifiedSchedule id;
    try {
        id = identifySchedule(record.slots);
    } catch (const Error& e) {
        why = e.what();
        return Verdict::RejectedIdentify;
    }
    const Schedule schedule = generateSchedule(id.config);
    const MeasuredFigures m = measureRun(schedule, record.slots, record.memory);
    if (!figuresArePossible(m.measured)) {
        why = "accepted with an impossible figure (utilization or bubble outside 0..1)";
        return Verdict::Crash;
    }
    return Verdict::Accepted;
}

Verdict guarded(const std::string& text, std::string& why) {
    try {
        return open(text, why);
    } catch (const std::bad_alloc&) {
        why = "std::bad_alloc escaped";
    } catch (const std::exception& e) {
        why = std::string("exception escaped: ") + e.what();
    }
    return Verdict::Crash;
}

Settings parseArgs(int argc, char** argv) {
    Settings s;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--cases")
            s.cases = std::atoi(value.c_str());
        else if (flag == "--seed")
            s.seed = std::strtoul(value.c_str(), nullptr, 10);
        else if (flag == "--case-seconds")
            s.caseSeconds = std::atof(value.c_str());
        else if (flag == "--memory-mib")
            s.memoryMiB = std::atol(value.c_str());
        else if (flag == "--save")
            s.saveDir = value;
    }
    return s;
}

// The memory limit makes a runaway allocation a bad_alloc (counted), not a
// machine brought to its knees. Not under ASan, which reserves terabytes of
// address space for its shadow memory.
void limitMemory(long mib) {
#if defined(__SANITIZE_ADDRESS__)
    (void)mib;
    std::printf("memory limit: not set (AddressSanitizer build)\n");
#else
    rlimit limit{static_cast<rlim_t>(mib) << 20, static_cast<rlim_t>(mib) << 20};
    if (::setrlimit(RLIMIT_AS, &limit) == 0)
        std::printf("memory limit: %ld MiB of address space\n", mib);
#endif
}

void save(const Settings& s, int index, const std::string& text) {
    if (s.saveDir.empty()) return;
    std::ofstream(s.saveDir + "/case" + std::to_string(index) + ".txt", std::ios::binary) << text;
}

}  // namespace

int main(int argc, char** argv) {
    const Settings settings = parseArgs(argc, argv);
    limitMemory(settings.memoryMiB);
    std::signal(SIGALRM, onAlarm);
    std::string missing;
    const std::vector<std::string> seeds = seedFiles(missing);
    if (!missing.empty()) {
        std::printf("fuzz_loaders: no seed run for %s\n", missing.c_str());
        return 1;
    }
    Mutator mutator(settings.seed);
    Counts n;
    double slowest = 0.0;
    for (int i = 0; i < settings.cases; ++i) {
        gCurrentCase = i;
        const std::string text = mutator.mutate(seeds[static_cast<std::size_t>(i) % seeds.size()]);
        ::alarm(static_cast<unsigned>(settings.caseSeconds * 4) + 1);
        const auto t0 = std::chrono::steady_clock::now();
        std::string why;
        const Verdict v = guarded(text, why);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ::alarm(0);
        slowest = std::max(slowest, seconds);
        ++n.cases;
        if (seconds > settings.caseSeconds) {
            ++n.hangs;
            std::printf("HANG case %d: %.2f s\n", i, seconds);
            save(settings, i, text);
        }
        switch (v) {
            case Verdict::RejectedParse:
                ++n.rejectedParse;
                break;
            case Verdict::RejectedIdentify:
                ++n.rejectedIdentify;
                break;
            case Verdict::Accepted:
                ++n.accepted;
                break;
            case Verdict::Crash:
                ++n.crashes;
                std::printf("CRASH case %d: %s\n", i, why.c_str());
                save(settings, i, text);
                break;
        }
    }
    std::printf("fuzz_loaders: seed %lu, %zu seed files (CSV and trace of each of the %zu kinds)\n",
                settings.seed, seeds.size(), allScheduleKinds().size());
    std::printf(
        "cases %d, rejections %d (parse %d, run checks or schedule %d), acceptances %d, crashes "
        "%d, "
        "hangs %d; slowest case %.3f s\n",
        n.cases, n.rejectedParse + n.rejectedIdentify, n.rejectedParse, n.rejectedIdentify,
        n.accepted, n.crashes, n.hangs, slowest);
    return n.crashes == 0 && n.hangs == 0 ? 0 : 1;
}
