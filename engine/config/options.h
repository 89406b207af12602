// The run options shared by pipedream-train and pipedream-viz
// (shared/docs/architecture.md, "Command line"). No torch, no Qt.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/formats/profile.h"
#include "engine/schedule/partition.h"
#include "engine/schedule/schedule.h"

namespace pd {

// The model's limits checkRunOptions enforces (the schedule's are in
// schedule.h); the window's controls take the same ranges.
constexpr int kMaxLayers = 4096;
constexpr int kMaxHidden = 65536;
constexpr int kMaxBatchSize = 1000000;
// Far above any rate plain SGD trains with, far below what overflows the
// update (1e308 passed the parser and failed mid-run).
constexpr double kMaxLr = 1e4;
constexpr int kMaxEpochs = 1000;
// What --optimizer adam trains with when --lr is not given (Kingma and Ba's).
constexpr double kAdamLr = 1e-3;
// pipedream-viz --export-animation: frame width, frames per second, frames.
constexpr int kAnimMinWidth = 64;
constexpr int kAnimMaxWidth = 4000;
constexpr int kAnimMinFps = 1;
constexpr int kAnimMaxFps = 50;
constexpr int kAnimMaxFrames = 5000;
// What an animation's frames step through: the schedule's slots (one frame
// per slot), or measured time (one frame per --anim-every-ms of a real run).
enum class AnimBase { Slots, Measured };
// How an animation's boxes are coloured: the window's colourings.
enum class AnimColors { ByOp, ByVersion, ByStaleness };

struct RunOptions {
    ScheduleConfig schedule;  // kind, stages, microbatches, batches, chunks, sync, stash
    int batchSize = 32;
    int layers = 48;
    int hidden = 512;
    int classes = 10;
    double lr = 0.02;
    // sgd | momentum (0.9, PyTorch's form) | adam (0.9, 0.999, 1e-8). The
    // state lives with the newest weight version of each stage.
    std::string optimizer = "sgd";
    std::uint64_t seed = 0;
    // Passes over the training split, each in its own seeded order; 0: off
    // (batch b takes the samples after batch b - 1's, in file order). With
    // epochs, schedule.batches caps the run, and 0 there means "every batch
    // of the epochs" (TrainingRun resolves it once the data is read).
    int epochs = 0;
    // A held-out evaluation every this many batches (0: none), besides each
    // epoch's end and the run's end; see evaluates().
    int evalEvery = 0;
    // The run trains exactly schedule.batches, never fewer because the
    // epochs end sooner: the window (its timeline is drawn for them) and
    // distributed ranks (which agreed on them). Not a flag.
    bool exactBatches = false;
    std::string device = "cpu";  // cpu | cuda | cuda:K
    // mlp | cnn | gpt. Each has its own defaults for the sizes, the batch,
    // the learning rate and the data (modelDefaults), which the parser
    // applies to the flags not given.
    std::string model = "mlp";
    int heads = 4;    // gpt: attention heads (divides hidden)
    int seqLen = 64;  // gpt: context in characters
    // synthetic | mnist:DIR | fashion-mnist[:DIR] | text[:PATH]
    std::string data = "synthetic";
    // Where the model is cut: the first layer of every model part after the
    // first (--split 4,9,13); empty: equal layer counts. --partition METHOD
    // fills it when the flags are parsed (engine/schedule/partition.h).
    std::vector<int> split;
    // How the cut was chosen: --partition METHOD (uniform, time, memory,
    // pipedream, schedule) or "split" for a cut given by --split.
    std::string partition = "uniform";
    // The per-layer profile the cut and its predictions come from: read by
    // --profile-in, or measured when a run starts with --partition or
    // --profile-out (engine/run/profiler.h); none: the costs are estimated
    // from the shapes (estimateLayerCosts).
    std::optional<LayerProfile> profile;
    std::string profileIn;
    std::string profileOut;
    // pipedream's communication cost: GB/s between stages (0: the profile's
    // measured bandwidth) and the most bytes a stage may hold (0: no limit).
    double bandwidthGBs = 0.0;
    std::int64_t memoryLimit = 0;
    bool dryRun = false;
    bool json = false;
    std::string csvPath;
    std::string tracePath;
    // Distributed stages (engine/distributed/distributed.h). threads: one process.
    std::string backend = "threads";  // threads | gloo | nccl
    bool launch = false;              // start the S ranks locally and collect
    // Rank settings: -1 / empty / 0 take torchrun's environment (RANK,
    // WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), then the defaults
    // (127.0.0.1:29500).
    int rank = -1;
    int worldSize = -1;
    int localRank = -1;
    std::string masterAddr;
    int masterPort = 0;
    std::string events;  // HOST:PORT of a collector (the GUI's attach)
    // The run secret (engine/distributed/distributed.h): a rank's is in this file's
    // first line or $PIPEDREAM_SECRET; noSecret turns the check off.
    std::string secretFile;
    bool noSecret = false;
    int rendezvousTimeoutS = 60;  // ranks meeting at the master, connecting
    // A peer silent this long (not paused) fails the run: generous, since a
    // stage may legitimately wait several slots of a big model; a dead peer
    // is noticed at once anyway (its connection closes).
    int timeoutS = 300;
    // pipedream-viz only
    bool headless = false;
    std::string exportDir;
    std::string openFile;  // a run saved as CSV or Chrome trace, shown instead of a new run
    // --export-animation FILE (.gif or .webp): the walk, one frame per slot.
    std::string animationPath;
    int animWidth = 1280;
    int animFps = 3;
    int animFrom = -1;  // first slot; -1: t0
    int animTo = -1;    // last slot; -1: the run's last
    bool animCaption = true;
    AnimBase animBase = AnimBase::Slots;
    // Measured base: milliseconds of measured time per frame; 0: about one
    // frame per slot (the measured span over the slots, rounded).
    double animEveryMs = 0.0;
    AnimColors animColors = AnimColors::ByOp;

    int microbatchSize() const { return batchSize / schedule.microbatches; }
    // Whether the run evaluates on the held-out split: with --epochs,
    // --eval-every or real (non-synthetic) data.
    bool evaluates() const { return epochs > 0 || evalEvery > 0 || data != "synthetic"; }
};

// Each model part's layers: `split` where given, else equal counts. Throws
// ConfigError when they do not fit (checkRunOptions says so first).
std::vector<LayerRange> layerSplit(const RunOptions& options);
// The layers a cut divides: the MLP's and the CNN's layers; a GPT's blocks
// with its embedding and its head (--layers + 2).
int partitionableLayers(const RunOptions& options);
// The lanes' names ("GPU0 (L1-12)") for that split; plain "GPU0" labels
// where the options do not make one.
std::vector<std::string> stageNames(const RunOptions& options);

// Each layer's cost estimated from the model's shapes (flops, bytes kept per
// microbatch, parameter bytes): what --partition chooses from until a
// measured profile is given.
std::vector<LayerCost> estimateLayerCosts(const RunOptions& options);
// Short names of the partitionable layers: "L1".. (mlp), "conv1".."head"
// (cnn), "embed", "block1".., "head" (gpt).
std::vector<std::string> layerNames(const RunOptions& options);
// The sizes a profile's costs depend on, in words: a profile is used for
// the same shape only ("cnn 6 layers, hidden 128, data fashion-mnist").
std::string profileShape(const RunOptions& options);
// The costs the cut is predicted from: the profile's (ms), else the
// estimate (relative units).
std::vector<LayerCost> layerCosts(const RunOptions& options);
// The goal --partition optimises: the schedule, --bandwidth (or the
// profile's) and --memory-limit.
PartitionGoal partitionGoal(const RunOptions& options);
// The boundaries options.partition chooses from `costs` (empty: the equal
// cut). Throws ConfigError when no cut meets the goal.
std::vector<int> choosePartition(const RunOptions& options, const std::vector<LayerCost>& costs);
// Sets options.profile (ConfigError when its model, shape or layer count
// is not the run's) and, unless the cut was given by --split or is
// uniform, chooses the cut again from it.
void adoptProfile(RunOptions& options, LayerProfile profile);
// Whether pipedream-train measures the profile before it runs: for
// --profile-out, and for a --partition other than uniform without
// --profile-in (the dry run then predicts from the estimate).
bool measuresProfile(const RunOptions& options);

// The tutorial's configuration: 4 stages, 4 microbatches, 5 batches, batch
// 32, 48 layers, hidden 512, 10 classes.
RunOptions defaultRunOptions();

constexpr int kMaxSeqLen = 4096;

// The defaults of `model` (mlp: defaultRunOptions()'s sizes): layers,
// hidden, heads, seqLen, batchSize, optimizer, lr and data. The gpt trains
// with Adam (plain SGD leaves a transformer near the unigram loss for an
// epoch and diverges without weight stashing), the cnn with momentum (0.900
// held-out accuracy after 3 epochs of 1F1B against plain SGD's 0.897 at its
// rate), the tutorial's mlp with plain SGD.
RunOptions modelDefaults(const std::string& model);
// The learning rate a run of `model` with `optimizer` takes when --lr is
// not given: Adam's kAdamLr for every model; otherwise the model's own
// (mlp 0.02; cnn 0.05, with momentum 0.005; gpt 0.3).
double defaultLr(const std::string& model, const std::string& optimizer);
// Layers a split divides: mlp: layers; cnn: 6; gpt: layers + 2 (the
// embedding and the head are layers of their own).
int partitionLayers(const RunOptions& options);
bool isTextData(const std::string& data);

struct ParsedOptions {
    RunOptions options;
    bool help = false;
};

// Parses argv[1..]. `vizFlags` accepts --headless / --export DIR / --open FILE
// as well. Unknown flags, missing or malformed values and invalid
// combinations throw ConfigError (one line, without the "error: " prefix).
ParsedOptions parseRunOptions(const std::vector<std::string>& args, bool vizFlags);

// Every cross-field rule (S <= layers, M divides the batch, interleaved
// needs whole rounds of microbatches, ...): ConfigError with the first one
// broken.
void checkRunOptions(const RunOptions& options);

std::string usage(const std::string& program, bool vizFlags);

// The flags that give `options`' run (schedule, sizes, data, device, seed,
// lr, backend timeouts): parseRunOptions(toArgs(o)) trains the same run.
// Outputs (--csv, --trace, --json), --launch, the rank settings and the
// viz flags are left out.
std::vector<std::string> toArgs(const RunOptions& options);

// What differs between the flags of one run (`actual`, in any spelling the
// parser takes) and another's (`expected`, as toArgs writes them), flag by
// flag ("--microbatches 8, expected 4"); empty when they agree. Ranks of one
// run must agree.
std::string optionsDifference(const std::vector<std::string>& actual,
                              const std::vector<std::string>& expected);

// Fills the rank settings left unset from torchrun's environment (`env`:
// getenv, or a test's), then the defaults. ConfigError (one line) unless
// they make sense: rank in 0..world-1, world = stages.
void resolveRankSettings(RunOptions& options, const std::function<const char*(const char*)>& env);

}  // namespace pd
