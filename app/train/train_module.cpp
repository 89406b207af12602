// The training engine as a module that pipedream-train loads with dlopen
// only when it trains or profiles: --help, --dry-run and bad input then
// never pay for loading LibTorch (about 0.4 s and 100 MB at every start).
// C entry points, so that no C++ exception or type crosses the boundary.
#include <cstdio>
#include <exception>
#include <new>

#include "app/train/train_cli.h"
#include "engine/config/resources.h"

namespace {

// Runs `body`, printing what it throws as the one error line: 2 for bad
// input, 1 for a failure at run time.
template <typename Body>
int guarded(const pd::RunOptions& options, Body body) {
    try {
        return body();
    } catch (const pd::ConfigError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "error: out of memory (the estimate before the run was %s)\n",
                     pd::estimateRunMemory(options).describe().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int pd_run_training_cli(
    const pd::RunOptions* options) {
    return guarded(*options, [&] { return pd::runTrainingCli(*options); });
}

extern "C" __attribute__((visibility("default"))) int pd_profile_cli(pd::RunOptions* options) {
    return guarded(*options, [&] { return pd::profileCli(*options); });
}
