// Training data for the staged model: a deterministic synthetic
// classification set (Gaussian clusters, seeded), IDX image sets (MNIST,
// Fashion-MNIST; plain or gzip-compressed files) and character-level text
// (a file or a folder of text files). Each has a training split and a
// held-out split (t10k for IDX sets, the last 10 % of the text). Internal
// to pd_engine (torch types).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace pd::data {

// Where `--data fashion-mnist` and `--data text` read (Debian packages
// dataset-fashion-mnist and fortunes).
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual int inputDim() const = 0;  // features per sample (text: the context length)
    virtual int classes() const = 0;   // text: the vocabulary size
    virtual std::string describe() const = 0;
    virtual std::string name() const = 0;  // synthetic | mnist | fashion-mnist | text
    // Text: inputs are token ids [rows, seqLen] (int64) and labels the next
    // token of each position [rows, seqLen]; others: inputs [rows, inputDim]
    // (float), labels [rows].
    virtual bool isText() const { return false; }

    // Samples of each split; the synthetic set's training split is unbounded (0).
    virtual std::int64_t trainSamples() const = 0;
    virtual std::int64_t heldoutSamples() const = 0;
    // Held-out samples [first, first + count), as a microbatch is.
    virtual std::pair<torch::Tensor, torch::Tensor> heldout(std::int64_t first,
                                                            std::int64_t count) const = 0;
    // Text: the entropy of the training split's characters in nats (the loss
    // of a model that knows only their frequencies); NaN otherwise.
    virtual double unigramLoss() const;

    // Rows [m * rows, (m + 1) * rows) of batch `batch`: see isText() for
    // the shapes. Deterministic and thread-safe.
    std::pair<torch::Tensor, torch::Tensor> microbatch(int batch, int m, int rows);

    int batchSize() const { return batchSize_; }
    // Whole batches in one pass over the training split (at least 1; 0 for
    // the unbounded synthetic set).
    std::int64_t batchesPerEpoch() const;
    // Epochs: batch b belongs to epoch b / batchesPerEpoch(), whose order of
    // samples is a permutation seeded by (seed, epoch). Off (the default):
    // batch b takes samples b * batchSize ... in file order, wrapping around.
    // Call before the first microbatch().
    void setShuffle(bool on, std::uint64_t seed);

protected:
    explicit Dataset(int batchSize) : batchSize_(batchSize) {}
    // Synthetic: generates batch `batch`. Finite sets: the rows of indices().
    virtual std::pair<torch::Tensor, torch::Tensor> makeBatch(int batch) const;
    virtual std::pair<torch::Tensor, torch::Tensor> trainRows(const torch::Tensor& index) const;
    torch::Tensor indices(int batch) const;  // training samples of a batch

private:
    int batchSize_;
    bool shuffle_ = false;
    std::uint64_t shuffleSeed_ = 0;
    std::mutex mutex_;
    std::deque<std::pair<int, std::pair<torch::Tensor, torch::Tensor>>> cache_;  // recent batches
};

struct DataConfig {
    int batchSize = 32;
    int hidden = 512;  // the synthetic set's dimension
    int classes = 10;  // the synthetic set's classes; IDX sets need 10
    std::uint64_t seed = 0;
    int seqLen = 64;  // text: context length
};

// "synthetic", "mnist:DIR", "fashion-mnist", "fashion-mnist:DIR", "text"
// or "text:PATH". Throws Error with a one-line user-facing
// message when files are missing, truncated or corrupt, or the text is too
// short for the context.
std::unique_ptr<Dataset> createDataset(const std::string& source, const DataConfig& config);
std::unique_ptr<Dataset> createDataset(const std::string& source, int batchSize, int hidden,
                                       int classes, std::uint64_t seed);

// The bytes of a file, gunzipped when it starts with the gzip magic.
// Throws with "PATH: ..." when it cannot be read or the compressed data is
// corrupt or truncated; `maxBytes` bounds the file and its content.
std::string readMaybeGzip(const std::string& path, std::uint64_t maxBytes);

}  // namespace pd::data
