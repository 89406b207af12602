// Internal to engine/run (torch types): the channels between the stages of
// one process. A bounded mailbox per stage and direction, keyed by
// (batch, microbatch, part) so that the receiver takes exactly the message
// its next action needs, and the message an action sends once it finished.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/schedule/stageclock.h"

namespace pd::runtimedetail {

// Thrown inside a worker when the run stops while it waits; not an error.
struct RunStopped {};

struct Key {
    int batch = 0;
    int microbatch = 0;
    int part = 0;  // the receiving model part
    bool operator<(const Key& o) const {
        return std::tie(batch, microbatch, part) < std::tie(o.batch, o.microbatch, o.part);
    }
};

// A bounded channel into one stage. put() blocks while it is full, take()
// until the keyed message is there; both throw RunStopped once `stop` is set
// and wake() was called.
class Mailbox {
public:
    void setCapacity(std::size_t capacity) { capacity_ = capacity; }
    void put(const Key& key, torch::Tensor t, const MessageStamp& stamp,
             const std::atomic<bool>& stop);
    torch::Tensor take(const Key& key, const std::atomic<bool>& stop, MessageStamp* stamp);
    void wake();

private:
    std::mutex mutex_;
    std::condition_variable notEmpty_, notFull_;
    struct Message {
        torch::Tensor tensor;
        MessageStamp stamp;  // when its sender made it, for the receiver's clock
    };
    std::map<Key, Message> items_;
    std::size_t capacity_ = 1;
};

// A message an action sends once it has finished (so that, in measured time,
// every dependency ends before its dependant starts): into a mailbox of this
// process, or by the transport to a stage of another process.
struct Outgoing {
    Mailbox* box = nullptr;
    Key key;
    torch::Tensor tensor;
    int remoteStage = -1;  // a stage of another process (distributed): by its transport
    int tag = 0;
};

}  // namespace pd::runtimedetail
