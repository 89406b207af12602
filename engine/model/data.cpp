#include "engine/model/data.h"

#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "engine/base/safefile.h"

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
    std::string name() const override { return "synthetic"; }
    std::int64_t trainSamples() const override { return 0; }
    std::int64_t heldoutSamples() const override { return kHeldout; }
    // Held-out sample i is drawn from its own stream, apart from every batch's.
    std::pair<torch::Tensor, torch::Tensor> heldout(std::int64_t first,
                                                    std::int64_t count) const override {
        std::vector<torch::Tensor> xs, ys;
        for (std::int64_t i = first; i < first + count; ++i) {
            auto gen = at::detail::createCPUGenerator(
                mix(seed_ ^ 0x5EED5EEDULL, 0xE7A10000ULL + static_cast<std::uint64_t>(i)));
            torch::Tensor y = at::randint(classes_, {1}, gen, torch::kLong);
            xs.push_back(centres_.index_select(0, y) + at::normal(0.0, kNoise, {1, dim_}, gen));
            ys.push_back(y);
        }
        return {torch::cat(xs), torch::cat(ys)};
    }
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
    static constexpr std::int64_t kHeldout = 256;
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
// A text corpus for a character model on a CPU: far below this.
constexpr std::uint64_t kMaxTextBytes = std::uint64_t{256} << 20;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// DIR/PREFIX-WHAT-ubyte, or the same with .gz; empty when neither exists.
// Checked with stat, not by opening: opening a FIFO blocks until a writer comes.
std::string idxFile(const std::string& dir, const char* prefix, const char* what) {
    const std::string path = dir + "/" + prefix + "-" + what + "-ubyte";
    if (exists(path)) return path;
    if (exists(path + ".gz")) return path + ".gz";
    return {};
}

// One IDX file of unsigned bytes: `dims` dimensions after the magic.
struct Idx {
    std::string bytes;
    std::vector<std::uint64_t> dims;
    std::size_t offset = 0;  // of the first value
};

Idx readIdx(const std::string& path, std::uint32_t magic, int dims, const char* kind) {
    Idx idx;
    idx.bytes = readMaybeGzip(path, kMaxIdxBytes);
    idx.offset = 4 + 4 * static_cast<std::size_t>(dims);
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%X", magic);
    if (idx.bytes.size() < idx.offset || be32(idx.bytes, 0) != magic)
        throw Error(path + " is not an IDX " + kind + " file (magic " + hex + ")");
    std::uint64_t values = 1;
    for (int d = 0; d < dims; ++d) {
        idx.dims.push_back(be32(idx.bytes, 4 + 4 * static_cast<std::size_t>(d)));
        if (idx.dims.back() < 1 || idx.dims.back() > (1u << 24))
            throw Error(path + " has bad dimensions");
        values *= idx.dims.back();
    }
    if (values > kMaxIdxBytes) throw Error(path + " has bad dimensions");
    if (idx.bytes.size() < idx.offset + values)
        throw Error(path + " is truncated (" + std::to_string(idx.bytes.size()) +
                    " bytes, its header announces " + std::to_string(idx.offset + values) + ")");
    if (idx.bytes.size() > idx.offset + values)
        throw Error(path + " has extra bytes after its " + std::to_string(values) + " values");
    return idx;
}

// Images and labels of one split, pixels normalised with (mean, std).
struct Split {
    torch::Tensor inputs, labels;
};

Split readImageSplit(const std::string& imagesPath, const std::string& labelsPath, double mean,
                     double stdev) {
    const Idx images = readIdx(imagesPath, 0x803, 3, "image");
    const Idx labels = readIdx(labelsPath, 0x801, 1, "label");
    const std::uint64_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
    if (rows * cols > (1u << 20)) throw Error(imagesPath + " has bad dimensions");
    if (labels.dims[0] != n)
        throw Error(labelsPath + " does not hold one label per image (" +
                    std::to_string(labels.dims[0]) + " labels, " + std::to_string(n) + " images)");
    const auto count = static_cast<std::int64_t>(n);
    const auto dim = static_cast<std::int64_t>(rows * cols);
    Split split;
    torch::Tensor raw = torch::empty({count, dim}, torch::kUInt8);
    std::memcpy(raw.data_ptr<std::uint8_t>(), images.bytes.data() + images.offset, n * rows * cols);
    split.inputs = ((raw.to(torch::kFloat) / 255.0 - mean) / stdev).contiguous();
    split.labels = torch::empty({count}, torch::kUInt8);
    std::memcpy(split.labels.data_ptr<std::uint8_t>(), labels.bytes.data() + labels.offset, n);
    split.labels = split.labels.to(torch::kLong);
    if (split.labels.max().item<std::int64_t>() >= 10)
        throw Error(labelsPath + " has labels outside 0..9");
    return split;
}

// IDX image sets of any size (LibTorch's reader insists on 60000): the
// training split from DIR/train-*, the held-out one from DIR/t10k-* (a
// folder with only t10k files trains on them and holds nothing out).
class ImageSet final : public Dataset {
public:
    ImageSet(int batchSize, const std::string& dir, const std::string& name, double mean,
             double stdev)
        : Dataset(batchSize), dir_(dir), name_(name) {
        std::string images = idxFile(dir, "train", "images-idx3");
        std::string labels = idxFile(dir, "train", "labels-idx1");
        const bool train = !images.empty() || !labels.empty();
        if (!train) {
            images = idxFile(dir, "t10k", "images-idx3");
            labels = idxFile(dir, "t10k", "labels-idx1");
        }
        if (images.empty() || labels.empty()) {
            const bool noDir = !exists(dir);
            throw Error(noDir ? "no folder '" + dir + "'" +
                                    (name == "fashion-mnist"
                                         ? " (install the Debian package dataset-fashion-mnist)"
                                         : "")
                              : "no " + name + " " +
                                    (images.empty() ? "images-idx3" : "labels-idx1") +
                                    " file in '" + dir + "' (expected train-" +
                                    (images.empty() ? "images-idx3" : "labels-idx1") +
                                    "-ubyte or the same with .gz)");
        }
        train_ = readImageSplit(images, labels, mean, stdev);
        if (train) {
            const std::string heldImages = idxFile(dir, "t10k", "images-idx3");
            const std::string heldLabels = idxFile(dir, "t10k", "labels-idx1");
            if (!heldImages.empty() && !heldLabels.empty()) {
                held_ = readImageSplit(heldImages, heldLabels, mean, stdev);
                if (held_.inputs.size(1) != train_.inputs.size(1))
                    throw Error(heldImages + " has images of another size than " + images);
            }
        }
    }
    int inputDim() const override { return static_cast<int>(train_.inputs.size(1)); }
    int classes() const override { return 10; }
    std::string name() const override { return name_; }
    std::string describe() const override {
        return std::string(name_ == "mnist" ? "MNIST" : "Fashion-MNIST") + " from " + dir_ + " (" +
               std::to_string(trainSamples()) + " images, " + std::to_string(heldoutSamples()) +
               " held out)";
    }
    std::int64_t trainSamples() const override { return train_.inputs.size(0); }
    std::int64_t heldoutSamples() const override {
        return held_.inputs.defined() ? held_.inputs.size(0) : 0;
    }
    std::pair<torch::Tensor, torch::Tensor> heldout(std::int64_t first,
                                                    std::int64_t count) const override {
        return {held_.inputs.narrow(0, first, count), held_.labels.narrow(0, first, count)};
    }

protected:
    std::pair<torch::Tensor, torch::Tensor> trainRows(const torch::Tensor& index) const override {
        return {train_.inputs.index_select(0, index), train_.labels.index_select(0, index)};
    }

private:
    std::string dir_, name_;
    Split train_, held_;
};

// Regular files of a folder, sorted by name, without fortune's index files
// (*.dat) and symbolic links (fortune's *.u8 name the same files again).
std::vector<std::string> textFiles(const std::string& dir) {
    std::vector<std::string> files;
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw Error("cannot read the folder '" + dir + "'");
    while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.empty() || name[0] == '.') continue;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".dat") == 0) continue;
        struct stat st {};
        const std::string path = dir + "/" + name;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        files.push_back(path);
    }
    ::closedir(d);
    std::sort(files.begin(), files.end());
    return files;
}

// Character-level text: the vocabulary is the corpus's distinct bytes; the
// first 90 % of the characters train, the last 10 % are held out. A sample
// is a window of seqLen + 1 characters (inputs and the next character of
// each position) at a multiple of seqLen.
class Text final : public Dataset {
public:
    Text(int batchSize, const std::string& path, int seqLen) : Dataset(batchSize), path_(path) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            throw Error("no file or folder '" + path + "'" +
                        (path == kFortunesDir ? " (install the Debian package fortunes)" : ""));
        std::string corpus;
        if (S_ISDIR(st.st_mode)) {
            for (const std::string& f : textFiles(path)) {
                const std::string text = readMaybeGzip(f, kMaxTextBytes);
                if (text.find('\0') != std::string::npos) continue;  // not text
                corpus += text;
                if (corpus.size() > kMaxTextBytes)
                    throw Error("the text in '" + path + "' is over " +
                                std::to_string(kMaxTextBytes >> 20) + " MiB");
                ++files_;
            }
        } else {
            corpus = readMaybeGzip(path, kMaxTextBytes);
            files_ = 1;
        }
        const auto n = static_cast<std::int64_t>(corpus.size());
        const std::int64_t heldChars = n / 10;
        const std::int64_t trainChars = n - heldChars;
        // At least one window in each split (and two to train on).
        if (trainChars < 2 * (seqLen + 1) || heldChars < seqLen + 1)
            throw Error("the text in '" + path + "' has " + std::to_string(n) +
                        " characters, too few for a context of " + std::to_string(seqLen) +
                        " (at least " + std::to_string(20 * (seqLen + 1)) + " are needed)");
        std::array<std::int64_t, 256> ids{};  // 1-based token of each byte, 0 if absent
        std::array<std::int64_t, 256> counts{};
        for (unsigned char c : corpus) ids[c] = 1;
        for (int c = 0; c < 256; ++c)
            if (ids[c]) ids[c] = ++vocab_;
        torch::Tensor tokens = torch::empty({n}, torch::kLong);
        auto* t = tokens.data_ptr<std::int64_t>();
        for (std::int64_t i = 0; i < n; ++i) {
            const auto c = static_cast<unsigned char>(corpus[static_cast<std::size_t>(i)]);
            t[i] = ids[c] - 1;
            if (i < trainChars) ++counts[c];
        }
        for (std::int64_t k : counts) {
            if (k == 0) continue;
            const double p = static_cast<double>(k) / static_cast<double>(trainChars);
            unigram_ -= p * std::log(p);
        }
        train_ = windows(tokens.narrow(0, 0, trainChars), seqLen);
        held_ = windows(tokens.narrow(0, trainChars, heldChars), seqLen);
        chars_ = n;
        seqLen_ = seqLen;
    }
    int inputDim() const override { return seqLen_; }
    int classes() const override { return vocab_; }
    bool isText() const override { return true; }
    std::string name() const override { return "text"; }
    std::string describe() const override {
        return "text from " + path_ + " (" + std::to_string(files_) + " file" +
               (files_ == 1 ? "" : "s") + ", " + std::to_string(chars_) + " characters, " +
               std::to_string(vocab_) + " distinct, context " + std::to_string(seqLen_) + ")";
    }
    std::int64_t trainSamples() const override { return train_.size(0); }
    std::int64_t heldoutSamples() const override { return held_.size(0); }
    std::pair<torch::Tensor, torch::Tensor> heldout(std::int64_t first,
                                                    std::int64_t count) const override {
        torch::Tensor w = held_.narrow(0, first, count);
        return {w.narrow(1, 0, seqLen_), w.narrow(1, 1, seqLen_)};
    }
    double unigramLoss() const override { return unigram_; }

protected:
    std::pair<torch::Tensor, torch::Tensor> trainRows(const torch::Tensor& index) const override {
        torch::Tensor w = train_.index_select(0, index);
        return {w.narrow(1, 0, seqLen_).contiguous(), w.narrow(1, 1, seqLen_).contiguous()};
    }

private:
    // [count, seqLen + 1] windows starting at multiples of seqLen.
    static torch::Tensor windows(const torch::Tensor& tokens, int seqLen) {
        const std::int64_t count = (tokens.size(0) - 1) / seqLen;
        return tokens.unfold(0, seqLen + 1, seqLen).narrow(0, 0, count).contiguous();
    }
    std::string path_;
    int files_ = 0;
    int vocab_ = 0;
    int seqLen_ = 0;
    std::int64_t chars_ = 0;
    double unigram_ = 0.0;
    torch::Tensor train_, held_;
};

}  // namespace

double Dataset::unigramLoss() const {
    return std::numeric_limits<double>::quiet_NaN();
}

std::int64_t Dataset::batchesPerEpoch() const {
    const std::int64_t n = trainSamples();
    return n == 0 ? 0 : std::max<std::int64_t>(1, n / batchSize_);
}

void Dataset::setShuffle(bool on, std::uint64_t seed) {
    shuffle_ = on;
    shuffleSeed_ = seed;
}

torch::Tensor Dataset::indices(int batch) const {
    const std::int64_t n = trainSamples();
    const std::int64_t bs = batchSize_;
    if (!shuffle_)
        return (torch::arange(bs, torch::kLong) + static_cast<std::int64_t>(batch) * bs) % n;
    const std::int64_t perEpoch = batchesPerEpoch();
    const std::int64_t epoch = batch / perEpoch;
    auto gen = at::detail::createCPUGenerator(
        mix(shuffleSeed_ ^ 0x5A5A5A5AULL, 0xE90C0000ULL + static_cast<std::uint64_t>(epoch)));
    torch::Tensor perm = at::randperm(n, gen, torch::kLong);
    // A batch size above the split's size wraps around its permutation.
    return perm.index_select(0, (torch::arange(bs, torch::kLong) + (batch % perEpoch) * bs) % n);
}

std::pair<torch::Tensor, torch::Tensor> Dataset::makeBatch(int batch) const {
    return trainRows(indices(batch));
}

std::pair<torch::Tensor, torch::Tensor> Dataset::trainRows(const torch::Tensor&) const {
    throw std::logic_error("trainRows of a data set without samples");
}

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

std::string readMaybeGzip(const std::string& path, std::uint64_t maxBytes) {
    std::string raw = readFile(path, maxBytes);
    if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
        static_cast<unsigned char>(raw[1]) != 0x8b)
        return raw;
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        throw Error(path + ": cannot start gzip decompression");
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    int rc = Z_OK;
    char buffer[1 << 16];
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buffer);
        z.avail_out = sizeof buffer;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - z.avail_out);
        if (out.size() > maxBytes) {
            inflateEnd(&z);
            throw Error(path + ": over " + std::to_string(maxBytes >> 20) + " MiB uncompressed");
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended mid-stream
        if (rc == Z_BUF_ERROR) rc = Z_OK;                 // output full: go on
    }
    inflateEnd(&z);
    if (rc == Z_STREAM_END) return out;
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) throw Error(path + ": corrupt gzip data");
    throw Error(path + ": truncated gzip data (the compressed stream ends early)");
}

std::unique_ptr<Dataset> createDataset(const std::string& source, const DataConfig& c) {
    auto after = [&](const std::string& prefix) { return source.substr(prefix.size()); };
    auto startsWith = [&](const std::string& prefix) { return source.rfind(prefix, 0) == 0; };
    auto images = [&](const std::string& dir, const std::string& name, double mean,
                      double stdev) -> std::unique_ptr<Dataset> {
        if (c.classes != 10)
            throw Error(name + " has 10 classes, the model has " + std::to_string(c.classes));
        if (dir.empty()) throw Error("--data " + name + ":DIR needs a folder");
        return std::make_unique<ImageSet>(c.batchSize, dir, name, mean, stdev);
    };
    if (startsWith("mnist:")) return images(after("mnist:"), "mnist", 0.1307, 0.3081);
    if (source == "fashion-mnist") return images(kFashionMnistDir, "fashion-mnist", 0.2860, 0.3530);
    if (startsWith("fashion-mnist:"))
        return images(after("fashion-mnist:"), "fashion-mnist", 0.2860, 0.3530);
    if (source == "text" || startsWith("text:")) {
        const std::string path = source == "text" ? std::string(kFortunesDir) : after("text:");
        if (path.empty()) throw Error("--data text:PATH needs a file or folder");
        if (c.seqLen < 1) throw Error("the context length must be at least 1");
        return std::make_unique<Text>(c.batchSize, path, c.seqLen);
    }
    if (source != "synthetic") throw Error("unknown data source '" + source + "'");
    return std::make_unique<Synthetic>(c.batchSize, c.hidden, c.classes, c.seed);
}

std::unique_ptr<Dataset> createDataset(const std::string& source, int batchSize, int hidden,
                                       int classes, std::uint64_t seed) {
    DataConfig c;
    c.batchSize = batchSize;
    c.hidden = hidden;
    c.classes = classes;
    c.seed = seed;
    return createDataset(source, c);
}

}  // namespace pd::data
