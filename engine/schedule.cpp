#include "schedule.h"

#include <algorithm>
#include <array>
#include <limits>
#include <sstream>

namespace pd {

namespace {

struct KindInfo {
    ScheduleKind kind;
    const char* name;
    const char* display;
};

constexpr std::array<KindInfo, 7> kKinds{{
    {ScheduleKind::Naive, "naive", "Naive (no overlap)"},
    {ScheduleKind::GPipe, "gpipe", "GPipe"},
    {ScheduleKind::OneFOneB, "1f1b", "1F1B (PipeDream-Flush)"},
    {ScheduleKind::PipeDream, "pipedream", "PipeDream (async 1F1B, weight stashing)"},
    {ScheduleKind::TwoBW, "2bw", "PipeDream-2BW"},
    {ScheduleKind::Interleaved, "interleaved", "Interleaved 1F1B"},
    {ScheduleKind::ZeroBubbleH1, "zb-h1", "Zero Bubble H1"},
}};

const KindInfo& info(ScheduleKind kind) {
    for (const KindInfo& k : kKinds)
        if (k.kind == kind) return k;
    return kKinds[0];
}

Action make(int batch, int microbatch, Op op, int version, int chunk = 0) {
    Action a;
    a.batch = batch;
    a.microbatch = microbatch;
    a.op = op;
    a.chunk = chunk;
    a.version = version;
    return a;
}

Action update(int batch, int producedVersion) { return make(batch, -1, Op::U, producedVersion); }

// --- flush kinds: one batch at a time, every action reads v_b ---------------

void appendNaive(std::vector<Action>& out, int b, int M) {
    for (int m = 0; m < M; ++m) {
        out.push_back(make(b, m, Op::F, b));
        out.push_back(make(b, m, Op::B, b));
    }
}

void appendGPipe(std::vector<Action>& out, int b, int M) {
    for (int m = 0; m < M; ++m) out.push_back(make(b, m, Op::F, b));
    for (int m = 0; m < M; ++m) out.push_back(make(b, m, Op::B, b));
}

// Warm-up forwards, then one forward / one backward, then cool-down.
void appendOneFOneB(std::vector<Action>& out, int b, int M, int warmup) {
    warmup = std::min(warmup, M);
    for (int m = 0; m < warmup; ++m) out.push_back(make(b, m, Op::F, b));
    for (int i = 0; i + warmup < M; ++i) {
        out.push_back(make(b, warmup + i, Op::F, b));
        out.push_back(make(b, i, Op::B, b));
    }
    for (int m = M - warmup; m < M; ++m) out.push_back(make(b, m, Op::B, b));
}

// Megatron-LM's interleaved 1F1B: the k-th forward of a stage runs chunk
// (k / S) % V of microbatch (k / (S V)) S + k % S; backwards visit the chunks
// in reverse. Needs M % S == 0.
void appendInterleaved(std::vector<Action>& out, int b, int S, int M, int V, int s) {
    const int total = M * V;
    auto mbOf = [&](int k) { return (k / (S * V)) * S + k % S; };
    auto fwd = [&](int k) { return make(b, mbOf(k), Op::F, b, (k / S) % V); };
    auto bwd = [&](int k) { return make(b, mbOf(k), Op::B, b, V - 1 - (k / S) % V); };
    int warmup = (M == S) ? total : std::min(total, (S - s - 1) * 2 + (V - 1) * S);
    for (int k = 0; k < warmup; ++k) out.push_back(fwd(k));
    for (int i = 0; i + warmup < total; ++i) {
        out.push_back(fwd(warmup + i));
        out.push_back(bwd(i));
    }
    for (int k = total - warmup; k < total; ++k) out.push_back(bwd(k));
}

// Zero Bubble H1 (Qi et al. 2024): B split into I (input gradient, on the
// critical path) and W (weight gradient, off it). The order comes from a
// greedy list schedule under unit costs tF = tI = tW: a stage runs a ready I
// first, else a forward while fewer than min(M, S-s) microbatches wait for
// their I (1F1B's activation limit), else a deferred W. A stage defers at
// most S-1 W passes (then W goes first), which is what it takes to fill the
// fill and drain bubbles: the makespan is 3M + S-1 units for M >= S, idle
// (S-1) tF per stage instead of 1F1B's (S-1)(tF + tB).
std::vector<std::vector<Action>> zeroBubbleH1Batch(int b, int S, int M) {
    constexpr int kNever = std::numeric_limits<int>::max();
    std::vector<std::vector<int>> fEnd(S, std::vector<int>(M, kNever));
    std::vector<std::vector<int>> iEnd(S, std::vector<int>(M, kNever));
    std::vector<std::vector<Action>> order(S);
    std::vector<int> nextF(S, 0), nextI(S, 0), nextW(S, 0), freeAt(S, 0);
    std::size_t remaining = static_cast<std::size_t>(S) * M * 3;
    const long long horizon = 4LL * S * M + 4LL * S + 16;  // far past any valid makespan
    for (int t = 0; remaining > 0; ++t) {
        if (t > horizon) throw std::logic_error("zb-h1 order generation made no progress");
        for (int s = 0; s < S; ++s) {
            if (freeAt[s] > t) continue;
            const int limit = std::min(M, S - s);
            const int i = nextI[s];
            const bool iReady = i < nextF[s] && fEnd[s][i] <= t &&
                                (s == S - 1 || iEnd[s + 1][i] <= t);
            const int f = nextF[s];
            const bool fReady = f < M && f - nextI[s] < limit && (s == 0 || fEnd[s - 1][f] <= t);
            const bool wReady = nextW[s] < nextI[s];
            const bool wDue = nextI[s] - nextW[s] > S - 1;
            if (wDue) {
                order[s].push_back(make(b, nextW[s], Op::W, b));
                ++nextW[s];
            } else if (iReady) {
                order[s].push_back(make(b, i, Op::I, b));
                iEnd[s][i] = t + 1;
                ++nextI[s];
            } else if (fReady) {
                order[s].push_back(make(b, f, Op::F, b));
                fEnd[s][f] = t + 1;
                ++nextF[s];
            } else if (wReady) {
                order[s].push_back(make(b, nextW[s], Op::W, b));
                ++nextW[s];
            } else {
                continue;
            }
            freeAt[s] = t + 1;
            --remaining;
        }
    }
    return order;
}

// --- non-flushing kinds: B batches x M microbatches as one stream ----------

// Async 1F1B over `total` microbatches at stage s with a callback per action
// so that PipeDream and 2BW share the order and differ in versions/updates.
template <typename Emit>
void streamOneFOneB(int total, int warmup, Emit&& emit) {
    warmup = std::min(warmup, total);
    for (int g = 0; g < warmup; ++g) emit(g, Op::F);
    for (int i = 0; i + warmup < total; ++i) {
        emit(warmup + i, Op::F);
        emit(i, Op::B);
    }
    for (int g = total - warmup; g < total; ++g) emit(g, Op::B);
}

// PipeDream: every stage updates after every backward. Stash: a forward reads
// the newest version and its backward the same (stashed) one. Vertical sync:
// every stage reads the version that stage 0 chose. No stash: backward reads
// the newest weights and is flagged when they differ from the forward's.
Schedule pipeDream(const ScheduleConfig& c) {
    Schedule sch;
    sch.config = c;
    sch.stages.resize(c.stages);
    const int M = c.microbatches;
    const int total = c.batches * M;
    std::vector<int> stage0Version(total, 0);
    for (int s = 0; s < c.stages; ++s) {
        std::vector<int> fVersion(total, 0);
        int newest = 0;
        auto& out = sch.stages[s];
        out.reserve(static_cast<std::size_t>(total) * 3);
        streamOneFOneB(total, c.stages - s - 1, [&](int g, Op op) {
            const int b = g / M, m = g % M;
            if (op == Op::F) {
                const int v = (c.verticalSync && s > 0) ? stage0Version[g] : newest;
                if (s == 0) stage0Version[g] = v;
                fVersion[g] = v;
                out.push_back(make(b, m, Op::F, v));
                return;
            }
            Action back = make(b, m, Op::B, c.stash ? fVersion[g] : newest);
            back.mismatch = back.version != fVersion[g];
            out.push_back(back);
            out.push_back(update(b, ++newest));
        });
    }
    return sch;
}

// PipeDream-2BW: window (batch) k reads version max(k-1, 0) for forward and
// backward; the stage makes version k+1 after the last backward of window k.
Schedule twoBW(const ScheduleConfig& c) {
    Schedule sch;
    sch.config = c;
    sch.stages.resize(c.stages);
    const int M = c.microbatches;
    const int total = c.batches * M;
    for (int s = 0; s < c.stages; ++s) {
        auto& out = sch.stages[s];
        out.reserve(static_cast<std::size_t>(total) * 2 + c.batches);
        streamOneFOneB(total, c.stages - s - 1, [&](int g, Op op) {
            const int b = g / M, m = g % M;
            out.push_back(make(b, m, op, std::max(b - 1, 0)));
            if (op == Op::B && m == M - 1) out.push_back(update(b, b + 1));
        });
    }
    return sch;
}

Schedule flushSchedule(const ScheduleConfig& c) {
    Schedule sch;
    sch.config = c;
    sch.stages.resize(c.stages);
    const int S = c.stages, M = c.microbatches;
    for (int b = 0; b < c.batches; ++b) {
        std::vector<std::vector<Action>> zb;
        if (c.kind == ScheduleKind::ZeroBubbleH1) zb = zeroBubbleH1Batch(b, S, M);
        for (int s = 0; s < S; ++s) {
            auto& out = sch.stages[s];
            switch (c.kind) {
                case ScheduleKind::Naive: appendNaive(out, b, M); break;
                case ScheduleKind::GPipe: appendGPipe(out, b, M); break;
                case ScheduleKind::OneFOneB: appendOneFOneB(out, b, M, S - s - 1); break;
                case ScheduleKind::Interleaved: appendInterleaved(out, b, S, M, c.chunks, s); break;
                case ScheduleKind::ZeroBubbleH1:
                    out.insert(out.end(), zb[s].begin(), zb[s].end());
                    break;
                default: break;
            }
            out.push_back(update(b, b + 1));
        }
    }
    return sch;
}

std::string str(int v) { return std::to_string(v); }

}  // namespace

const char* toString(ScheduleKind kind) { return info(kind).name; }
const char* displayName(ScheduleKind kind) { return info(kind).display; }

std::optional<ScheduleKind> parseScheduleKind(std::string_view name) {
    for (const KindInfo& k : kKinds)
        if (name == k.name) return k.kind;
    return std::nullopt;
}

const std::vector<ScheduleKind>& allScheduleKinds() {
    static const std::vector<ScheduleKind> kinds = [] {
        std::vector<ScheduleKind> v;
        for (const KindInfo& k : kKinds) v.push_back(k.kind);
        return v;
    }();
    return kinds;
}

bool isFlushKind(ScheduleKind kind) {
    return kind != ScheduleKind::PipeDream && kind != ScheduleKind::TwoBW;
}

char opChar(Op op) {
    static constexpr char kChars[] = {'F', 'B', 'I', 'W', 'U'};
    return kChars[static_cast<int>(op)];
}

std::optional<Op> parseOp(char c) {
    switch (c) {
        case 'F': return Op::F;
        case 'B': return Op::B;
        case 'I': return Op::I;
        case 'W': return Op::W;
        case 'U': return Op::U;
        default: return std::nullopt;
    }
}

std::size_t Schedule::actionCount() const {
    std::size_t n = 0;
    for (const auto& s : stages) n += s.size();
    return n;
}

void checkConfig(const ScheduleConfig& c) {
    const std::string kind = toString(c.kind);
    if (c.stages < 1) throw ConfigError("stages must be at least 1, got " + str(c.stages));
    if (c.stages > kMaxStages)
        throw ConfigError("stages must be at most " + str(kMaxStages) + ", got " + str(c.stages));
    if (c.microbatches < 1)
        throw ConfigError("microbatches must be at least 1, got " + str(c.microbatches));
    if (c.microbatches > kMaxMicrobatches)
        throw ConfigError("microbatches must be at most " + str(kMaxMicrobatches) + ", got " +
                          str(c.microbatches));
    if (c.batches < 1) throw ConfigError("batches must be at least 1, got " + str(c.batches));
    if (c.batches > kMaxBatches)
        throw ConfigError("batches must be at most " + str(kMaxBatches) + ", got " +
                          str(c.batches));
    if (static_cast<long long>(c.batches) * c.microbatches * c.stages > 50'000'000LL)
        throw ConfigError("batches x microbatches x stages is too large (at most 50,000,000 actions)");
    if (c.kind == ScheduleKind::Interleaved) {
        if (c.chunks < 2 || c.chunks > kMaxChunks)
            throw ConfigError("interleaved needs 2 to " + str(kMaxChunks) +
                              " chunks per stage, got " + str(c.chunks));
        if (c.microbatches % c.stages != 0)
            throw ConfigError("interleaved needs microbatches divisible by stages: " +
                              str(c.microbatches) + " % " + str(c.stages) + " != 0");
    } else if (c.chunks != 1) {
        throw ConfigError("chunks apply only to interleaved; " + kind + " needs chunks = 1, got " +
                          str(c.chunks));
    }
    if (c.kind != ScheduleKind::PipeDream && (c.verticalSync || !c.stash))
        throw ConfigError("vertical sync and the no-stash ablation apply only to pipedream");
    if (c.verticalSync && !c.stash)
        throw ConfigError("vertical sync needs weight stashing (drop --no-stash)");
    if (c.kind == ScheduleKind::TwoBW && c.microbatches < c.stages - 1)
        throw ConfigError("2bw needs at least stages-1 = " + str(c.stages - 1) +
                          " microbatches per batch so that two weight versions suffice, got " +
                          str(c.microbatches));
}

Schedule generateSchedule(const ScheduleConfig& config) {
    checkConfig(config);
    switch (config.kind) {
        case ScheduleKind::PipeDream: return pipeDream(config);
        case ScheduleKind::TwoBW: return twoBW(config);
        default: return flushSchedule(config);
    }
}

std::vector<LayerRange> splitLayers(int layers, int parts) {
    if (parts < 1 || layers < parts)
        throw ConfigError(str(parts) + " model parts need at least " + str(parts) +
                          " layers, got " + str(layers));
    std::vector<LayerRange> out;
    out.reserve(parts);
    const int base = layers / parts, extra = layers % parts;
    int first = 1;
    for (int p = 0; p < parts; ++p) {
        const int n = base + (p < extra ? 1 : 0);
        out.push_back({first, first + n - 1});
        first += n;
    }
    return out;
}

std::string describe(const Action& a, bool withChunk) {
    std::ostringstream os;
    os << opChar(a.op) << " b" << a.batch;
    if (a.op != Op::U) os << " mb" << a.microbatch;
    if (withChunk) os << " c" << a.chunk;
    os << " v" << a.version;
    return os.str();
}

}  // namespace pd
