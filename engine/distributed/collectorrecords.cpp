// What the event collector does with a rank's lines once it has said hello:
// records decoded (engine/formats/wire) and checked against the run's grid
// before they reach the sink, batches merged across ranks, clock, ready,
// held, error and done.
#include <algorithm>
#include <climits>
#include <cmath>

#include "engine/base/safefile.h"
#include "engine/distributed/collectorimpl.h"
#include "engine/formats/wire.h"
#include "engine/schedule/runcheck.h"

namespace pd {

namespace {

// The record of `kind` does not fit the run: the rank is dropped (see readLoop).
[[noreturn]] void refuse(std::string_view kind, const std::string& why) {
    throw Error(std::string(kind) + ": " + why);
}

}  // namespace

void EventCollector::Impl::checkCommon(std::string_view kind, int r, int stage,
                                       std::int64_t timeUs) const {
    if (stage != r)
        refuse(kind,
               "stage " + std::to_string(stage) + " from the rank of stage " + std::to_string(r));
    if (timeUs < 0 || timeUs > kMaxRecordedUs)
        refuse(kind, "time " + std::to_string(timeUs) + " us");
}

void EventCollector::Impl::checkSlot(int r, const SlotEvent& e) {
    const ScheduleConfig& sc = options->schedule;
    checkCommon("slot", r, e.stage, e.startUs);
    if (e.endUs < e.startUs || e.endUs > kMaxRecordedUs)
        refuse("slot", "end " + std::to_string(e.endUs) + " us before its start or too late");
    if (e.batch < 0 || e.batch >= sc.batches || e.microbatch < -1 ||
        e.microbatch >= sc.microbatches || e.chunk < 0 || e.chunk >= sc.chunks)
        refuse("slot", "batch " + std::to_string(e.batch) + ", microbatch " +
                           std::to_string(e.microbatch) + ", chunk " + std::to_string(e.chunk) +
                           " outside the run's " + std::to_string(sc.batches) + " x " +
                           std::to_string(sc.microbatches) + " x " + std::to_string(sc.chunks));
    if (e.version < 0 || e.version > versionBound(e.stage))
        refuse("slot", "version " + std::to_string(e.version));
    const auto& keys = actionKeys[e.stage];
    const std::uint64_t key = actionKey(e.batch, e.microbatch, e.op, e.chunk);
    // Equal keys: a kind with an update per microbatch (pipedream) has
    // several U of one batch; each may be reported once.
    const auto [from, to] = std::equal_range(keys.begin(), keys.end(), key);
    if (from == to)
        refuse("slot", std::string("op ") + opChar(e.op) + " of batch " + std::to_string(e.batch) +
                           ", microbatch " + std::to_string(e.microbatch) +
                           " is not in this schedule");
    auto& seen = actionSeen[e.stage];
    for (auto it = from; it != to; ++it) {
        const auto i = static_cast<std::size_t>(it - keys.begin());
        if (!seen[i]) {
            seen[i] = true;
            return;
        }
    }
    refuse("slot", "an action reported twice");
}

void EventCollector::Impl::dispatch(Conn* c, const std::string& line) {
    const auto f = net::fields(line);
    if (f.empty()) return;
    const int r = c->rank;
    const std::string_view kind = f[0];
    auto ints = [&](std::size_t from, std::initializer_list<std::int64_t*> out) {
        if (f.size() < from + out.size()) return false;
        std::size_t i = from;
        for (std::int64_t* o : out)
            if (!net::toInt(f[i++], *o)) return false;
        return true;
    };
    std::int64_t a[9] = {};
    // A record of the run's events that does not decode is invalid (the
    // rank is dropped); a line of another kind is a newer rank's message,
    // skipped.
    if (kind == "ping" && f.size() == 3) {
        std::int64_t seq = 0, t = 0;
        if (!net::toInt(f[1], seq) || !net::toInt(f[2], t)) return;
        const std::int64_t now = steadyNowUs();
        c->send("pong " + std::to_string(seq) + " " + std::to_string(t) + " " +
                std::to_string(now));
    } else if (kind == "slot") {
        const SlotEvent e = wire::decodeSlot(f);
        {
            std::lock_guard<std::mutex> lock(mutex);
            checkSlot(r, e);
            ++ranPerStage[e.stage];
        }
        deliver([&] { sink.onSlot(e); });
    } else if (kind == "mem") {
        const MemoryEvent e = wire::decodeMemory(f);
        {
            std::lock_guard<std::mutex> lock(mutex);
            checkCommon("mem", r, e.stage, e.timeUs);
            const std::int64_t bound = versionBound(r);
            if (e.activationsInFlight < 0 || e.activationsInFlight > bound || e.versionsHeld < 0 ||
                e.versionsHeld > bound)
                refuse("mem", "in flight " + std::to_string(e.activationsInFlight) + ", versions " +
                                  std::to_string(e.versionsHeld));
            if (e.activationBytes < 0 || e.activationBytes > kMaxRecordedUs || e.stashBytes < 0 ||
                e.stashBytes > kMaxRecordedUs)
                refuse("mem", "bytes " + std::to_string(e.activationBytes) + ", " +
                                  std::to_string(e.stashBytes));
        }
        deliver([&] { sink.onMemory(e); });
    } else if (kind == "ver") {
        VersionEvent e;
        {
            std::lock_guard<std::mutex> lock(mutex);
            const std::int64_t bound = versionBound(r);
            e = wire::decodeVersion(f, static_cast<std::size_t>(std::max<std::int64_t>(bound, 0)));
            checkCommon("ver", r, e.stage, e.timeUs);
            if (e.version < 0 || e.version > bound)
                refuse("ver", "version " + std::to_string(e.version));
            for (int v : e.stashed)
                if (v > bound) refuse("ver", "stashed versions");
        }
        deliver([&] { sink.onVersion(e); });
    } else if (kind == "batch") {
        const wire::BatchPart part = wire::decodeBatch(f);
        std::optional<BatchEvent> merged;
        {
            std::lock_guard<std::mutex> lock(mutex);
            const int stage = part.stage;
            checkCommon("batch", r, stage, part.timeUs);
            const std::int64_t bound = versionBound(r);
            if (part.batch < 0 || part.batch >= options->schedule.batches)
                refuse("batch", "batch " + std::to_string(part.batch));
            if (part.versionUsed < 0 || part.versionUsed > bound || part.versionAfter < 0 ||
                part.versionAfter > bound)
                refuse("batch", "versions " + std::to_string(part.versionUsed) + ", " +
                                    std::to_string(part.versionAfter));
            PartialBatch& p = batches[part.batch];
            if (p.seen.empty()) {
                p.seen.assign(world, false);
                p.event.batch = part.batch;
                p.event.versionUsed.assign(world, 0);
                p.event.versionAfter.assign(world, 0);
            }
            if (p.seen[stage])
                refuse("batch", "batch " + std::to_string(part.batch) + " reported twice");
            p.seen[stage] = true;
            p.event.loss += part.loss;
            p.event.versionUsed[stage] = part.versionUsed;
            p.event.versionAfter[stage] = part.versionAfter;
            p.event.timeUs = std::max(p.event.timeUs, part.timeUs);
            if (++p.parts == world) {
                merged = std::move(p.event);
                batches.erase(part.batch);
                ++batchesMerged;
            }
        }
        if (merged) deliver([&] { sink.onBatch(*merged); });
    } else if (kind == "eval") {
        const EvaluationEvent e = wire::decodeEvaluation(f);
        {
            std::lock_guard<std::mutex> lock(mutex);
            const ScheduleConfig& sc = options->schedule;
            if (r != stageOfPart(sc, sc.stages * sc.chunks - 1))
                refuse("eval", "from the rank of stage " + std::to_string(r) +
                                   ", which does not hold the last part");
            if (e.batch < 1 || e.batch > sc.batches || !evaluated.insert(e.batch).second)
                refuse("eval", "batch " + std::to_string(e.batch));
            if (e.trainUs < 0 || e.trainUs > kMaxRecordedUs || e.samples < 0 || e.epoch < 0)
                refuse("eval", "time " + std::to_string(e.trainUs) + " us, samples " +
                                   std::to_string(e.samples) + ", epoch " +
                                   std::to_string(e.epoch));
        }
        deliver([&] { sink.onEvaluation(e); });
    } else if (kind == "clock" && ints(1, {&a[0], &a[1]})) {
        std::lock_guard<std::mutex> lock(mutex);
        ranks[r].offsetUs = a[0];
        ranks[r].errorUs = a[1];
        ranks[r].synced = true;
    } else if (kind == "ready") {
        std::lock_guard<std::mutex> lock(mutex);
        ranks[r].ready = true;
        const bool all = std::all_of(ranks.begin(), ranks.end(), [](const Rank& x) {
            return x.state == State::Connected && x.ready;
        });
        if (all && !goSent && !finishing) {
            goSent = true;
            sendAll("go " + std::to_string(steadyNowUs()));
        }
    } else if (kind == "held" && ints(1, {&a[0], &a[1]})) {
        std::lock_guard<std::mutex> lock(mutex);
        const int stage = static_cast<int>(a[0]);
        if (stage < 0 || stage >= world || a[1] < 0) return;
        pauser.held(stage, static_cast<std::size_t>(a[1]), pauseView(), toAll());
    } else if (kind == "error") {
        const std::string message =
            f.size() > 1 ? printable(net::unescape(f[1]), 2000) : "unknown error";
        std::string prefix;
        {
            std::lock_guard<std::mutex> lock(mutex);
            prefix = who(r);
            ranks[r].failed = true;
            if (message.find(kSilentPeer) != std::string::npos ||
                message.find(kBrokenPeer) != std::string::npos) {
                // A consequence: said at the end, after the rank that hung or
                // died (whose lost connection may reach us a moment later).
                silentPeerErrors.push_back(prefix + ": " + message);
                cancelOthers();
                return;
            }
        }
        deliver([&] { sink.onError(prefix + ": " + message); });
        std::lock_guard<std::mutex> lock(mutex);
        cancelOthers();
    } else if (kind == "done" && ints(1, {&a[0], &a[1], &a[2], &a[3]})) {
        Outbox out;
        {
            std::lock_guard<std::mutex> lock(mutex);
            Rank& rank = ranks[r];
            if (rank.state != State::Connected) return;
            rank.state = State::Done;
            rank.cancelled = a[0] != 0;
            rank.failed = rank.failed || a[1] != 0;
            rank.timeUs = a[3];
            if (rank.failed) cancelOthers();
            checkHeld();
            checkFinished(out);
        }
        deliver(out);
    }
    // Anything else: a newer rank's message, skipped.
}

}  // namespace pd
