#include "engine/schedule/validator.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "engine/schedule/replay.h"

namespace pd {

namespace {

using Kind = Violation::Kind;

class Report {
public:
    explicit Report(bool withChunk) : withChunk_(withChunk) {}

    void add(Kind kind, int stage, const Action& a, const std::string& what) {
        std::ostringstream os;
        os << toString(kind) << ": stage " << stage << ": " << describe(a, withChunk_) << ": "
           << what;
        out.push_back({kind, stage, a, os.str()});
    }
    bool has(std::initializer_list<Kind> kinds) const {
        return std::any_of(out.begin(), out.end(), [&](const Violation& v) {
            return std::find(kinds.begin(), kinds.end(), v.kind) != kinds.end();
        });
    }
    std::string name(const Action& a) const { return describe(a, withChunk_); }

    std::vector<Violation> out;

private:
    bool withChunk_;
};

// Indices in range and ops that the kind uses.
void checkShape(const Schedule& sch, Report& r) {
    const ScheduleConfig& c = sch.config;
    if (static_cast<int>(sch.stages.size()) != c.stages) {
        Action none;
        r.add(Kind::Malformed, -1, none,
              "schedule has " + std::to_string(sch.stages.size()) + " stage lists for " +
                  std::to_string(c.stages) + " stages");
        return;
    }
    const bool split = usesSplitBackward(c.kind);
    for (int s = 0; s < c.stages; ++s) {
        for (const Action& a : sch.stages[s]) {
            std::string bad;
            if (a.batch < 0 || a.batch >= c.batches)
                bad = "batch out of range";
            else if (a.chunk < 0 || a.chunk >= c.chunks)
                bad = "chunk out of range";
            else if (a.op == Op::U && a.microbatch != -1)
                bad = "an update has microbatch -1";
            else if (a.op != Op::U && (a.microbatch < 0 || a.microbatch >= c.microbatches))
                bad = "microbatch out of range";
            else if (split && a.op == Op::B && c.kind != ScheduleKind::DualPipeV)
                bad = std::string(toString(c.kind)) + " splits B into I and W";
            else if (!split && (a.op == Op::I || a.op == Op::W))
                bad = std::string(toString(c.kind)) + " uses B, not I/W";
            else if (a.mismatch && !(c.kind == ScheduleKind::PipeDream && !c.stash))
                bad = "only the no-stash ablation has version mismatches";
            if (!bad.empty()) r.add(Kind::Malformed, s, a, bad);
        }
    }
}

// One F and one backward (B, or I and W) per microbatch-chunk per stage, in
// order on the stage, and updates where the kind places them.
void checkCountsAndOrder(const Schedule& sch, Report& r) {
    const ScheduleConfig& c = sch.config;
    const bool split = usesSplitBackward(c.kind);
    const std::size_t N = static_cast<std::size_t>(c.batches) * c.microbatches;
    for (int s = 0; s < c.stages; ++s) {
        const std::size_t cells = N * c.chunks;
        // nI: the backward was an I, so a W must follow (dualpipev mixes B and I/W).
        std::vector<int> nF(cells, 0), nB(cells, 0), nI(cells, 0), nW(cells, 0);
        std::vector<int> completeInBatch(c.batches, 0), updatesInBatch(c.batches, 0);
        int backwards = 0, updates = 0;
        auto cell = [&](const Action& a) {
            return (static_cast<std::size_t>(a.batch) * c.microbatches + a.microbatch) * c.chunks +
                   a.chunk;
        };
        for (const Action& a : sch.stages[s]) {
            if (a.op == Op::U) {
                ++updates;
                ++updatesInBatch[a.batch];
                const int need = c.microbatches * c.chunks;
                const bool perBackward = c.kind == ScheduleKind::PipeDream;
                if (perBackward ? updates > backwards : completeInBatch[a.batch] < need)
                    r.add(Kind::Dependency, s, a,
                          perBackward
                              ? "update without a backward before it on this stage"
                              : "update runs before every backward of its batch on this stage");
                if (!perBackward && updatesInBatch[a.batch] > 1)
                    r.add(Kind::Repeated, s, a, "batch is updated twice on this stage");
                continue;
            }
            const std::size_t i = cell(a);
            if (a.op == Op::F) {
                if (++nF[i] > 1) r.add(Kind::Repeated, s, a, "forward appears twice on this stage");
            } else if (a.op == Op::B || a.op == Op::I) {
                if (++nB[i] > 1)
                    r.add(Kind::Repeated, s, a, "backward appears twice on this stage");
                else if (nF[i] == 0)
                    r.add(Kind::Dependency, s, a, "runs before its F on this stage");
                if (a.op == Op::I) ++nI[i];
                if (a.op == Op::B) {
                    ++completeInBatch[a.batch];
                    ++backwards;
                }
            } else if (a.op == Op::W) {
                if (++nW[i] > 1)
                    r.add(Kind::Repeated, s, a, "W appears twice on this stage");
                else if (nI[i] == 0)
                    r.add(Kind::Dependency, s, a,
                          nB[i] == 0
                              ? "runs before its I on this stage"
                              : "follows a full backward, which already made the weight gradient");
                ++completeInBatch[a.batch];
                ++backwards;
            }
        }
        for (std::size_t i = 0; i < cells; ++i) {
            Action a;
            a.chunk = static_cast<int>(i % c.chunks);
            const std::size_t g = i / c.chunks;
            a.batch = static_cast<int>(g / c.microbatches);
            a.microbatch = static_cast<int>(g % c.microbatches);
            auto missing = [&](Op op, const char* what) {
                a.op = op;
                a.version = -1;
                r.add(Kind::Missing, s, a, what);
            };
            if (nF[i] == 0) missing(Op::F, "microbatch has no forward on this stage");
            if (nB[i] == 0)
                missing(split ? Op::I : Op::B, "microbatch has no backward on this stage");
            if (nI[i] > 0 && nW[i] == 0) missing(Op::W, "microbatch has no W on this stage");
        }
        const bool perBackward = c.kind == ScheduleKind::PipeDream;
        for (int b = 0; b < c.batches; ++b) {
            const int want = perBackward ? c.microbatches : 1;
            if (updatesInBatch[b] < want) {
                Action u;
                u.batch = b;
                u.microbatch = -1;
                u.op = Op::U;
                u.version = -1;
                r.add(Kind::Missing, s, u, "batch has too few updates on this stage");
            }
        }
    }
}

// The weight-version rule of the kind (schedules.md, "Weight versioning").
void checkVersions(const Schedule& sch, Report& r) {
    const ScheduleConfig& c = sch.config;
    const std::size_t N = static_cast<std::size_t>(c.batches) * c.microbatches;
    std::vector<int> stage0(N * c.chunks, -1);
    for (int s = 0; s < c.stages; ++s) {
        std::unordered_map<std::size_t, int> forwardVersion;
        int newest = 0;
        for (const Action& a : sch.stages[s]) {
            auto expect = [&](int want, const std::string& why) {
                if (a.version != want)
                    r.add(Kind::Version, s, a,
                          "reads v" + std::to_string(a.version) + ", expected v" +
                              std::to_string(want) + " (" + why + ")");
            };
            if (a.op == Op::U) {
                expect(newest + 1, "an update makes the next version");
                newest = a.version;
                continue;
            }
            const std::size_t key =
                (static_cast<std::size_t>(a.batch) * c.microbatches + a.microbatch) * c.chunks +
                a.chunk;
            const bool fwd = a.op == Op::F;
            if (fwd) forwardVersion[key] = a.version;
            const int fv = forwardVersion.count(key) ? forwardVersion[key] : a.version;
            switch (c.kind) {
                case ScheduleKind::PipeDream:
                    if (!c.stash) {
                        expect(newest, "without stashing every op reads the newest weights");
                        if (!fwd && a.mismatch != (a.version != fv))
                            r.add(Kind::Version, s, a,
                                  "mismatch flag does not match the versions read");
                    } else if (fwd && c.verticalSync) {
                        if (s == 0) stage0[key] = a.version;
                        expect(s == 0 ? newest : stage0[key],
                               "vertical sync: stage 0 chooses the version");
                        if (a.version > newest)
                            r.add(Kind::Version, s, a,
                                  "reads a version the stage does not have yet");
                    } else if (fwd) {
                        expect(newest, "a forward reads the newest version");
                    } else {
                        expect(fv, "a backward reads the version its forward stashed");
                    }
                    break;
                case ScheduleKind::TwoBW:
                    expect(std::max(a.batch - 1, 0), "2BW window k reads version k-1");
                    if (a.version > newest)
                        r.add(Kind::Version, s, a, "reads a version the stage does not have yet");
                    else if (newest - a.version > 1)
                        r.add(Kind::Version, s, a, "needs a third weight version");
                    break;
                default:
                    expect(a.batch, "every op of batch b reads v_b");
                    if (a.version == a.batch && newest != a.batch)
                        r.add(Kind::Version, s, a,
                              newest < a.batch ? "runs before the update of the previous batch"
                                               : "runs after its batch's update");
                    break;
            }
        }
    }
}

// Replays the lists with dependencies only; reports where it stalls.
void checkDeadlock(const Schedule& sch, Report& r) {
    const ScheduleConfig& c = sch.config;
    detail::DependencyTable deps(c);
    std::vector<std::size_t> pos(c.stages, 0);
    const std::size_t ran = detail::replayStages(c.stages, [&](int s) {
        const auto& list = sch.stages[s];
        std::size_t advanced = 0;
        while (pos[s] < list.size() && !std::isnan(deps.ready(s, list[pos[s]]))) {
            deps.done(s, list[pos[s]], 0.0);
            ++pos[s];
            ++advanced;
        }
        return advanced;
    });
    const std::size_t left = sch.actionCount() - ran;
    if (left == 0) return;
    for (int s = 0; s < c.stages; ++s) {
        if (pos[s] >= sch.stages[s].size()) continue;
        const Action& a = sch.stages[s][pos[s]];
        const int p = partOf(c, s, a.chunk);
        std::string waits;
        if (a.op == Op::F) {
            waits = "its F on stage " + std::to_string(stageOfPart(c, p - 1));
        } else {
            waits = "the backward from stage " + std::to_string(stageOfPart(c, p + 1));
        }
        r.add(Kind::Deadlock, s, a, "waits forever for " + waits);
    }
}

}  // namespace

const char* toString(Violation::Kind kind) {
    switch (kind) {
        case Kind::Dependency:
            return "dependency broken";
        case Kind::Overlap:
            return "overlap";
        case Kind::Deadlock:
            return "deadlock";
        case Kind::Missing:
            return "missing";
        case Kind::Repeated:
            return "repeated";
        case Kind::Version:
            return "version rule broken";
        case Kind::Malformed:
            return "malformed";
    }
    return "?";
}

std::vector<Violation> validate(const Schedule& schedule) {
    Report r(schedule.config.chunks > 1);
    checkShape(schedule, r);
    if (!r.out.empty()) return r.out;
    checkCountsAndOrder(schedule, r);
    checkVersions(schedule, r);
    if (!r.has({Kind::Dependency, Kind::Missing, Kind::Repeated})) checkDeadlock(schedule, r);
    return r.out;
}

std::vector<Violation> validateTimeline(const Schedule& schedule, const Timeline& timeline,
                                        double slack) {
    const ScheduleConfig& c = schedule.config;
    Report r(c.chunks > 1);
    detail::DependencyTable ends(c);
    std::vector<std::vector<const TimedAction*>> perStage(c.stages);
    for (const TimedAction& t : timeline.actions) {
        if (t.stage < 0 || t.stage >= c.stages) {
            r.add(Kind::Malformed, t.stage, t.action, "stage out of range");
            continue;
        }
        perStage[t.stage].push_back(&t);
    }
    if (!r.out.empty()) return r.out;
    for (int s = 0; s < c.stages; ++s) {
        // Each scheduled action exactly once on the timeline.
        auto key = [](const Action& a) {
            return (static_cast<std::uint64_t>(a.batch) << 40) ^
                   (static_cast<std::uint64_t>(a.microbatch + 1) << 16) ^
                   (static_cast<std::uint64_t>(a.chunk) << 4) ^ static_cast<std::uint64_t>(a.op) ^
                   (a.op == Op::U ? static_cast<std::uint64_t>(a.version) << 20 : 0);
        };
        std::unordered_map<std::uint64_t, int> count;
        for (const Action& a : schedule.stages[s]) ++count[key(a)];
        for (const TimedAction* t : perStage[s]) {
            auto it = count.find(key(t->action));
            if (it == count.end() || it->second == 0)
                r.add(Kind::Repeated, s, t->action,
                      "on the timeline but not (or not again) in the schedule");
            else
                --it->second;
        }
        for (const Action& a : schedule.stages[s])
            if (count[key(a)] > 0) {
                r.add(Kind::Missing, s, a, "in the schedule but not on the timeline");
                count[key(a)] = 0;
            }
        for (const TimedAction* t : perStage[s]) ends.done(s, t->action, t->end);
    }
    if (!r.out.empty()) return r.out;
    auto at = [](double v) {
        std::ostringstream os;
        os << v;
        return os.str();
    };
    for (int s = 0; s < c.stages; ++s) {
        // Dependencies in execution order (the order the timeline lists them).
        double lastBackwardEnd = 0.0;
        for (const TimedAction* t : perStage[s]) {
            const double dep = ends.ready(s, t->action);
            if (t->action.op == Op::U) {
                if (t->start < lastBackwardEnd - slack)
                    r.add(Kind::Dependency, s, t->action,
                          "update starts before a backward it includes ends");
            } else if (!std::isnan(dep) && t->start < dep - slack) {
                r.add(Kind::Dependency, s, t->action,
                      "starts at " + at(t->start) + " before its dependency ends at " + at(dep));
            }
            if (t->action.op == Op::B || t->action.op == Op::W)
                lastBackwardEnd = std::max(lastBackwardEnd, t->end);
        }
        // Overlap in time order.
        auto list = perStage[s];
        std::stable_sort(list.begin(), list.end(), [](const TimedAction* x, const TimedAction* y) {
            return x->start < y->start;
        });
        for (std::size_t k = 1; k < list.size(); ++k) {
            const TimedAction& t = *list[k];
            if (t.start < list[k - 1]->end - slack)
                r.add(Kind::Overlap, s, t.action,
                      "starts at " + at(t.start) + " before " + r.name(list[k - 1]->action) +
                          " ends at " + at(list[k - 1]->end));
        }
    }
    return r.out;
}

}  // namespace pd
