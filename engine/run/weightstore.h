// Internal to engine/run (torch types): the weight versions one stage holds.
// Each version is a set of immutable parameter tensors per chunk, kept alive
// exactly as long as a later action of the stage reads it; the storage of a
// dropped version is reused by the next update.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "engine/model/model.h"

namespace pd::runtimedetail {

using Version = std::vector<model::PartParams>;  // per chunk

class WeightStore {
public:
    explicit WeightStore(int stage = 0) : stage_(stage) {}

    // Version 0: the initial weights, `bytes` in all.
    void setInitial(Version v0, std::int64_t bytes);
    // Before the run: action `action` of the stage is the last so far to read `version`.
    void noteRead(int version, std::size_t action) { lastUse_[version] = action; }
    // Test aid: keep a reference to every version produced from now on.
    void setKeepAll(bool keep);
    // Replaces version 0's tensors by copies made on the calling thread.
    void copyInitial();

    int newest() const { return newest_; }
    // Throws std::logic_error when `v` is not held.
    const Version& at(int v) const;
    // Moves the storage of a dropped version into `next`, to build the next
    // version in without allocating; false (and `next` untouched) when there is none.
    bool takeSpare(Version& next);
    // The update's result becomes the newest version.
    void add(int v, Version next, std::int64_t bytes);
    // Drops every version that no action after `action` reads.
    void dropUnread(std::size_t action);

    const std::map<int, Version>& held() const { return versions_; }
    const std::map<int, Version>& archive() const { return archive_; }
    std::vector<int> heldNumbers() const;
    std::int64_t heldBytes() const;   // every version held
    std::int64_t stashBytes() const;  // the held versions other than the newest

private:
    void recycle(Version&& dropped);

    int stage_ = 0;
    std::map<int, Version> versions_;  // held now
    std::map<int, std::int64_t> bytes_;
    std::map<int, Version> archive_;      // keepAll only
    std::vector<Version> spare_;          // storage of dropped versions, reused by updates
    std::map<int, std::size_t> lastUse_;  // version -> last action index reading it
    int newest_ = 0;
    bool keepAll_ = false;
};

}  // namespace pd::runtimedetail
