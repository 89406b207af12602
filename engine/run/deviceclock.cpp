// The clocks a slot is measured on: the host's steady clock on the CPU; on a
// GPU, CUDA events recorded on the stage's own stream around each action and
// placed on the run's timeline through one reference event per device
// (DeviceTimeBase), so the slot is what the device executed, not when the
// host launched it.
#include "engine/run/runtimeimpl.h"

namespace pd {

// Called with t0 just taken, before any worker starts its first slot (under
// controlMutex by the last worker to get ready). Nothing on the CPU.
void TrainingRun::Impl::startDeviceClocks() {
#ifdef PD_CUDA
    for (const auto& st : stages) {
        if (!st->device.is_cuda()) continue;
        auto& base = timeBases[st->device.index()];
        if (base) continue;
        base = std::make_unique<runtimedetail::DeviceTimeBase>();
        base->reference.record(c10::cuda::getDefaultCUDAStream(st->device.index()));
        base->reference.synchronize();
        base->referenceUs = realUs();
    }
#endif
}

// Right before the action: its begin on the host clock (and an event on the
// stage's stream).
std::int64_t TrainingRun::Impl::slotStart(StageState& st) {
    const std::int64_t begin = realUs();
#ifdef PD_CUDA
    if (st.stream) st.slotBegin.record(*st.stream);
#else
    (void)st;
#endif
    return begin;
}

// Right after it: its end. On a GPU it waits until the action's kernels are
// done (its message leaves only then) and replaces `begin` and the end by
// the device's times.
std::int64_t TrainingRun::Impl::slotFinish(StageState& st, std::int64_t* begin) {
#ifdef PD_CUDA
    if (st.stream) {
        st.slotEnd.record(*st.stream);
        st.slotEnd.synchronize();
        const runtimedetail::DeviceTimeBase& base = *timeBases.at(st.device.index());
        *begin = base.at(st.slotBegin);
        return base.at(st.slotEnd);
    }
#else
    (void)st;
    (void)begin;
#endif
    return realUs();
}

}  // namespace pd
