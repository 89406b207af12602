// Training time, stage by stage. A stage's clock is real time minus the
// waits that a pause caused it: the time it was held at its gate, and the
// part of a wait for a message that its sender spent held at its own gate.
// Messages carry their sender's stamp (real end, lag), so a stage never
// starts, in training time, before its input was made. A run left to run
// freely has no lag at all; a run paused, or stepped one slot at a time,
// measures each action where a free run with the same action times would
// have had it: the same makespan, utilization and samples/s up to noise.
#pragma once

#include <algorithm>
#include <cstdint>

namespace pd {

struct MessageStamp {
    std::int64_t realEndUs = 0;  // when the sending action ended, real time
    std::int64_t lagUs = 0;      // its stage's lag then
};

class StageClock {
public:
    // A wait shorter than this is the hand-over itself, not waiting.
    static constexpr std::int64_t kWaitUs = 50;

    std::int64_t lagUs() const { return lagUs_; }
    std::int64_t training(std::int64_t realUs) const { return realUs - lagUs_; }
    MessageStamp stamp(std::int64_t realEndUs) const { return {realEndUs, lagUs_}; }

    // The stage was held at its gate by a pause for `us`.
    void heldAtGate(std::int64_t us) { lagUs_ += std::max<std::int64_t>(us, 0); }

    // It asked for its input at `waitFrom` and had it at `ready` (real time).
    // In training time it starts when it was ready to, or when the input
    // arrived, whichever is later.
    void received(std::int64_t waitFrom, std::int64_t ready, const MessageStamp& from) {
        const bool waited = ready - waitFrom > kWaitUs;
        const std::int64_t arrival = waited ? ready : from.realEndUs;
        const std::int64_t start = std::max(waitFrom - lagUs_, arrival - from.lagUs);
        lagUs_ = std::max<std::int64_t>(0, ready - start);
    }

private:
    std::int64_t lagUs_ = 0;
};

}  // namespace pd
