// Benchmark: parse time of JSON objects with many keys (a 300k-key object
// and a Chrome trace with a 200k-entry "stackFrames" dictionary, as real
// profilers write), at n/4, n/2 and n keys. Linear parsing doubles the time
// when n doubles; the printed ratios show it. Not a test: it prints figures.
// Usage: bench_json [keys]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/base/json.h"
#include "engine/formats/trace.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string flatObject(int keys) {
    std::string s = "{";
    for (int i = 0; i < keys; ++i)
        s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    return s + "}";
}

std::string traceWithStackFrames(int frames) {
    std::string s = "{\"traceEvents\":[],\"stackFrames\":{";
    for (int i = 0; i < frames; ++i)
        s += (i ? ",\"" : "\"") + std::to_string(i) + "\":{\"category\":\"libc\",\"name\":\"f" +
             std::to_string(i) + "\",\"parent\":\"" + std::to_string(i > 0 ? i - 1 : 0) + "\"}";
    return s + "}}";
}

double parseSeconds(const std::string& text, bool trace) {
    const auto t0 = Clock::now();
    try {
        if (trace)
            pd::parseChromeTrace(text);
        else
            pd::json::parse(text);
    } catch (const pd::Error& e) {
        std::printf("  parse failed: %s\n", e.what());
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void series(const char* name, int n, bool trace, std::string (*make)(int)) {
    double previous = 0.0;
    for (int keys : {n / 4, n / 2, n}) {
        const std::string text = make(keys);
        const double s = parseSeconds(text, trace);
        std::printf("%-28s %8d keys %9.2f MB %9.3f s", name, keys,
                    static_cast<double>(text.size()) / 1e6, s);
        if (previous > 0) std::printf("   x%.2f for x2 keys", s / previous);
        std::printf("\n");
        previous = s;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int keys = argc > 1 ? std::atoi(argv[1]) : 300000;
    std::printf("bench_json: linear parsing shows x2 time for x2 keys, quadratic x4\n");
    series("object", keys, false, flatObject);
    series("trace with stackFrames", keys * 2 / 3, true, traceWithStackFrames);
    return 0;
}
