#include "engine/formats/batchlog.h"

#include <cmath>
#include <limits>

namespace pd {

std::string versionsText(const std::vector<int>& versions) {
    if (versions.empty()) return "-";
    const bool same =
        std::all_of(versions.begin(), versions.end(), [&](int v) { return v == versions.front(); });
    if (same) return "v" + std::to_string(versions.front());
    std::string out;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        out += (i ? "/v" : "v") + std::to_string(versions[i]);
    }
    return out;
}

void BatchLog::printReady(CollectingSink& sink, bool all) {
    std::vector<SlotEvent> slots;
    std::vector<BatchEvent> batches;
    sink.takeNew(slots, batches, &evaluations_);
    for (const SlotEvent& e : slots)
        if (e.batch >= next_ && e.batch < static_cast<int>(expected_.size()))
            slots_[e.batch].push_back(e);
    for (const BatchEvent& b : batches) batchEvents_[b.batch] = b;
    // An evaluation after batch b arrives before batch b + 1 can complete
    // (every stage is held at b's end while it is taken): printed in order.
    printEvaluations(next_);
    while (next_ < static_cast<int>(expected_.size())) {
        const auto be = batchEvents_.find(next_);
        const bool have = be != batchEvents_.end();
        std::vector<SlotEvent>& mine = slots_[next_];
        const bool complete =
            have && static_cast<int>(mine.size()) >= expected_[static_cast<std::size_t>(next_)];
        if (!complete && !(all && have)) break;
        printBatch(mine, be->second);
        slots_.erase(next_);
        batchEvents_.erase(be);
        ++next_;
        printEvaluations(next_);
    }
    if (all) printEvaluations(std::numeric_limits<int>::max());
}

void BatchLog::printEvaluations(int batches) {
    auto it = evaluations_.begin();
    for (; it != evaluations_.end() && it->batch <= batches; ++it) {
        const EvaluationEvent& e = *it;
        std::string what = "HELD-OUT after batch " + std::to_string(e.batch);
        if (e.epoch > 0) what += " (epoch " + std::to_string(e.epoch) + ")";
        if (std::isnan(e.accuracy))
            std::fprintf(out_, "  %s: loss %.4f nats/char on %lld samples, %.2f s of training\n",
                         what.c_str(), e.loss, static_cast<long long>(e.samples),
                         static_cast<double>(e.trainUs) / 1e6);
        else
            std::fprintf(out_,
                         "  %s: loss %.4f, accuracy %.2f %% on %lld samples, %.2f s of training\n",
                         what.c_str(), e.loss, 100.0 * e.accuracy,
                         static_cast<long long>(e.samples), static_cast<double>(e.trainUs) / 1e6);
    }
    evaluations_.erase(evaluations_.begin(), it);
}

// A long run prints the tutorial's block for its first batches and its last
// one, and one line for each batch between (a 3-epoch cnn run has 2,811).
void BatchLog::printBatch(const std::vector<SlotEvent>& slots, const BatchEvent& be) {
    const ScheduleConfig& c = schedule_.config;
    const bool detailed =
        c.batches <= kDetailedBatches || be.batch < kFirstDetailed || be.batch == c.batches - 1;
    if (detailed)
        printBlock(slots, be);
    else
        printLine(slots, be);
}

void BatchLog::printLine(const std::vector<SlotEvent>& slots, const BatchEvent& be) {
    const ScheduleConfig& c = schedule_.config;
    if (be.batch == kFirstDetailed)
        std::fprintf(out_,
                     "\n(batches %d to %d: one line each, the loss and the versions after; the "
                     "last batch in full)\n",
                     kFirstDetailed + 1, c.batches - 1);
    for (const SlotEvent& e : slots)
        if (e.op == Op::U && e.stage >= 0 && e.stage < c.stages)
            newest_[static_cast<std::size_t>(e.stage)] =
                std::max(newest_[static_cast<std::size_t>(e.stage)], e.version);
    const bool mismatch =
        std::any_of(slots.begin(), slots.end(), [](const SlotEvent& e) { return e.mismatch; });
    std::fprintf(out_, "BATCH %d/%d  loss %.4f  versions %s%s\n", be.batch + 1, c.batches, be.loss,
                 versionsText(be.versionAfter).c_str(),
                 mismatch ? "  (! backward on newer weights)" : "");
    std::fflush(out_);
}

void BatchLog::printBlock(const std::vector<SlotEvent>& slots, const BatchEvent& be) {
    const ScheduleConfig& c = schedule_.config;
    const int S = c.stages, M = c.microbatches;
    std::fprintf(out_, "\nBATCH %d/%d\n", be.batch + 1, c.batches);
    // Per microbatch: the forward path through the stages, then the backward.
    std::vector<const SlotEvent*> mine;
    for (const SlotEvent& e : slots) mine.push_back(&e);
    std::stable_sort(mine.begin(), mine.end(), [](const SlotEvent* a, const SlotEvent* b) {
        return a->startUs < b->startUs;
    });
    auto cell = [&](const SlotEvent& e) {
        std::string s = "GPU" + std::to_string(e.stage);
        if (c.chunks > 1) s += ".c" + std::to_string(e.chunk);
        s += " v" + std::to_string(e.version);
        if (e.mismatch) s += "!";
        return s;
    };
    bool anyMismatch = false;
    std::vector<std::vector<const SlotEvent*>> byMicrobatch(static_cast<std::size_t>(M));
    for (const SlotEvent* e : mine)
        if (e->microbatch >= 0 && e->microbatch < M)
            byMicrobatch[static_cast<std::size_t>(e->microbatch)].push_back(e);
    for (int m = 0; m < M; ++m) {
        std::string fwd, bwd;
        for (const SlotEvent* e : byMicrobatch[static_cast<std::size_t>(m)]) {
            if (e->op == Op::F) fwd += (fwd.empty() ? "" : " -> ") + cell(*e);
            if (e->op == Op::B || e->op == Op::I) bwd += (bwd.empty() ? "" : " <- ") + cell(*e);
            anyMismatch = anyMismatch || e->mismatch;
        }
        std::fprintf(out_, "  MB%-3d forward  %s\n", m, fwd.c_str());
        std::fprintf(out_, "        backward %s\n", bwd.c_str());
    }
    if (anyMismatch)
        std::fprintf(out_,
                     "  (!: backward ran on newer weights than its forward: no-stash ablation)\n");
    std::fprintf(out_, "  WEIGHT UPDATE PHASE\n");
    for (int s = 0; s < S; ++s) {
        int updates = 0, last = newest_[static_cast<std::size_t>(s)];
        for (const SlotEvent* e : mine)
            if (e->op == Op::U && e->stage == s) {
                ++updates;
                last = std::max(last, e->version);
            }
        const int before = newest_[static_cast<std::size_t>(s)];
        if (updates == 0) {
            std::fprintf(out_, "    %s: no update in this batch (still v%d)\n",
                         names_[static_cast<std::size_t>(s)].c_str(), before);
        } else if (updates == 1) {
            std::fprintf(out_, "    %s: updated weights v%d -> v%d\n",
                         names_[static_cast<std::size_t>(s)].c_str(), before, last);
        } else {
            std::fprintf(out_,
                         "    %s: updated weights v%d -> v%d (%d updates, one per microbatch)\n",
                         names_[static_cast<std::size_t>(s)].c_str(), before, last, updates);
        }
        newest_[static_cast<std::size_t>(s)] = last;
    }
    std::fprintf(out_, "  Average loss across %d microbatches (%d samples): %.4f\n", M, batchSize_,
                 be.loss);
    const std::vector<int>& after = be.versionAfter;
    const bool same = !after.empty() && std::all_of(after.begin(), after.end(),
                                                    [&](int v) { return v == after.front(); });
    if (same)
        std::fprintf(out_, "  Batch complete: all stages now at version %d\n", after.front());
    else
        std::fprintf(out_, "  Batch complete: stages at %s (GPU0/.../GPU%d)\n",
                     versionsText(after).c_str(), S - 1);
    std::fflush(out_);
}

}  // namespace pd
