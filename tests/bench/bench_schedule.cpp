// Benchmark: generate + validate + simulate + analyse one schedule of
// S = 64 stages and M = 1024 microbatches for every kind. Prints the median
// wall time of several repetitions; the target is well under 100 ms.
// Usage: bench_schedule [stages] [microbatches] [repetitions]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"
#include "engine/schedule/validator.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int S = argc > 1 ? std::atoi(argv[1]) : 64;
    const int M = argc > 2 ? std::atoi(argv[2]) : 1024;
    const int reps = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
    std::printf("bench_schedule: S = %d, M = %d, 1 batch, median of %d runs\n", S, M, reps);
    std::printf("%-12s %9s %9s %9s %9s %9s %9s  %s\n", "schedule", "actions", "gen ms", "valid ms",
                "sim ms", "total ms", "bubble", "target < 100 ms");
    bool allFast = true;
    for (pd::ScheduleKind kind : pd::allScheduleKinds()) {
        pd::ScheduleConfig c;
        c.kind = kind;
        c.stages = S;
        c.microbatches = M;
        c.chunks = pd::chunksFor(kind, 2);
        std::vector<double> gen, val, sim, total;
        std::size_t actions = 0;
        double bubble = 0.0;
        try {
            for (int r = 0; r < reps; ++r) {
                const auto t0 = Clock::now();
                const pd::Schedule sch = pd::generateSchedule(c);
                const auto t1 = Clock::now();
                const auto violations = pd::validate(sch);
                const auto t2 = Clock::now();
                const pd::Analysis a = pd::analyze(sch, pd::simulate(sch));
                const auto t3 = Clock::now();
                if (!violations.empty()) {
                    std::printf("%-12s INVALID: %s\n", pd::toString(kind),
                                violations.front().message.c_str());
                    return 1;
                }
                actions = sch.actionCount();
                bubble = a.bubbleFraction;
                gen.push_back(ms(t0, t1));
                val.push_back(ms(t1, t2));
                sim.push_back(ms(t2, t3));
                total.push_back(ms(t0, t3));
            }
        } catch (const pd::ConfigError& e) {
            std::printf("%-12s skipped: %s\n", pd::toString(kind), e.what());
            continue;
        }
        const double t = median(total);
        allFast = allFast && t < 100.0;
        std::printf("%-12s %9zu %9.2f %9.2f %9.2f %9.2f %9.4f  %s\n", pd::toString(kind), actions,
                    median(gen), median(val), median(sim), t, bubble, t < 100.0 ? "ok" : "SLOW");
    }
    std::printf("%s\n", allFast ? "all kinds under 100 ms" : "some kinds took 100 ms or more");
    return 0;
}
