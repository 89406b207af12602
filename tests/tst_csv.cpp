// The CSV format of architecture.md: the exact header and rows, round trips
// of every schedule and of random events, the optional mismatch column, CRLF,
// and malformed input rejected with its line in one printable line.
#include "trace_test_util.h"

using namespace pd;
using namespace pd::tracetest;

class TestCsv : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void csvHeaderIsExact();
    void csvRowFormat();
    void csvRoundTripSchedule_data();
    void csvRoundTripSchedule();
    void csvRoundTripRandom();
    void csvWithoutMismatchColumn();
    void csvAcceptsCrlfAndEmpty();
    void csvMalformed_data();
    void csvMalformed();
    void messagesEscapeControlBytes();
};

void TestCsv::csvHeaderIsExact() {
    // architecture.md: header exactly this, mismatch column appended after.
    QCOMPARE(QString(kCsvHeader),
             QString("batch,stage,microbatch,op,chunk,version,start_us,end_us"));
    const QString csv = QString::fromStdString(toCsv({}));
    QCOMPARE(csv, QString(kCsvHeader) + ",mismatch\n");
}

void TestCsv::csvRowFormat() {
    SlotEvent f;
    f.batch = 2;
    f.stage = 3;
    f.microbatch = 1;
    f.op = Op::F;
    f.chunk = 1;
    f.version = 7;
    f.startUs = 1500;
    f.endUs = 2750;
    SlotEvent u = f;
    u.op = Op::U;
    u.microbatch = -1;
    u.version = 8;
    u.mismatch = true;
    const QStringList lines = QString::fromStdString(toCsv({f, u})).split('\n');
    QCOMPARE(lines.size(), 4);  // header, two rows, empty after the final newline
    QCOMPARE(lines[1], QString("2,3,1,F,1,7,1500,2750,0"));
    QCOMPARE(lines[2], QString("2,3,-1,U,1,8,1500,2750,1"));
    QCOMPARE(lines[3], QString());
}

void TestCsv::csvRoundTripSchedule_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<bool>("noStash");
    for (ScheduleKind kind : allScheduleKinds()) QTest::newRow(toString(kind)) << kind << false;
    QTest::newRow("pipedream no-stash") << ScheduleKind::PipeDream << true;
}

void TestCsv::csvRoundTripSchedule() {
    QFETCH(ScheduleKind, kind);
    QFETCH(bool, noStash);
    ScheduleConfig c = config(kind, 4, 8, 3);
    c.stash = !noStash;
    const auto slots = scheduleSlots(c);
    QVERIFY(!slots.empty());
    const bool hasU =
        std::any_of(slots.begin(), slots.end(), [](const SlotEvent& e) { return e.op == Op::U; });
    QVERIFY(hasU);
    if (noStash)
        QVERIFY(
            std::any_of(slots.begin(), slots.end(), [](const SlotEvent& e) { return e.mismatch; }));
    std::vector<SlotEvent> back;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseCsv(toCsv(slots)));
    QVERIFY(back == slots);
}

void TestCsv::csvRoundTripRandom() {
    const auto slots = randomSlots(20000, 7);
    std::vector<SlotEvent> back;
    const std::string csv = toCsv(slots);
    QVERIFY_THROWS_NO_EXCEPTION(back = parseCsv(csv));
    QVERIFY(back == slots);
    QCOMPARE(toCsv(back), csv);
}

void TestCsv::csvWithoutMismatchColumn() {
    const std::string text =
        std::string(kCsvHeader) + "\n0,0,0,F,0,0,0,1000\n0,0,-1,U,0,1,3000,3000\n";
    std::vector<SlotEvent> back;
    std::optional<std::string> error;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseCsv(text));
    QCOMPARE(back.size(), std::size_t(2));
    QCOMPARE(back[1].op, Op::U);
    QCOMPARE(back[1].microbatch, -1);
    QCOMPARE(back[1].version, 1);
    QVERIFY(!back[0].mismatch && !back[1].mismatch);
    // A 9th field is not allowed when the header has 8 columns.
    error = errorOf([&] { back = parseCsv(std::string(kCsvHeader) + "\n0,0,0,F,0,0,0,1000,1\n"); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).startsWith("line 2:"), messageOf(error));
}

void TestCsv::csvAcceptsCrlfAndEmpty() {
    std::vector<SlotEvent> back;
    const std::string crlf = std::string(kCsvHeader) + ",mismatch\r\n1,2,3,B,0,4,10,20,1\r\n";
    QVERIFY_THROWS_NO_EXCEPTION(back = parseCsv(crlf));
    QCOMPARE(back.size(), std::size_t(1));
    QCOMPARE(back[0].op, Op::B);
    QVERIFY(back[0].mismatch);
    QVERIFY_THROWS_NO_EXCEPTION(back = parseCsv(std::string(kCsvHeader)));  // no final newline
    QVERIFY(back.empty());
}

void TestCsv::csvMalformed_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("prefix");
    const QString h = QString(kCsvHeader) + ",mismatch\n";
    const QString good = "0,0,0,F,0,0,0,100,0\n";
    QTest::newRow("empty file") << ""
                                << "line 1:";
    QTest::newRow("wrong header") << "batch,stage\n"
                                  << "line 1:";
    QTest::newRow("header reordered") << "stage,batch,microbatch,op,chunk,version,start_us,end_us\n"
                                      << "line 1:";
    QTest::newRow("header extra column") << QString(kCsvHeader) + ",mismatch,x\n"
                                         << "line 1:";
    QTest::newRow("too few fields") << h + good + "0,0,0,F,0,0,0\n"
                                    << "line 3:";
    QTest::newRow("too many fields") << h + good + good + "0,0,0,F,0,0,0,100,0,9\n"
                                     << "line 4:";
    QTest::newRow("bad op") << h + "0,0,0,X,0,0,0,100,0\n"
                            << "line 2:";
    QTest::newRow("op lower case") << h + "0,0,0,f,0,0,0,100,0\n"
                                   << "line 2:";
    QTest::newRow("op two chars") << h + "0,0,0,FB,0,0,0,100,0\n"
                                  << "line 2:";
    QTest::newRow("batch junk") << h + "a,0,0,F,0,0,0,100,0\n"
                                << "line 2:";
    QTest::newRow("stage float") << h + "0,1.5,0,F,0,0,0,100,0\n"
                                 << "line 2:";
    QTest::newRow("negative stage") << h + "0,-1,0,F,0,0,0,100,0\n"
                                    << "line 2:";
    // Found by fuzz_loaders: a stage of 2^31-1 overflowed "stage + 1" in
    // identifySchedule and crashed it.
    QTest::newRow("stage int max") << h + "0,2147483647,0,F,0,0,0,100,0\n"
                                   << "line 2: stage must be >= 0 and < 64";
    QTest::newRow("batch int max") << h + "2147483647,0,0,F,0,0,0,100,0\n"
                                   << "line 2: batch must be >= 0 and < 100000";
    QTest::newRow("microbatch int max") << h + "0,0,2147483647,F,0,0,0,100,0\n"
                                        << "line 2: microbatch must be >= 0 and < 4096";
    QTest::newRow("chunk 16") << h + "0,0,0,F,16,0,0,100,0\n"
                              << "line 2: chunk must be >= 0 and < 16";
    QTest::newRow("U with microbatch") << h + "0,0,3,U,0,1,0,100,0\n"
                                       << "line 2:";
    QTest::newRow("F with microbatch -1") << h + "0,0,-1,F,0,0,0,100,0\n"
                                          << "line 2:";
    QTest::newRow("end before start") << h + good + "0,0,1,F,0,0,200,100,0\n"
                                      << "line 3:";
    QTest::newRow("mismatch 2") << h + "0,0,0,F,0,0,0,100,2\n"
                                << "line 2:";
    QTest::newRow("overflow") << h + "0,0,0,F,0,0,0,99999999999999999999,0\n"
                              << "line 2:";
    QTest::newRow("int overflow") << h + "3000000000,0,0,F,0,0,0,100,0\n"
                                  << "line 2:";
    QTest::newRow("trailing space") << h + "0,0,0,F,0,0,0,100 ,0\n"
                                    << "line 2:";
    QTest::newRow("empty line inside") << h + good + "\n" + good << "line 3:";
    QTest::newRow("empty field") << h + "0,,0,F,0,0,0,100,0\n"
                                 << "line 2:";
}

void TestCsv::csvMalformed() {
    QFETCH(QString, text);
    QFETCH(QString, prefix);
    std::vector<SlotEvent> back(3);
    auto error = errorOf([&] { back = parseCsv(text.toStdString()); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).startsWith(prefix), messageOf(error));
    QVERIFY(error->find('\n') == std::string::npos);
    QCOMPARE(back.size(), std::size_t(3));  // untouched: nothing half-parsed
}

void TestCsv::messagesEscapeControlBytes() {
    QCOMPARE(QString::fromStdString(printable("a\rb\x1b[2Jc\td\n")),
             QString("a\\rb\\x1b[2Jc\\td\\n"));
    QCOMPARE(QString::fromStdString(printable(std::string(300, 'y'), 10)),
             QString("yyyyyyyyyy..."));
    std::vector<SlotEvent> slots;
    const std::string csv = std::string(kCsvHeader) + "\n0\r\x1b[31m,0,0,F,0,0,0,1\n";
    const auto error = errorOf([&] { slots = parseCsv(csv); });
    QVERIFY(error);
    QVERIFY2(error->find('\r') == std::string::npos && error->find('\x1b') == std::string::npos,
             messageOf(error));
    QVERIFY2(QString::fromStdString(*error).contains("\\r\\x1b[31m"), messageOf(error));
}

QTEST_APPLESS_MAIN(TestCsv)
#include "tst_csv.moc"
