#include "engine/config/report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "engine/formats/trace.h"
#include "engine/schedule/slotgrid.h"
#include "engine/schedule/validator.h"

namespace pd {

std::string fixed(double value, int decimals) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(decimals) << value;
    return os.str();
}

std::string percent(double fraction, int decimals) {
    return fixed(100.0 * fraction, decimals) + "%";
}

std::vector<OpCosts> idealPartCosts(const RunOptions& options) {
    // The tutorial's MLP keeps its equal parts (and exact closed forms)
    // until it is cut or profiled; the cnn's and the gpt's layers differ.
    if (options.model == "mlp" && options.partition == "uniform" && !options.profile) return {};
    std::vector<OpCosts> parts;
    try {
        parts = partCosts(layerCosts(options), layerSplit(options));
    } catch (const std::exception&) {
        return {};  // checkRunOptions says why
    }
    double meanF = 0.0;
    for (const OpCosts& c : parts) meanF += c.f / static_cast<double>(parts.size());
    if (!(meanF > 0.0)) return {};
    for (OpCosts& c : parts) {
        c.f /= meanF;
        c.b /= meanF;
        c.i /= meanF;
        c.w /= meanF;
        c.u /= meanF;
    }
    return parts;
}

DryRun makeDryRun(const RunOptions& options, const OpCosts& costs) {
    checkRunOptions(options);
    DryRun run;
    run.options = options;
    run.costs = costs;
    run.schedule = generateSchedule(options.schedule);
    const std::vector<Violation> violations = validate(run.schedule);
    if (!violations.empty())
        throw std::logic_error("generated schedule is invalid: " + violations.front().message);
    run.partCosts = idealPartCosts(options);
    run.timeline = run.partCosts.empty() ? simulate(run.schedule, costs)
                                         : simulate(run.schedule, run.partCosts);
    run.analysis = analyze(run.schedule, run.timeline);
    run.closed = closedForm(options.schedule);
    return run;
}

namespace {

std::string cellLabel(const Action& a, const ScheduleConfig& c) {
    std::ostringstream os;
    os << opChar(a.op);
    if (a.op != Op::U) {
        os << ' ';
        if (c.batches > 1) os << 'b' << a.batch << ':';
        os << "mb" << a.microbatch;
        if (c.chunks > 1) os << ".c" << a.chunk;
    }
    os << (a.op == Op::U ? " >v" : " v") << a.version;
    if (a.mismatch) os << '!';
    return os.str();
}

}  // namespace

std::string formatGrid(const DryRun& run, int maxRows) {
    const ScheduleConfig& c = run.schedule.config;
    const Timeline& tl = run.timeline;
    const double unit = slotUnit(tl);
    const long long rows = std::llround(std::ceil(tl.makespan / unit - 1e-9));
    const long long shown = std::min<long long>(rows, std::max(maxRows, 1));
    const int S = c.stages;
    std::vector<std::vector<std::string>> cells(shown, std::vector<std::string>(S, "idle"));
    for (int s = 0; s < S; ++s) {
        std::string* previous = nullptr;
        for (std::size_t k = tl.stageBegin[s]; k < tl.stageBegin[s + 1]; ++k) {
            const TimedAction& t = tl.actions[k];
            const long long r0 = std::llround(t.start / unit);
            const long long r1 = std::llround(t.end / unit);
            if (r1 == r0) {  // a zero-cost update: mark it on the op it follows
                if (previous) *previous += " >v" + std::to_string(t.action.version);
                continue;
            }
            for (long long r = r0; r < r1 && r < shown; ++r)
                cells[r][s] = r == r0 ? cellLabel(t.action, c) : "  ..";
            previous = r0 < shown ? &cells[r0][s] : nullptr;
        }
    }
    const std::vector<std::string> names = stageNames(run.options);
    std::vector<std::size_t> width(S);
    for (int s = 0; s < S; ++s) {
        width[s] = names[s].size();
        for (const auto& row : cells) width[s] = std::max(width[s], row[s].size());
    }
    const std::size_t timeWidth = std::max<std::size_t>(4, std::to_string(rows).size() + 1);
    std::ostringstream os;
    auto line = [&](const std::string& first, auto cellOf) {
        os << std::left << std::setw(static_cast<int>(timeWidth)) << first;
        for (int s = 0; s < S; ++s)
            os << " | " << std::setw(static_cast<int>(width[s])) << cellOf(s);
        os << '\n';
    };
    line("Time", [&](int s) { return names[s]; });
    line(std::string(timeWidth, '-'), [&](int s) { return std::string(width[s], '-'); });
    for (long long r = 0; r < shown; ++r)
        line("t" + std::to_string(r), [&](int s) { return cells[r][s]; });
    if (shown < rows)
        os << "... " << rows - shown << " more rows (write them all with --csv FILE)\n";
    os << "One row = " << fixed(unit, unit < 1 ? 3 : 0)
       << " time unit(s) (tF = " << fixed(run.costs.f, 2)
       << "). \"F mb3 v2\": forward of microbatch 3"
       << " reading weight version 2; \">v3\": the stage then updates to version 3";
    if (c.kind == ScheduleKind::PipeDream && !c.stash) os << "; \"!\": version mismatch";
    os << ".\n";
    return os.str();
}

std::string formatFigures(const DryRun& run) {
    const ScheduleConfig& c = run.schedule.config;
    const Analysis& a = run.analysis;
    const ClosedForm& cf = run.closed;
    const std::vector<std::string> names = stageNames(run.options);
    std::ostringstream os;
    os << "Schedule: " << toString(c.kind) << " - " << displayName(c.kind) << "\n";
    os << "Stages " << c.stages << ", microbatches " << c.microbatches << ", batches " << c.batches;
    if (c.chunks > 1) os << ", chunks " << c.chunks;
    if (c.verticalSync) os << ", vertical sync";
    if (!c.stash) os << ", no weight stashing (ablation)";
    os << "; " << run.options.layers << " layers, batch size " << run.options.batchSize << " ("
       << run.options.microbatchSize() << " per microbatch)\n";
    if (run.partCosts.empty())
        os << "Costs per microbatch and stage (units): tF " << fixed(run.costs.f, 2) << ", tB "
           << fixed(run.costs.b, 2) << ", tI " << fixed(run.costs.i, 2) << ", tW "
           << fixed(run.costs.w, 2) << ", tU " << fixed(run.costs.u, 2) << "\n";
    else
        os << "Costs per microbatch: each model part's own, from its layers' costs (units: "
              "the mean part's forward is 1)\n";
    os << "Actions: " << run.schedule.actionCount() << ", makespan " << fixed(a.makespan, 2)
       << " units\n";
    os << "Bubble fraction (idle / (S x makespan)): simulated " << fixed(a.bubbleFraction, 4);
    if (cf.bubble)
        os << ", closed form " << cf.bubbleFormula << " = " << fixed(*cf.bubble, 4)
           << (!run.partCosts.empty() ? " (for equal parts)"
               : cf.exact             ? " (exact)"
                                      : " (approximate)");
    os << "\nMean utilization: " << percent(a.meanUtilization) << "\n\n";
    os << std::left << std::setw(18) << "Stage" << std::right << std::setw(10) << "busy"
       << std::setw(13) << "utilization" << std::setw(20) << "peak activations" << std::setw(18)
       << "versions held"
       << "\n";
    for (int s = 0; s < c.stages; ++s) {
        const StageFigures& f = a.stages[s];
        std::string act = std::to_string(f.peakActivations) +
                          (cf.peakFromOrder ? " (of order " : " (formula ") +
                          std::to_string(cf.peakActivations[s]) + ")";
        std::string ver = std::to_string(f.versionsHeld);
        if (!cf.versionsHeld.empty())
            ver += " (formula " + std::to_string(cf.versionsHeld[s]) + ")";
        os << std::left << std::setw(18) << names[s] << std::right << std::setw(10)
           << fixed(f.busy, 2) << std::setw(13) << percent(f.utilization) << std::setw(20) << act
           << std::setw(18) << ver << "\n";
    }
    if (c.chunks > 1)
        os << "Peak activations are counted in microbatch-chunks (1/" << c.chunks
           << " of a microbatch each).\n";
    if (usesSplitBackward(c.kind))
        os << "A microbatch holds activations from its F until its weight gradient is made (B, or "
              "W after I).\n";
    if (!cf.bubble)
        os << "No closed form for this bubble here: the simulated figure is the analytic one.\n";
    if (!run.options.split.empty() || run.options.profile) os << "\n" << formatCut(run.options);
    return os.str();
}

CutPrediction predictCut(const RunOptions& options) {
    const ScheduleConfig& c = options.schedule;
    ScheduleConfig run = c;
    run.batches = std::max(1, run.batches);
    const std::vector<LayerCost> layers = layerCosts(options);
    const std::vector<LayerRange> parts = layerSplit(options);
    const std::vector<LayerRange> equal = splitLayers(partitionableLayers(options), c.parts());
    CutPrediction p;
    p.method = options.partition;
    p.milliseconds = options.profile.has_value();
    p.costSource = !options.profile                        ? "estimated from the shapes"
                   : options.profile->source == "measured" ? "measured at the start"
                                                           : "in " + options.profile->source;
    p.boundaries = boundariesOf(parts);
    const std::size_t S = static_cast<std::size_t>(c.stages);
    p.stageLayers.assign(S, "");
    p.stageForward.assign(S, 0.0);
    p.stageBackward.assign(S, 0.0);
    std::vector<OpCosts> costs = partCosts(layers, parts);
    std::vector<OpCosts> equalCosts = partCosts(layers, equal);
    if (!p.milliseconds) {
        // Relative units: the mean part's forward is 1, as in the ideal timeline.
        double meanF = 0.0;
        for (const OpCosts& k : costs) meanF += k.f / static_cast<double>(costs.size());
        for (auto* list : {&costs, &equalCosts})
            for (OpCosts& k : *list)
                if (meanF > 0.0) {
                    k.f /= meanF;
                    k.b /= meanF;
                    k.i /= meanF;
                    k.w /= meanF;
                    k.u /= meanF;
                }
    }
    for (int part = 0; part < c.parts(); ++part) {
        const std::size_t s = static_cast<std::size_t>(stageOfPart(c, part));
        const LayerRange& r = parts[static_cast<std::size_t>(part)];
        p.stageLayers[s] += (p.stageLayers[s].empty() ? "L" : " + L") + std::to_string(r.first) +
                            (r.last > r.first ? "-" + std::to_string(r.last) : "");
        p.stageForward[s] += costs[static_cast<std::size_t>(part)].f;
        p.stageBackward[s] += costs[static_cast<std::size_t>(part)].b;
    }
    const Schedule schedule = generateSchedule(run);
    const Timeline timeline = simulate(schedule, costs);
    const Analysis a = analyze(schedule, timeline);
    p.makespan = a.makespan;
    p.bubble = a.bubbleFraction;
    for (const StageFigures& f : a.stages) p.stageBusy.push_back(f.busy);
    p.memory = partitionMemory(layers, parts, c);
    p.equalMemory = partitionMemory(layers, equal, c);
    p.equalMakespan = simulate(schedule, equalCosts).makespan;
    return p;
}

std::string formatProfile(const LayerProfile& p) {
    std::ostringstream os;
    os << "Layer profile (" << p.source << ": " << p.device << ", " << p.threads << " thread"
       << (p.threads == 1 ? "" : "s")
       << (p.concurrent > 1 ? " x " + std::to_string(p.concurrent) + " stages at once" : "") << ", "
       << p.rows << " samples per microbatch, median of " << p.repetitions << " after " << p.warmups
       << " warm-ups):\n";
    os << std::left << std::setw(6) << "Layer" << std::setw(10) << "name" << std::right
       << std::setw(11) << "F ms" << std::setw(11) << "B ms" << std::setw(11) << "U ms"
       << std::setw(14) << "kept KiB" << std::setw(12) << "out KiB" << std::setw(14) << "params KiB"
       << "\n";
    auto kib = [](std::int64_t b) { return fixed(static_cast<double>(b) / 1024.0, 1); };
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
        const LayerCost& c = p.layers[l];
        os << std::left << std::setw(6) << l + 1 << std::setw(10)
           << (l < p.names.size() ? p.names[l] : "") << std::right << std::setw(11)
           << fixed(c.forward, 3) << std::setw(11) << fixed(c.backward, 3) << std::setw(11)
           << fixed(c.update, 3) << std::setw(14) << kib(c.activationBytes) << std::setw(12)
           << kib(c.outputBytes) << std::setw(14) << kib(c.paramBytes) << "\n";
    }
    if (p.bandwidthBytesPerMs > 0.0)
        os << "Copy bandwidth between stages: " << fixed(p.bandwidthBytesPerMs / 1e6, 2)
           << " GB/s\n";
    return os.str();
}

std::string formatCut(const RunOptions& options) {
    const ScheduleConfig& c = options.schedule;
    const CutPrediction p = predictCut(options);
    const std::vector<std::string> names = stageNames(options);
    auto mib = [](std::int64_t b) { return fixed(static_cast<double>(b) / (1024.0 * 1024.0), 1); };
    const std::string unit = p.milliseconds ? " ms" : "";
    std::ostringstream os;
    os << "Cut (" << (p.method == "split" ? "--split" : "--partition " + p.method + ":");
    for (std::size_t k = 0; k < p.boundaries.size(); ++k) os << (k ? "," : " ") << p.boundaries[k];
    os << "), predicted from the layers' costs " << p.costSource
       << (p.milliseconds ? "" : " (relative units; --profile-out measures them)") << ":\n";
    os << std::left << std::setw(24) << "Stage" << std::setw(14) << "layers" << std::right
       << std::setw(12) << ("F" + unit) << std::setw(12) << ("B" + unit) << std::setw(14)
       << ("busy" + unit) << std::setw(13) << "memory MiB" << std::setw(18) << "(equal cut MiB)"
       << "\n";
    const int digits = p.milliseconds ? 3 : 2;
    for (std::size_t s = 0; s < static_cast<std::size_t>(c.stages); ++s)
        os << std::left << std::setw(24) << names[s] << std::setw(14) << p.stageLayers[s]
           << std::right << std::setw(12) << fixed(p.stageForward[s], digits) << std::setw(12)
           << fixed(p.stageBackward[s], digits) << std::setw(14) << fixed(p.stageBusy[s], digits)
           << std::setw(13) << mib(p.memory[s]) << std::setw(18) << mib(p.equalMemory[s]) << "\n";
    os << "Predicted makespan of " << std::max(1, c.batches) << " batch"
       << (c.batches == 1 ? "" : "es") << ": " << fixed(p.makespan, digits) << unit << ", bubble "
       << fixed(p.bubble, 4) << "; " << fixed(p.makespan / p.equalMakespan, 3)
       << " x the equal cut's\n";
    return os.str();
}

namespace {

double relativeError(double predicted, double measured) {
    return measured > 0.0 ? (predicted - measured) / measured : 0.0;
}

}  // namespace

json::Ordered partitionJson(const RunOptions& options, const std::vector<double>* measuredStageMs,
                            double measuredMakespanMs) {
    const CutPrediction p = predictCut(options);
    json::Ordered o = json::Ordered::object();
    o["method"] = p.method;
    json::Ordered boundaries = json::Ordered::array();
    for (int b : p.boundaries) boundaries.push_back(b);
    o["boundaries"] = std::move(boundaries);
    json::Ordered layers = json::Ordered::array();
    for (const std::string& l : p.stageLayers) layers.push_back(l);
    o["stage_layers"] = std::move(layers);
    o["cost_source"] = p.costSource;
    o["units"] = p.milliseconds ? "ms" : "relative";
    const std::string suffix = p.milliseconds ? "_ms" : "";
    json::Ordered busy = json::Ordered::array(), memory = json::Ordered::array();
    for (double v : p.stageBusy) busy.push_back(v);
    for (std::int64_t v : p.memory) memory.push_back(v);
    o["predicted_stage" + suffix] = std::move(busy);
    o["predicted_makespan" + suffix] = p.makespan;
    o["predicted_bubble"] = p.bubble;
    o["predicted_vs_equal_cut"] = p.makespan / p.equalMakespan;
    o["predicted_stage_memory_bytes"] = std::move(memory);
    if (measuredStageMs && p.milliseconds) {
        json::Ordered measured = json::Ordered::array(), errors = json::Ordered::array();
        for (std::size_t s = 0; s < measuredStageMs->size() && s < p.stageBusy.size(); ++s) {
            measured.push_back((*measuredStageMs)[s]);
            errors.push_back(relativeError(p.stageBusy[s], (*measuredStageMs)[s]));
        }
        o["measured_stage_ms"] = std::move(measured);
        o["stage_error"] = std::move(errors);
        o["measured_makespan_ms"] = measuredMakespanMs;
        o["makespan_error"] = relativeError(p.makespan, measuredMakespanMs);
    }
    return o;
}

std::string formatCutAgainstMeasured(const RunOptions& options,
                                     const std::vector<double>& measuredStageMs,
                                     double measuredMakespanMs) {
    const CutPrediction p = predictCut(options);
    if (!p.milliseconds) return {};
    const std::vector<std::string> names = stageNames(options);
    std::ostringstream os;
    os << "Cut predicted (" << p.costSource << ") against measured:\n";
    os << std::left << std::setw(24) << "Stage" << std::right << std::setw(16)
       << "predicted busy ms" << std::setw(16) << "measured ms" << std::setw(10) << "error"
       << "\n";
    auto signedPercent = [](double e) { return (e >= 0 ? "+" : "") + percent(e, 1); };
    for (std::size_t s = 0; s < p.stageBusy.size() && s < measuredStageMs.size(); ++s)
        os << std::left << std::setw(24) << names[s] << std::right << std::setw(16)
           << fixed(p.stageBusy[s], 1) << std::setw(16) << fixed(measuredStageMs[s], 1)
           << std::setw(10) << signedPercent(relativeError(p.stageBusy[s], measuredStageMs[s]))
           << "\n";
    os << std::left << std::setw(24) << "Makespan" << std::right << std::setw(16)
       << fixed(p.makespan, 1) << std::setw(16) << fixed(measuredMakespanMs, 1) << std::setw(10)
       << signedPercent(relativeError(p.makespan, measuredMakespanMs)) << "\n";
    return os.str();
}

}  // namespace pd

namespace pd {

json::Ordered configJson(const RunOptions& options) {
    const ScheduleConfig& c = options.schedule;
    json::Ordered o = json::Ordered::object();
    o["schedule"] = toString(c.kind);
    o["display_name"] = displayName(c.kind);
    o["stages"] = c.stages;
    o["microbatches"] = c.microbatches;
    o["batches"] = c.batches;
    o["chunks"] = c.chunks;
    o["vertical_sync"] = c.verticalSync;
    o["stash"] = c.stash;
    o["layers"] = options.layers;
    o["batch_size"] = options.batchSize;
    return o;
}

json::Ordered toJson(const DryRun& run) {
    const ScheduleConfig& c = run.schedule.config;
    const Analysis& a = run.analysis;
    const ClosedForm& cf = run.closed;
    const std::vector<std::string> names = stageNames(run.options);
    json::Ordered o = configJson(run.options);
    json::Ordered costs = json::Ordered::object();
    costs["f"] = run.costs.f;
    costs["b"] = run.costs.b;
    costs["i"] = run.costs.i;
    costs["w"] = run.costs.w;
    costs["u"] = run.costs.u;
    o["costs"] = costs;
    o["actions"] = static_cast<std::int64_t>(run.schedule.actionCount());
    o["makespan"] = a.makespan;
    json::Ordered bubble = json::Ordered::object();
    bubble["definition"] = "idle / (S x makespan)";
    bubble["simulated"] = a.bubbleFraction;
    if (cf.bubble) {
        bubble["closed_form"] = *cf.bubble;
        bubble["formula"] = cf.bubbleFormula;
        bubble["exact"] = cf.exact && run.partCosts.empty();
    }
    o["bubble_fraction"] = bubble;
    o["mean_utilization"] = a.meanUtilization;
    if (!run.options.split.empty() || run.options.profile)
        o["partition"] = partitionJson(run.options);
    json::Ordered stages = json::Ordered::array();
    for (int s = 0; s < c.stages; ++s) {
        const StageFigures& f = a.stages[s];
        json::Ordered st = json::Ordered::object();
        st["stage"] = s;
        st["name"] = names[s];
        st["busy"] = f.busy;
        st["utilization"] = f.utilization;
        st["peak_activations"] = f.peakActivations;
        st["peak_activations_formula"] = cf.peakActivations[s];
        st["versions_held"] = f.versionsHeld;
        if (!cf.versionsHeld.empty()) st["versions_held_formula"] = cf.versionsHeld[s];
        stages.push_back(st);
    }
    o["stage_figures"] = stages;
    json::Ordered timeline = json::Ordered::array();
    for (const TimedAction& t : run.timeline.actions) {
        json::Ordered e = json::Ordered::object();
        e["stage"] = t.stage;
        e["batch"] = t.action.batch;
        e["microbatch"] = t.action.microbatch;
        e["op"] = std::string(1, opChar(t.action.op));
        e["chunk"] = t.action.chunk;
        e["version"] = t.action.version;
        if (t.action.mismatch) e["mismatch"] = true;
        e["start"] = t.start;
        e["end"] = t.end;
        timeline.push_back(e);
    }
    o["timeline"] = timeline;
    return o;
}

}  // namespace pd
