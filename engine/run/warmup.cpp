// Memory warm-up before the first slot, outside every measured slot: freed
// blocks kept mapped, each worker's weights moved into its own malloc arena,
// that arena grown and touched once; then the barrier at which every worker
// is ready and the run's time zero is taken.
#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>

#include "engine/run/runtimeimpl.h"
#include "engine/schedule/simulator.h"

namespace pd {

namespace runtimedetail {

using OpenBlasSetThreads = void (*)(int);

void setBlasThreads(int n) {
    if (auto f =
            reinterpret_cast<OpenBlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        f(n);
}

// glibc returns every large block (>= 128 KiB by default: every weight and
// activation tensor here) to the kernel on free and maps fresh zeroed pages
// on the next allocation, so each new weight version and each batch's
// activations paid thousands of page faults inside the measured slot (an
// update took 30-80 ms instead of about 1 ms). Keep freed blocks in the heap.
void keepFreedMemoryMapped() {
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    });
}

}  // namespace runtimedetail

// The initial weights were made on the calling thread, in its malloc arena.
// Each worker copies its stage's into its own arena, where every later
// version of the stage lives, and the last one hands the originals' memory
// back to the system before anyone pre-faults: otherwise the first
// version's arena stays mapped for the whole run beside the workers' (the
// default run held about a model's worth more than it needs).
void TrainingRun::Impl::rehome(StageState& st) {
    if (!keepAll && !st.device.is_cuda()) st.weights.copyInitial();
    std::unique_lock<std::mutex> lock(controlMutex);
    if (--rehoming == 0) {
        malloc_trim(0);
        controlCv.notify_all();
    } else {
        controlCv.wait(lock, [&] { return rehoming == 0 || stop.load(); });
    }
}

// Warm-up before the first slot, outside every measured slot: this worker
// thread's malloc arena grows to about what the run will need (a few weight
// versions and the activations in flight) and its pages are touched once.
// Otherwise the first batches' slots measure page faults, not training (the
// first updates took 60-80 ms where later ones take about 1 ms).
void TrainingRun::Impl::prefault(const StageState& st) {
    // Beyond the current version, which is already allocated: the other
    // versions the stage holds at most, the one being built (or the spare
    // it reuses) and the gradient sum. One more made every stage keep an
    // unused version's worth mapped (the default run's RSS was 1 x the
    // model's parameters higher).
    const std::vector<int> held = closedForm(options.schedule).versionsHeld;
    const int versions = (st.index < static_cast<int>(held.size()) ? held[st.index] : 1) + 1;
    std::int64_t bytes = versions * st.weights.heldBytes();
    const std::int64_t layersHere = static_cast<std::int64_t>(options.layers) / S + 2;
    bytes += 2LL * options.microbatchSize() * options.hidden * 4 * layersHere *
             std::min(options.schedule.microbatches, S + 1) * options.schedule.chunks;
    bytes = std::min<std::int64_t>(bytes, 1LL << 30);
    if (bytes <= 0) return;
#ifdef PD_CUDA
    if (st.device.is_cuda()) {
        // One block: the caching allocator keeps the segment and splits it
        // for the run's tensors. A product creates this thread's cuBLAS
        // handle on the stage's stream; neither belongs in a measured slot.
        const auto on = torch::TensorOptions().device(st.device).dtype(torch::kFloat32);
        {
            const torch::Tensor block = torch::empty({bytes / 4}, on);
            const torch::Tensor w = torch::ones({64, 64}, on);
            (void)w.mm(w).sum().item<float>();
        }
        if (st.stream) st.stream->synchronize();
        return;
    }
#endif
    // In blocks: one block above glibc's per-thread heap size (64 MiB) would
    // be mapped on its own and unmapped again on free.
    constexpr std::int64_t kBlock = 1 << 20;
    std::vector<torch::Tensor> blocks;
    for (std::int64_t done = 0; done < bytes; done += kBlock)
        blocks.push_back(torch::zeros({kBlock / 4}, torch::kFloat32));
}

// Time zero is when every worker is ready: the warm-up is not part of the
// run's timeline. The last worker to get ready takes it (distributed: every
// rank's time zero is the same instant, the collector's) and starts the
// device clocks; the others wait for it. Throws RunStopped when the run
// stopped meanwhile.
void TrainingRun::Impl::waitForTimeZero() {
    {
        std::unique_lock<std::mutex> lock(controlMutex);
        if (--warming == 0 && transport) {
            lock.unlock();
            const auto zero = transport->ready();
            lock.lock();
            if (!zero) throw runtimedetail::RunStopped{};
            t0 = *zero;
            startDeviceClocks();
            controlCv.notify_all();
        } else if (warming == 0) {
            t0 = now();
            startDeviceClocks();
            controlCv.notify_all();
        } else {
            controlCv.wait(lock, [&] { return warming == 0 || stop.load(); });
        }
    }
    if (stop.load()) throw runtimedetail::RunStopped{};
}

}  // namespace pd
