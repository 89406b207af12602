// Training data: the synthetic set is deterministic per seed; MNIST IDX
// files (written here, tiny) load with normalised pixels and their labels,
// train through the runtime, and bad files give one clear error.
#include <sys/stat.h>

#include <QtTest>
#include <fstream>

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

}  // namespace

class TestData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void syntheticIsDeterministic();
    void mnistLoads();
    void mnistTrains();
    void mnistBadFiles();
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
    // issue 12, item 5: a FIFO named like the images file blocked forever.
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

QTEST_GUILESS_MAIN(TestData)
#include "tst_data.moc"
