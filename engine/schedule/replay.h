// Internal to pd_schedule: the cross-stage dependency table shared by the
// simulator and the validator. For microbatch g of the stream (batch * M + m)
// and model part p (partOf(config, stage, chunk)) it records when F and the input-side
// backward (B or I) finished.
#pragma once

#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <vector>

#include "engine/schedule/schedule.h"

namespace pd::detail {

class DependencyTable {
public:
    static constexpr double kNotDone = std::numeric_limits<double>::quiet_NaN();

    explicit DependencyTable(const ScheduleConfig& c)
        : config_(c),
          M_(c.microbatches),
          P_(c.parts()),
          N_(static_cast<std::size_t>(c.batches) * c.microbatches),
          fEnd_(static_cast<std::size_t>(P_) * N_, kNotDone),
          bEnd_(static_cast<std::size_t>(P_) * N_, kNotDone) {}

    int part(int stage, const Action& a) const { return partOf(config_, stage, a.chunk); }
    std::size_t stream(const Action& a) const {
        return static_cast<std::size_t>(a.batch) * M_ + static_cast<std::size_t>(a.microbatch);
    }

    // End time of the latest dependency of `a` on other stages or ops, 0 when
    // it has none, NaN when one is not done yet. Same-stage order is implied.
    double ready(int stage, const Action& a) const {
        if (a.op == Op::U) return 0.0;
        const int p = part(stage, a);
        const std::size_t g = stream(a);
        switch (a.op) {
            case Op::F:
                return p > 0 ? f(p - 1, g) : 0.0;
            case Op::B:
            case Op::I: {
                const double own = f(p, g);
                if (p == P_ - 1) return own;
                const double next = b(p + 1, g);
                return (std::isnan(own) || std::isnan(next)) ? kNotDone : std::max(own, next);
            }
            case Op::W:
                return b(p, g);
            default:
                return 0.0;
        }
    }

    void done(int stage, const Action& a, double end) {
        if (a.op == Op::U || a.op == Op::W) return;
        const std::size_t i = index(part(stage, a), stream(a));
        (a.op == Op::F ? fEnd_ : bEnd_)[i] = end;
    }

    double f(int p, std::size_t g) const { return fEnd_[index(p, g)]; }
    double b(int p, std::size_t g) const { return bEnd_[index(p, g)]; }
    int parts() const { return P_; }

private:
    std::size_t index(int p, std::size_t g) const { return static_cast<std::size_t>(p) * N_ + g; }

    ScheduleConfig config_;
    int M_, P_;
    std::size_t N_;
    std::vector<double> fEnd_, bEnd_;
};

// Replays every stage as far as its dependencies allow. `advance(s)` runs
// stage s's ready actions and returns how many it ran. Only the neighbours of
// a stage that advanced can have become ready (F feeds the next part, B and I
// the previous one; parts wrap around the stages for interleaved and turn
// on the last stage for the V kinds), so a
// worklist visits O(actions) stages instead of S per round. Returns the
// number of actions run; fewer than all means a deadlock.
template <typename Advance>
std::size_t replayStages(int stages, Advance&& advance) {
    std::deque<int> work;
    std::vector<char> queued(static_cast<std::size_t>(stages), 1);
    for (int s = 0; s < stages; ++s) work.push_back(s);
    std::size_t ran = 0;
    while (!work.empty()) {
        const int s = work.front();
        work.pop_front();
        queued[static_cast<std::size_t>(s)] = 0;
        const std::size_t n = advance(s);
        if (n == 0) continue;
        ran += n;
        for (int t : {(s + 1) % stages, (s + stages - 1) % stages}) {
            if (!queued[static_cast<std::size_t>(t)]) {
                queued[static_cast<std::size_t>(t)] = 1;
                work.push_back(t);
            }
        }
    }
    return ran;
}

}  // namespace pd::detail
