// The tutorial-style batch log of pipedream-train and the sink it reads:
// worker threads push events into the sink; the main thread takes only the
// events that are new since its last look, files them under their batch and
// prints each batch once it is complete. The cost is linear in the events
// (the log used to rescan every event of the run for each printed batch, and
// to copy the whole event list every 50 ms: 60,000 tiny batches took 4.5
// times as long with the log as with --json). Torch-free.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/schedule.h"

namespace pd {

// Collects the run's events from the worker threads; the main thread reads.
class CollectingSink : public EventSink {
public:
    void onSlot(const SlotEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex_);
        slots_.push_back(e);
    }
    void onMemory(const MemoryEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex_);
        memory_.push_back(e);
    }
    void onBatch(const BatchEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex_);
        batches_.push_back(e);
    }
    void onEvaluation(const EvaluationEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex_);
        evaluations_.push_back(e);
    }
    void onFinished(const RunSummary& s) override {
        std::lock_guard<std::mutex> lock(mutex_);
        summary_ = s;
        finished_ = true;
    }
    void onError(const std::string& message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error_.empty()) error_ = message;
        errors_.push_back(message);
    }
    // Every error in arrival order (a distributed run's ranks each report).
    std::vector<std::string> errors() {
        std::lock_guard<std::mutex> lock(mutex_);
        return errors_;
    }

    struct Snapshot {
        std::vector<SlotEvent> slots;
        std::vector<MemoryEvent> memory;
        std::vector<BatchEvent> batches;
        std::vector<EvaluationEvent> evaluations;
        RunSummary summary;
        bool finished = false;
        std::string error;
    };
    Snapshot snapshot() {
        std::lock_guard<std::mutex> lock(mutex_);
        return {slots_, memory_, batches_, evaluations_, summary_, finished_, error_};
    }
    // Appends the slot and batch events that arrived since the last call:
    // the log's cost stays proportional to the events, and the workers wait
    // on the lock only for the copy of what is new.
    void takeNew(std::vector<SlotEvent>& slots, std::vector<BatchEvent>& batches,
                 std::vector<EvaluationEvent>* evaluations = nullptr) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (evaluations) {
            evaluations->insert(
                evaluations->end(),
                evaluations_.begin() + static_cast<std::ptrdiff_t>(evaluationsTaken_),
                evaluations_.end());
            evaluationsTaken_ = evaluations_.size();
        }
        slots.insert(slots.end(), slots_.begin() + static_cast<std::ptrdiff_t>(slotsTaken_),
                     slots_.end());
        batches.insert(batches.end(), batches_.begin() + static_cast<std::ptrdiff_t>(batchesTaken_),
                       batches_.end());
        slotsCopied_ += slots_.size() - slotsTaken_;
        slotsTaken_ = slots_.size();
        batchesTaken_ = batches_.size();
    }
    // Slot events takeNew has copied so far (tests: each is copied once).
    std::size_t slotsCopied() {
        std::lock_guard<std::mutex> lock(mutex_);
        return slotsCopied_;
    }

private:
    std::mutex mutex_;
    std::vector<SlotEvent> slots_;
    std::vector<MemoryEvent> memory_;
    std::vector<BatchEvent> batches_;
    std::vector<EvaluationEvent> evaluations_;
    RunSummary summary_;
    bool finished_ = false;
    std::string error_;
    std::vector<std::string> errors_;
    std::size_t slotsTaken_ = 0, batchesTaken_ = 0, slotsCopied_ = 0, evaluationsTaken_ = 0;
};

// "v3" when every stage has the same version, else "v3/v2/v2/v1" (per stage).
std::string versionsText(const std::vector<int>& versions);

// Prints the tutorial-style log of each batch once all of its actions and its
// batch event have arrived (events of different batches interleave for the
// asynchronous kinds).
class BatchLog {
public:
    BatchLog(const Schedule& schedule, const std::vector<std::string>& names, int batchSize,
             std::FILE* out = stdout)
        : schedule_(schedule), names_(names), batchSize_(batchSize), out_(out) {
        expected_.assign(static_cast<std::size_t>(schedule.config.batches), 0);
        for (const auto& lane : schedule.stages)
            for (const Action& a : lane) ++expected_[static_cast<std::size_t>(a.batch)];
        newest_.assign(schedule.stages.size(), 0);
    }

    // Files the new events under their batch, then prints every batch that
    // is complete and not yet printed, in order. Each event is handled once,
    // and a printed batch's events are dropped.
    void printReady(CollectingSink& sink, bool all);
    // Slot events held for batches not printed yet.
    std::size_t heldEvents() const {
        std::size_t n = 0;
        for (const auto& [batch, events] : slots_) n += events.size();
        return n;
    }

    // Runs of more batches than this print the first kFirstDetailed and the
    // last in full, one line for each other.
    static constexpr int kDetailedBatches = 20;
    static constexpr int kFirstDetailed = 3;

private:
    void printBatch(const std::vector<SlotEvent>& slots, const BatchEvent& be);
    void printBlock(const std::vector<SlotEvent>& slots, const BatchEvent& be);
    void printLine(const std::vector<SlotEvent>& slots, const BatchEvent& be);
    // Prints the held-out evaluations taken after at most `batches` batches.
    void printEvaluations(int batches);

    const Schedule& schedule_;
    std::vector<std::string> names_;
    int batchSize_;
    std::FILE* out_;
    std::vector<int> expected_;
    std::vector<int> newest_;
    int next_ = 0;
    std::map<int, std::vector<SlotEvent>> slots_;  // batches not yet printed
    std::map<int, BatchEvent> batchEvents_;
    std::vector<EvaluationEvent> evaluations_;  // arrived, not printed yet
};

}  // namespace pd
