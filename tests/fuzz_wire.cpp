// Fuzzer of the wire decoder: mutations of a real run's lines
// (hello, slot, mem, ver, batch, eval, done, as two ranks of every schedule kind
// send them) go to a live event collector on loopback. Counts cases, runs
// that completed, runs that failed with a rank named and dropped (or a
// hello refused), crashes (an exception escaping, or a record that reached
// the sink outside the run's grid: stage, microbatch, op, chunk, version,
// times, loss) and hangs (a case slower than --case-seconds: the collector
// must always finish once both ranks' connections end). A real crash
// aborts the process, a real hang trips the alarm: both fail the test.
//
// Usage: fuzz_wire [--cases N] [--seed S] [--case-seconds T]
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "engine/base/sha256.h"
#include "engine/config/options.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/formats/trace.h"
#include "engine/schedule/runcheck.h"
#include "engine/schedule/simulator.h"
#include "error_test_util.h"

using namespace pd;

namespace {

struct Settings {
    int cases = 300;
    unsigned long seed = 1;
    double caseSeconds = 10.0;
};

int gCurrentCase = -1;

extern "C" void onAlarm(int) {
    char msg[96];
    const int n =
        std::snprintf(msg, sizeof msg, "fuzz_wire: HANG in case %d (alarm)\n", gCurrentCase);
    if (n > 0) ::write(STDERR_FILENO, msg, static_cast<std::size_t>(n));
    ::_exit(3);
}

// Checks what reaches the sink against the run's grid, independently of
// the collector's own checks.
class CheckingSink : public EventSink {
public:
    explicit CheckingSink(const ScheduleConfig& c) : c_(c) {}
    void onSlot(const SlotEvent& e) override {
        check(e.stage >= 0 && e.stage < c_.stages && e.batch >= 0 && e.batch < c_.batches &&
                  e.microbatch >= -1 && e.microbatch < c_.microbatches && e.chunk >= 0 &&
                  e.chunk < c_.chunks && e.version >= 0 && e.startUs >= 0 && e.endUs >= e.startUs &&
                  e.endUs <= kMaxRecordedUs,
              "slot outside the grid");
    }
    void onMemory(const MemoryEvent& e) override {
        check(e.stage >= 0 && e.stage < c_.stages && e.timeUs >= 0 && e.activationBytes >= 0 &&
                  e.stashBytes >= 0 && e.activationsInFlight >= 0 && e.versionsHeld >= 0,
              "memory record outside the grid");
    }
    void onVersion(const VersionEvent& e) override {
        bool ok = e.stage >= 0 && e.stage < c_.stages && e.timeUs >= 0 && e.version >= 0;
        for (int v : e.stashed) ok = ok && v >= 0;
        check(ok, "version record outside the grid");
    }
    void onBatch(const BatchEvent& e) override {
        check(e.batch >= 0 && e.batch < c_.batches && std::isfinite(e.loss) && e.loss >= 0 &&
                  e.timeUs >= 0,
              "batch record outside the grid");
    }
    void onEvaluation(const EvaluationEvent& e) override {
        check(e.batch >= 1 && e.batch <= c_.batches && std::isfinite(e.loss) && e.loss >= 0 &&
                  e.trainUs >= 0 && e.samples >= 0 &&
                  (std::isnan(e.accuracy) || (e.accuracy >= 0 && e.accuracy <= 1)),
              "evaluation outside the run");
    }
    void onError(const std::string& m) override {
        for (char ch : m)
            if (static_cast<unsigned char>(ch) < 0x20) check(false, "control byte in an error");
        std::lock_guard<std::mutex> lock(mutex_);
        if (std::getenv("FUZZ_WIRE_VERBOSE")) std::printf("  error: %s\n", m.c_str());
        ++errors_;
    }
    void onFinished(const RunSummary& s) override {
        std::lock_guard<std::mutex> lock(mutex_);
        failed_ = s.failed;
        finished_ = true;
    }
    std::string bad() {
        std::lock_guard<std::mutex> lock(mutex_);
        return bad_;
    }
    bool failed() {
        std::lock_guard<std::mutex> lock(mutex_);
        return failed_;
    }

private:
    void check(bool ok, const char* what) {
        if (ok) return;
        std::lock_guard<std::mutex> lock(mutex_);
        if (bad_.empty()) bad_ = what;
    }
    ScheduleConfig c_;
    std::mutex mutex_;
    std::string bad_;
    int errors_ = 0;
    bool failed_ = false;
    bool finished_ = false;
};

// The lines rank `r` of a real run of `o` sends after its hello.
std::vector<std::string> linesOf(const RunOptions& o, int r) {
    const Schedule schedule = generateSchedule(o.schedule);
    const auto slots = toSlotEvents(simulate(schedule, OpCosts{}), 1000.0);
    std::vector<std::string> out;
    out.push_back("ping 0 " + std::to_string(steadyNowUs()));
    out.push_back("clock 0 5");
    out.push_back("ready");
    for (const SlotEvent& e : slots) {
        if (e.stage != r) continue;
        out.push_back("slot " + std::to_string(e.batch) + " " + std::to_string(e.stage) + " " +
                      std::to_string(e.microbatch) + " " + opChar(e.op) + " " +
                      std::to_string(e.chunk) + " " + std::to_string(e.version) + " " +
                      std::to_string(e.startUs) + " " + std::to_string(e.endUs) + " 0");
    }
    out.push_back("mem " + std::to_string(r) + " 100 1 1 4096 0");
    out.push_back("ver " + std::to_string(r) + " 120 1 0");
    for (int b = 0; b < o.schedule.batches; ++b)
        out.push_back("batch " + std::to_string(b) + " " + std::to_string(r) + " 0.75 0 1 " +
                      std::to_string(1000 * (b + 1)));
    if (r == stageOfPart(o.schedule, o.schedule.stages * o.schedule.chunks - 1))
        out.push_back("eval " + std::to_string(o.schedule.batches) + " 0 4000 64 0.5 0.25");
    out.push_back("held " + std::to_string(r) + " 3");
    out.push_back("done 0 0 " + std::to_string(o.schedule.batches) + " 5000");
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
                                 "nan",
                                 "inf",
                                 "-inf",
                                 "",
                                 "\x1b[2J",
                                 "\r",
                                 "0.5",
                                 "4095",
                                 "63",
                                 "-",
                                 "1,2,3",
                                 ",,",
                                 "F",
                                 "U",
                                 "Z"};

class Mutator {
public:
    explicit Mutator(unsigned long seed) : rng_(seed) {}
    std::size_t pick(std::size_t n) { return n ? rng_() % n : 0; }
    // One to three changes to a line: a field replaced by an extreme, a
    // field deleted or doubled, a byte flipped, the line cut or doubled.
    std::string mutate(std::string line) {
        const int rounds = 1 + static_cast<int>(pick(3));
        for (int i = 0; i < rounds; ++i) {
            std::vector<std::string> f;
            for (auto v : net::fields(line)) f.emplace_back(v);
            switch (pick(6)) {
                case 0:
                case 1:
                    if (!f.empty()) f[pick(f.size())] = kExtremes[pick(std::size(kExtremes))];
                    break;
                case 2:
                    if (f.size() > 1) f.erase(f.begin() + static_cast<long>(pick(f.size())));
                    break;
                case 3:
                    if (!f.empty()) f.push_back(f[pick(f.size())]);
                    break;
                case 4:
                    if (!line.empty()) {
                        line[pick(line.size())] ^= static_cast<char>(1u << pick(8));
                        continue;
                    }
                    break;
                case 5:
                    line = line.substr(0, pick(line.size() + 1));
                    continue;
            }
            line.clear();
            for (std::size_t k = 0; k < f.size(); ++k) line += (k ? " " : "") + f[k];
        }
        line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
        return line;
    }

private:
    std::mt19937_64 rng_;
};

enum class Verdict { Completed, Dropped, Crash };

Verdict runCase(const RunOptions& o, Mutator& m, std::string& why, int& linesSent) {
    CheckingSink sink(o.schedule);
    EventCollector collector(sink);
    collector.setLog([](const std::string&) {});
    collector.setSecret("fuzz");
    collector.expect(o.schedule.stages, o);
    collector.setConnectTimeout(std::chrono::seconds(1));
    collector.listen("127.0.0.1", 0);  // throws: a crash
    std::string hello[2];
    for (int r = 0; r < 2; ++r) {
        hello[r] = "hello " + std::to_string(kWireProtocol) + " " + std::to_string(r) + " 2 " +
                   std::to_string(100 + r) + " fuzz";
        for (const std::string& a : toArgs(o)) hello[r] += " " + net::escape(a);
    }
    int fds[2];
    for (int r = 0; r < 2; ++r) {
        fds[r] = net::connectTcp("127.0.0.1", collector.port());  // throws: a crash
        // The challenge answered (the answer mutated too, sometimes).
        net::LineReader reader(fds[r]);
        std::string challenge;
        if (reader.read(challenge, 2000) != net::LineReader::Line ||
            challenge.rfind("challenge ", 0) != 0) {
            why = "no challenge: " + challenge;
            return Verdict::Crash;
        }
        const std::string auth =
            "auth " + toHex(hmacSha256("fuzz", "pipedream-collector " + challenge.substr(10))) +
            " " + std::string(64, 'a');
        std::vector<std::string> lines = linesOf(o, r);
        lines.insert(lines.begin(), {auth, hello[r]});
        // 0 to 3 lines mutated per rank (the hello among them sometimes), or
        // one semantic change: a valid-looking record outside the grid.
        const std::size_t changes = m.pick(4);
        for (std::size_t k = 0; k < changes; ++k) {
            std::string& line = lines[m.pick(lines.size())];
            line = m.mutate(line);
        }
        std::string text;
        for (const std::string& line : lines) {
            text += line + "\n";
            ++linesSent;
        }
        net::setSendTimeout(fds[r], 2000);
        net::sendAll(fds[r], text);
    }
    // Both ranks' connections end: the collector must finish (a rank that
    // did not say done is lost), whatever it was sent.
    for (int fd : fds) ::shutdown(fd, SHUT_WR);
    const bool finished = collector.wait(std::chrono::seconds(8));
    for (int fd : fds) ::close(fd);
    if (!finished) {
        why = "the collector did not finish";
        return Verdict::Crash;
    }
    why = sink.bad();
    if (!why.empty()) return Verdict::Crash;
    return sink.failed() ? Verdict::Dropped : Verdict::Completed;
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
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const Settings settings = parseArgs(argc, argv);
    std::signal(SIGALRM, onAlarm);
    std::signal(SIGPIPE, SIG_IGN);
    // Two ranks of every kind that takes 2 stages and 4 microbatches.
    std::vector<RunOptions> configs;
    for (ScheduleKind kind : allScheduleKinds()) {
        RunOptions o = defaultRunOptions();
        o.schedule.kind = kind;
        o.schedule.stages = 2;
        o.schedule.microbatches = 4;
        o.schedule.batches = 2;
        o.schedule.chunks = chunksFor(kind, 2);
        o.backend = "gloo";
        if (!errorOf([&] { checkRunOptions(o); })) configs.push_back(o);
    }
    Mutator mutator(settings.seed);
    int cases = 0, completed = 0, dropped = 0, crashes = 0, hangs = 0, lines = 0;
    double slowest = 0;
    for (int i = 0; i < settings.cases; ++i) {
        gCurrentCase = i;
        ::alarm(static_cast<unsigned>(settings.caseSeconds * 4) + 1);
        const auto t0 = std::chrono::steady_clock::now();
        std::string why;
        Verdict v = Verdict::Crash;
        try {
            v = runCase(configs[static_cast<std::size_t>(i) % configs.size()], mutator, why, lines);
        } catch (const std::exception& e) {
            why = std::string("exception: ") + e.what();
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ::alarm(0);
        slowest = std::max(slowest, seconds);
        ++cases;
        if (seconds > settings.caseSeconds) {
            ++hangs;
            std::printf("HANG case %d: %.2f s\n", i, seconds);
        }
        if (v == Verdict::Completed) ++completed;
        if (v == Verdict::Dropped) ++dropped;
        if (v == Verdict::Crash) {
            ++crashes;
            std::printf("CRASH case %d: %s\n", i, why.c_str());
        }
    }
    std::printf("fuzz_wire: seed %lu, %zu schedule kinds, %d lines sent\n", settings.seed,
                configs.size(), lines);
    std::printf(
        "cases %d, completed %d, failed with a rank dropped or refused %d, crashes %d, hangs "
        "%d; slowest case %.3f s\n",
        cases, completed, dropped, crashes, hangs, slowest);
    return crashes == 0 && hangs == 0 && cases > 0 ? 0 : 1;
}
