// The engine's small JSON value: dump/parse round trips, escaping, exact
// numbers, ordered objects, and one clear message for bad input.
#include <QtTest>
#include <cmath>
#include <limits>
#include <random>

#include "engine/base/json.h"

using pd::json::Value;

namespace {

Value parsed(const QString& text) {
    std::string error;
    Value v = pd::json::parse(text.toStdString(), error);
    if (!error.empty()) qWarning("%s", error.c_str());
    return v;
}

// A random value tree with awkward strings and numbers.
Value randomValue(std::mt19937_64& rng, int depth) {
    const int kind = int(rng() % (depth > 3 ? 5 : 7));
    switch (kind) {
        case 0:
            return Value();
        case 1:
            return Value(rng() % 2 == 0);
        case 2:
            return Value(std::int64_t(rng()));
        case 3: {
            const double d = std::ldexp(double(std::int64_t(rng())), int(rng() % 200) - 100);
            return Value(d);
        }
        case 4: {
            std::string s;
            for (int i = int(rng() % 12); i > 0; --i) s += char(rng() % 128);
            s += "\xc3\xa9\xe2\x82\xac";  // UTF-8 passes through
            return Value(s);
        }
        case 5: {
            Value a = Value::array();
            for (int i = int(rng() % 5); i > 0; --i) a.push(randomValue(rng, depth + 1));
            return a;
        }
        default: {
            Value o = Value::object();
            for (int i = int(rng() % 5); i > 0; --i)
                o.set("k" + std::to_string(rng() % 100), randomValue(rng, depth + 1));
            return o;
        }
    }
}

}  // namespace

class TestJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scalarsDump_data();
    void scalarsDump();
    void stringEscaping_data();
    void stringEscaping();
    void unicodeEscapesDecode_data();
    void unicodeEscapesDecode();
    void numbersRoundTrip_data();
    void numbersRoundTrip();
    void integersStayExact();
    void objectsKeepInsertionOrder();
    void repeatedKeysInParsedObjects();
    void valueLimit();
    void prettyPrint();
    void randomTreesRoundTrip();
    void agreesWithQtJson();
    void accessorsAreForgiving();
    void badJson_data();
    void badJson();
    void deepNestingIsAnErrorNotACrash();
    void independentOfCLocale();
};

void TestJson::scalarsDump_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("null") << "null"
                          << "null";
    QTest::newRow("true") << "true"
                          << "true";
    QTest::newRow("false") << "false"
                           << "false";
    QTest::newRow("int") << "int"
                         << "-42";
    QTest::newRow("int64 max") << "int64max"
                               << "9223372036854775807";
    QTest::newRow("double") << "double"
                            << "0.1";
    QTest::newRow("whole double") << "wholedouble"
                                  << "3";
    QTest::newRow("nan") << "nan"
                         << "null";
    QTest::newRow("inf") << "inf"
                         << "null";
    QTest::newRow("string") << "string"
                            << "\"hi\"";
    QTest::newRow("empty array") << "array"
                                 << "[]";
    QTest::newRow("empty object") << "object"
                                  << "{}";
}

void TestJson::scalarsDump() {
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    Value v;
    if (kind == "true") v = Value(true);
    if (kind == "false") v = Value(false);
    if (kind == "int") v = Value(-42);
    if (kind == "int64max") v = Value(std::numeric_limits<std::int64_t>::max());
    if (kind == "double") v = Value(0.1);
    if (kind == "wholedouble") v = Value(3.0);
    if (kind == "nan") v = Value(std::numeric_limits<double>::quiet_NaN());
    if (kind == "inf") v = Value(std::numeric_limits<double>::infinity());
    if (kind == "string") v = Value("hi");
    if (kind == "array") v = Value::array();
    if (kind == "object") v = Value::object();
    QCOMPARE(QString::fromStdString(v.dump()), expected);
    QCOMPARE(QString::fromStdString(v.dump(2)), expected);
}

void TestJson::stringEscaping_data() {
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("json");
    QTest::newRow("quote") << QByteArray("a\"b") << R"("a\"b")";
    QTest::newRow("backslash") << QByteArray("a\\b") << R"("a\\b")";
    QTest::newRow("newline tab") << QByteArray("a\nb\tc\r") << R"("a\nb\tc\r")";
    QTest::newRow("backspace formfeed") << QByteArray("\b\f") << R"("\b\f")";
    QTest::newRow("control") << QByteArray("\x01\x1f", 2) << R"("\u0001\u001f")";
    QTest::newRow("nul") << QByteArray("a\0b", 3) << R"("a\u0000b")";
    QTest::newRow("slash not escaped") << QByteArray("a/b") << R"("a/b")";
    QTest::newRow("utf8 as is") << QByteArray("GPU0 \xc2\xb7 \xf0\x9f\x98\x80")
                                << QString::fromUtf8("\"GPU0 \xc2\xb7 \xf0\x9f\x98\x80\"");
}

void TestJson::stringEscaping() {
    QFETCH(QByteArray, raw);
    QFETCH(QString, json);
    const std::string s = raw.toStdString();
    QCOMPARE(QString::fromStdString(Value(s).dump()), json);
    QCOMPARE(QString::fromStdString(pd::json::quote(s)), json);
    std::string error;
    const Value back = pd::json::parse(Value(s).dump(), error);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(QByteArray::fromStdString(back.toString()), raw);
    // Qt's parser reads our escaping the same way.
    const QJsonDocument doc = QJsonDocument::fromJson("[" + json.toUtf8() + "]");
    QCOMPARE(doc.array().at(0).toString().toUtf8(), raw);
}

void TestJson::unicodeEscapesDecode_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QByteArray>("utf8");
    QTest::newRow("ascii") << R"("\u0041")" << QByteArray("A");
    QTest::newRow("two bytes") << R"("\u00e9")" << QByteArray("\xc3\xa9");
    QTest::newRow("three bytes") << R"("\u20AC")" << QByteArray("\xe2\x82\xac");
    QTest::newRow("surrogate pair") << R"("\ud83d\ude00")" << QByteArray("\xf0\x9f\x98\x80");
    QTest::newRow("solidus") << R"("\/")" << QByteArray("/");
}

void TestJson::unicodeEscapesDecode() {
    QFETCH(QString, json);
    QFETCH(QByteArray, utf8);
    QCOMPARE(QByteArray::fromStdString(parsed(json).toString()), utf8);
}

void TestJson::numbersRoundTrip_data() {
    QTest::addColumn<double>("value");
    for (double d :
         {0.0, -0.5, 0.1, 1.0 / 3.0, 1e-300, 4.9e-324, 1.7976931348623157e308, 123456.789, -2.5e-7,
          6.02214076e23, 9007199254740993.0, 1e21, 0.30000000000000004})
        QTest::addRow("%.17g", d) << d;
}

void TestJson::numbersRoundTrip() {
    QFETCH(double, value);
    const std::string text = Value(value).dump();
    std::string error;
    const Value back = pd::json::parse(text, error);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(back.toDouble(), value);           // bit-exact, not within a tolerance
    QVERIFY2(text.size() <= 24, text.c_str());  // shortest form, not %.17g padding
}

void TestJson::integersStayExact() {
    const std::int64_t big = (std::int64_t(1) << 53) + 1;  // not representable as double
    const Value v(big);
    QCOMPARE(QString::fromStdString(v.dump()), QString::number(big));
    const Value back = parsed(QString::number(big));
    QVERIFY(back.isInteger());
    QCOMPARE(back.toInt(), big);
    QCOMPARE(parsed("-9223372036854775808").toInt(), std::numeric_limits<std::int64_t>::min());
    // Beyond int64 it is still a number, as a double.
    const Value huge = parsed("123456789012345678901234567890");
    QVERIFY(huge.isNumber() && !huge.isInteger());
    QVERIFY(std::fabs(huge.toDouble() / 1.2345678901234568e29 - 1.0) < 1e-15);
    QVERIFY(!parsed("1.0").isInteger());
    QCOMPARE(parsed("1.0").toInt(-1), std::int64_t(1));  // whole doubles still convert
    QCOMPARE(parsed("1.5").toInt(-1), std::int64_t(-1));
    QCOMPARE(parsed("1e2").toInt(-1), std::int64_t(100));
    QVERIFY(Value(3) == Value(3.0));
}

void TestJson::objectsKeepInsertionOrder() {
    Value o;
    o.set("zeta", 1);
    o.set("alpha", 2);
    o.set("mid", 3);
    o.set("alpha", 20);  // replaced in place, not moved
    QCOMPARE(QString::fromStdString(o.dump()), QString(R"({"zeta":1,"alpha":20,"mid":3})"));
    const Value back = parsed(R"({"b":1,"a":2,"c":{"y":1,"x":2}})");
    QCOMPARE(QString::fromStdString(back.dump()), QString(R"({"b":1,"a":2,"c":{"y":1,"x":2}})"));
    QCOMPARE(back.members().front().first, std::string("b"));
}

// The parser builds objects in one pass (objectOf); repeated keys must still
// behave like repeated set() calls: first position, last value. Long keys
// (heap buffers) and short ones (inline buffers) both move.
void TestJson::repeatedKeysInParsedObjects() {
    const std::string longKey(40, 'k');
    std::string text =
        "{\"a\":1,\"" + longKey + "\":2,\"b\":3,\"a\":4,\"c\":5,\"" + longKey + "\":6,\"a\":7";
    for (int i = 0; i < 50; ++i)
        text += ",\"x" + std::to_string(i % 20) + "\":" + std::to_string(i);
    text += "}";
    const Value v = parsed(QString::fromStdString(text));
    Value expected;
    expected.set("a", 1);
    expected.set(longKey, 2);
    expected.set("b", 3);
    expected.set("a", 4);
    expected.set("c", 5);
    expected.set(longKey, 6);
    expected.set("a", 7);
    for (int i = 0; i < 50; ++i) expected.set("x" + std::to_string(i % 20), i);
    QCOMPARE(QString::fromStdString(v.dump()), QString::fromStdString(expected.dump()));
    QCOMPARE(v.size(), std::size_t(4 + 20));
    QCOMPARE(v["a"].toInt(), std::int64_t(7));
    QCOMPARE(v[longKey].toInt(), std::int64_t(6));
    QCOMPARE(v["x3"].toInt(), std::int64_t(43));
}

void TestJson::valueLimit() {
    Value v;
    std::string error;
    QVERIFY2(parse("[0,[1,2]]", v, error, 5), error.c_str());  // the array, 0, [], 1, 2
    QVERIFY(!parse("[0,[1,2]]", v, error, 4));
    QVERIFY2(QString::fromStdString(error).contains("too many values"), error.c_str());
    QVERIFY(v.isNull());
}

void TestJson::prettyPrint() {
    Value o;
    o.set("a", Value(Value::Array{1, "x", Value::object()}));
    o.set("b", Value::array());
    const QString expected = "{\n  \"a\": [\n    1,\n    \"x\",\n    {}\n  ],\n  \"b\": []\n}";
    QCOMPARE(QString::fromStdString(o.dump(2)), expected);
    QCOMPARE(QString::fromStdString(o.dump(0)),
             QString("{\n\"a\": [\n1,\n\"x\",\n{}\n],\n\"b\": []\n}"));
    QVERIFY(parsed(expected) == o);
}

void TestJson::randomTreesRoundTrip() {
    std::mt19937_64 rng(2024);
    for (int i = 0; i < 2000; ++i) {
        const Value v = randomValue(rng, 0);
        for (int indent : {-1, 0, 4}) {
            std::string error;
            const std::string text = v.dump(indent);
            const Value back = pd::json::parse(text, error);
            QVERIFY2(error.empty(), (error + " in " + text).c_str());
            QVERIFY2(back == v, text.c_str());
            QCOMPARE(back.dump(indent), text);
        }
    }
}

void TestJson::agreesWithQtJson() {
    const QByteArray text =
        R"({"traceEvents":[{"name":"F mb0 v0","ts":12,"args":{"x":[true,false,null,-1.25e-3]}}],"u":"\u00e9"})";
    const QJsonDocument doc = QJsonDocument::fromJson(text);
    QVERIFY(!doc.isNull());
    const Value v = parsed(QString::fromUtf8(text));
    QVERIFY(v.isObject());
    const QJsonDocument again = QJsonDocument::fromJson(QByteArray::fromStdString(v.dump()));
    QCOMPARE(again, doc);
    QCOMPARE(QString::fromStdString(v["u"].toString()), doc["u"].toString());
    QCOMPARE(v["traceEvents"][0]["args"]["x"][3].toDouble(), -1.25e-3);
}

void TestJson::accessorsAreForgiving() {
    const Value v = parsed(R"({"a":[1,2],"s":"t"})");
    QVERIFY(v["missing"].isNull());
    QVERIFY(v["a"][5].isNull());
    QVERIFY(v["s"]["x"].isNull());
    QCOMPARE(v["s"].toInt(7), std::int64_t(7));
    QCOMPARE(v["a"].toString(), std::string());
    QCOMPARE(v["a"].size(), std::size_t(2));
    QCOMPARE(v["s"].size(), std::size_t(0));
    QVERIFY(v.contains("a") && !v.contains("b"));
    QVERIFY(v["a"].items()[1] == Value(2));
    QVERIFY(v.items().empty());
}

void TestJson::badJson_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("where");  // "line L, column C (offset O)"
    QTest::addColumn<QString>("what");
    QTest::newRow("empty") << ""
                           << "line 1, column 1 (offset 0)"
                           << "expected a value";
    QTest::newRow("spaces only") << "  \n "
                                 << "line 2, column 2 (offset 4)"
                                 << "expected a value";
    QTest::newRow("trailing comma array") << "[1,]"
                                          << "line 1, column 4 (offset 3)"
                                          << "expected a value";
    QTest::newRow("trailing comma object") << "{\"a\":1,}"
                                           << "line 1, column 8 (offset 7)"
                                           << "expected a string key";
    QTest::newRow("missing colon") << "{\"a\" 1}"
                                   << "line 1, column 6 (offset 5)"
                                   << "expected ':'";
    QTest::newRow("missing comma") << "[1 2]"
                                   << "line 1, column 4 (offset 3)"
                                   << "expected ',' or ']'";
    QTest::newRow("unclosed object") << "{\"a\":1"
                                     << "line 1, column 7 (offset 6)"
                                     << "expected ',' or '}'";
    QTest::newRow("unterminated string") << "\"abc"
                                         << "line 1, column 5 (offset 4)"
                                         << "unterminated string";
    QTest::newRow("raw newline in string") << "\"a\nb\""
                                           << "line 1, column 3 (offset 2)"
                                           << "control character";
    QTest::newRow("bad escape") << R"("\x")"
                                << "line 1, column 3 (offset 2)"
                                << "invalid escape";
    QTest::newRow("bad unicode") << R"("\u12G4")"
                                 << "line 1, column 7 (offset 6)"
                                 << "invalid hex";
    QTest::newRow("lone high surrogate") << R"("\ud83d")"
                                         << "line 1, column 8 (offset 7)"
                                         << "unpaired high surrogate";
    QTest::newRow("lone low surrogate") << R"("\ude00")"
                                        << "line 1, column 8 (offset 7)"
                                        << "unpaired low surrogate";
    QTest::newRow("single quotes") << "{'a':1}"
                                   << "line 1, column 2 (offset 1)"
                                   << "expected a string key";
    QTest::newRow("leading zero") << "01"
                                  << "line 1, column 2 (offset 1)"
                                  << "unexpected text after";
    QTest::newRow("plus sign") << "+1"
                               << "line 1, column 1 (offset 0)"
                               << "unexpected character";
    QTest::newRow("bare dot") << "1."
                              << "line 1, column 3 (offset 2)"
                              << "digits expected after '.'";
    QTest::newRow("exponent without digits") << "1e"
                                             << "line 1, column 3 (offset 2)"
                                             << "digits expected in the exponent";
    QTest::newRow("number too large") << "1e400"
                                      << "line 1, column 1 (offset 0)"
                                      << "out of range";
    QTest::newRow("NaN") << "NaN"
                         << "line 1, column 1 (offset 0)"
                         << "unexpected character";
    QTest::newRow("truncated literal") << "tru"
                                       << "line 1, column 1 (offset 0)"
                                       << "invalid literal";
    QTest::newRow("two values") << "{} {}"
                                << "line 1, column 4 (offset 3)"
                                << "unexpected text after";
    QTest::newRow("third line") << "{\n\"a\": 1,\n\"b\": nul}"
                                << "line 3, column 6 (offset 15)"
                                << "invalid literal";
}

void TestJson::badJson() {
    QFETCH(QString, text);
    QFETCH(QString, where);
    QFETCH(QString, what);
    Value out(5);
    std::string error;
    QVERIFY(!pd::json::parse(text.toStdString(), out, error));
    QVERIFY(out.isNull());
    const QString e = QString::fromStdString(error);
    QVERIFY2(e.startsWith("JSON error at " + where + ": "), qPrintable(e));
    QVERIFY2(e.contains(what), qPrintable(e));
    QVERIFY(!e.contains('\n'));
}

void TestJson::deepNestingIsAnErrorNotACrash() {
    const std::string deep(100000, '[');
    std::string error;
    const Value v = pd::json::parse(deep, error);
    QVERIFY(v.isNull());
    QVERIFY2(QString::fromStdString(error).contains("nesting too deep"), error.c_str());
    const std::string ok = std::string(100, '[') + std::string(100, ']');
    QVERIFY(pd::json::parse(ok, error).isArray());
    QVERIFY(error.empty());
}

// Qt applications set the C locale from the environment; a decimal comma
// must not leak into numbers.
void TestJson::independentOfCLocale() {
    const char* old = std::setlocale(LC_NUMERIC, nullptr);
    const std::string saved = old ? old : "C";
    bool switched = false;
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"})
        if (std::setlocale(LC_NUMERIC, name)) {
            switched = true;
            break;
        }
    const std::string text = Value(0.25).dump();
    std::string error;
    const double back = pd::json::parse("1.5", error).toDouble();
    std::setlocale(LC_NUMERIC, saved.c_str());
    QCOMPARE(QString::fromStdString(text), QString("0.25"));
    QCOMPARE(back, 1.5);
    if (!switched) QSKIP("no comma-decimal locale installed; checked under the C locale only");
}

QTEST_APPLESS_MAIN(TestJson)
#include "tst_json.moc"
