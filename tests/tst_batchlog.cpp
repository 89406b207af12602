// pipedream-train's batch log: every batch printed once, in order, as soon
// as it is complete, even when the events of later batches arrive first; and
// each event is copied out of the sink once, whatever the number of polls
// (the log must not copy and rescan every event of the run on each 50 ms
// poll and for each printed batch: that was quadratic in the batches).
#include <QtTest>
#include <cstdio>

#include "engine/formats/batchlog.h"
#include "engine/formats/trace.h"
#include "engine/schedule/simulator.h"

using namespace pd;

namespace {

struct Run {
    Schedule schedule;
    std::vector<std::vector<SlotEvent>> byBatch;
};

Run makeRun(ScheduleKind kind, int batches) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = 2;
    c.microbatches = 2;
    c.batches = batches;
    c.chunks = chunksFor(kind, 2);
    Run r;
    r.schedule = generateSchedule(c);
    r.byBatch.resize(static_cast<std::size_t>(batches));
    for (const SlotEvent& e : toSlotEvents(simulate(r.schedule, OpCosts{})))
        r.byBatch[static_cast<std::size_t>(e.batch)].push_back(e);
    return r;
}

BatchEvent batchEvent(int batch) {
    BatchEvent b;
    b.batch = batch;
    b.loss = 1.0 / (batch + 1);
    b.versionUsed = {batch, batch};
    b.versionAfter = {batch + 1, batch + 1};
    return b;
}

QString readAll(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    QByteArray bytes;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
        bytes.append(buf, static_cast<int>(n));
    return QString::fromUtf8(bytes);
}

}  // namespace

class TestBatchLog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eachBatchOnceInOrderEachEventCopiedOnce() {
        const int batches = 200;
        const Run run = makeRun(ScheduleKind::OneFOneB, batches);
        std::FILE* out = std::tmpfile();
        QVERIFY(out);
        CollectingSink sink;
        BatchLog log(run.schedule, {"GPU0", "GPU1"}, 4, out);
        std::size_t total = 0;
        for (int b = 0; b < batches; ++b) {
            for (const SlotEvent& e : run.byBatch[static_cast<std::size_t>(b)]) sink.onSlot(e);
            total += run.byBatch[static_cast<std::size_t>(b)].size();
            for (int poll = 0; poll < 3; ++poll) log.printReady(sink, false);  // idle polls
            sink.onBatch(batchEvent(b));
            log.printReady(sink, false);
            QCOMPARE(log.heldEvents(), std::size_t(0));  // printed, and dropped
        }
        log.printReady(sink, true);
        QCOMPARE(sink.slotsCopied(), total);  // once each, not once per poll
        const QString text = readAll(out);
        std::fclose(out);
        // The first three batches and the last in full, one line for each other.
        int from = 0;
        for (int b = 1; b <= batches; ++b) {
            const bool full = b <= BatchLog::kFirstDetailed || b == batches;
            const QString head = full ? QString("\nBATCH %1/%2\n").arg(b).arg(batches)
                                      : QString("\nBATCH %1/%2  loss ").arg(b).arg(batches);
            const int at = text.indexOf(head, from);
            QVERIFY2(at >= from, qPrintable(QString("batch %1 missing or out of order").arg(b)));
            from = at + 1;
        }
        QCOMPARE(text.count("\nBATCH "), batches);
        QCOMPARE(text.count("WEIGHT UPDATE PHASE"), BatchLog::kFirstDetailed + 1);
        QVERIFY(text.contains(QString("(batches 4 to %1: one line each").arg(batches - 1)));
        // The versions after each batch, one update per batch (1F1B).
        QVERIFY(text.contains(QString("\nBATCH 100/%1  loss ").arg(batches)));
        QVERIFY2(text.contains(QRegularExpression("BATCH 100/200  loss [0-9.]+  versions v100\n")),
                 qPrintable(text.mid(text.indexOf("BATCH 100/"), 80)));
    }

    // Asynchronous kinds: events of the next batch arrive before this one's
    // batch event; nothing prints early, nothing twice.
    void laterBatchesFirst() {
        const Run run = makeRun(ScheduleKind::PipeDream, 3);
        std::FILE* out = std::tmpfile();
        QVERIFY(out);
        CollectingSink sink;
        BatchLog log(run.schedule, {"GPU0", "GPU1"}, 4, out);
        for (int b = 2; b >= 0; --b)
            for (const SlotEvent& e : run.byBatch[static_cast<std::size_t>(b)]) sink.onSlot(e);
        sink.onBatch(batchEvent(1));
        log.printReady(sink, false);
        QVERIFY(!readAll(out).contains("BATCH"));  // batch 1 waits for batch 0
        sink.onBatch(batchEvent(0));
        log.printReady(sink, false);
        QString text = readAll(out);
        QVERIFY(text.contains("BATCH 1/3") && text.contains("BATCH 2/3") &&
                !text.contains("BATCH 3/3"));
        sink.onBatch(batchEvent(2));
        log.printReady(sink, false);
        text = readAll(out);
        std::fclose(out);
        QCOMPARE(text.count("\nBATCH "), 3);
        QCOMPARE(log.heldEvents(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestBatchLog)
#include "tst_batchlog.moc"
