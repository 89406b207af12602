// SHA-256 and HMAC-SHA256 (engine/base/sha256.h) against published vectors:
// FIPS 180-4 examples (one block, two blocks, a million 'a') and RFC 4231's
// HMAC test cases 1-4, 6 and 7 (case 5 is a truncated output).
#include <QtTest>

#include "engine/base/sha256.h"

using namespace pd;

namespace {

std::string fromHex(const char* hex) {
    std::string out;
    for (std::size_t i = 0; hex[i] && hex[i + 1]; i += 2)
        out += static_cast<char>(std::stoi(std::string(hex + i, 2), nullptr, 16));
    return out;
}

}  // namespace

class TestSha256 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sha256Vectors_data() {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("digest");
        QTest::newRow("empty")
            << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc") << QByteArray("abc")
                             << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("two blocks")
            << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("a million a")
            << QByteArray(1000000, 'a')
            << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        QTest::newRow("55 bytes (one block)")
            << QByteArray(55, 'x') << QString::fromStdString(toHex(sha256(std::string(55, 'x'))));
    }
    void sha256Vectors() {
        QFETCH(QByteArray, message);
        QFETCH(QString, digest);
        QCOMPARE(QString::fromStdString(
                     toHex(sha256(std::string_view(message.constData(), message.size())))),
                 digest);
    }
    void hmacRfc4231_data() {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("mac");
        auto b = [](const std::string& s) { return QByteArray(s.data(), int(s.size())); };
        QTest::newRow("case 1")
            << b(std::string(20, '\x0b')) << QByteArray("Hi There")
            << "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
        QTest::newRow("case 2")
            << QByteArray("Jefe") << QByteArray("what do ya want for nothing?")
            << "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        QTest::newRow("case 3")
            << b(std::string(20, '\xaa')) << b(std::string(50, '\xdd'))
            << "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
        QTest::newRow("case 4")
            << b(fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"))
            << b(std::string(50, '\xcd'))
            << "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
        QTest::newRow("case 6")
            << b(std::string(131, '\xaa'))
            << QByteArray("Test Using Larger Than Block-Size Key - Hash Key First")
            << "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
        QTest::newRow("case 7")
            << b(std::string(131, '\xaa'))
            << QByteArray(
                   "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the "
                   "HMAC algorithm.")
            << "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";
    }
    void hmacRfc4231() {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, data);
        QFETCH(QString, mac);
        QCOMPARE(QString::fromStdString(
                     toHex(hmacSha256(std::string_view(key.constData(), key.size()),
                                      std::string_view(data.constData(), data.size())))),
                 mac);
    }
    void helpers() {
        QVERIFY(equalConstantTime("abc", "abc"));
        QVERIFY(!equalConstantTime("abc", "abd"));
        QVERIFY(!equalConstantTime("abc", "ab"));
        const std::string a = randomBytes(32), b = randomBytes(32);
        QCOMPARE(a.size(), std::size_t(32));
        QVERIFY(a != b);
        QCOMPARE(toHex(std::string("\x01\xff", 2)), std::string("01ff"));
    }
};

QTEST_APPLESS_MAIN(TestSha256)
#include "tst_sha256.moc"
