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
    std::int64_t lagUs() const { return lagUs_; }
    std::int64_t training(std::int64_t realUs) const { return realUs - lagUs_; }
    MessageStamp stamp(std::int64_t realEndUs) const { return {realEndUs, lagUs_}; }

    // The stage was held at its gate by a pause for `us`.
    void heldAtGate(std::int64_t us) { lagUs_ += std::max<std::int64_t>(us, 0); }

    // It asked for its input at `waitFrom` and had it at `ready` (real time).
    // Whether it waited for the sender is read from the clocks, not from how
    // long the receive took: a message made before the stage asked was
    // there already, and taking it (a locked hand-over, or a copy over a
    // socket) is the stage's own work, however long a loaded machine makes
    // it. Only a message made after the stage asked was waited for, and
    // then from the sender's end on: its time in flight is real.
    // In training time the stage has its input once it has asked and the
    // sender has made it, plus what the receive itself took.
    void received(std::int64_t waitFrom, std::int64_t ready, const MessageStamp& from) {
        const std::int64_t asked = waitFrom - lagUs_;
        const std::int64_t made = from.realEndUs - from.lagUs;
        const std::int64_t have = from.realEndUs <= waitFrom
                                      ? std::max(asked, made) + (ready - waitFrom)
                                      : std::max(asked, made + (ready - from.realEndUs));
        lagUs_ = std::max<std::int64_t>(0, ready - have);
    }

private:
    std::int64_t lagUs_ = 0;
};

}  // namespace pd
