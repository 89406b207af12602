// Pipeline schedules as data: per-stage ordered action lists with the weight
// version every action reads. Pure C++ (no torch, no Qt) so that the
// generator, validator and simulator are fast and testable on their own.
// Semantics: shared/docs/schedules.md.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/error.h"

namespace pd {

enum class ScheduleKind {
    Naive,
    GPipe,
    OneFOneB,
    PipeDream,
    TwoBW,
    Interleaved,
    ZeroBubbleH1,
    ZeroBubbleH2,
    ZeroBubbleV,
    LoopedBFS,
    InterleavedZeroBubble,
    DualPipeV,
};

// F forward, B full backward, I input-gradient, W weight-gradient, U update.
enum class Op : std::uint8_t { F, B, I, W, U };

const char* toString(ScheduleKind kind);     // "naive", "gpipe", "1f1b", ...
const char* displayName(ScheduleKind kind);  // "GPipe", "1F1B (PipeDream-Flush)", ...
std::optional<ScheduleKind> parseScheduleKind(std::string_view name);
const std::vector<ScheduleKind>& allScheduleKinds();
// Flush kinds apply one update per batch after every microbatch has finished.
bool isFlushKind(ScheduleKind kind);
// Kinds whose stages hold V >= 2 round-robin chunks (--chunks V).
bool isChunkedKind(ScheduleKind kind);
// Kinds with exactly two chunks per stage in a V: stage s holds parts s and 2S-1-s.
bool isVShapeKind(ScheduleKind kind);
// Kinds that split some or all backwards into I (input gradient) and W.
bool usesSplitBackward(ScheduleKind kind);
// Chunks per stage that `kind` runs with when `requested` were asked for:
// the request (at least 2) for chunked kinds, 2 for V kinds, else 1.
int chunksFor(ScheduleKind kind, int requested);
char opChar(Op op);
std::optional<Op> parseOp(char c);

// Upper limits that keep a typo from allocating gigabytes.
constexpr int kMaxStages = 64;
constexpr int kMaxMicrobatches = 4096;
constexpr int kMaxBatches = 100000;
constexpr int kMaxChunks = 16;

struct ScheduleConfig {
    ScheduleKind kind = ScheduleKind::OneFOneB;
    int stages = 4;
    int microbatches = 4;
    int batches = 1;
    int chunks = 1;             // V model chunks per stage (chunksFor() says which)
    bool verticalSync = false;  // pipedream: version chosen once at stage 0
    bool stash = true;          // pipedream: false = no-stash ablation

    int parts() const { return stages * chunks; }  // model parts (virtual stages)
};

struct Action {
    int batch = 0;
    int microbatch = 0;  // within its batch; -1 for U
    Op op = Op::F;
    int chunk = 0;
    int version = 0;        // weight version read (U: the version it produces)
    bool mismatch = false;  // backward ran on weights other than its forward's

    bool operator==(const Action& o) const {
        return batch == o.batch && microbatch == o.microbatch && op == o.op && chunk == o.chunk &&
               version == o.version && mismatch == o.mismatch;
    }
};

struct Schedule {
    ScheduleConfig config;
    std::vector<std::vector<Action>> stages;  // per stage, in execution order

    std::size_t actionCount() const;
};

// Placement of model parts on stages: round robin (part c*S + s on stage s,
// chunk c) except for the V kinds (chunk 0 = part s, chunk 1 = part 2S-1-s,
// so the last part, with the loss, sits on stage 0).
int partOf(const ScheduleConfig& config, int stage, int chunk);
int stageOfPart(const ScheduleConfig& config, int part);
int chunkOfPart(const ScheduleConfig& config, int part);

// Interleaved kinds (PyTorch): microbatches go in rounds of
// M / max(1, M / S) microbatches; M must divide evenly into those rounds.
int microbatchesPerRound(int stages, int microbatches);

// Throws ConfigError with a user-facing message when the combination is not
// valid (S < 1, M < 1, interleaved with M not in whole rounds, sizes out of range...).
void checkConfig(const ScheduleConfig& config);

// The action lists of config.kind; throws ConfigError on bad input.
Schedule generateSchedule(const ScheduleConfig& config);

// Model part p (0-based, p = chunk * S + stage) of a layer stack split as
// evenly as possible into `parts` parts: first and last layer, 1-based.
struct LayerRange {
    int first = 1;
    int last = 1;
};
std::vector<LayerRange> splitLayers(int layers, int parts);

// "F b0 mb3 v2" / "U b0 v1" / "F b0 mb3 c1 v2" for interleaved chunks.
std::string describe(const Action& action, bool withChunk = false);

}  // namespace pd
