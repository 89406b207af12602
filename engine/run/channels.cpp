// The channels between stages: the mailbox's blocking put and take, and the
// routing of the runtime's messages (an activation to the next part's stage,
// a gradient to the previous one's), in this process or through the
// transport to another.
#include "engine/run/channels.h"

#include "engine/run/runtimeimpl.h"

namespace pd {

using namespace runtimedetail;

namespace runtimedetail {

void Mailbox::put(const Key& key, torch::Tensor t, const MessageStamp& stamp,
                  const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mutex_);
    notFull_.wait(lock, [&] { return stop.load() || items_.size() < capacity_; });
    if (stop) throw RunStopped{};
    items_.emplace(key, Message{std::move(t), stamp});
    notEmpty_.notify_all();
}

torch::Tensor Mailbox::take(const Key& key, const std::atomic<bool>& stop, MessageStamp* stamp) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = items_.end();
    notEmpty_.wait(lock, [&] {
        if (stop) return true;
        it = items_.find(key);
        return it != items_.end();
    });
    if (stop) throw RunStopped{};
    torch::Tensor t = std::move(it->second.tensor);
    *stamp = it->second.stamp;
    items_.erase(it);
    notFull_.notify_all();
    return t;
}

void Mailbox::wake() {
    std::lock_guard<std::mutex> lock(mutex_);
    notEmpty_.notify_all();
    notFull_.notify_all();
}

}  // namespace runtimedetail

// Waits for the message the action needs (before its slot starts).
torch::Tensor TrainingRun::Impl::receive(StageState& st, const Action& a, MessageStamp* stamp) {
    const ChunkState& ch = st.chunks[a.chunk];
    Tensor t;
    const bool activation = a.op == Op::F && ch.part > 0;
    const bool gradient = (a.op == Op::B || a.op == Op::I) && !ch.head;
    const int from = activation ? stageOfPart(ch.part - 1) : stageOfPart(ch.part + 1);
    if ((activation || gradient) && !isLocal(from)) {
        t = transport->recv(from, tag(a.batch, a.microbatch, ch.part, activation ? 0 : 1),
                            model::boundaryShape(spec, activation ? ch.part : ch.part + 1, rows),
                            stamp);
        if (!t.defined()) throw RunStopped{};
        t = t.to(st.device);
    } else if (activation) {
        t = st.activations.take({a.batch, a.microbatch, ch.part}, stop, stamp).to(st.device);
    } else if (gradient) {
        t = st.gradients.take({a.batch, a.microbatch, ch.part}, stop, stamp).to(st.device);
    }
#ifdef PD_CUDA
    // Made on the sender's stream, used and freed on ours.
    if (t.defined() && st.stream)
        c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), *st.stream);
#endif
    return t;
}

Outgoing TrainingRun::Impl::sendActivation(int p, const Action& a, const Tensor& y) {
    Outgoing out;
    if (!isLocal(stageOfPart(p + 1))) {
        out.remoteStage = stageOfPart(p + 1);
        out.tag = tag(a.batch, a.microbatch, p + 1, 0);
        out.tensor = y;
    } else {
        out = {&stages[stageOfPart(p + 1)]->activations, {a.batch, a.microbatch, p + 1}, y};
    }
    return out;
}

Outgoing TrainingRun::Impl::sendGradient(int p, const Action& a, const Tensor& dx) {
    Outgoing out;
    if (p > 0 && !isLocal(stageOfPart(p - 1))) {
        out.remoteStage = stageOfPart(p - 1);
        out.tag = tag(a.batch, a.microbatch, p - 1, 1);
        out.tensor = dx;
    } else if (p > 0) {
        out = {&stages[stageOfPart(p - 1)]->gradients, {a.batch, a.microbatch, p - 1}, dx};
    }
    return out;
}

}  // namespace pd
