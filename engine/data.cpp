#include "data.h"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "safefile.h"

namespace pd::data {

namespace {

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
    std::uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Gaussian clusters: class c has a fixed random centre; a sample is its
// centre plus isotropic noise. Learnable, but not in one step.
class Synthetic final : public Dataset {
public:
    Synthetic(int batchSize, int dim, int classes, std::uint64_t seed)
        : Dataset(batchSize), dim_(dim), classes_(classes), seed_(seed) {
        auto gen = at::detail::createCPUGenerator(mix(seed, 0xC0FFEE));
        centres_ = at::normal(0.0, kCentre, {classes, dim}, gen);
    }
    int inputDim() const override { return dim_; }
    int classes() const override { return classes_; }
    std::string describe() const override {
        return "synthetic Gaussian clusters (" + std::to_string(classes_) + " classes, dim " +
               std::to_string(dim_) + ", seed " + std::to_string(seed_) + ")";
    }

protected:
    std::pair<torch::Tensor, torch::Tensor> makeBatch(int batch) const override {
        auto gen =
            at::detail::createCPUGenerator(mix(seed_, 1 + static_cast<std::uint64_t>(batch)));
        torch::Tensor y = at::randint(classes_, {batchSize()}, gen, torch::kLong);
        torch::Tensor noise = at::normal(0.0, kNoise, {batchSize(), dim_}, gen);
        return {centres_.index_select(0, y) + noise, y};
    }

private:
    // Per-coordinate variance kCentre^2 + kNoise^2 = 1: unit-scale inputs.
    static constexpr double kCentre = 0.6;
    static constexpr double kNoise = 0.8;
    int dim_;
    int classes_;
    std::uint64_t seed_;
    torch::Tensor centres_;
};

// Big-endian 32-bit integer at `pos` of an IDX file.
std::uint32_t be32(const std::string& bytes, std::size_t pos) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + pos;
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

// The full MNIST training images are 47 MB; a file far beyond is not one.
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{1} << 30;

// Through readFile: a FIFO or a device named like an IDX file is refused
// instead of blocking or reading forever.
std::string readAll(const std::string& path) {
    std::string content, error;
    if (!readFile(path, content, error, kMaxIdxBytes)) throw std::runtime_error(error);
    return content;
}

// The first of DIR/train-*-ubyte or DIR/t10k-*-ubyte that exists. Checked
// with stat, not by opening: opening a FIFO blocks until a writer comes.
std::string idxPath(const std::string& dir, const char* what) {
    for (const char* prefix : {"train", "t10k"}) {
        const std::string path = dir + "/" + prefix + "-" + what + "-ubyte";
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) return path;
    }
    throw std::runtime_error("no MNIST " + std::string(what) + " file in '" + dir +
                             "' (expected train-" + what + "-ubyte)");
}

// Standard MNIST IDX files of any size (LibTorch's reader insists on 60000).
class Mnist final : public Dataset {
public:
    Mnist(int batchSize, const std::string& dir) : Dataset(batchSize), dir_(dir) {
        const std::string imagesPath = idxPath(dir, "images-idx3");
        const std::string labelsPath = idxPath(dir, "labels-idx1");
        const std::string images = readAll(imagesPath);
        const std::string labels = readAll(labelsPath);
        if (images.size() < 16 || be32(images, 0) != 0x00000803)
            throw std::runtime_error(imagesPath + " is not an IDX image file (magic 0x803)");
        if (labels.size() < 8 || be32(labels, 0) != 0x00000801)
            throw std::runtime_error(labelsPath + " is not an IDX label file (magic 0x801)");
        const std::uint64_t n = be32(images, 4), rows = be32(images, 8), cols = be32(images, 12);
        if (n < 1 || rows < 1 || cols < 1 || rows * cols > (1u << 20))
            throw std::runtime_error(imagesPath + " has bad dimensions");
        if (images.size() != 16 + n * rows * cols)
            throw std::runtime_error(imagesPath + " is truncated or has extra bytes");
        if (be32(labels, 4) != n || labels.size() != 8 + n)
            throw std::runtime_error(labelsPath + " does not hold one label per image");
        count_ = static_cast<std::int64_t>(n);
        const auto dim = static_cast<std::int64_t>(rows * cols);
        torch::Tensor raw = torch::empty({count_, dim}, torch::kUInt8);
        std::memcpy(raw.data_ptr<std::uint8_t>(), images.data() + 16, n * rows * cols);
        inputs_ = ((raw.to(torch::kFloat) / 255.0 - 0.1307) / 0.3081).contiguous();
        labels_ = torch::empty({count_}, torch::kUInt8);
        std::memcpy(labels_.data_ptr<std::uint8_t>(), labels.data() + 8, n);
        labels_ = labels_.to(torch::kLong);
        if (labels_.max().item<std::int64_t>() >= 10)
            throw std::runtime_error(labelsPath + " has labels outside 0..9");
    }
    int inputDim() const override { return static_cast<int>(inputs_.size(1)); }
    int classes() const override { return 10; }
    std::string describe() const override {
        return "MNIST from " + dir_ + " (" + std::to_string(count_) + " images)";
    }

protected:
    std::pair<torch::Tensor, torch::Tensor> makeBatch(int batch) const override {
        torch::Tensor idx = (torch::arange(batchSize(), torch::kLong) +
                             static_cast<std::int64_t>(batch) * batchSize()) %
                            count_;
        return {inputs_.index_select(0, idx), labels_.index_select(0, idx)};
    }

private:
    std::string dir_;
    std::int64_t count_ = 0;
    torch::Tensor inputs_, labels_;
};

}  // namespace

std::pair<torch::Tensor, torch::Tensor> Dataset::microbatch(int batch, int m, int rows) {
    std::pair<torch::Tensor, torch::Tensor> full;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& entry : cache_)
            if (entry.first == batch) full = entry.second;
    }
    if (!full.first.defined()) {
        torch::NoGradGuard noGrad;
        full = makeBatch(batch);
        std::lock_guard<std::mutex> lock(mutex_);
        cache_.emplace_back(batch, full);
        while (cache_.size() > 4) cache_.pop_front();
    }
    const std::int64_t first = static_cast<std::int64_t>(m) * rows;
    return {full.first.narrow(0, first, rows), full.second.narrow(0, first, rows)};
}

std::unique_ptr<Dataset> createDataset(const std::string& source, int batchSize, int hidden,
                                       int classes, std::uint64_t seed) {
    if (source.rfind("mnist:", 0) == 0) {
        const std::string dir = source.substr(6);
        if (classes != 10)
            throw std::runtime_error("MNIST has 10 classes, the model has " +
                                     std::to_string(classes));
        if (dir.empty()) throw std::runtime_error("--data mnist:DIR needs a folder");
        return std::make_unique<Mnist>(batchSize, dir);
    }
    if (source != "synthetic") throw std::runtime_error("unknown data source '" + source + "'");
    return std::make_unique<Synthetic>(batchSize, hidden, classes, seed);
}

}  // namespace pd::data
