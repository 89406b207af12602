// What a stage reports after each action: the weight versions it holds (only
// when they changed), its memory (activations in flight, stashed versions;
// only when it changed), and, at the last action of a batch on the last
// stage to finish it, the batch with its loss and versions.
#include <algorithm>

#include "engine/run/runtimeimpl.h"

namespace pd {

void TrainingRun::Impl::reportVersions(StageState& st) {
    std::vector<int> held = st.weights.heldNumbers();
    if (held == st.lastHeld) return;
    st.lastHeld = held;
    VersionEvent e;
    e.stage = st.index;
    e.version = st.weights.newest();
    for (int v : held)
        if (v != e.version) e.stashed.push_back(v);
    e.timeUs = st.clock.training(realUs());
    sink.onVersion(e);
}

void TrainingRun::Impl::reportMemory(StageState& st) {
    MemoryEvent e;
    e.stage = st.index;
    e.activationsInFlight = st.inFlightCount;
    e.versionsHeld = static_cast<int>(st.weights.held().size());
    e.activationBytes = st.activationBytes;
    e.stashBytes = st.weights.stashBytes();
    const MemoryEvent& l = st.lastMemory;
    if (st.memorySent && l.activationsInFlight == e.activationsInFlight &&
        l.versionsHeld == e.versionsHeld && l.activationBytes == e.activationBytes &&
        l.stashBytes == e.stashBytes)
        return;
    e.timeUs = st.clock.training(realUs());
    st.lastMemory = e;
    st.memorySent = true;
    sink.onMemory(e);
}

void TrainingRun::Impl::afterAction(StageState& st, std::size_t i, const Action& a) {
    // Drop every version that no later action of this stage reads.
    st.weights.dropUnread(i);
    reportVersions(st);
    reportMemory(st);
    const int b = st.endsBatch[i];
    if (b < 0) return;
    std::lock_guard<std::mutex> lock(batchMutex);
    pending[b].versionUsed[st.index] = std::max(0, st.batchMinVersion[b]);
    pending[b].versionAfter[st.index] = st.weights.newest();
    if (++stagesDone[b] < localCount()) return;  // distributed: the collector merges
    BatchEvent e = pending[b];
    e.loss = lossSum[b] / M;
    e.timeUs = st.clock.training(realUs());
    sink.onBatch(e);
    batchesDone.fetch_add(1);
    (void)a;
}

}  // namespace pd
