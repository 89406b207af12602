// The training engine as a module that pipedream-train loads with dlopen
// only when it trains: --help, --dry-run and bad input then never pay for
// loading LibTorch (about 0.4 s and 100 MB at every start). One C entry
// point, so that no C++ exception or type crosses the boundary.
#include <cstdio>
#include <exception>
#include <new>

#include "app/train/train_cli.h"
#include "engine/config/resources.h"

extern "C" __attribute__((visibility("default"))) int pd_run_training_cli(
    const pd::RunOptions* options) {
    try {
        return pd::runTrainingCli(*options);
    } catch (const pd::ConfigError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "error: out of memory (the estimate before the run was %s)\n",
                     pd::estimateRunMemory(*options).describe().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
