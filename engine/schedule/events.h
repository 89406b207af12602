// What a run reports: plain immutable value types and a sink interface.
// The runtime calls the sink from its worker threads; the sink must be
// thread-safe (the UI's EngineController queues and drains on a timer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/schedule/schedule.h"

namespace pd {

// One executed action. Times are steady-clock microseconds from run start.
struct SlotEvent {
    int batch = 0;
    int stage = 0;
    int microbatch = 0;  // -1 for U
    Op op = Op::F;
    bool mismatch = false;  // no-stash ablation: backward on other weights than forward's
    int chunk = 0;
    int version = 0;  // weight version read (U: produced)
    std::int64_t startUs = 0;
    std::int64_t endUs = 0;
};
// 40 bytes: a million events are what a large run holds while it opens.
static_assert(sizeof(SlotEvent) <= 40, "keep SlotEvent's small fields together");

// The slot event of `action` executed on `stage` from startUs to endUs.
inline SlotEvent slotEvent(int stage, const Action& action, std::int64_t startUs,
                           std::int64_t endUs) {
    SlotEvent e;
    e.batch = action.batch;
    e.stage = stage;
    e.microbatch = action.microbatch;
    e.op = action.op;
    e.chunk = action.chunk;
    e.version = action.version;
    e.startUs = startUs;
    e.endUs = endUs;
    e.mismatch = action.mismatch;
    return e;
}

struct MemoryEvent {
    int stage = 0;
    std::int64_t timeUs = 0;
    int activationsInFlight = 0;  // microbatch-chunks forwarded, backward not done
    int versionsHeld = 0;         // weight versions stored (current + stashed)
    std::int64_t activationBytes = 0;
    std::int64_t stashBytes = 0;  // bytes of weight versions other than the current one
};

struct BatchEvent {
    int batch = 0;
    double loss = 0.0;              // mean over the batch's microbatches
    std::vector<int> versionUsed;   // per stage: version the batch's forwards read (lowest)
    std::vector<int> versionAfter;  // per stage: newest version when the batch finished
    std::int64_t timeUs = 0;
};

struct VersionEvent {
    int stage = 0;
    int version = 0;           // newest version now at the stage
    std::vector<int> stashed;  // older versions still held for in-flight microbatches
    std::int64_t timeUs = 0;
};

// Loss and accuracy on the held-out split through the newest weights of
// every part, taken while every stage is held at a batch boundary (the
// hold is not training time). Accuracy is NaN for text, whose loss is in
// nats per character.
struct EvaluationEvent {
    int batch = 0;             // batches trained when it was taken (1-based)
    int epoch = 0;             // epochs begun by then (1-based; 0 without --epochs)
    std::int64_t trainUs = 0;  // training time by then
    std::int64_t samples = 0;
    double loss = 0.0;
    double accuracy = 0.0;
};

struct RunSummary {
    bool cancelled = false;
    std::int64_t timeUs = 0;
    int batchesDone = 0;
    bool failed = false;  // an error event was sent; the run stopped early
};

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void onSlot(const SlotEvent&) {}
    virtual void onMemory(const MemoryEvent&) {}
    virtual void onBatch(const BatchEvent&) {}
    virtual void onVersion(const VersionEvent&) {}
    virtual void onEvaluation(const EvaluationEvent&) {}
    virtual void onFinished(const RunSummary&) {}
    virtual void onError(const std::string& /*message*/) {}
};

}  // namespace pd
