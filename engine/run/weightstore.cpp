// The weight-version store of one stage: which versions are held, their
// sizes, when one may be dropped, and the reuse of a dropped version's
// storage by the next update.
#include "engine/run/weightstore.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace pd::runtimedetail {

void WeightStore::setInitial(Version v0, std::int64_t bytes) {
    versions_[0] = std::move(v0);
    bytes_[0] = bytes;
}

void WeightStore::setKeepAll(bool keep) {
    keepAll_ = keep;
    if (keep) archive_ = versions_;
}

void WeightStore::copyInitial() {
    Version copy;
    for (const model::PartParams& part : versions_.at(0)) {
        model::PartParams p;
        for (const torch::Tensor& t : part) p.push_back(t.clone());
        copy.push_back(std::move(p));
    }
    versions_[0] = std::move(copy);
}

const Version& WeightStore::at(int v) const {
    auto it = versions_.find(v);
    if (it == versions_.end())
        throw std::logic_error("weight version " + std::to_string(v) + " is not held at stage " +
                               std::to_string(stage_));
    return it->second;
}

bool WeightStore::takeSpare(Version& next) {
    if (spare_.empty()) return false;
    next = std::move(spare_.back());
    spare_.pop_back();
    return true;
}

void WeightStore::add(int v, Version next, std::int64_t bytes) {
    if (keepAll_) archive_[v] = next;
    versions_[v] = std::move(next);
    bytes_[v] = bytes;
    newest_ = v;
}

void WeightStore::dropUnread(std::size_t action) {
    for (auto it = versions_.begin(); it != versions_.end();) {
        const auto use = lastUse_.find(it->first);
        if (it->first != newest_ && (use == lastUse_.end() || use->second <= action)) {
            bytes_.erase(it->first);
            recycle(std::move(it->second));
            it = versions_.erase(it);
        } else {
            ++it;
        }
    }
}

// Keeps a dropped version's tensors for the next update when nothing else
// (the test archive, a record) still refers to them. One spare is enough:
// a stage drops at most one version per update.
void WeightStore::recycle(Version&& dropped) {
    if (!spare_.empty()) return;
    for (const model::PartParams& part : dropped)
        for (const torch::Tensor& t : part)
            if (t.use_count() != 1) return;
    spare_.push_back(std::move(dropped));
}

std::vector<int> WeightStore::heldNumbers() const {
    std::vector<int> held;
    for (const auto& [v, params] : versions_) held.push_back(v);
    return held;
}

std::int64_t WeightStore::heldBytes() const {
    std::int64_t n = 0;
    for (const auto& [v, b] : bytes_) n += b;
    return n;
}

std::int64_t WeightStore::stashBytes() const {
    std::int64_t n = 0;
    for (const auto& [v, b] : bytes_)
        if (v != newest_) n += b;
    return n;
}

}  // namespace pd::runtimedetail
