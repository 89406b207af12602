// The rank wire format's records: every event a rank sends decodes to the
// same event on the collector's side (all fields, the extremes of each
// type, every op), and a line that does not make a record is refused with
// the reason the collector reports when it drops the rank.
#include <QtTest>
#include <climits>
#include <cmath>
#include <limits>

#include "engine/formats/wire.h"
#include "error_test_util.h"

using namespace pd;

namespace {

// The collector's view of a line: its fields, single spaces between them.
std::vector<std::string_view> fieldsOf(const std::string& line) {
    std::vector<std::string_view> out;
    std::string_view rest = line;
    while (true) {
        const auto space = rest.find(' ');
        out.push_back(rest.substr(0, space));
        if (space == std::string_view::npos) return out;
        rest.remove_prefix(space + 1);
    }
}

}  // namespace

class TestWire : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void slotRoundTripsForEveryOp() {
        for (Op op : {Op::F, Op::B, Op::I, Op::W, Op::U}) {
            SlotEvent e;
            e.batch = 7;
            e.stage = 3;
            e.microbatch = op == Op::U ? -1 : 4095;
            e.op = op;
            e.chunk = 1;
            e.version = 12;
            e.startUs = (std::int64_t{1} << 50) - 2;
            e.endUs = (std::int64_t{1} << 50) - 1;
            e.mismatch = op == Op::B;
            const std::string line = wire::encode(e);
            SlotEvent back;
            QVERIFY_THROWS_NO_EXCEPTION(back = wire::decodeSlot(fieldsOf(line)));
            QCOMPARE(back.batch, e.batch);
            QCOMPARE(back.stage, e.stage);
            QCOMPARE(back.microbatch, e.microbatch);
            QCOMPARE(back.op, e.op);
            QCOMPARE(back.chunk, e.chunk);
            QCOMPARE(back.version, e.version);
            QCOMPARE(back.startUs, e.startUs);
            QCOMPARE(back.endUs, e.endUs);
            QCOMPARE(back.mismatch, e.mismatch);
        }
    }

    void memoryVersionAndBatchRoundTrip() {
        MemoryEvent m;
        m.stage = 2;
        m.timeUs = 123456789;
        m.activationsInFlight = 5;
        m.versionsHeld = 3;
        m.activationBytes = std::int64_t{1} << 40;
        m.stashBytes = 77;
        MemoryEvent mb;
        QVERIFY_THROWS_NO_EXCEPTION(mb = wire::decodeMemory(fieldsOf(wire::encode(m))));
        QCOMPARE(mb.stage, m.stage);
        QCOMPARE(mb.timeUs, m.timeUs);
        QCOMPARE(mb.activationsInFlight, m.activationsInFlight);
        QCOMPARE(mb.versionsHeld, m.versionsHeld);
        QCOMPARE(mb.activationBytes, m.activationBytes);
        QCOMPARE(mb.stashBytes, m.stashBytes);

        for (const std::vector<int>& stashed :
             {std::vector<int>{}, std::vector<int>{0}, std::vector<int>{4, 5, 6}}) {
            VersionEvent v;
            v.stage = 1;
            v.version = 7;
            v.stashed = stashed;
            v.timeUs = 99;
            VersionEvent vb;
            QVERIFY_THROWS_NO_EXCEPTION(vb = wire::decodeVersion(fieldsOf(wire::encode(v)), 8));
            QCOMPARE(vb.stage, v.stage);
            QCOMPARE(vb.version, v.version);
            QCOMPARE(vb.stashed, v.stashed);
            QCOMPARE(vb.timeUs, v.timeUs);
        }

        wire::BatchPart b;
        b.batch = 4;
        b.stage = 3;
        b.loss = 2.302585092994046;  // ln 10: every digit must survive the text
        b.versionUsed = 4;
        b.versionAfter = 5;
        b.timeUs = 1000;
        wire::BatchPart bb;
        QVERIFY_THROWS_NO_EXCEPTION(bb = wire::decodeBatch(fieldsOf(wire::encode(b))));
        QCOMPARE(bb.batch, b.batch);
        QCOMPARE(bb.stage, b.stage);
        QCOMPARE(bb.loss, b.loss);  // exact, not fuzzy
        QCOMPARE(bb.versionUsed, b.versionUsed);
        QCOMPARE(bb.versionAfter, b.versionAfter);
        QCOMPARE(bb.timeUs, b.timeUs);
    }

    // A held-out evaluation: every digit of the loss and the accuracy
    // survives; text has no accuracy ("-", NaN again on arrival).
    void evaluationRoundTrips() {
        for (double accuracy : {0.8125, std::numeric_limits<double>::quiet_NaN()}) {
            EvaluationEvent e;
            e.batch = 937;
            e.epoch = 2;
            e.trainUs = (std::int64_t{1} << 40) + 3;
            e.samples = 10000;
            e.loss = 0.28560000000000001;
            e.accuracy = accuracy;
            const std::string line = wire::encode(e);
            QCOMPARE(line.substr(line.size() - 2) == " -", std::isnan(accuracy));
            EvaluationEvent back;
            QVERIFY_THROWS_NO_EXCEPTION(back = wire::decodeEvaluation(fieldsOf(line)));
            QCOMPARE(back.batch, e.batch);
            QCOMPARE(back.epoch, e.epoch);
            QCOMPARE(back.trainUs, e.trainUs);
            QCOMPARE(back.samples, e.samples);
            QCOMPARE(back.loss, e.loss);
            QCOMPARE(std::isnan(back.accuracy), std::isnan(accuracy));
            if (!std::isnan(accuracy)) QCOMPARE(back.accuracy, accuracy);
        }
    }

    void linesThatAreNoRecordAreRefused_data() {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("why");
        QTest::newRow("a field missing") << "slot 0 0 0 F 0 0 0 1"
                                         << "slot: does not parse";
        QTest::newRow("a field too many") << "mem 0 0 0 0 0 0 0"
                                          << "mem: does not parse";
        QTest::newRow("unknown op") << "slot 0 0 0 X 0 0 0 1 0"
                                    << "slot: unknown op";
        QTest::newRow("op of two letters") << "slot 0 0 0 FB 0 0 0 1 0"
                                           << "slot: does not parse";
        QTest::newRow("trailing junk") << "slot 0 0 0 F 0 0 0 1x 0"
                                       << "slot: does not parse";
        QTest::newRow("plus sign") << "mem +1 0 0 0 0 0"
                                   << "mem: does not parse";
        QTest::newRow("beyond int64") << "mem 0 99999999999999999999 0 0 0 0"
                                      << "mem: does not parse";
        QTest::newRow("nan loss") << "batch 0 0 nan 0 0 1"
                                  << "batch: loss nan";
        QTest::newRow("inf loss") << "batch 0 0 inf 0 0 1"
                                  << "batch: loss inf";
        QTest::newRow("negative loss") << "batch 0 0 -1 0 0 1"
                                       << "batch: loss -1";
        QTest::newRow("comma loss") << "batch 0 0 2,31 0 0 1"
                                    << "batch: loss 2,31";
        QTest::newRow("negative stashed") << "ver 0 0 1 -1"
                                          << "ver: stashed versions";
        QTest::newRow("empty stashed") << "ver 0 0 1 1,,2"
                                       << "ver: stashed versions";
        QTest::newRow("too many stashed") << "ver 0 0 1 0,1,2,3,4,5,6,7,8"
                                          << "ver: stashed versions";
        QTest::newRow("eval: nan loss") << "eval 2 0 10 64 nan -"
                                        << "eval: loss nan";
        QTest::newRow("eval: accuracy above 1") << "eval 2 0 10 64 0.5 1.5"
                                                << "eval: accuracy 1.5";
        QTest::newRow("eval: nan accuracy") << "eval 2 0 10 64 0.5 nan"
                                            << "eval: accuracy nan";
        QTest::newRow("eval: a field missing") << "eval 2 0 10 64 0.5"
                                               << "eval: does not parse";
        QTest::newRow("control bytes") << "slot 0 \x1b[2J 0 F 0 0 0 1 0"
                                       << "slot: does not parse";
    }

    void linesThatAreNoRecordAreRefused() {
        QFETCH(QString, line);
        QFETCH(QString, why);
        const std::string text = line.toStdString();
        const auto f = fieldsOf(text);
        const auto error = errorOf([&] {
            if (f[0] == "slot")
                wire::decodeSlot(f);
            else if (f[0] == "mem")
                wire::decodeMemory(f);
            else if (f[0] == "ver")
                wire::decodeVersion(f, 8);
            else if (f[0] == "eval")
                wire::decodeEvaluation(f);
            else
                wire::decodeBatch(f);
        });
        QVERIFY(error);
        const std::string& reason = *error;
        QVERIFY2(QString::fromStdString(reason).startsWith(why), reason.c_str());
        QVERIFY2(reason.find('\x1b') == std::string::npos, reason.c_str());
    }

    void integersBeyondIntAreKeptAtItsEdge() {
        // Out of int's range a field cannot wrap into a valid stage: it stays
        // at the edge, which the collector's range checks refuse.
        SlotEvent e;
        QVERIFY_THROWS_NO_EXCEPTION(
            e = wire::decodeSlot(fieldsOf("slot 0 4294967296 -4294967297 F 0 0 0 1 0")));
        QCOMPARE(e.stage, INT_MAX);
        QCOMPARE(e.microbatch, INT_MIN);
    }
};

QTEST_GUILESS_MAIN(TestWire)
#include "tst_wire.moc"
