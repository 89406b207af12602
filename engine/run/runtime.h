// Real staged training with LibTorch: one worker per stage executing the
// schedule's action lists, with real weight versions. This header has no
// torch types (pimpl) so that ui/ and app/ can include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/run/run.h"
#include "engine/schedule/events.h"

namespace pd {

class StageTransport;  // runtime_internal.h: messages to stages in other processes

// Loss and accuracy on the held-out split (accuracy NaN for text: the loss
// is then in nats per character).
struct Evaluation {
    std::int64_t samples = 0;
    double loss = 0.0;
    double accuracy = 0.0;
};

// What the run trains on.
struct DataInfo {
    std::string name;  // synthetic | mnist | fashion-mnist | text
    std::int64_t trainSamples = 0;
    std::int64_t heldoutSamples = 0;
    double unigramLoss = 0.0;  // text: entropy of its characters in nats; NaN otherwise
    std::int64_t batchesPerEpoch = 0;
};

class TrainingRun : public Run {
public:
    // Throws ConfigError when the options are invalid. Nothing runs yet.
    TrainingRun(const RunOptions& options, EventSink& sink);
    // One rank of a distributed run (engine/distributed/rank.cpp): only the transport's
    // local stage runs here; messages to and from the other stages go
    // through it, and its ready() gives the run's time zero.
    TrainingRun(const RunOptions& options, EventSink& sink,
                std::shared_ptr<StageTransport> transport);
    ~TrainingRun() override;  // cancels and joins every worker
    TrainingRun(const TrainingRun&) = delete;
    TrainingRun& operator=(const TrainingRun&) = delete;

    const Schedule& schedule() const;
    std::vector<LayerRange> layerSplit() const;  // per model part

    // Run (run.h). Slot times are training time: each stage's clock leaves
    // out what a pause cost it (stageclock.h).
    void start() override;
    void pause() override;
    void resume() override;
    void stepSlot() override;
    void stepBatch() override;
    void cancel() override;
    bool paused() const override;
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) override;
    bool finished() const override;

    // --- additions (tests, benchmarks, the CLI) ---
    // Describes the data set ("synthetic Gaussian clusters (...)", "MNIST from ...").
    std::string dataDescription() const;
    DataInfo dataInfo() const;
    // The held-out split (its first `maxSamples`; -1: all) through the
    // newest weights of every part, in the calling thread. Only when every
    // stage is in this process and the run is not running (before start or
    // after it finished). Throws std::logic_error otherwise.
    Evaluation evaluate(std::int64_t maxSamples = -1) const;
    // Worker threads: one per stage; intra-op / BLAS threads each worker uses.
    int threadsPerWorker() const;
    // Before start(): override the automatic choice (cores / stages, at least 1).
    void setThreadsPerWorker(int threads);
    // Bytes of one weight version of `stage` (all its chunks), measured from the tensors.
    std::int64_t stageParameterBytes(int stage) const;
    // Flattened parameters (float, in layer order, W then b) of model part
    // `part`, at weight `version` (-1: the newest). Versions other than the
    // newest are available only while held, or with keepAllVersions.
    // Empty when unknown. Call it after the run finished.
    std::vector<float> parameters(int part, int version = -1) const;
    // Test aid, before start(): keep a reference to every version produced
    // (they are immutable tensors) and record every backward's inputs.
    void setKeepAllVersions(bool keep);
    // Test aid, before start(): the clock the run reads instead of
    // steady_clock (a test moves it forward to stand for a pause of any
    // length without waiting for it).
    void setClock(std::function<std::chrono::steady_clock::time_point()> now);

    // Distributed control (the collector computes frontiers for every
    // rank): pause with the given frontier (-1: hold everything), and how
    // many actions `stage` has let past its gate.
    void pauseAtFrontier(int frontier);
    std::size_t actionsStarted(int stage) const;

private:
    friend struct RuntimeAccess;  // engine/run/runtime_internal.h
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pd
