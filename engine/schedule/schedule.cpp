#include "engine/schedule/schedule.h"

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

constexpr std::array<KindInfo, 12> kKinds{{
    {ScheduleKind::Naive, "naive", "Naive (no overlap)"},
    {ScheduleKind::GPipe, "gpipe", "GPipe"},
    {ScheduleKind::OneFOneB, "1f1b", "1F1B (PipeDream-Flush)"},
    {ScheduleKind::PipeDream, "pipedream", "PipeDream (async 1F1B, weight stashing)"},
    {ScheduleKind::TwoBW, "2bw", "PipeDream-2BW"},
    {ScheduleKind::Interleaved, "interleaved", "Interleaved 1F1B"},
    {ScheduleKind::ZeroBubbleH1, "zb-h1", "Zero Bubble H1"},
    {ScheduleKind::ZeroBubbleH2, "zb-h2", "Zero Bubble H2"},
    {ScheduleKind::ZeroBubbleV, "zb-v", "Zero Bubble V (ZB-V)"},
    {ScheduleKind::LoopedBFS, "looped-bfs", "Looped BFS (breadth-first)"},
    {ScheduleKind::InterleavedZeroBubble, "interleaved-zb", "Interleaved Zero Bubble (ZB1P)"},
    {ScheduleKind::DualPipeV, "dualpipev", "DualPipeV"},
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

Action update(int batch, int producedVersion) {
    return make(batch, -1, Op::U, producedVersion);
}

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

// --- chunked and zero-bubble kinds (PyTorch torch.distributed.pipelining) --

// One stage's order in the shape of PyTorch's _get_1f1b_rank_ops: `warmup`
// forwards, then one forward and one backward per step, then the cool-down
// backwards. Forward step k runs chunk (k / perRound) % V; backward step k
// visits the chunks in reverse. With `wDelay` >= 0 the backward is split:
// I in its place and, from the wDelay-th steady step on, the oldest pending
// W right after it (so stage s of a zero-bubble kind delays each W by s).
struct LoopedPlan {
    int microbatches = 1;
    int chunks = 1;
    int perRound = 1;
    int warmup = 0;
    int wDelay = -1;  // < 0: full backward B
};

void appendLooped(std::vector<Action>& out, int b, const LoopedPlan& p) {
    const int total = p.microbatches * p.chunks;
    const bool split = p.wDelay >= 0;
    std::vector<int> nextF(p.chunks, 0), nextB(p.chunks, 0), nextW(p.chunks, 0);
    std::vector<int> pendingW;  // chunks of the I passes whose W has not run, oldest first
    std::size_t wDone = 0;
    auto forward = [&](int k) {
        const int c = (k / p.perRound) % p.chunks;
        out.push_back(make(b, nextF[c]++, Op::F, b, c));
    };
    auto backward = [&](int k) {
        const int c = p.chunks - 1 - ((k - p.warmup) / p.perRound) % p.chunks;
        out.push_back(make(b, nextB[c]++, split ? Op::I : Op::B, b, c));
        if (split) pendingW.push_back(c);
    };
    auto weight = [&] {
        const int c = pendingW[wDone++];
        out.push_back(make(b, nextW[c]++, Op::W, b, c));
    };
    for (int k = 0; k < total + p.warmup; ++k) {
        if (k < total) forward(k);
        if (k < p.warmup) continue;
        backward(k);
        if (split && k - p.warmup >= p.wDelay) weight();
    }
    while (wDone < pendingW.size()) weight();
}

// PyTorch's _get_warmup_ops: the last stage warms up with the forwards of
// the other chunks of one round; each hop further adds `perHop`.
int loopedWarmup(const ScheduleConfig& c, int s, int perHop) {
    const int perRound = microbatchesPerRound(c.stages, c.microbatches);
    const int warmup = (c.chunks - 1) * perRound + perHop * (c.stages - 1 - s);
    return std::min(warmup, c.microbatches * c.chunks);
}

LoopedPlan loopedPlan(const ScheduleConfig& c, int s) {
    LoopedPlan p;
    p.microbatches = c.microbatches;
    p.chunks = c.chunks;
    p.perRound = microbatchesPerRound(c.stages, c.microbatches);
    switch (c.kind) {
        case ScheduleKind::Interleaved:  // ScheduleInterleaved1F1B
            p.warmup = loopedWarmup(c, s, 2);
            break;
        case ScheduleKind::InterleavedZeroBubble:  // ScheduleInterleavedZeroBubble (ZB1P)
            p.warmup = loopedWarmup(c, s, 1);
            p.wDelay = s;
            break;
        default:  // zb-h1: PyTorch's zero-bubble order with one stage per rank
            p.chunks = 1;
            p.warmup = std::min(c.stages - 1 - s, c.microbatches);
            p.wDelay = s;
            break;
    }
    return p;
}

// PyTorch's ScheduleLoopedBFS: every microbatch through chunk 0, then chunk
// 1, ...; backwards from the last chunk, microbatches in reverse.
void appendLoopedBFS(std::vector<Action>& out, int b, int M, int V) {
    for (int c = 0; c < V; ++c)
        for (int m = 0; m < M; ++m) out.push_back(make(b, m, Op::F, b, c));
    for (int c = V - 1; c >= 0; --c)
        for (int m = M - 1; m >= 0; --m) out.push_back(make(b, m, Op::B, b, c));
}

// Per-chunk counters of a V-shaped order (chunk 0 = part s, chunk 1 = part
// 2S-1-s). Actions of microbatches >= M are dropped (ZB-V generates at least
// 2S-1 and keeps the first M, as PyTorch does).
class VOrder {
public:
    VOrder(std::vector<Action>& out, int b, int M) : out_(out), b_(b), M_(M) {}
    void f(int c) { emit(c, Op::F, f_[c]++); }
    void b(int c) {  // a full backward counts as this chunk's I and W
        emit(c, Op::B, i_[c]++);
        ++w_[c];
    }
    void i(int c) {
        pendingW_.push_back({c, i_[c]});
        emit(c, Op::I, i_[c]++);
    }
    void w(int c) { emit(c, Op::W, w_[c]++); }
    // DualPipeV: the oldest W still owed by an earlier I, if any.
    void pendingW() {
        if (next_ >= pendingW_.size()) return;
        const auto [c, m] = pendingW_[next_++];
        emit(c, Op::W, m);
        ++w_[c];
    }
    int fCount(int c) const { return f_[c]; }
    int iCount(int c) const { return i_[c]; }
    int wCount(int c) const { return w_[c]; }

private:
    void emit(int c, Op op, int m) {
        if (m < M_) out_.push_back(make(b_, m, op, b_, c));
    }
    std::vector<Action>& out_;
    int b_, M_;
    int f_[2] = {0, 0}, i_[2] = {0, 0}, w_[2] = {0, 0};
    std::vector<std::pair<int, int>> pendingW_;
    std::size_t next_ = 0;
};

// PyTorch's ScheduleZBVZeroBubble (the zero-bubble paper's ZB-V) at stage s.
void appendZeroBubbleV(std::vector<Action>& out, int b, int S, int M, int s) {
    const int n = std::max(2 * S - 1, M);
    VOrder v(out, b, M);
    for (int k = 0; k < 2 * (S - s) - 1; ++k) v.f(0);
    for (int k = 0; k < s; ++k) v.f(1), v.f(0);
    for (int k = 0; k < S - s; ++k) v.f(1), v.i(1), v.w(1);
    while (v.fCount(1) < v.fCount(0) || v.fCount(0) < n) {
        if (v.fCount(0) < n) v.f(0);
        v.i(0), v.w(0);
        v.f(1), v.i(1), v.w(1);
    }
    for (int k = 0; k < s; ++k) v.i(0), v.i(1);
    for (int k = 0; k < S - s; ++k) v.i(0), v.w(0);
    while (v.wCount(1) < v.iCount(1)) v.w(1);
    while (v.wCount(0) < v.iCount(0)) v.w(0);
}

// PyTorch's ScheduleDualPipeV (DeepSeek's DualPipe folded into a V) at
// stage s. An overlapped forward-backward pair is emitted as its forward
// followed by its full backward: one CPU core runs them back to back.
void appendDualPipeV(std::vector<Action>& out, int b, int S, int M, int s) {
    VOrder v(out, b, M);
    auto pair = [&](int fc, int bc) { v.f(fc), v.b(bc); };
    for (int k = 0; k < 2 * (S - s - 1); ++k) v.f(0);
    for (int k = 0; k < s + 1; ++k) v.f(0), v.f(1);
    for (int k = 0; k < S - s - 1; ++k) v.i(1), v.pendingW(), v.f(1);
    for (int k = 0; k < M - 2 * S + s + 1; ++k) {
        pair(0, 1);  // PyTorch does not overlap the last stage's first pair; same order here
        pair(1, 0);
    }
    for (int k = 0; k < S - s - 1; ++k) v.b(1), pair(1, 0);
    // The second half of the tail splits its backwards (zero bubble).
    bool split = false;
    const int tail = s + 1;
    for (int k = 0; k < tail; ++k) {
        if (k == tail / 2 && s % 2 == 1) split = true;
        split ? v.i(1) : v.b(1);
        if (k == tail / 2 && s % 2 == 0) split = true;
        split ? v.i(0) : v.b(0);
    }
    for (int k = 0; k < S - s - 1; ++k) v.pendingW(), split ? v.i(0) : v.b(0);
    for (int k = 0; k < s + 1; ++k) v.pendingW();
}

// Zero Bubble H2 (Qi et al. 2024, figure 3) under unit costs tF = tI = tW,
// as a greedy list schedule: a stage prefers a ready I, then a forward, then
// a deferred W. Forwards are limited twice: fewer than 2(S-s)-1 microbatches
// waiting for their I (so the warm-up runs exactly the 2(S-s)-1 forwards
// that fill the time until the first I comes back) and fewer than 2S-1
// waiting for their W (the paper's ZB-H2 memory, (2p-1) M_B). W passes fill
// every gap and collect at the tail: makespan 3M + S-1 (M >= S), the bound
// set by the forward chain to the last stage, with up to 2S-1 microbatches
// held; from M = 2S-1 on no stage idles between its first and last op.
std::vector<std::vector<Action>> zeroBubbleH2Batch(int b, int S, int M) {
    constexpr int kNever = std::numeric_limits<int>::max();
    std::vector<std::vector<int>> fEnd(S, std::vector<int>(M, kNever));
    std::vector<std::vector<int>> iEnd(S, std::vector<int>(M, kNever));
    std::vector<std::vector<Action>> order(S);
    std::vector<int> nextF(S, 0), nextI(S, 0), nextW(S, 0);
    std::size_t remaining = static_cast<std::size_t>(S) * M * 3;
    const long long horizon = 4LL * S * M + 4LL * S + 16;  // far past any valid makespan
    for (int t = 0; remaining > 0; ++t) {
        if (t > horizon) throw std::logic_error("zb-h2 order generation made no progress");
        for (int s = 0; s < S; ++s) {
            const int warmup = 2 * (S - s) - 1;  // waiting for their I
            const int held = 2 * S - 1;          // waiting for their W
            const int i = nextI[s], f = nextF[s];
            const bool iReady = i < f && fEnd[s][i] <= t && (s == S - 1 || iEnd[s + 1][i] <= t);
            const bool fReady =
                f < M && f - i < warmup && f - nextW[s] < held && (s == 0 || fEnd[s - 1][f] <= t);
            if (iReady) {
                order[s].push_back(make(b, i, Op::I, b));
                iEnd[s][i] = t + 1;
                ++nextI[s];
            } else if (fReady) {
                order[s].push_back(make(b, f, Op::F, b));
                fEnd[s][f] = t + 1;
                ++nextF[s];
            } else if (nextW[s] < nextI[s]) {
                order[s].push_back(make(b, nextW[s]++, Op::W, b));
            } else {
                continue;
            }
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
        if (c.kind == ScheduleKind::ZeroBubbleH2) zb = zeroBubbleH2Batch(b, S, M);
        for (int s = 0; s < S; ++s) {
            auto& out = sch.stages[s];
            switch (c.kind) {
                case ScheduleKind::Naive:
                    appendNaive(out, b, M);
                    break;
                case ScheduleKind::GPipe:
                    appendGPipe(out, b, M);
                    break;
                case ScheduleKind::OneFOneB:
                    appendOneFOneB(out, b, M, S - s - 1);
                    break;
                case ScheduleKind::Interleaved:
                case ScheduleKind::InterleavedZeroBubble:
                case ScheduleKind::ZeroBubbleH1:
                    appendLooped(out, b, loopedPlan(c, s));
                    break;
                case ScheduleKind::LoopedBFS:
                    appendLoopedBFS(out, b, M, c.chunks);
                    break;
                case ScheduleKind::ZeroBubbleV:
                    appendZeroBubbleV(out, b, S, M, s);
                    break;
                case ScheduleKind::DualPipeV:
                    appendDualPipeV(out, b, S, M, s);
                    break;
                case ScheduleKind::ZeroBubbleH2:
                    out.insert(out.end(), zb[s].begin(), zb[s].end());
                    break;
                default:
                    break;
            }
            out.push_back(update(b, b + 1));
        }
    }
    return sch;
}

std::string str(int v) {
    return std::to_string(v);
}

// Chunk counts and the microbatch counts the chunked references accept.
void checkChunks(const ScheduleConfig& c) {
    const std::string kind = toString(c.kind);
    if (isChunkedKind(c.kind)) {
        if (c.chunks < 2 || c.chunks > kMaxChunks)
            throw ConfigError(kind + " needs 2 to " + str(kMaxChunks) + " chunks per stage, got " +
                              str(c.chunks));
        const int rounds = std::max(1, c.microbatches / c.stages);
        if (c.kind != ScheduleKind::LoopedBFS && c.microbatches % rounds != 0)
            throw ConfigError(
                kind + " needs microbatches divisible by its number of rounds max(1, " +
                "microbatches / stages) = " + str(rounds) + ", got " + str(c.microbatches));
    } else if (isVShapeKind(c.kind)) {
        if (c.chunks != 2)
            throw ConfigError(kind + " has exactly 2 chunks per stage (a V), got " + str(c.chunks));
        if (c.kind == ScheduleKind::DualPipeV && c.microbatches < 2 * c.stages)
            throw ConfigError("dualpipev needs at least 2 x stages = " + str(2 * c.stages) +
                              " microbatches, got " + str(c.microbatches));
    } else if (c.chunks != 1) {
        throw ConfigError("chunks apply only to interleaved, looped-bfs and interleaved-zb; " +
                          kind + " needs chunks = 1, got " + str(c.chunks));
    }
}

}  // namespace

const char* toString(ScheduleKind kind) {
    return info(kind).name;
}
const char* displayName(ScheduleKind kind) {
    return info(kind).display;
}

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

bool isChunkedKind(ScheduleKind kind) {
    return kind == ScheduleKind::Interleaved || kind == ScheduleKind::LoopedBFS ||
           kind == ScheduleKind::InterleavedZeroBubble;
}

bool isVShapeKind(ScheduleKind kind) {
    return kind == ScheduleKind::ZeroBubbleV || kind == ScheduleKind::DualPipeV;
}

bool usesSplitBackward(ScheduleKind kind) {
    return kind == ScheduleKind::ZeroBubbleH1 || kind == ScheduleKind::ZeroBubbleH2 ||
           kind == ScheduleKind::ZeroBubbleV || kind == ScheduleKind::InterleavedZeroBubble ||
           kind == ScheduleKind::DualPipeV;
}

int chunksFor(ScheduleKind kind, int requested) {
    if (isChunkedKind(kind)) return std::max(2, requested);
    return isVShapeKind(kind) ? 2 : 1;
}

int partOf(const ScheduleConfig& c, int stage, int chunk) {
    if (isVShapeKind(c.kind) && chunk == 1) return 2 * c.stages - 1 - stage;
    return chunk * c.stages + stage;
}

int stageOfPart(const ScheduleConfig& c, int part) {
    if (isVShapeKind(c.kind) && part >= c.stages) return 2 * c.stages - 1 - part;
    return part % c.stages;
}

int chunkOfPart(const ScheduleConfig& c, int part) {
    return part / c.stages;
}

int microbatchesPerRound(int stages, int microbatches) {
    const int rounds = std::max(1, microbatches / std::max(stages, 1));
    return std::max(1, microbatches / rounds);
}

char opChar(Op op) {
    static constexpr char kChars[] = {'F', 'B', 'I', 'W', 'U'};
    return kChars[static_cast<int>(op)];
}

std::optional<Op> parseOp(char c) {
    switch (c) {
        case 'F':
            return Op::F;
        case 'B':
            return Op::B;
        case 'I':
            return Op::I;
        case 'W':
            return Op::W;
        case 'U':
            return Op::U;
        default:
            return std::nullopt;
    }
}

std::size_t Schedule::actionCount() const {
    std::size_t n = 0;
    for (const auto& s : stages) n += s.size();
    return n;
}

void checkConfig(const ScheduleConfig& c) {
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
        throw ConfigError(
            "batches x microbatches x stages is too large (at most 50,000,000 actions)");
    checkChunks(c);
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
        case ScheduleKind::PipeDream:
            return pipeDream(config);
        case ScheduleKind::TwoBW:
            return twoBW(config);
        default:
            return flushSchedule(config);
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
