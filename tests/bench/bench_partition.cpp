// Partitioning, every figure measured in this run: for the cnn on
// Fashion-MNIST and the gpt on the fortunes at S = 2 and S = 4 (1F1B, the
// models' defaults), the layers are profiled once, each partitioner cuts
// from that profile, and each cut trains BATCHES batches REPEATS times.
// Per partitioner: the cut, the predicted makespan (the profile through the
// simulator), the measured one (median of the repeats) and its error, the
// samples/s and their ratio to the uniform cut's. A cut that another
// partitioner already chose is not trained again (its row says whose).
// Usage: bench_partition [cnn|gpt|all] [BATCHES] [REPEATS] [STAGES...]
//   defaults: all, 60 batches (gpt: a quarter), 3 repeats, stages 2 and 4.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "engine/base/error.h"
#include "engine/config/options.h"
#include "engine/config/report.h"
#include "engine/formats/batchlog.h"
#include "engine/run/profiler.h"
#include "engine/run/runtime.h"
#include "engine/schedule/measured.h"

using namespace pd;

namespace {

const char* const kMethods[] = {"uniform", "time", "memory", "pipedream", "schedule"};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Measured makespan in ms of one training of `o`, or a negative number
// after printing why it failed.
double trainOnce(const RunOptions& o) {
    CollectingSink sink;
    TrainingRun run(o, sink);
    run.start();
    run.wait();
    const CollectingSink::Snapshot snap = sink.snapshot();
    if (!snap.error.empty()) {
        std::printf("    failed: %s\n", snap.error.c_str());
        return -1.0;
    }
    return measureRun(run.schedule(), snap.slots, snap.memory).measured.makespan / 1000.0;
}

std::string cutText(const RunOptions& o) {
    std::string s;
    for (const std::string& layers : predictCut(o).stageLayers)
        s += (s.empty() ? "" : " | ") + layers;
    return s;
}

void bench(const std::string& model, int stages, int batches, int repeats) {
    const std::vector<std::string> args = {
        "--model", model, "--stages", std::to_string(stages), "--batches", std::to_string(batches)};
    RunOptions base;
    try {
        base = parseRunOptions(args, false).options;
    } catch (const ConfigError& e) {
        std::printf("%s S=%d: %s\n", model.c_str(), stages, e.what());
        return;
    }
    const LayerProfile profile = profileLayers(base);
    std::printf("\n%s, S = %d, %s, %d batches of %d, %d repeats (median)\n", model.c_str(), stages,
                toString(base.schedule.kind), batches, base.batchSize, repeats);
    std::printf("%s", formatProfile(profile).c_str());
    std::printf("%-10s %-34s %12s %12s %8s %11s %9s\n", "partition", "stages' layers",
                "predicted ms", "measured ms", "error", "samples/s", "x uniform");
    std::map<std::vector<int>, std::pair<std::string, double>> done;  // cut -> (method, ms)
    double uniformRate = 0.0;
    for (const char* method : kMethods) {
        RunOptions o = base;
        o.partition = method;
        try {
            adoptProfile(o, profile);
        } catch (const std::exception& e) {
            std::printf("%-10s %s\n", method, e.what());
            continue;
        }
        const double predicted = predictCut(o).makespan;
        std::string same;
        double ms = 0.0;
        if (auto it = done.find(o.split); it != done.end()) {
            same = " (= " + it->second.first + ")";
            ms = it->second.second;
        } else {
            std::vector<double> runs;
            for (int r = 0; r < repeats; ++r) {
                const double m = trainOnce(o);
                if (m > 0) runs.push_back(m);
            }
            if (runs.empty()) continue;
            ms = median(runs);
            done[o.split] = {method, ms};
        }
        const double rate = batches * static_cast<double>(o.batchSize) / (ms / 1000.0);
        if (std::string(method) == "uniform") uniformRate = rate;
        std::printf("%-10s %-34s %12.1f %12.1f %+7.1f%% %11.1f %9.3f%s\n", method,
                    cutText(o).c_str(), predicted, ms, 100.0 * (predicted - ms) / ms, rate,
                    uniformRate > 0 ? rate / uniformRate : 0.0, same.c_str());
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string which = argc > 1 ? argv[1] : "all";
    const int batches = argc > 2 ? std::atoi(argv[2]) : 60;
    const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
    std::vector<int> stages;
    for (int i = 4; i < argc; ++i) stages.push_back(std::atoi(argv[i]));
    if (stages.empty()) stages = {2, 4};
    if (batches < 1 || (which != "cnn" && which != "gpt" && which != "all")) {
        std::fprintf(stderr,
                     "usage: bench_partition [cnn|gpt|all] [BATCHES] [REPEATS] [STAGES...]\n");
        return 2;
    }
    try {
        for (const std::string model : {"cnn", "gpt"}) {
            if (which != "all" && which != model) continue;
            for (int s : stages)
                bench(model, s, model == "gpt" ? std::max(1, batches / 4) : batches, repeats);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
