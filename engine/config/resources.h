// What a run will need, estimated by arithmetic before anything is built, and
// what the machine can give: so that a configuration that cannot fit is
// refused with one clear line instead of std::bad_alloc or LibTorch's
// allocator message mid-run. Torch-free and Qt-free: the CLI and the GUI use
// it (the GUI before building a model, off its thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/config/options.h"

namespace pd {

struct MemoryEstimate {
    std::uint64_t parameters = 0;   // weights and their gradients, fp32
    std::uint64_t versions = 0;     // extra weight versions the kind keeps (stash, 2BW)
    std::uint64_t optimizer = 0;    // momentum buffer (1x the weights) or Adam's moments (2x)
    std::uint64_t activations = 0;  // saved for backward, all microbatches in flight
    std::uint64_t events = 0;       // schedule, timeline, recorded events and output text
    std::uint64_t actions = 0;      // actions of the schedule (upper bound)
    std::uint64_t total() const { return parameters + versions + optimizer + activations + events; }
    // "about 51.3 GiB (weights 1.0 GiB, weight versions 0 B, activations
    // 2.0 GiB, schedule and events of 199229440 actions 48.3 GiB)"
    std::string describe() const;
};

// Upper-bound estimate: the dry run needs only the schedule part.
MemoryEstimate estimateRunMemory(const RunOptions& options);

// Bytes this process may still allocate: the smallest of the memory the
// system has available, the address-space limit minus what is mapped, and
// the cgroup's limit minus its usage. nullopt when none can be read.
std::optional<std::uint64_t> availableMemoryBytes();

// ConfigError with the one line to print ("this run needs about ..., but
// only ... is available") unless the run fits in `available` bytes.
void checkRunMemory(const RunOptions& options, std::uint64_t available);
// The same against availableMemoryBytes() (always fits when unknown).
void checkRunMemory(const RunOptions& options);

// "1.5 GiB", "12.0 MiB", "512 B".
std::string formatBytes(std::uint64_t bytes);

// "4 stage workers share 2 CPU cores, so measured stage times include
// waiting for a core." when the run's stage workers (threads, or local
// processes) outnumber `cores` on a CPU run; empty otherwise, and when
// `cores` is 0 (not known). The CLI's header and the window's charts both
// say it.
std::string coreSharingNote(const RunOptions& o, unsigned cores);

}  // namespace pd
