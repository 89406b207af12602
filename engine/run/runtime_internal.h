// Torch-typed view into a TrainingRun for engine tests and benchmarks.
// Never include this from ui/ or app/.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "engine/model/model.h"
#include "engine/run/runtime.h"
#include "engine/schedule/stageclock.h"

namespace pd {

// One executed backward (B, or the W of an I/W pair) with what it needs to
// be recomputed independently: the part's input, the gradient that arrived
// from the next part (undefined for the head part, which has labels instead)
// and the weight gradient the runtime computed.
struct BackwardRecord {
    int stage = 0;
    int chunk = 0;
    int part = 0;
    int batch = 0;
    int microbatch = 0;
    int forwardVersion = 0;   // version the forward read
    int backwardVersion = 0;  // version the backward read (its action's version)
    torch::Tensor input;
    torch::Tensor gradOut;
    torch::Tensor labels;
    model::PartParams grads;
};

// Messages to and from stages of other processes (engine/distributed/rank.cpp), and
// the run's common time zero. Thread-safe; one local stage per process.
class StageTransport {
public:
    virtual ~StageTransport() = default;
    virtual int localStage() const = 0;
    // Sends `t` to `stage` and returns at once (the send completes in the
    // background); `stamp` travels with it.
    virtual void send(int stage, int tag, const torch::Tensor& t, const MessageStamp& stamp) = 0;
    // Blocks for the message `tag` from `stage`: a float tensor of `shape`.
    // Undefined when the run is stopping (abort()); throws when the peer
    // failed or went silent for too long.
    virtual torch::Tensor recv(int stage, int tag, std::vector<std::int64_t> shape,
                               MessageStamp* stamp) = 0;
    // Every rank's warm-up is done: the run's time zero on this process's
    // steady clock, or nullopt when the run was cancelled meanwhile.
    virtual std::optional<std::chrono::steady_clock::time_point> ready() = 0;
    virtual void abort() = 0;  // wakes a blocked recv or flush; the run stops
    virtual void flush() = 0;  // waits until every send has been delivered
};

struct RuntimeAccess {
    // Needs setKeepAllVersions(true) before start().
    static std::vector<BackwardRecord> backwardRecords(const TrainingRun& run);
    // Every version of `part` produced so far (keepAllVersions) or held now.
    static std::map<int, model::PartParams> versions(const TrainingRun& run, int part);
    static const model::ModelSpec& spec(const TrainingRun& run);
};

}  // namespace pd
