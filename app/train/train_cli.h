// pipedream-train's training mode: a TrainingRun of every stage in this
// process (the log in the spirit of the tutorial's "Sample Output", the
// results table, --csv / --trace / --json: app/train/runreport.h), or with
// --backend gloo|nccl this process's rank (engine/distributed/rank.h). Torch-free header.
#pragma once

#include "engine/config/options.h"

namespace pd {

// Returns the process exit status (0 ok, 1 failure at run time). Throws
// ConfigError for bad input (the caller prints it and exits 2).
int runTrainingCli(const RunOptions& options);
// Measures the layers' profile (engine/run/profiler.h), writes it to
// --profile-out, prints it (unless --json or output to stdout) and adopts
// it: a --partition cut is chosen again from it. Returns the exit status.
int profileCli(RunOptions& options);

}  // namespace pd

// The same from the module pipedream-train loads (app/train/train_module.cpp):
// prints its own errors and returns the exit status, 2 for bad input.
extern "C" int pd_run_training_cli(const pd::RunOptions* options);
using PdRunTrainingCli = int (*)(const pd::RunOptions*);
extern "C" int pd_profile_cli(pd::RunOptions* options);
using PdProfileCli = int (*)(pd::RunOptions*);
