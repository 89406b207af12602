// Tiny data sets the model tests write: 8 x 8 IDX images of 4 classes
// (a bright row band each) and a short repetitive text.
#pragma once

#include <QTemporaryDir>
#include <cstdint>
#include <fstream>
#include <string>

namespace pd::test {

inline void put32(std::ofstream& out, std::uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.write(b, 4);
}

// n images of 8 x 8: class c is a bright c-th row band plus noise, so a
// small cnn can learn it within a few batches.
inline void writeImages(const QString& dir, const char* prefix, int n, unsigned seed) {
    std::ofstream img((dir + "/" + prefix + "-images-idx3-ubyte").toStdString(), std::ios::binary);
    std::ofstream lab((dir + "/" + prefix + "-labels-idx1-ubyte").toStdString(), std::ios::binary);
    put32(img, 0x803);
    put32(img, std::uint32_t(n));
    put32(img, 8);
    put32(img, 8);
    put32(lab, 0x801);
    put32(lab, std::uint32_t(n));
    unsigned r = seed;
    for (int i = 0; i < n; ++i) {
        const int c = i % 4;
        lab.put(char(c));
        for (int p = 0; p < 64; ++p) {
            r = r * 1103515245u + 12345u;
            const int noise = int((r >> 16) % 60);
            img.put(char((p / 8 == 2 * c || p / 8 == 2 * c + 1 ? 180 : 20) + noise));
        }
    }
}

// A short repetitive text: a character model learns it quickly.
inline void writeText(const QString& path) {
    std::ofstream out(path.toStdString(), std::ios::binary);
    for (int i = 0; i < 300; ++i) out << "the cat sat on the mat. ";
}

struct Data {
    QTemporaryDir dir;
    Data() {
        writeImages(dir.path(), "train", 256, 1);
        writeImages(dir.path(), "t10k", 64, 2);
        writeText(dir.path() + "/text.txt");
    }
    std::string images() const { return "mnist:" + dir.path().toStdString(); }
    std::string text() const { return "text:" + (dir.path() + "/text.txt").toStdString(); }
};

}  // namespace pd::test
