// What pipedream-train prints and writes about a run, threaded or
// distributed (header, log supervision, results, --json, output files, how
// it ended), and the collecting side of a distributed run: --launch and
// rank 0 under torchrun. Torch-free, so the launcher never loads LibTorch.
#include "app/train/runreport.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/json.h"
#include "engine/base/safefile.h"
#include "engine/config/report.h"
#include "engine/config/resources.h"
#include "engine/distributed/distributed.h"
#include "engine/formats/batchlog.h"
#include "engine/formats/trace.h"
#include "engine/schedule/measured.h"

namespace pd {

namespace {

std::atomic<int> gInterrupted{0};  // the signal that asked to stop, 0 while none

extern "C" void onInterrupt(int signal) {
    gInterrupted.store(signal);
}

constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};

}  // namespace

InterruptGuard::InterruptGuard() {
    gInterrupted.store(0);
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i)
        ::sigaction(kSignals[i], &action, &previous_[i]);
}

InterruptGuard::~InterruptGuard() {
    for (std::size_t i = 0; i < kSignals.size(); ++i)
        ::sigaction(kSignals[i], &previous_[i], nullptr);
}

int InterruptGuard::signal() {
    return gInterrupted.load();
}

const char* signalName(int signal) {
    switch (signal) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        case SIGHUP:
            return "SIGHUP";
        default:
            return "a signal";
    }
}

namespace {

std::string formatBytes(std::int64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024.0 * 1024.0) return fixed(b / (1024.0 * 1024.0 * 1024.0), 2) + " GiB";
    if (b >= 1024.0 * 1024.0) return fixed(b / (1024.0 * 1024.0), 2) + " MiB";
    if (b >= 1024.0) return fixed(b / 1024.0, 1) + " KiB";
    return std::to_string(bytes) + " B";
}

}  // namespace

void printHeader(const RunOptions& o, const Schedule& schedule, const RunPlace& place,
                 const std::vector<std::string>& names) {
    const ScheduleConfig& c = o.schedule;
    std::printf("PipeDream Studio - pipedream-train\n");
    std::printf("Schedule: %s - %s\n", toString(c.kind), displayName(c.kind));
    std::printf(
        "Pipeline: %d stages x %d microbatches%s, %d batches of %d samples (%d per microbatch)\n",
        c.stages, c.microbatches,
        c.chunks > 1 ? (", " + std::to_string(c.chunks) + " chunks per stage").c_str() : "",
        c.batches, o.batchSize, o.microbatchSize());
    if (c.kind == ScheduleKind::PipeDream) {
        std::printf("Weight versions: %s%s\n",
                    c.stash ? "stashed per microbatch" : "NOT stashed (ablation)",
                    c.verticalSync ? ", vertical sync" : "");
    }
    if (o.model == "cnn")
        std::printf(
            "Model: CNN of 4 convolutions (16-32-64-64 channels, two 2x2 pools), a "
            "fully connected layer of %d and a head; split:",
            o.hidden);
    else if (o.model == "gpt")
        std::printf(
            "Model: GPT of %d pre-norm blocks (width %d, %d heads, context %d) with its "
            "embedding and head; split:",
            o.layers, o.hidden, o.heads, o.seqLen);
    else
        std::printf("Model: MLP of %d Linear(%d)+ReLU layers and a %d-class head; split:", o.layers,
                    o.hidden, o.classes);
    for (const std::string& n : names) std::printf(" %s", n.c_str());
    std::printf("\nData: %s\n", place.data.c_str());
    if (place.dataKnown && std::isfinite(place.unigramLoss))
        std::printf("Unigram entropy of the training text: %.4f nats per character\n",
                    place.unigramLoss);
    if (o.epochs > 0)
        std::printf("Epochs: %d, each in its own seeded order (%d batches in all)\n", o.epochs,
                    c.batches);
    const char* optimizer = o.optimizer == "adam"       ? "Adam (0.9, 0.999)"
                            : o.optimizer == "momentum" ? "SGD with momentum 0.9"
                                                        : "plain SGD";
    std::printf("Device %s, %d thread(s) per stage worker; optimizer %s, lr %g, seed %llu\n",
                o.device.c_str(), place.threads, optimizer, o.lr,
                static_cast<unsigned long long>(o.seed));
    if (!place.processes.empty()) std::printf("Processes: %s\n", place.processes.c_str());
    std::printf("Actions: %zu\n", schedule.actionCount());
    const std::string note = coreSharingNote(o, std::thread::hardware_concurrency());
    if (!note.empty()) std::printf("Note: %s\n", note.c_str());
    if (o.profile) std::printf("%s", formatCut(o).c_str());
}

namespace {

// Rows of the results table of a long run (about: every k-th batch).
constexpr std::size_t kResultRows = 30;

// Each stage's measured busy time in ms, as the cut's prediction counts it.
std::vector<double> stageBusyMs(const MeasuredFigures& m) {
    std::vector<double> ms;
    for (const auto& st : m.measured.stages) ms.push_back(st.busy / 1000.0);
    return ms;
}

void printResults(const RunOptions& o, const Schedule& schedule,
                  const std::vector<std::string>& names, const CollectingSink::Snapshot& snap,
                  const MeasuredFigures& m, const ClosedForm& cf) {
    const ScheduleConfig& c = o.schedule;
    std::printf("\nTraining results (%zu batches)\n", snap.batches.size());
    std::printf("| Batch | Loss   | Weight version used | Weight version after |\n");
    std::printf("|-------|--------|---------------------|----------------------|\n");
    std::vector<BatchEvent> batches = snap.batches;
    std::sort(batches.begin(), batches.end(),
              [](const BatchEvent& a, const BatchEvent& b) { return a.batch < b.batch; });
    // A long run: the first rows, then every k-th, and the last (--json has all).
    const std::size_t n = batches.size();
    const std::size_t every = n <= kResultRows ? 1 : (n + kResultRows - 1) / kResultRows;
    for (std::size_t i = 0; i < n; ++i) {
        if (i >= 5 && i + 1 < n && (i + 1) % every != 0) continue;
        const BatchEvent& b = batches[i];
        std::printf("| %-5d | %.4f | %-19s | %-20s |\n", b.batch + 1, b.loss,
                    versionsText(b.versionUsed).c_str(), versionsText(b.versionAfter).c_str());
    }
    if (every > 1)
        std::printf(
            "(%zu batches: the first 5, then one in every %zu, and the last; --json has "
            "every one)\n",
            n, every);
    if (c.kind == ScheduleKind::PipeDream || c.kind == ScheduleKind::TwoBW)
        std::printf("(versions per stage GPU0/.../GPU%d where they differ)\n", c.stages - 1);

    std::printf("\nMeasured on this machine (%s):\n",
                o.device == "cpu" ? "steady clock" : "CUDA events on each stage's stream");
    std::printf("%-22s %10s %12s %18s %26s\n", "Stage", "busy ms", "utilization",
                "peak activations", "peak memory (act + stash)");
    for (int s = 0; s < c.stages; ++s) {
        const auto i = static_cast<std::size_t>(s);
        const std::string act = std::to_string(m.peakActivations[i]) + " (formula " +
                                std::to_string(cf.peakActivations[i]) + ")";
        const std::string mem =
            formatBytes(m.peakActivationBytes[i]) + " + " + formatBytes(m.peakStashBytes[i]);
        std::printf("%-22s %10s %12s %18s %26s\n", names[i].c_str(),
                    fixed(m.measured.stages[i].busy / 1000.0, 2).c_str(),
                    percent(m.measured.stages[i].utilization).c_str(), act.c_str(), mem.c_str());
    }
    std::printf(
        "Bubble fraction (idle / (S x makespan)): measured %s, ideal with the measured op times %s",
        fixed(m.measured.bubbleFraction, 4).c_str(), fixed(m.ideal.bubbleFraction, 4).c_str());
    if (cf.bubble)
        std::printf(", closed form %s = %s%s", cf.bubbleFormula.c_str(),
                    fixed(*cf.bubble, 4).c_str(), cf.exact ? "" : " (approximate)");
    std::printf("\n");
    // Only the ops this schedule runs: the others' costs are estimates.
    std::printf("Mean op times: F %s ms", fixed(m.costs.f / 1000.0, 3).c_str());
    if (c.kind == ScheduleKind::DualPipeV || !usesSplitBackward(c.kind))
        std::printf(", B %s ms", fixed(m.costs.b / 1000.0, 3).c_str());
    if (usesSplitBackward(c.kind))
        std::printf(", I %s ms, W %s ms", fixed(m.costs.i / 1000.0, 3).c_str(),
                    fixed(m.costs.w / 1000.0, 3).c_str());
    std::printf(", U %s ms (per whole stage)\n", fixed(m.costs.u / 1000.0, 3).c_str());
    const double seconds = m.measured.makespan / 1e6;
    const double samples = static_cast<double>(snap.batches.size()) * o.batchSize;
    std::printf(
        "Throughput: %.0f samples in %.3f s of training = %.1f samples/s (from time zero, pauses "
        "and "
        "evaluations left out: %.3f s)\n",
        samples, seconds, seconds > 0 ? samples / seconds : 0.0,
        static_cast<double>(snap.summary.timeUs) / 1e6);
    if (o.profile && snap.summary.batchesDone == c.batches)
        std::printf(
            "%s",
            formatCutAgainstMeasured(o, stageBusyMs(m), m.measured.makespan / 1000.0).c_str());
}

// null for what is not a number (accuracy of text, the unigram loss of images).
json::Ordered numberOrNull(double v) {
    return std::isfinite(v) ? json::Ordered(v) : json::Ordered(nullptr);
}

json::Ordered summaryJson(const RunOptions& o, const std::vector<std::string>& names,
                          const CollectingSink::Snapshot& snap, const MeasuredFigures& m,
                          const ClosedForm& cf, const RunPlace* place) {
    const ScheduleConfig& c = o.schedule;
    json::Ordered root = configJson(o);
    root["hidden"] = o.hidden;
    root["lr"] = o.lr;
    root["seed"] = static_cast<std::int64_t>(o.seed);
    root["device"] = o.device;
    root["optimizer"] = o.optimizer;
    if (o.epochs > 0) root["epochs"] = o.epochs;
    if (place && place->dataKnown) {
        json::Ordered d = json::Ordered::object();
        d["source"] = o.data;
        d["name"] = place->dataName;
        d["train_samples"] = place->trainSamples;
        d["heldout_samples"] = place->heldoutSamples;
        d["unigram_loss"] = numberOrNull(place->unigramLoss);
        root["data"] = d;
    } else {
        root["data"] = o.data;
    }
    json::Ordered evaluations = json::Ordered::array();
    for (const EvaluationEvent& e : snap.evaluations) {
        json::Ordered row = json::Ordered::object();
        row["batch"] = e.batch;
        row["epoch"] = e.epoch;
        row["train_seconds"] = static_cast<double>(e.trainUs) / 1e6;
        row["samples"] = e.samples;
        row["loss"] = numberOrNull(e.loss);
        row["accuracy"] = numberOrNull(e.accuracy);
        evaluations.push_back(row);
    }
    root["evaluations"] = evaluations;
    root["cancelled"] = snap.summary.cancelled;
    json::Ordered batches = json::Ordered::array();
    std::vector<BatchEvent> sorted = snap.batches;
    std::sort(sorted.begin(), sorted.end(),
              [](const BatchEvent& a, const BatchEvent& b) { return a.batch < b.batch; });
    for (const BatchEvent& b : sorted) {
        json::Ordered row = json::Ordered::object();
        row["batch"] = b.batch;
        row["loss"] = b.loss;
        json::Ordered used = json::Ordered::array(), after = json::Ordered::array();
        for (int v : b.versionUsed) used.push_back(v);
        for (int v : b.versionAfter) after.push_back(v);
        row["version_used"] = used;
        row["version_after"] = after;
        batches.push_back(row);
    }
    root["batch_results"] = batches;
    json::Ordered bubble = json::Ordered::object();
    bubble["definition"] = "idle / (S x makespan)";
    bubble["measured"] = m.measured.bubbleFraction;
    bubble["ideal_measured_costs"] = m.ideal.bubbleFraction;
    if (cf.bubble) {
        bubble["closed_form"] = *cf.bubble;
        bubble["formula"] = cf.bubbleFormula;
        bubble["exact"] = cf.exact;
    }
    root["bubble_fraction"] = bubble;
    json::Ordered costs = json::Ordered::object();
    costs["f_us"] = m.costs.f;
    if (c.kind == ScheduleKind::DualPipeV || !usesSplitBackward(c.kind)) costs["b_us"] = m.costs.b;
    if (usesSplitBackward(c.kind)) {
        costs["i_us"] = m.costs.i;
        costs["w_us"] = m.costs.w;
    }
    costs["u_us"] = m.costs.u;
    root["mean_op_us"] = costs;
    json::Ordered stages = json::Ordered::array();
    for (int s = 0; s < c.stages; ++s) {
        const auto i = static_cast<std::size_t>(s);
        json::Ordered st = json::Ordered::object();
        st["stage"] = s;
        st["name"] = names[i];
        st["busy_us"] = m.measured.stages[i].busy;
        st["utilization"] = m.measured.stages[i].utilization;
        st["utilization_ideal"] = m.ideal.stages[i].utilization;
        st["peak_activations"] = m.peakActivations[i];
        st["peak_activations_formula"] = cf.peakActivations[i];
        st["peak_versions"] = m.peakVersions[i];
        st["peak_activation_bytes"] = m.peakActivationBytes[i];
        st["peak_stash_bytes"] = m.peakStashBytes[i];
        st["peak_bytes"] = m.peakBytes[i];
        stages.push_back(st);
    }
    root["stage_figures"] = stages;
    const double seconds = m.measured.makespan / 1e6;
    const double samples = static_cast<double>(snap.batches.size()) * o.batchSize;
    root["training_s"] = seconds;
    root["wall_s"] = static_cast<double>(snap.summary.timeUs) / 1e6;
    root["samples_per_s"] = seconds > 0 ? samples / seconds : 0.0;
    root["slots"] = static_cast<std::int64_t>(snap.slots.size());
    if (o.profile || !o.split.empty()) {
        const std::vector<double> busy = stageBusyMs(m);
        const bool complete = snap.summary.batchesDone == c.batches;
        root["partition"] =
            partitionJson(o, complete ? &busy : nullptr, m.measured.makespan / 1000.0);
    }
    return root;
}

// The run's outcome, in the files and the summary: a failed or cancelled run
// still writes what it recorded, marked as such.
struct Outcome {
    std::string status;  // "completed", "cancelled" or "failed"
    std::string error;   // why it failed
};

Outcome outcomeOf(const CollectingSink::Snapshot& snap) {
    if (!snap.error.empty()) return {"failed", snap.error};
    if (snap.summary.cancelled) return {"cancelled", {}};
    return {"completed", {}};
}

// Writes --csv and --trace; Error when one cannot be written.
void writeOutputs(const RunOptions& options, const std::vector<std::string>& names,
                  const CollectingSink::Snapshot& snap, const Outcome& outcome,
                  const std::vector<std::string>& hosts = {}) {
    RunRecord record;
    record.stageNames = names;
    record.stageHosts = hosts;
    record.slots = snap.slots;
    record.memory = snap.memory;
    record.status = outcome.status;
    record.statusMessage = outcome.error;
    record.runArgs = toArgs(options);
    if (!options.csvPath.empty()) writeFileAtomic(options.csvPath, toCsv(record.slots));
    if (!options.tracePath.empty()) writeFileAtomic(options.tracePath, toChromeTrace(record));
}

json::Ordered distributedJson(const RunOptions& o, const EventCollector& collector) {
    json::Ordered d = json::Ordered::object();
    d["backend"] = o.backend;
    d["world_size"] = collector.worldSize();
    d["clock_error_us"] = collector.clockErrorUs();
    json::Ordered ranks = json::Ordered::array();
    for (const EventCollector::RankInfo& r : collector.ranks()) {
        json::Ordered row = json::Ordered::object();
        row["rank"] = r.rank;
        row["host"] = r.host;
        row["pid"] = r.pid;
        row["clock_offset_us"] = r.offsetUs;
        row["clock_error_us"] = r.errorUs;
        row["lost"] = r.lost;
        ranks.push_back(row);
    }
    d["ranks"] = ranks;
    return d;
}

}  // namespace

int reportRun(const RunOptions& options, const Schedule& schedule,
              const std::vector<std::string>& names, CollectingSink& sink,
              const EventCollector* collector, const RunPlace* place) {
    const bool quiet = isStdoutPath(options.csvPath) || isStdoutPath(options.tracePath);
    const CollectingSink::Snapshot snap = sink.snapshot();
    const Outcome outcome = outcomeOf(snap);
    std::vector<std::string> hosts;
    if (collector) {
        hosts.resize(static_cast<std::size_t>(options.schedule.stages));
        for (const EventCollector::RankInfo& r : collector->ranks())
            if (r.rank >= 0 && r.rank < options.schedule.stages)
                hosts[static_cast<std::size_t>(r.rank)] = r.host;
    }
    const MeasuredFigures measured = measureRun(schedule, snap.slots, snap.memory);
    const ClosedForm cf = closedForm(options.schedule);
    // A file that cannot be written is said, and the report still follows.
    bool written = true;
    try {
        writeOutputs(options, names, snap, outcome, hosts);
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        written = false;
    }
    if (options.json) {
        json::Ordered summary = summaryJson(options, names, snap, measured, cf, place);
        summary["status"] = outcome.status;
        if (!outcome.error.empty()) summary["error"] = outcome.error;
        if (collector) summary["distributed"] = distributedJson(options, *collector);
        std::printf("%s\n", json::dump(summary, 2).c_str());
    } else if (!quiet) {
        printResults(options, schedule, names, snap, measured, cf);
        if (collector) {
            std::printf("Clock alignment: largest estimated offset error %s us over %d ranks",
                        std::to_string(collector->clockErrorUs()).c_str(), collector->worldSize());
            for (const EventCollector::RankInfo& r : collector->ranks())
                std::printf("%s rank %d on %s", r.rank == 0 ? ":" : ",", r.rank, r.host.c_str());
            std::printf("\n");
        }
        const char* what =
            outcome.status == "completed" ? "" : " (partial: the run did not complete)";
        if (written && !options.csvPath.empty())
            std::printf("Measured timeline written to %s%s\n", options.csvPath.c_str(), what);
        if (written && !options.tracePath.empty())
            std::printf("Chrome trace written to %s%s\n", options.tracePath.c_str(), what);
    }
    std::fflush(stdout);
    if (outcome.status == "failed") {
        std::fprintf(stderr, "error: %s\n", outcome.error.c_str());
        // What the other ranks saw: often the cause is named by a later one
        // (a suspended rank is named once it does not stop).
        for (const std::string& e : sink.errors())
            if (e != outcome.error) std::fprintf(stderr, "  also: %s\n", e.c_str());
        return 1;
    }
    if (outcome.status == "cancelled") {
        std::fprintf(stderr, "error: the run was cancelled after %d of %d batches\n",
                     snap.summary.batchesDone, options.schedule.batches);
        return 1;
    }
    return written ? 0 : 1;
}

int superviseCollectedRun(const RunOptions& options, EventCollector& collector,
                          CollectingSink& sink, Run* run) {
    const Schedule schedule = generateSchedule(options.schedule);
    const std::vector<std::string> names = stageNames(options);
    const bool quiet = isStdoutPath(options.csvPath) || isStdoutPath(options.tracePath);
    const bool log = !options.json && !quiet;
    const int S = options.schedule.stages;
    if (log) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        RunPlace place;
        place.data = options.data;
        place.threads = std::max(1, static_cast<int>(cores) / S);
        place.processes = std::to_string(S) + " rank processes over " + options.backend +
                          (run ? " started here" : "") + ", events collected on port " +
                          std::to_string(collector.port());
        printHeader(options, schedule, place, names);
        std::fflush(stdout);
    }
    BatchLog batchLog(schedule, names, options.batchSize);
    {
        InterruptGuard guard;
        if (run) run->start();
        bool cancelRequested = false;
        auto done = [&] {
            return run ? run->wait(std::chrono::milliseconds(50))
                       : collector.wait(std::chrono::milliseconds(50));
        };
        while (!done()) {
            const int signal = InterruptGuard::signal();
            if (signal && !cancelRequested) {
                cancelRequested = true;
                std::fprintf(stderr, "interrupted by %s: cancelling the run on every rank\n",
                             signalName(signal));
                if (run)
                    run->cancel();
                else
                    collector.cancel();
            }
            if (log) batchLog.printReady(sink, false);
        }
        if (log) batchLog.printReady(sink, true);
    }
    return reportRun(options, schedule, names, sink, &collector);
}

int runLaunched(const RunOptions& options) {
    checkBackendAvailable(options.backend);
    for (const std::string* path : {&options.csvPath, &options.tracePath}) checkWritable(*path);
    CollectingSink sink;
    DistributedRun::Setup setup;
    setup.mode = DistributedRun::Setup::LocalProcesses;
    setup.executable = trainExecutable();
    std::mutex outputMutex;
    setup.output = [&outputMutex](int rank, bool isError, const std::string& line) {
        std::lock_guard<std::mutex> lock(outputMutex);
        std::FILE* to = isError ? stderr : stdout;
        (void)rank;  // the line comes with its "[rank R] " prefix
        std::fprintf(to, "%s\n", line.c_str());
        std::fflush(to);
    };
    DistributedRun run(options, sink, setup);
    const int status = superviseCollectedRun(options, run.collector(), sink, &run);
    const int ranks = run.exitStatus();
    return ranks != 0 ? ranks : status;
}

}  // namespace pd
