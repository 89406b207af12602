// Real workloads, every figure measured in this run:
//   cnn  --model cnn on Fashion-MNIST, 4 stages, per schedule (gpipe, 1f1b,
//        pipedream, pipedream --no-stash, 2bw): held-out (t10k) accuracy and
//        loss after the batches of E epochs (or the cap), training seconds.
//   gpt  --model gpt on the fortunes: held-out loss in nats per character
//        after B batches, beside the unigram entropy, per schedule.
// Usage: bench_workloads [cnn|gpt|all] [EPOCHS_OR_BATCHES] [HELDOUT_SAMPLES]
//   cnn: EPOCHS (default 1; a fraction like 0.1 trains that share of one)
//   gpt: BATCHES (default 300)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/run/runtime.h"

using namespace pd;

namespace {

struct NullSink : EventSink {
    void onSlot(const SlotEvent&) override {}
    void onMemory(const MemoryEvent&) override {}
    void onBatch(const BatchEvent& e) override { lastLoss = e.loss; }
    void onVersion(const VersionEvent&) override {}
    void onFinished(const RunSummary&) override {}
    void onError(const std::string& m) override { error = m; }
    double lastLoss = NAN;
    std::string error;
};

struct Row {
    const char* name;
    ScheduleKind kind;
    bool stash;
};

const Row kRows[] = {{"gpipe", ScheduleKind::GPipe, true},
                     {"1f1b", ScheduleKind::OneFOneB, true},
                     {"pipedream", ScheduleKind::PipeDream, true},
                     {"pipedream --no-stash", ScheduleKind::PipeDream, false},
                     {"2bw", ScheduleKind::TwoBW, true}};

// Trains `o` for `batches` with shuffled epochs when `epochs`; returns the
// training seconds and fills the evaluation.
double train(RunOptions o, int batches, std::int64_t heldout, Evaluation& eval, DataInfo& info,
             double& lastLoss) {
    o.schedule.batches = batches;
    NullSink sink;
    TrainingRun run(o, sink);
    info = run.dataInfo();
    const auto t0 = std::chrono::steady_clock::now();
    run.start();
    run.wait();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!sink.error.empty()) {
        std::fprintf(stderr, "error: %s\n", sink.error.c_str());
        std::exit(1);
    }
    eval = run.evaluate(heldout);
    lastLoss = sink.lastLoss;
    return s;
}

void cnn(double epochs, std::int64_t heldout) {
    RunOptions o = modelDefaults("cnn");
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    // Batches per epoch from the data (60000 / 64).
    NullSink probe;
    o.schedule.batches = 1;
    const DataInfo info = TrainingRun(o, probe).dataInfo();
    const int batches = std::max(1, static_cast<int>(std::lround(epochs * info.batchesPerEpoch)));
    std::printf(
        "cnn on %s: %lld training images, %d batches of %d (%.2f epochs), lr %g, "
        "4 stages, 4 microbatches; held out: first %lld of %lld t10k images\n",
        info.name.c_str(), static_cast<long long>(info.trainSamples), batches, o.batchSize, epochs,
        o.lr, static_cast<long long>(heldout), static_cast<long long>(info.heldoutSamples));
    std::printf("%-22s %10s %10s %12s %12s %14s\n", "schedule", "accuracy", "loss", "train loss",
                "seconds", "s per epoch");
    for (const Row& r : kRows) {
        RunOptions x = o;
        x.schedule.kind = r.kind;
        x.schedule.stash = r.stash;
        Evaluation e;
        DataInfo d;
        double last = NAN;
        const double s = train(x, batches, heldout, e, d, last);
        std::printf("%-22s %10.4f %10.4f %12.4f %12.1f %14.1f\n", r.name, e.accuracy, e.loss, last,
                    s, s * d.batchesPerEpoch / batches);
        std::fflush(stdout);
    }
}

void gpt(int batches, std::int64_t heldout) {
    RunOptions o = modelDefaults("gpt");
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    NullSink probe;
    o.schedule.batches = 1;
    const DataInfo info = TrainingRun(o, probe).dataInfo();
    std::printf(
        "gpt on the fortunes: %lld training windows of %d characters, %d batches of %d, "
        "lr %g; unigram entropy %.4f nats/char; held out: first %lld of %lld windows\n",
        static_cast<long long>(info.trainSamples), o.seqLen, batches, o.batchSize, o.lr,
        info.unigramLoss, static_cast<long long>(heldout),
        static_cast<long long>(info.heldoutSamples));
    std::printf("%-22s %12s %16s %12s %10s\n", "schedule", "loss", "loss / unigram", "train loss",
                "seconds");
    for (const Row& r : kRows) {
        RunOptions x = o;
        x.schedule.kind = r.kind;
        x.schedule.stash = r.stash;
        Evaluation e;
        DataInfo d;
        double last = NAN;
        const double s = train(x, batches, heldout, e, d, last);
        std::printf("%-22s %12.4f %16.3f %12.4f %10.1f\n", r.name, e.loss,
                    e.loss / info.unigramLoss, last, s);
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "all";
    const double amount = argc > 2 ? std::atof(argv[2]) : -1;
    const std::int64_t heldout = argc > 3 ? std::atoll(argv[3]) : -1;
    try {
        if (what == "cnn" || what == "all") cnn(amount > 0 ? amount : 1.0, heldout);
        if (what == "gpt" || what == "all")
            gpt(amount > 0 && what == "gpt" ? static_cast<int>(amount) : 300, heldout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
