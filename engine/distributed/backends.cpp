// Which distributed backends this build can run (the CMake checks of
// engine/distributed/CMakeLists.txt define PD_HAVE_GLOO and PD_HAVE_NCCL).
#include "engine/distributed/distributed.h"

namespace pd {

void checkBackendAvailable(const std::string& backend) {
    if (backend == "gloo") {
#ifdef PD_HAVE_GLOO
        return;
#else
        throw ConfigError(
            "--backend gloo: this build has no Gloo (install libgloo-dev and rebuild)");
#endif
    }
    if (backend == "nccl") {
#ifdef PD_HAVE_NCCL
        return;
#else
        throw ConfigError(
            "--backend nccl: this build's LibTorch has no CUDA, so no NCCL; use --backend gloo");
#endif
    }
    throw ConfigError("--backend " + backend + ": not a distributed backend (gloo or nccl)");
}

}  // namespace pd
