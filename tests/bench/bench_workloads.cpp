// Real workloads, every figure measured in this run:
//   cnn  --model cnn on Fashion-MNIST, 4 stages, per schedule (gpipe, 1f1b,
//        pipedream, pipedream --no-stash, 2bw): held-out (t10k) accuracy and
//        loss after each epoch (shuffled, seeded; evaluated during the run,
//        outside training time), training seconds per epoch.
//   gpt  --model gpt on the fortunes, per schedule: held-out loss in nats
//        per character after each epoch (shuffled, seeded), beside the
//        unigram entropy, and training seconds per epoch.
// Usage: bench_workloads [cnn|gpt|all] [EPOCHS] [OPTIMIZER]
//   EPOCHS: default 1; a fraction like 0.1 trains that share of one
//   OPTIMIZER: sgd, momentum or adam (default: the model's own, cnn
//   momentum and gpt adam), each at its default rate (defaultLr)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/run/runtime.h"

using namespace pd;

namespace {

struct Sink : EventSink {
    void onBatch(const BatchEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex);
        lastLoss = e.loss;
    }
    void onEvaluation(const EvaluationEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex);
        evaluations.push_back(e);
    }
    void onError(const std::string& m) override {
        std::lock_guard<std::mutex> lock(mutex);
        error = m;
    }
    std::mutex mutex;
    double lastLoss = NAN;
    std::vector<EvaluationEvent> evaluations;
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

// Trains `o` (epochs and the batch cap set) and returns its sink's
// evaluations (one per epoch, and the last batch's) and last training loss.
struct Trained {
    std::vector<EvaluationEvent> evaluations;
    double lastLoss = NAN;
    DataInfo info;
    int batches = 0;
    std::string error;
};

Trained train(const RunOptions& o) {
    Sink sink;
    TrainingRun run(o, sink);
    Trained t;
    t.info = run.dataInfo();
    t.batches = run.schedule().config.batches;
    run.start();
    run.wait();
    t.error = sink.error;  // the row says it; the other schedules still run
    t.evaluations = sink.evaluations;
    t.lastLoss = sink.lastLoss;
    return t;
}

RunOptions withOptimizer(RunOptions o, const std::string& optimizer) {
    if (!optimizer.empty()) o.optimizer = optimizer;
    o.lr = defaultLr(o.model, o.optimizer);
    return o;
}

void cnn(double epochs, const std::string& optimizer) {
    RunOptions o = withOptimizer(modelDefaults("cnn"), optimizer);
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.epochs = std::max(1, static_cast<int>(std::ceil(epochs)));
    o.schedule.batches = 0;
    Sink probe;
    RunOptions one = o;
    one.epochs = 0;
    one.schedule.batches = 1;
    const DataInfo info = TrainingRun(one, probe).dataInfo();
    if (epochs < 1.0)
        o.schedule.batches =
            std::max(1, static_cast<int>(std::lround(epochs * info.batchesPerEpoch)));
    std::printf(
        "cnn on %s: %lld training images, %.2f epochs of %lld batches of %d, %s, lr %g, "
        "4 stages, 4 microbatches; held out: the %lld t10k images\n",
        info.name.c_str(), static_cast<long long>(info.trainSamples), epochs,
        static_cast<long long>(info.batchesPerEpoch), o.batchSize, o.optimizer.c_str(), o.lr,
        static_cast<long long>(info.heldoutSamples));
    std::printf("%-22s %8s %8s %8s %8s %10s %12s\n", "schedule", "acc@1", "acc@end", "loss@end",
                "epochs", "train loss", "s per epoch");
    for (const Row& r : kRows) {
        RunOptions x = o;
        x.schedule.kind = r.kind;
        x.schedule.stash = r.stash;
        const Trained t = train(x);
        if (!t.error.empty() || t.evaluations.empty()) {
            std::printf("%-22s failed: %s\n", r.name, t.error.c_str());
            continue;
        }
        const EvaluationEvent& first = t.evaluations.front();
        const EvaluationEvent& last = t.evaluations.back();
        const double done = static_cast<double>(last.batch) / info.batchesPerEpoch;
        std::printf("%-22s %8.4f %8.4f %8.4f %8.2f %10.4f %12.1f\n", r.name,
                    first.batch >= info.batchesPerEpoch ? first.accuracy : NAN, last.accuracy,
                    last.loss, done, t.lastLoss, static_cast<double>(last.trainUs) / 1e6 / done);
        std::fflush(stdout);
    }
}

void gpt(double epochs, const std::string& optimizer) {
    RunOptions o = withOptimizer(modelDefaults("gpt"), optimizer);
    o.schedule.stages = 4;
    o.schedule.microbatches = 4;
    o.epochs = std::max(1, static_cast<int>(std::ceil(epochs)));
    o.schedule.batches = 0;
    Sink probe;
    RunOptions one = o;
    one.epochs = 0;
    one.schedule.batches = 1;
    const DataInfo info = TrainingRun(one, probe).dataInfo();
    if (epochs < 1.0)
        o.schedule.batches =
            std::max(1, static_cast<int>(std::lround(epochs * info.batchesPerEpoch)));
    std::printf(
        "gpt on the fortunes: %lld training windows of %d characters, %.2f epochs of %lld "
        "batches of %d, %s, lr %g; unigram entropy %.4f nats/char; held out: %lld windows\n",
        static_cast<long long>(info.trainSamples), o.seqLen, epochs,
        static_cast<long long>(info.batchesPerEpoch), o.batchSize, o.optimizer.c_str(), o.lr,
        info.unigramLoss, static_cast<long long>(info.heldoutSamples));
    std::printf("%-22s %8s %9s %9s %8s %10s %12s\n", "schedule", "loss@1", "loss@end", "/unigram",
                "epochs", "train loss", "s per epoch");
    for (const Row& r : kRows) {
        RunOptions x = o;
        x.schedule.kind = r.kind;
        x.schedule.stash = r.stash;
        const Trained t = train(x);
        if (!t.error.empty() || t.evaluations.empty()) {
            std::printf("%-22s failed: %s\n", r.name, t.error.c_str());
            continue;
        }
        const EvaluationEvent& first = t.evaluations.front();
        const EvaluationEvent& last = t.evaluations.back();
        const double done = static_cast<double>(last.batch) / info.batchesPerEpoch;
        std::printf("%-22s %8.4f %9.4f %9.3f %8.2f %10.4f %12.1f\n", r.name,
                    first.batch >= info.batchesPerEpoch ? first.loss : NAN, last.loss,
                    last.loss / info.unigramLoss, done, t.lastLoss,
                    static_cast<double>(last.trainUs) / 1e6 / done);
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "all";
    const double amount = argc > 2 ? std::atof(argv[2]) : -1;
    const std::string optimizer = argc > 3 ? argv[3] : "";  // "": the model's own
    try {
        if (what == "cnn" || what == "all") cnn(amount > 0 ? amount : 1.0, optimizer);
        if (what == "gpt" || what == "all")
            gpt(amount > 0 && what == "gpt" ? amount : 1.0, optimizer);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
