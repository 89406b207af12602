// Training data for the staged model: a deterministic synthetic
// classification set (Gaussian clusters, seeded) or MNIST IDX files read
// with LibTorch's loader. Internal to pd_engine (torch types).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace pd::data {

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual int inputDim() const = 0;
    virtual int classes() const = 0;
    virtual std::string describe() const = 0;

    // Rows [m * rows, (m + 1) * rows) of batch `batch`: inputs [rows, inputDim]
    // (float) and labels [rows] (int64). Deterministic and thread-safe.
    std::pair<torch::Tensor, torch::Tensor> microbatch(int batch, int m, int rows);

    int batchSize() const { return batchSize_; }

protected:
    explicit Dataset(int batchSize) : batchSize_(batchSize) {}
    virtual std::pair<torch::Tensor, torch::Tensor> makeBatch(int batch) const = 0;

private:
    int batchSize_;
    std::mutex mutex_;
    std::deque<std::pair<int, std::pair<torch::Tensor, torch::Tensor>>> cache_;  // recent batches
};

// "synthetic" or "mnist:DIR". Throws std::runtime_error with a user-facing
// message when the MNIST files cannot be read.
std::unique_ptr<Dataset> createDataset(const std::string& source, int batchSize, int hidden,
                                       int classes, std::uint64_t seed);

}  // namespace pd::data
