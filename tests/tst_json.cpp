// The engine's JSON layer over nlohmann-json: what we promise beyond the
// library. A parse that reports line, column and offset instead of
// throwing, bounded values and nesting, forgiving reads of members that may
// be missing, written objects in insertion order, output that never throws on
// bytes that are not UTF-8, NaN as null, and numbers that do not depend on
// the C locale.
#include <QtTest>
#include <clocale>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/base/json.h"
#include "error_test_util.h"

using pd::json::Ordered;
using pd::json::Value;

namespace {

Value parsed(const std::string& text) {
    try {
        return pd::json::parse(text);
    } catch (const pd::Error& e) {
        qWarning("%s", e.what());
        return Value();
    }
}

// A random tree with awkward strings and numbers, built in insertion order.
Ordered randomTree(std::mt19937_64& rng, int depth) {
    switch (int(rng() % (depth > 3 ? 5 : 7))) {
        case 0:
            return nullptr;
        case 1:
            return rng() % 2 == 0;
        case 2:
            return std::int64_t(rng());
        case 3:
            return std::ldexp(double(std::int64_t(rng())), int(rng() % 200) - 100);
        case 4: {
            std::string s;
            for (int i = int(rng() % 12); i > 0; --i) s += char(rng() % 128);
            return s + "\xc3\xa9\xe2\x82\xac";  // UTF-8 passes through
        }
        case 5: {
            Ordered a = Ordered::array();
            for (int i = int(rng() % 5); i > 0; --i) a.push_back(randomTree(rng, depth + 1));
            return a;
        }
        default: {
            Ordered o = Ordered::object();
            for (int i = int(rng() % 5); i > 0; --i)
                o["k" + std::to_string(rng() % 100)] = randomTree(rng, depth + 1);
            return o;
        }
    }
}

}  // namespace

class TestJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writtenObjectsKeepInsertionOrder() {
        Ordered o = Ordered::object();
        o["zeta"] = 1;
        o["alpha"] = 2;
        o["mid"] = Ordered::array();
        o["zeta"] = 3;  // an existing key keeps its place
        QCOMPARE(QString::fromStdString(pd::json::dump(o)),
                 QString(R"({"zeta":3,"alpha":2,"mid":[]})"));
        QCOMPARE(QString::fromStdString(pd::json::dump(o, 2)),
                 QString("{\n  \"zeta\": 3,\n  \"alpha\": 2,\n  \"mid\": []\n}"));
    }

    void notJsonNumbersAndBytesStillDump() {
        Ordered o = Ordered::object();
        o["nan"] = std::nan("");
        o["inf"] = std::numeric_limits<double>::infinity();
        o["big"] = std::numeric_limits<std::int64_t>::max();
        o["tenth"] = 0.1;
        o["bytes"] = std::string("ok\xff\xfe!");  // not UTF-8: a stage name from a file
        const std::string text = pd::json::dump(o);
        QVERIFY2(text.find(R"("nan":null,"inf":null)") != std::string::npos, text.c_str());
        QVERIFY2(text.find(R"("big":9223372036854775807)") != std::string::npos, text.c_str());
        QVERIFY2(text.find(R"("tenth":0.1)") != std::string::npos, text.c_str());
        QVERIFY2(text.find("\"ok\xef\xbf\xbd\xef\xbf\xbd!\"") != std::string::npos, text.c_str());
        QVERIFY(parsed(text).is_object());  // what we write, we read
    }

    void randomTreesRoundTripAndAgreeWithQt() {
        std::mt19937_64 rng(2024);
        for (int i = 0; i < 1000; ++i) {
            const Ordered tree = randomTree(rng, 0);
            const std::string text = pd::json::dump(tree);
            Value back;
            const auto error = errorOf([&] { back = pd::json::parse(text); });
            QVERIFY2(!error, (messageOf(error) + (" in " + text)).c_str());
            QCOMPARE(QString::fromStdString(pd::json::dump(back)),
                     QString::fromStdString(pd::json::dump(Value(tree))));
            QJsonParseError qtError;
            QJsonDocument::fromJson(QByteArray::fromStdString("[" + text + "]"), &qtError);
            QVERIFY2(qtError.error == QJsonParseError::NoError, text.c_str());
        }
    }

    void readsTolerateMissingMembers() {
        const Value v = parsed(R"({"a":[1,2],"s":"t","n":-7,"u":18446744073709551615,"d":2.5})");
        QVERIFY(pd::json::member(v, "missing").is_null());
        QVERIFY(pd::json::member(pd::json::member(v, "s"), "x").is_null());
        QVERIFY(pd::json::member(pd::json::member(v, "a"), "x").is_null());
        QCOMPARE(pd::json::text(pd::json::member(v, "s")), std::string("t"));
        QCOMPARE(pd::json::text(pd::json::member(v, "a")), std::string());
        std::int64_t i = 0;
        QVERIFY(pd::json::integer(pd::json::member(v, "n"), i));
        QCOMPARE(i, std::int64_t(-7));
        QVERIFY(!pd::json::integer(pd::json::member(v, "u"), i));  // past int64
        QVERIFY(!pd::json::integer(pd::json::member(v, "d"), i));
        QVERIFY(!pd::json::integer(pd::json::member(v, "s"), i));
    }

    void badJson_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::newRow("empty") << ""
                               << "line 1, column 1 (offset 0)";
        QTest::newRow("spaces only") << "  \n "
                                     << "line 2, column 2 (offset 4)";
        QTest::newRow("trailing comma") << "[1,]"
                                        << "line 1, column 4 (offset 3)";
        QTest::newRow("missing colon") << "{\"a\" 1}"
                                       << "line 1, column 6 (offset 5)";
        // The byte at which reading failed: the '}' that cut "tru" short.
        QTest::newRow("second line") << "{\n\"a\": tru}"
                                     << "line 2, column 9 (offset 10)";
        QTest::newRow("trailing text") << "{} x"
                                       << "line 1, column 4 (offset 3)";
    }
    void badJson() {
        QFETCH(QString, text);
        QFETCH(QString, where);
        const auto error = errorOf([&] { pd::json::parse(text.toStdString()); });
        QVERIFY(error);
        const QString e = QString::fromStdString(*error);
        QVERIFY2(e.startsWith("JSON error at " + where + ": "), error->c_str());
        QVERIFY2(!e.contains("json.exception") && !e.contains('\n'), error->c_str());
    }

    void valuesAreBounded() {
        QVERIFY_THROWS_NO_EXCEPTION(pd::json::parse("[0,[1,2]]", 5));  // [], 0, [], 1, 2
        const auto error = errorOf([] { pd::json::parse("[0,[1,2]]", 4); });
        QVERIFY(error);
        QVERIFY2(QString::fromStdString(*error).contains("too many values"), error->c_str());
        QVERIFY(errorOf([] { pd::json::parse(R"({"a":1,"b":2})", 2); }));
    }

    void deepNestingIsAnErrorNotACrash() {
        const auto error = errorOf([] { pd::json::parse(std::string(100000, '[')); });
        QVERIFY(error);
        QVERIFY2(QString::fromStdString(*error).contains("nesting too deep"), error->c_str());
        const std::string ok = std::string(100, '[') + std::string(100, ']');
        QVERIFY(parsed(ok).is_array());
    }

    void manyKeysParse() {
        std::string text = "{";
        for (int i = 0; i < 300000; ++i)
            text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
        text += ",\"k7\":-1}";  // a repeated key: the last value
        const Value v = parsed(text);
        QCOMPARE(v.size(), std::size_t(300000));
        std::int64_t i = 0;
        QVERIFY(pd::json::integer(pd::json::member(v, "k299999"), i) && i == 299999);
        QVERIFY(pd::json::integer(pd::json::member(v, "k7"), i) && i == -1);
    }

    // Qt applications set the C locale from the environment; a decimal comma
    // must not leak into numbers either way.
    void independentOfCLocale() {
        const char* old = std::setlocale(LC_NUMERIC, nullptr);
        const std::string saved = old ? old : "C";
        bool switched = false;
        for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"})
            if (std::setlocale(LC_NUMERIC, name)) {
                switched = true;
                break;
            }
        const std::string text = pd::json::dump(Ordered(0.25));
        Value back;
        const auto error = errorOf([&] { back = pd::json::parse("1.5"); });
        std::setlocale(LC_NUMERIC, saved.c_str());
        QCOMPARE(QString::fromStdString(text), QString("0.25"));
        QVERIFY2(!error, messageOf(error));
        QCOMPARE(back.get<double>(), 1.5);
        if (!switched) QSKIP("no comma-decimal locale installed; checked under the C locale only");
    }
};

QTEST_APPLESS_MAIN(TestJson)
#include "tst_json.moc"
