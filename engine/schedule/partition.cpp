#include "engine/schedule/partition.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "engine/base/parse.h"

namespace pd {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

std::string str(long long v) {
    return std::to_string(v);
}

// Sums over layer ranges in O(1): prefix[k] is the sum over layers 1..k.
struct Prefix {
    std::vector<double> forward{0.0}, backward{0.0};
    std::vector<std::int64_t> activation{0}, params{0};

    explicit Prefix(const std::vector<LayerCost>& layers) {
        for (const LayerCost& l : layers) {
            forward.push_back(forward.back() + l.forward);
            backward.push_back(backward.back() + l.backward);
            activation.push_back(activation.back() + l.activationBytes);
            params.push_back(params.back() + l.paramBytes);
        }
    }
    // Layers first..last, 1-based, inclusive.
    double compute(int first, int last) const {
        return forward[last] - forward[first - 1] + backward[last] - backward[first - 1];
    }
    std::int64_t activations(int first, int last) const {
        return activation[last] - activation[first - 1];
    }
    std::int64_t parameters(int first, int last) const { return params[last] - params[first - 1]; }
};

// What a stage holds at its peak, from the schedule's order alone: the
// weight versions and the microbatch(-chunk)s forwarded and not yet
// backwarded (the simulator's figures; they do not depend on the costs).
struct Holdings {
    std::vector<int> versions, activations;
};

Holdings holdings(const ScheduleConfig& config) {
    ScheduleConfig one = config;
    one.batches = std::min(config.batches, 2);  // the steady state; peaks repeat
    const Schedule schedule = generateSchedule(one);
    const Analysis a = analyze(schedule, simulate(schedule));
    Holdings h;
    for (const StageFigures& s : a.stages) {
        h.versions.push_back(std::max(1, s.versionsHeld));
        h.activations.push_back(s.peakActivations);
    }
    return h;
}

// Memory of one part on its stage: its weights times the versions the
// stage holds, its activations times its share of the microbatch-chunks in
// flight (a stage of V chunks holds its peak across them).
double partMemory(const Prefix& sum, const Holdings& h, int stage, int chunks, int first,
                  int last) {
    return static_cast<double>(sum.parameters(first, last)) * h.versions[stage] +
           static_cast<double>(sum.activations(first, last)) * h.activations[stage] / chunks;
}

// Exact min-max partition of layers 1..L into P contiguous parts, where part
// p over layers a..b costs cost(p, a, b) and a cut after layer k costs
// cut(k): the least over all partitions of the largest of those. O(P L^2).
std::vector<LayerRange> minMaxPartition(int L, int P,
                                        const std::function<double(int, int, int)>& cost,
                                        const std::function<double(int)>& cut, double* best) {
    // value[p][j]: the best for parts 0..p over layers 1..j; from[p][j] the
    // last layer of part p-1 there.
    std::vector<std::vector<double>> value(P, std::vector<double>(L + 1, kInfinity));
    std::vector<std::vector<int>> from(P, std::vector<int>(L + 1, 0));
    for (int j = 1; j <= L - (P - 1); ++j) value[0][j] = cost(0, 1, j);
    for (int p = 1; p < P; ++p) {
        for (int j = p + 1; j <= L - (P - 1 - p); ++j) {
            for (int i = p; i < j; ++i) {
                if (value[p - 1][i] == kInfinity) continue;
                const double v = std::max({value[p - 1][i], cut(i), cost(p, i + 1, j)});
                if (v < value[p][j]) {
                    value[p][j] = v;
                    from[p][j] = i;
                }
            }
        }
    }
    if (best) *best = value[P - 1][L];
    if (value[P - 1][L] == kInfinity) return {};
    std::vector<LayerRange> parts(P);
    for (int p = P - 1, last = L; p >= 0; --p) {
        const int first = p == 0 ? 1 : from[p][last] + 1;
        parts[p] = {first, last};
        last = first - 1;
    }
    return parts;
}

// The least of `objective` over partitions of L layers into P parts: every
// partition where there are few enough (exact), else a descent moving one
// boundary at a time by shrinking steps, from each start.
std::vector<LayerRange> searchPartition(
    int L, int P, const std::function<double(const std::vector<LayerRange>&)>& objective,
    const std::vector<std::vector<LayerRange>>& starts, double* best,
    std::size_t exhaustiveLimit = 20000) {
    // C(L-1, P-1) partitions, counted with an early stop.
    double count = 1.0;
    for (int k = 1; k <= P - 1 && count <= static_cast<double>(exhaustiveLimit); ++k)
        count = count * (L - P + k) / k;
    std::vector<LayerRange> bestParts;
    double bestValue = kInfinity;
    auto consider = [&](const std::vector<int>& boundaries) {
        const std::vector<LayerRange> parts = rangesFromBoundaries(L, boundaries);
        const double v = objective(parts);
        if (v < bestValue) {
            bestValue = v;
            bestParts = parts;
        }
        return v;
    };
    if (count <= static_cast<double>(exhaustiveLimit)) {
        std::vector<int> b(P - 1);
        for (int k = 0; k < P - 1; ++k) b[k] = k + 2;
        while (true) {
            consider(b);
            int k = P - 2;
            while (k >= 0 && b[k] == L - (P - 2 - k)) --k;
            if (k < 0) break;
            ++b[k];
            for (int m = k + 1; m < P - 1; ++m) b[m] = b[m - 1] + 1;
        }
    } else {
        for (const std::vector<LayerRange>& start : starts) {
            std::vector<int> b = boundariesOf(start);
            double current = consider(b);
            for (int step = std::max(1, L / (2 * P)); step >= 1; step /= 2) {
                for (bool moved = true; moved;) {
                    moved = false;
                    for (int k = 0; k < P - 1; ++k) {
                        for (int d : {-step, step}) {
                            std::vector<int> t = b;
                            t[k] += d;
                            const int low = k == 0 ? 2 : t[k - 1] + 1;
                            const int high = k == P - 2 ? L : t[k + 1] - 1;
                            if (t[k] < low || t[k] > high) continue;
                            const double v = consider(t);
                            if (v < current) {
                                current = v;
                                b = t;
                                moved = true;
                            }
                        }
                    }
                }
            }
        }
    }
    if (best) *best = bestValue;
    return bestValue == kInfinity ? std::vector<LayerRange>{} : bestParts;
}

}  // namespace

const char* toString(PartitionMethod method) {
    switch (method) {
        case PartitionMethod::Uniform:
            return "uniform";
        case PartitionMethod::Time:
            return "time";
        case PartitionMethod::Memory:
            return "memory";
        case PartitionMethod::PipeDream:
            return "pipedream";
        case PartitionMethod::Schedule:
            return "schedule";
    }
    return "uniform";
}

std::optional<PartitionMethod> parsePartitionMethod(const std::string& name) {
    for (PartitionMethod m :
         {PartitionMethod::Uniform, PartitionMethod::Time, PartitionMethod::Memory,
          PartitionMethod::PipeDream, PartitionMethod::Schedule})
        if (name == toString(m)) return m;
    return std::nullopt;
}

std::vector<int> boundariesOf(const std::vector<LayerRange>& parts) {
    std::vector<int> out;
    for (std::size_t p = 1; p < parts.size(); ++p) out.push_back(parts[p].first);
    return out;
}

std::vector<LayerRange> rangesFromBoundaries(int layers, const std::vector<int>& boundaries) {
    std::vector<LayerRange> out;
    int first = 1;
    for (int b : boundaries) {
        out.push_back({first, b - 1});
        first = b;
    }
    out.push_back({first, layers});
    return out;
}

std::vector<LayerRange> parseSplit(const std::string& text, int layers, int parts) {
    std::vector<int> boundaries;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        int value = 0;
        if (!parseNumber(item, value))
            throw ConfigError(
                "--split takes the first layer of each part after the first, as "
                "increasing whole numbers separated by commas (\"4,9,13\"); got \"" +
                text + "\"");
        boundaries.push_back(value);
    }
    if (static_cast<int>(boundaries.size()) != parts - 1)
        throw ConfigError("--split gives " + str(static_cast<long long>(boundaries.size())) +
                          " boundaries; " + str(parts) + " model parts need " + str(parts - 1));
    for (std::size_t k = 0; k < boundaries.size(); ++k) {
        const int low = k == 0 ? 2 : boundaries[k - 1] + 1;
        if (boundaries[k] < low || boundaries[k] > layers)
            throw ConfigError("--split " + text + ": each boundary is a layer in 2.." +
                              str(layers) + ", after the previous one (every part needs a layer)");
    }
    return rangesFromBoundaries(layers, boundaries);
}

std::vector<OpCosts> partCosts(const std::vector<LayerCost>& layers,
                               const std::vector<LayerRange>& parts) {
    const Prefix sum(layers);
    std::vector<OpCosts> out;
    for (const LayerRange& r : parts) {
        OpCosts c;
        c.f = sum.forward[r.last] - sum.forward[r.first - 1];
        c.b = sum.backward[r.last] - sum.backward[r.first - 1];
        c.i = c.b / 2.0;
        c.w = c.b / 2.0;
        c.u = 0.0;
        for (int l = r.first; l <= r.last; ++l)
            c.u += layers[static_cast<std::size_t>(l - 1)].update;
        out.push_back(c);
    }
    return out;
}

double slowestPart(const std::vector<LayerCost>& layers, const std::vector<LayerRange>& parts) {
    const Prefix sum(layers);
    double worst = 0.0;
    for (const LayerRange& r : parts) worst = std::max(worst, sum.compute(r.first, r.last));
    return worst;
}

std::vector<std::int64_t> partitionMemory(const std::vector<LayerCost>& layers,
                                          const std::vector<LayerRange>& parts,
                                          const ScheduleConfig& config) {
    const Prefix sum(layers);
    const Holdings h = holdings(config);
    std::vector<double> bytes(config.stages, 0.0);
    for (int p = 0; p < static_cast<int>(parts.size()); ++p) {
        const int s = stageOfPart(config, p);
        bytes[s] += partMemory(sum, h, s, config.chunks, parts[p].first, parts[p].last);
    }
    std::vector<std::int64_t> out;
    for (double b : bytes) out.push_back(std::llround(b));
    return out;
}

double pipeDreamObjective(const std::vector<LayerCost>& layers,
                          const std::vector<LayerRange>& parts, const PartitionGoal& goal) {
    const Prefix sum(layers);
    if (goal.memoryLimit > 0) {
        for (std::int64_t m : partitionMemory(layers, parts, goal.config))
            if (m > goal.memoryLimit) return kInfinity;
    }
    double worst = slowestPart(layers, parts);
    if (goal.bandwidth > 0.0) {
        for (std::size_t p = 0; p + 1 < parts.size(); ++p) {
            // The activation forward and its gradient back, over one link.
            const double bytes = 2.0 * static_cast<double>(layers[parts[p].last - 1].outputBytes);
            worst = std::max(worst, bytes / goal.bandwidth);
        }
    }
    return worst;
}

double simulatedMakespan(const std::vector<LayerCost>& layers, const std::vector<LayerRange>& parts,
                         const ScheduleConfig& config) {
    const Schedule schedule = generateSchedule(config);
    return simulate(schedule, partCosts(layers, parts)).makespan;
}

Partition partitionLayers(PartitionMethod method, const std::vector<LayerCost>& layers,
                          const PartitionGoal& goal) {
    const ScheduleConfig& c = goal.config;
    const int L = static_cast<int>(layers.size());
    const int P = c.parts();
    if (P < 1 || L < P)
        throw ConfigError(str(P) + " model parts need at least " + str(P) + " layers, got " +
                          str(L));
    const Prefix sum(layers);
    Partition out;
    out.method = method;
    const auto none = [](int) { return 0.0; };
    switch (method) {
        case PartitionMethod::Uniform:
            out.parts = splitLayers(L, P);
            out.objective = slowestPart(layers, out.parts);
            return out;
        case PartitionMethod::Time:
            out.parts = minMaxPartition(
                L, P, [&](int, int a, int b) { return sum.compute(a, b); }, none, &out.objective);
            return out;
        case PartitionMethod::Memory: {
            const auto objective = [&](const std::vector<LayerRange>& parts) {
                const auto m = partitionMemory(layers, parts, c);
                return static_cast<double>(*std::max_element(m.begin(), m.end()));
            };
            if (c.chunks == 1) {
                // One part per stage: contiguous, so the exact program.
                const Holdings h = holdings(c);
                out.parts = minMaxPartition(
                    L, P,
                    [&](int p, int a, int b) {
                        return partMemory(sum, h, stageOfPart(c, p), 1, a, b);
                    },
                    none, nullptr);
                out.objective = objective(out.parts);
            } else {
                out.parts = searchPartition(L, P, objective, {splitLayers(L, P)}, &out.objective);
            }
            return out;
        }
        case PartitionMethod::PipeDream: {
            if (c.chunks == 1) {
                const Holdings h = holdings(c);
                const auto cost = [&](int p, int a, int b) {
                    const double m = partMemory(sum, h, stageOfPart(c, p), 1, a, b);
                    if (goal.memoryLimit > 0 && std::llround(m) > goal.memoryLimit)
                        return kInfinity;
                    return sum.compute(a, b);
                };
                const auto cut = [&](int k) {
                    return goal.bandwidth > 0.0
                               ? 2.0 * static_cast<double>(layers[k - 1].outputBytes) /
                                     goal.bandwidth
                               : 0.0;
                };
                out.parts = minMaxPartition(L, P, cost, cut, &out.objective);
            } else {
                out.parts = searchPartition(
                    L, P,
                    [&](const std::vector<LayerRange>& parts) {
                        return pipeDreamObjective(layers, parts, goal);
                    },
                    {splitLayers(L, P)}, &out.objective);
            }
            if (out.parts.empty())
                throw ConfigError("no split of " + str(L) + " layers into " + str(P) +
                                  " parts keeps every stage within the memory limit of " +
                                  str(goal.memoryLimit) + " bytes");
            return out;
        }
        case PartitionMethod::Schedule: {
            const Schedule schedule = generateSchedule(c);
            const auto makespan = [&](const std::vector<LayerRange>& parts) {
                return simulate(schedule, partCosts(layers, parts)).makespan;
            };
            double ignored = 0.0;
            const std::vector<LayerRange> byTime = minMaxPartition(
                L, P, [&](int, int a, int b) { return sum.compute(a, b); }, none, &ignored);
            // Simulations are cheaper for short runs: the search's budget
            // shrinks with the schedule's length.
            const std::size_t actions = std::max<std::size_t>(1, schedule.actionCount());
            const std::size_t limit = std::max<std::size_t>(200, 2000000 / actions);
            out.parts =
                searchPartition(L, P, makespan, {byTime, splitLayers(L, P)}, &out.objective, limit);
            return out;
        }
    }
    return out;
}

}  // namespace pd
