// Training data: the synthetic set is deterministic per seed; MNIST IDX
// files (written here, tiny) load with normalised pixels and their labels,
// train through the runtime, and bad files give one clear error.
#include <sys/stat.h>
#include <zlib.h>

#include <QtTest>
#include <fstream>
#include <set>

#include "engine_test_util.h"

using namespace pd;

namespace {

void put32(std::ofstream& out, std::uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.write(b, 4);
}

// n images of side x side pixels; image i has every pixel = (i * 37) % 256,
// label i % 10.
void writeMnist(const QString& dir, int n, int side, std::uint32_t imageMagic = 0x803,
                int labelCount = -1) {
    std::ofstream img((dir + "/train-images-idx3-ubyte").toStdString(), std::ios::binary);
    put32(img, imageMagic);
    put32(img, std::uint32_t(n));
    put32(img, std::uint32_t(side));
    put32(img, std::uint32_t(side));
    for (int i = 0; i < n; ++i)
        for (int p = 0; p < side * side; ++p) img.put(char((i * 37) % 256));
    std::ofstream lab((dir + "/train-labels-idx1-ubyte").toStdString(), std::ios::binary);
    put32(lab, 0x801);
    const int labels = labelCount < 0 ? n : labelCount;
    put32(lab, std::uint32_t(labels));
    for (int i = 0; i < labels; ++i) lab.put(char(i % 10));
}

std::string readBytes(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const QString& path, const std::string& bytes) {
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Replaces `path` by `path`.gz (gzip-compressed), as the Debian package ships them.
void gzipFile(const QString& path) {
    const std::string bytes = readBytes(path);
    gzFile gz = gzopen((path + ".gz").toLocal8Bit().constData(), "wb");
    QVERIFY(gz);
    QCOMPARE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
             static_cast<int>(bytes.size()));
    gzclose(gz);
    QVERIFY(QFile::remove(path));
}

// train-* with n images and t10k-* with `held` images (images i of the
// held-out split: pixel (i * 37 + 11) % 256, label (i + 3) % 10).
void writeSplits(const QString& dir, int n, int held, int side) {
    writeMnist(dir, n, side);
    std::ofstream img((dir + "/t10k-images-idx3-ubyte").toStdString(), std::ios::binary);
    put32(img, 0x803);
    put32(img, std::uint32_t(held));
    put32(img, std::uint32_t(side));
    put32(img, std::uint32_t(side));
    for (int i = 0; i < held; ++i)
        for (int p = 0; p < side * side; ++p) img.put(char((i * 37 + 11) % 256));
    std::ofstream lab((dir + "/t10k-labels-idx1-ubyte").toStdString(), std::ios::binary);
    put32(lab, 0x801);
    put32(lab, std::uint32_t(held));
    for (int i = 0; i < held; ++i) lab.put(char((i + 3) % 10));
}

template <typename F>
QString errorOf(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void syntheticIsDeterministic();
    void mnistLoads();
    void mnistTrains();
    void mnistBadFiles();
    void idxGzipAndHeldout();
    void idxCorruptFiles();
    void fashionMnistDefaultPath();
    void shuffledEpochs();
    void textCorpus();
    void textFolderAndErrors();
};

void TestData::syntheticIsDeterministic() {
    auto a = data::createDataset("synthetic", 16, 32, 10, 5);
    auto b = data::createDataset("synthetic", 16, 32, 10, 5);
    auto c = data::createDataset("synthetic", 16, 32, 10, 6);
    QCOMPARE(a->inputDim(), 32);
    QCOMPARE(a->classes(), 10);
    auto [xa, ya] = a->microbatch(3, 1, 4);
    auto [xb, yb] = b->microbatch(3, 1, 4);
    auto [xc, yc] = c->microbatch(3, 1, 4);
    QCOMPARE(xa.sizes().vec(), (std::vector<std::int64_t>{4, 32}));
    QVERIFY(torch::equal(xa, xb) && torch::equal(ya, yb));
    QVERIFY(!torch::equal(xa, xc));
    // Microbatch m is rows [4m, 4m+4) of the batch; other batches differ.
    auto [x0, y0] = a->microbatch(3, 0, 8);
    QVERIFY(torch::equal(x0.narrow(0, 4, 4), xa));
    QVERIFY(!torch::equal(a->microbatch(4, 1, 4).first, xa));
    QVERIFY(ya.min().item<std::int64_t>() >= 0 && ya.max().item<std::int64_t>() < 10);
}

void TestData::mnistLoads() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    writeMnist(dir.path(), 20, 4);
    auto d = data::createDataset("mnist:" + dir.path().toStdString(), 8, 32, 10, 0);
    QCOMPARE(d->inputDim(), 16);
    QCOMPARE(d->classes(), 10);
    QVERIFY(QString::fromStdString(d->describe()).contains("20 images"));
    // Batch 2 of size 8 wraps around the 20 images: 16..19, 0..3.
    auto [x, y] = d->microbatch(2, 0, 8);
    const std::vector<std::int64_t> expectLabels{6, 7, 8, 9, 0, 1, 2, 3};
    for (int r = 0; r < 8; ++r) {
        const int i = (16 + r) % 20;
        QCOMPARE(y[r].item<std::int64_t>(), expectLabels[r]);
        const double pixel = ((i * 37) % 256) / 255.0;
        QVERIFY(std::abs(x[r][5].item<double>() - (pixel - 0.1307) / 0.3081) < 1e-5);
    }
}

void TestData::mnistTrains() {
    QTemporaryDir dir;
    writeMnist(dir.path(), 64, 6);
    RunOptions o = test::smallOptions(ScheduleKind::OneFOneB, 2, 4);
    o.data = "mnist:" + dir.path().toStdString();
    test::RecordingSink sink;
    TrainingRun run(o, sink);
    QVERIFY(QString::fromStdString(run.dataDescription()).contains("MNIST"));
    run.start();
    QVERIFY(run.wait(std::chrono::seconds(30)));
    QVERIFY(sink.errors.empty());
    QCOMPARE(sink.batchCount(), o.schedule.batches);
    for (const auto& b : sink.batches) QVERIFY(std::isfinite(b.loss));
    // Same as sequential training on the same files.
    const float diff = test::maxAbsDiff(test::runParameters(run),
                                        test::sequentialReference(o, o.schedule.batches));
    QVERIFY(diff < 2e-5f);
}

void TestData::mnistBadFiles() {
    QTemporaryDir missing;
    RunOptions o = test::smallOptions(ScheduleKind::GPipe);
    test::RecordingSink sink;
    o.data = "mnist:" + missing.path().toStdString();
    try {
        TrainingRun run(o, sink);
        QFAIL("no error for a folder without MNIST files");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("train-images-idx3-ubyte"), e.what());
    }
    QTemporaryDir badMagic;
    writeMnist(badMagic.path(), 10, 4, 0x1234);
    o.data = "mnist:" + badMagic.path().toStdString();
    try {
        TrainingRun run(o, sink);
        QFAIL("no error for a bad magic number");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("magic"), e.what());
    }
    // A FIFO named like the images file is refused, not read forever.
    QTemporaryDir fifo;
    writeMnist(fifo.path(), 10, 4);
    const QString images = fifo.path() + "/train-images-idx3-ubyte";
    QVERIFY(QFile::remove(images));
    QCOMPARE(::mkfifo(images.toLocal8Bit().constData(), 0600), 0);
    o.data = "mnist:" + fifo.path().toStdString();
    try {
        TrainingRun run(o, sink);
        QFAIL("no error for a FIFO");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("a FIFO, not a regular file"), e.what());
    }
    QTemporaryDir fewLabels;
    writeMnist(fewLabels.path(), 10, 4, 0x803, 7);
    o.data = "mnist:" + fewLabels.path().toStdString();
    try {
        TrainingRun run(o, sink);
        QFAIL("no error for missing labels");
    } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("label"), e.what());
    }
}

// Gzipped and plain files read alike; t10k-* is the held-out split.
void TestData::idxGzipAndHeldout() {
    QTemporaryDir plain, gz;
    writeSplits(plain.path(), 30, 12, 5);
    writeSplits(gz.path(), 30, 12, 5);
    for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
        gzipFile(gz.path() + "/" + f);
    QVERIFY(!QFile::exists(gz.path() + "/train-images-idx3-ubyte"));
    auto a = data::createDataset("mnist:" + plain.path().toStdString(), 10, 32, 10, 0);
    auto b = data::createDataset("fashion-mnist:" + gz.path().toStdString(), 10, 32, 10, 0);
    QCOMPARE(a->name(), std::string("mnist"));
    QCOMPARE(b->name(), std::string("fashion-mnist"));
    for (auto* d : {a.get(), b.get()}) {
        QCOMPARE(d->inputDim(), 25);
        QCOMPARE(d->trainSamples(), std::int64_t{30});
        QCOMPARE(d->heldoutSamples(), std::int64_t{12});
        QCOMPARE(d->batchesPerEpoch(), std::int64_t{3});
        QVERIFY(std::isnan(d->unigramLoss()));
        auto [x, y] = d->heldout(4, 6);
        QCOMPARE(x.sizes().vec(), (std::vector<std::int64_t>{6, 25}));
        for (int r = 0; r < 6; ++r) QCOMPARE(y[r].item<std::int64_t>(), (4 + r + 3) % 10);
    }
    // Same pixels and labels up to the normalisation (mnist's and fashion's).
    auto [xa, ya] = a->microbatch(1, 0, 10);
    auto [xb, yb] = b->microbatch(1, 0, 10);
    QVERIFY(torch::equal(ya, yb));
    QVERIFY(torch::allclose(xa * 0.3081 + 0.1307, xb * 0.3530 + 0.2860, 1e-5, 1e-5));
    const double pixel = ((14 * 37) % 256) / 255.0;  // sample 14 = row 4 of batch 1
    QVERIFY(std::abs(xb[4][3].item<double>() - (pixel - 0.2860) / 0.3530) < 1e-5);
}

void TestData::idxCorruptFiles() {
    QTemporaryDir dir;
    writeSplits(dir.path(), 30, 12, 5);
    const QString images = dir.path() + "/train-images-idx3-ubyte";
    const std::string whole = readBytes(images);
    const std::string source = "mnist:" + dir.path().toStdString();
    auto load = [&] { data::createDataset(source, 10, 32, 10, 0); };
    // A plain file cut short.
    writeBytes(images, whole.substr(0, whole.size() - 7));
    QString e = errorOf(load);
    QVERIFY2(e.contains("truncated") && e.contains("train-images-idx3-ubyte"), qPrintable(e));
    QVERIFY(!e.contains('\n'));
    // A gzip stream cut short.
    writeBytes(images, whole);
    gzipFile(images);
    const QString gzPath = images + ".gz";
    const std::string gz = readBytes(gzPath);
    writeBytes(gzPath, gz.substr(0, gz.size() / 2));
    e = errorOf(load);
    QVERIFY2(e.contains("truncated gzip") && e.contains(".gz"), qPrintable(e));
    // Corrupt deflate data after a valid gzip header.
    std::string bad = gz;
    for (std::size_t i = 12; i < 40; ++i) bad[i] = char(0xff);
    writeBytes(gzPath, bad);
    e = errorOf(load);
    QVERIFY2(e.contains("corrupt gzip"), qPrintable(e));
    // Bad magic inside a valid gzip file.
    QFile::remove(gzPath);
    std::string magic = whole;
    magic[3] = 0x04;
    writeBytes(images, magic);
    gzipFile(images);
    e = errorOf(load);
    QVERIFY2(e.contains("magic 0x803"), qPrintable(e));
    // Held-out images of another size than the training ones.
    QTemporaryDir mixed;
    writeSplits(mixed.path(), 30, 12, 5);
    QTemporaryDir other;
    writeMnist(other.path(), 12, 6);
    QFile::remove(mixed.path() + "/t10k-images-idx3-ubyte");
    QVERIFY(QFile::copy(other.path() + "/train-images-idx3-ubyte",
                        mixed.path() + "/t10k-images-idx3-ubyte"));
    e = errorOf([&] { data::createDataset("mnist:" + mixed.path().toStdString(), 10, 32, 10, 0); });
    QVERIFY2(e.contains("another size"), qPrintable(e));
    // A folder that does not exist.
    e = errorOf([&] { data::createDataset("fashion-mnist:/nonexistent/x", 10, 32, 10, 0); });
    QVERIFY2(e.contains("no folder '/nonexistent/x'"), qPrintable(e));
}

// `--data fashion-mnist` reads the Debian package's folder: loaded when it
// is installed (a clear error naming the package otherwise).
void TestData::fashionMnistDefaultPath() {
    if (!QFile::exists(QString(data::kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
        const QString e = errorOf([] { data::createDataset("fashion-mnist", 10, 32, 10, 0); });
        QVERIFY2(e.contains("dataset-fashion-mnist"), qPrintable(e));
        return;
    }
    auto d = data::createDataset("fashion-mnist", 100, 32, 10, 0);
    QCOMPARE(d->trainSamples(), std::int64_t{60000});
    QCOMPARE(d->heldoutSamples(), std::int64_t{10000});
    QCOMPARE(d->inputDim(), 784);
}

// With shuffling, every epoch visits each sample once, in a seeded order
// that differs between epochs and seeds.
void TestData::shuffledEpochs() {
    QTemporaryDir dir;
    writeSplits(dir.path(), 40, 4, 3);
    auto order = [&](std::uint64_t seed, int epoch) {
        auto d = data::createDataset("mnist:" + dir.path().toStdString(), 8, 32, 10, 0);
        d->setShuffle(true, seed);
        std::vector<std::int64_t> out;
        for (int b = 5 * epoch; b < 5 * epoch + 5; ++b) {
            auto [x, y] = d->microbatch(b, 0, 8);
            // Sample i's pixel value identifies it: (i * 37) % 256, distinct for i < 40.
            const auto raw = ((x.select(1, 0) * 0.3081 + 0.1307) * 255.0).round().to(torch::kLong);
            for (int r = 0; r < 8; ++r) {
                const std::int64_t v = raw[r].item<std::int64_t>();
                for (int i = 0; i < 40; ++i)
                    if ((i * 37) % 256 == v) out.push_back(i);
            }
        }
        return out;
    };
    const auto e0 = order(1, 0), e1 = order(1, 1), again = order(1, 0), other = order(2, 0);
    QCOMPARE(e0.size(), std::size_t{40});
    QCOMPARE(std::set<std::int64_t>(e0.begin(), e0.end()).size(), std::size_t{40});
    QCOMPARE(std::set<std::int64_t>(e1.begin(), e1.end()).size(), std::size_t{40});
    QVERIFY(e0 == again);
    QVERIFY(e0 != e1);
    QVERIFY(e0 != other);
}

void TestData::textCorpus() {
    QTemporaryDir dir;
    // 2000 characters over the alphabet "ab\n" with known frequencies.
    std::string text;
    for (int i = 0; i < 2000; ++i) text += i % 4 == 3 ? '\n' : (i % 4 == 0 ? 'b' : 'a');
    writeBytes(dir.path() + "/corpus.txt", text);
    data::DataConfig c;
    c.batchSize = 4;
    c.seqLen = 16;
    auto d = data::createDataset("text:" + (dir.path() + "/corpus.txt").toStdString(), c);
    QVERIFY(d->isText());
    QCOMPARE(d->name(), std::string("text"));
    QCOMPARE(d->classes(), 3);
    QCOMPARE(d->inputDim(), 16);
    // 1800 training characters: windows of 17 at multiples of 16.
    QCOMPARE(d->trainSamples(), std::int64_t{(1800 - 1) / 16});
    QCOMPARE(d->heldoutSamples(), std::int64_t{(200 - 1) / 16});
    // Frequencies 1/2, 1/4, 1/4 in the training part.
    const double h = -(0.5 * std::log(0.5) + 2 * 0.25 * std::log(0.25));
    QVERIFY(std::abs(d->unigramLoss() - h) < 1e-3);
    auto [x, y] = d->microbatch(0, 1, 2);  // samples 2 and 3
    QCOMPARE(x.sizes().vec(), (std::vector<std::int64_t>{2, 16}));
    QCOMPARE(x.scalar_type(), torch::kLong);
    // Labels are the inputs shifted by one character.
    QVERIFY(torch::equal(x.narrow(1, 1, 15), y.narrow(1, 0, 15)));
    // Tokens: '\n' = 0, 'a' = 1, 'b' = 2 (byte order); sample 2 starts at character 32.
    const std::string ids = "\nab";
    for (int t = 0; t < 16; ++t)
        QCOMPARE(ids[static_cast<std::size_t>(x[0][t].item<std::int64_t>())],
                 text[static_cast<std::size_t>(32 + t)]);
    auto [hx, hy] = d->heldout(0, 2);
    for (int t = 0; t < 16; ++t)
        QCOMPARE(ids[static_cast<std::size_t>(hx[0][t].item<std::int64_t>())],
                 text[static_cast<std::size_t>(1800 + t)]);
    QVERIFY(torch::equal(hx.narrow(1, 1, 15), hy.narrow(1, 0, 15)));
}

void TestData::textFolderAndErrors() {
    QTemporaryDir dir;
    std::string one(600, 'x'), two(600, 'y');
    writeBytes(dir.path() + "/one", one);
    writeBytes(dir.path() + "/two", two);
    writeBytes(dir.path() + "/one.dat", std::string("\0\1\2zzzz", 7));  // fortune's index
    QVERIFY(QFile::link(dir.path() + "/one", dir.path() + "/one.u8"));
    data::DataConfig c;
    c.batchSize = 2;
    c.seqLen = 8;
    auto d = data::createDataset("text:" + dir.path().toStdString(), c);
    QCOMPARE(d->classes(), 2);  // x and y only: the index and the link are skipped
    QVERIFY2(QString::fromStdString(d->describe()).contains("2 files, 1200 characters"),
             d->describe().c_str());
    // Too short for the context: one line saying so.
    c.seqLen = 200;
    QString e = errorOf([&] { data::createDataset("text:" + dir.path().toStdString(), c); });
    QVERIFY2(e.contains("too few for a context of 200"), qPrintable(e));
    e = errorOf([&] { data::createDataset("text:/nonexistent/corpus", c); });
    QVERIFY2(e.contains("no file or folder"), qPrintable(e));
    e = errorOf([&] { data::createDataset("text:", c); });
    QVERIFY2(e.contains("needs a file or folder"), qPrintable(e));
    // A gzipped text reads like the plain one.
    writeBytes(dir.path() + "/solo", one + two);
    gzipFile(dir.path() + "/solo");
    c.seqLen = 8;
    auto z = data::createDataset("text:" + (dir.path() + "/solo.gz").toStdString(), c);
    QCOMPARE(z->classes(), 2);
    QCOMPARE(z->trainSamples(), d->trainSamples());
}

QTEST_GUILESS_MAIN(TestData)
#include "tst_data.moc"
