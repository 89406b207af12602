// The Chrome trace of architecture.md: round trips of every schedule (hosts,
// run flags, memory counters), valid JSON with the expected fields and
// flows, malformed input rejected with its event; slot events from a
// timeline; lane names. The CSV: tst_csv; writing files: tst_safefile.
#include "trace_test_util.h"

using namespace pd;
using namespace pd::tracetest;

class TestTrace : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void chromeRoundTrip_data();
    void chromeRoundTrip();
    void chromeIsValidJsonWithExpectedFields();
    void chromeStageHostsRoundTrip();
    void chromeStageHostsOneProcessPerRank();
    void chromeRunArgsRoundTrip();
    void chromeFlowEventsPairUp_data();
    void chromeFlowEventsPairUp();
    void chromeMalformed_data();
    void chromeMalformed();
    void toSlotEventsScalesAndRounds_data();
    void toSlotEventsScalesAndRounds();
    void chromeArrayFormat();
    void stageNamesKnown_data();
    void stageNamesKnown();
    void stageNamesCoverEveryLayerOnce_data();
    void stageNamesCoverEveryLayerOnce();
};

void TestTrace::chromeRoundTrip_data() {
    QTest::addColumn<ScheduleKind>("kind");
    for (ScheduleKind kind : allScheduleKinds()) QTest::newRow(toString(kind)) << kind;
}

void TestTrace::chromeRoundTrip() {
    QFETCH(ScheduleKind, kind);
    const ScheduleConfig c = config(kind, 4, 8, 2);
    RunRecord record;
    record.stageNames = stageNames(c, 48);
    record.slots = scheduleSlots(c);
    const auto extra = randomSlots(500, 3);  // odd values: big times, mismatches
    record.slots.insert(record.slots.end(), extra.begin(), extra.end());
    record.memory = randomMemory(300, c.stages, 5);
    const std::string text = toChromeTrace(record);
    RunRecord back;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(text));
    QVERIFY(back.stageNames == record.stageNames);
    QVERIFY(back.slots == record.slots);
    QVERIFY(back.memory == record.memory);
    QVERIFY(back.stageHosts.empty());  // one process: no hosts
    QCOMPARE(toChromeTrace(back), text);
}

// The run's flags travel in otherData.run_args and come back as written;
// anything there that is not a short list of strings is left out, and the
// events still open.
void TestTrace::chromeRunArgsRoundTrip() {
    const ScheduleConfig c = config(ScheduleKind::OneFOneB, 2, 4, 1);
    RunRecord record;
    record.stageNames = stageNames(c, 8);
    record.slots = scheduleSlots(c);
    record.runArgs = {"--schedule", "1f1b", "--batch-size", "64", "--data", "mnist:/a b/c"};
    const std::string text = toChromeTrace(record);  // no status: otherData all the same
    QVERIFY(text.find("\"run_args\"") != std::string::npos);
    RunRecord back;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(text));
    QVERIFY(back.runArgs == record.runArgs);
    QVERIFY(back.status.empty());
    QCOMPARE(toChromeTrace(back), text);

    record.runArgs.clear();
    QVERIFY(toChromeTrace(record).find("otherData") == std::string::npos);

    const std::string events = toChromeTrace(record);
    const std::string head = events.substr(0, events.rfind('}'));
    for (const char* other : {R"("run_args":"--lr 1")", R"("run_args":["--lr",1])",
                              R"("run_args":{"lr":1})", R"("run_args":null)"}) {
        const std::string odd = head + ",\"otherData\":{" + other + "}}\n";
        QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(odd));
        QVERIFY2(back.runArgs.empty(), other);
        QVERIFY(back.slots == record.slots);
    }
}

void TestTrace::chromeStageHostsRoundTrip() {
    const ScheduleConfig c = config(ScheduleKind::OneFOneB, 4, 4, 2);
    RunRecord record;
    record.stageNames = stageNames(c, 48);
    record.stageHosts = {"gpu-a", "gpu-a", "gpu-b.lan", "box (2)"};
    record.slots = scheduleSlots(c);
    record.memory = randomMemory(50, c.stages, 7);
    record.status = "completed";
    const std::string text = toChromeTrace(record);
    RunRecord back;
    std::optional<std::string> error;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(text));
    QVERIFY(back.stageHosts == record.stageHosts);
    QVERIFY(back.stageNames == record.stageNames);
    QVERIFY(back.slots == record.slots);
    QVERIFY(back.memory == record.memory);
    QCOMPARE(back.status, record.status);
    QCOMPARE(toChromeTrace(back), text);

    // Hosts change nothing but the processes: the same events otherwise.
    RunRecord single = record;
    single.stageHosts.clear();
    RunRecord backSingle;
    QVERIFY_THROWS_NO_EXCEPTION(backSingle = parseChromeTrace(toChromeTrace(single)));
    QVERIFY(backSingle.slots == back.slots);
    QVERIFY(toChromeTrace(single) != text);

    // A rank's process under another pid is not ours to guess.
    const std::string bad =
        R"J({"traceEvents":[{"name":"process_name","ph":"M","pid":0,"tid":0,"args":{"name":"rank 2 (h)"}}]})J";
    error = errorOf([&] { back = parseChromeTrace(bad); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).startsWith("trace event 0: process_name 'rank 2 (h)'"),
             messageOf(error));
    // Another tool's process names are left alone.
    const std::string other =
        R"J({"traceEvents":[{"name":"process_name","ph":"M","pid":7,"tid":0,"args":{"name":"python"}}]})J";
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(other));
    QVERIFY(back.stageHosts.empty());
}

// Checked with Qt's JSON parser: every event of stage S is in process S.
void TestTrace::chromeStageHostsOneProcessPerRank() {
    const ScheduleConfig c = config(ScheduleKind::OneFOneB, 3, 4, 1);
    RunRecord record;
    record.stageNames = stageNames(c, 48);
    record.stageHosts = {"h0", "h1", "h2"};
    record.slots = scheduleSlots(c);
    record.memory = randomMemory(20, c.stages, 3);
    QJsonParseError pe;
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromStdString(toChromeTrace(record)), &pe);
    QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
    std::map<int, QString> processes;
    std::map<QString, int> phases;
    for (const QJsonValue& v : doc["traceEvents"].toArray()) {
        const QJsonObject e = v.toObject();
        const QString ph = e["ph"].toString();
        ++phases[ph];
        if (ph == "M" && e["name"] == "process_name") {
            processes[e["pid"].toInt()] = e["args"]["name"].toString();
            continue;
        }
        if (ph == "M" && e["name"] == "process_sort_index") {
            QCOMPARE(e["args"]["sort_index"].toInt(-1), e["pid"].toInt());
            continue;
        }
        QCOMPARE(e["pid"].toInt(-1), e["tid"].toInt(-2));
        if (ph == "X") QCOMPARE(e["pid"].toInt(), e["args"]["stage"].toInt());
    }
    QCOMPARE(processes.size(), std::size_t(3));
    QCOMPARE(processes[0], QString("rank 0 (h0)"));
    QCOMPARE(processes[2], QString("rank 2 (h2)"));
    QVERIFY(phases["X"] > 0 && phases["C"] > 0 && phases["s"] > 0 && phases["f"] > 0);
}

// Checked with Qt's JSON parser, independent of ours.
void TestTrace::chromeIsValidJsonWithExpectedFields() {
    const ScheduleConfig c = config(ScheduleKind::Interleaved, 2, 4, 1);
    RunRecord record;
    record.stageNames = stageNames(c, 8);
    record.slots = scheduleSlots(c);
    record.slots.front().mismatch = true;
    MemoryEvent m;
    m.stage = 1;
    m.timeUs = 1234;
    m.activationBytes = 4096;
    m.stashBytes = 512;
    record.memory = {m};

    QJsonParseError pe;
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromStdString(toChromeTrace(record)), &pe);
    QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
    QVERIFY(doc.isObject());
    QCOMPARE(doc["displayTimeUnit"].toString(), QString("ms"));
    const QJsonArray events = doc["traceEvents"].toArray();

    int x = 0, threadNames = 0, sortIndexes = 0, memoryCounters = 0;
    bool process = false;
    for (const QJsonValue& v : events) {
        const QJsonObject e = v.toObject();
        const QString ph = e["ph"].toString();
        QCOMPARE(e["pid"].toInt(-1), 0);
        if (ph == "M" && e["name"] == "process_name") {
            process = e["args"]["name"].toString() == "PipeDream Studio";
        } else if (ph == "M" && e["name"] == "thread_name") {
            const int tid = e["tid"].toInt();
            QCOMPARE(e["args"]["name"].toString(),
                     QString::fromStdString(record.stageNames.at(std::size_t(tid))));
            ++threadNames;
        } else if (ph == "M" && e["name"] == "thread_sort_index") {
            QCOMPARE(e["args"]["sort_index"].toInt(-1), e["tid"].toInt());
            ++sortIndexes;
        } else if (ph == "X") {
            const SlotEvent& s = record.slots.at(std::size_t(x++));
            const QJsonObject a = e["args"].toObject();
            QCOMPARE(e["ts"].toInteger(), s.startUs);
            QCOMPARE(e["dur"].toInteger(), s.endUs - s.startUs);
            QCOMPARE(e["tid"].toInt(), s.stage);
            QCOMPARE(e["cat"].toString(), QString(QChar(opChar(s.op))));
            const QString name = e["name"].toString();
            QVERIFY2(name.startsWith(QChar(opChar(s.op))), qPrintable(name));
            QVERIFY2(name.endsWith(" v" + QString::number(s.version)), qPrintable(name));
            if (s.op != Op::U)
                QVERIFY(name.contains(" mb" + QString::number(s.microbatch)));
            else
                QVERIFY(!name.contains("mb"));
            QCOMPARE(a["batch"].toInt(), s.batch);
            QCOMPARE(a["stage"].toInt(), s.stage);
            QCOMPARE(a["microbatch"].toInt(), s.microbatch);
            QCOMPARE(a["op"].toString(), QString(QChar(opChar(s.op))));
            QCOMPARE(a["chunk"].toInt(), s.chunk);
            QCOMPARE(a["version"].toInt(), s.version);
            QCOMPARE(a["start_us"].toInteger(), s.startUs);
            QCOMPARE(a["end_us"].toInteger(), s.endUs);
            QCOMPARE(a["mismatch"].toInt(), s.mismatch ? 1 : 0);
        } else if (ph == "C" && e["name"] == "memory stage 1") {
            QCOMPARE(e["ts"].toInteger(), m.timeUs);
            QCOMPARE(e["args"]["activations_bytes"].toInteger(), m.activationBytes);
            QCOMPARE(e["args"]["stash_bytes"].toInteger(), m.stashBytes);
            ++memoryCounters;
        }
    }
    QVERIFY(process);
    QCOMPARE(x, int(record.slots.size()));
    QCOMPARE(threadNames, c.stages);
    QCOMPARE(sortIndexes, c.stages);
    QCOMPARE(memoryCounters, 1);
}

void TestTrace::chromeFlowEventsPairUp_data() {
    QTest::addColumn<int>("kind");
    for (ScheduleKind k : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::PipeDream,
                           ScheduleKind::Interleaved, ScheduleKind::ZeroBubbleH1,
                           ScheduleKind::ZeroBubbleV, ScheduleKind::DualPipeV})
        QTest::newRow(toString(k)) << int(k);
}

// Every activation a forward sends has its receive: a "s" event inside a
// sender's slice and one "f" with the same id inside the receiving slice of
// the same microbatch on another stage, later. As many pairs per
// microbatch and direction as there are steps between model parts that
// change stage.
void TestTrace::chromeFlowEventsPairUp() {
    QFETCH(int, kind);
    const ScheduleConfig c = config(ScheduleKind(kind), 4, 8, 2);
    RunRecord record;
    record.stageNames = stageNames(c, 16);
    record.slots = scheduleSlots(c);
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromStdString(toChromeTrace(record)));
    QVERIFY(doc.isObject());
    // The slice on track `tid` that encloses `ts` (strictly: a slice's end
    // is its neighbour's start).
    auto sliceAt = [&](int tid, qint64 ts) -> const SlotEvent* {
        for (const SlotEvent& e : record.slots)
            if (e.stage == tid && e.startUs <= ts && ts < e.endUs) return &e;
        return nullptr;
    };
    struct End {
        const SlotEvent* slice = nullptr;
        qint64 ts = 0;
        QString name;
    };
    std::map<qint64, End> sends, receives;
    for (const QJsonValue& v : doc["traceEvents"].toArray()) {
        const QJsonObject e = v.toObject();
        const QString ph = e["ph"].toString();
        if (ph != "s" && ph != "f") continue;
        auto& side = ph == "s" ? sends : receives;
        const qint64 id = e["id"].toInteger();
        QVERIFY2(!side.count(id), "one send and one receive per id");
        const End end{sliceAt(e["tid"].toInt(), e["ts"].toInteger()), e["ts"].toInteger(),
                      e["name"].toString()};
        QVERIFY2(end.slice, "a flow end outside every slice");
        if (ph == "f") QCOMPARE(e["bp"].toString(), QString("e"));
        side[id] = end;
    }
    QCOMPARE(sends.size(), receives.size());
    int crossings = 0;
    for (int p = 0; p + 1 < c.parts(); ++p)
        if (stageOfPart(c, p) != stageOfPart(c, p + 1)) ++crossings;
    const std::size_t perDirection = std::size_t(c.batches * c.microbatches * crossings);
    std::size_t activations = 0, gradients = 0;
    for (const auto& [id, send] : sends) {
        QVERIFY2(receives.count(id), "a send without its receive");
        const End& recv = receives.at(id);
        QCOMPARE(recv.name, send.name);
        QCOMPARE(recv.slice->batch, send.slice->batch);
        QCOMPARE(recv.slice->microbatch, send.slice->microbatch);
        QVERIFY(recv.slice->stage != send.slice->stage);
        QVERIFY(recv.slice->startUs >= send.slice->endUs);
        if (send.name == "activation") {
            QCOMPARE(send.slice->op, Op::F);
            QCOMPARE(recv.slice->op, Op::F);
            ++activations;
        } else {
            QCOMPARE(send.name, QString("gradient"));
            QVERIFY(send.slice->op == Op::B || send.slice->op == Op::I);
            QVERIFY(recv.slice->op == Op::B || recv.slice->op == Op::I);
            ++gradients;
        }
    }
    QCOMPARE(activations, perDirection);
    QCOMPARE(gradients, perDirection);
    // The reader keeps the slices and passes over the flows.
    RunRecord back;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(toChromeTrace(record)));
    QCOMPARE(back.slots.size(), record.slots.size());
}

void TestTrace::chromeMalformed_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("prefix");
    const QString x = R"({"ph":"X","args":{"batch":0,"stage":0,"microbatch":0,"op":"F","chunk":0,)"
                      R"("version":0,"start_us":0,"end_us":5,"mismatch":0}})";
    QTest::newRow("empty") << ""
                           << "JSON error at line 1";
    QTest::newRow("truncated") << R"({"traceEvents":[)"
                               << "JSON error at line 1";
    QTest::newRow("second line") << "{\n\"traceEvents\": [,]}"
                                 << "JSON error at line 2";
    QTest::newRow("not an object or array") << "\"[]\""
                                            << "not a Chrome trace";
    QTest::newRow("no events") << R"({"displayTimeUnit":"ms"})"
                               << "not a Chrome trace";
    QTest::newRow("events not array") << R"({"traceEvents":{}})"
                                      << "not a Chrome trace";
    QTest::newRow("event not object") << R"({"traceEvents":[1]})"
                                      << "trace event 0:";
    QTest::newRow("X without args") << R"({"traceEvents":[{"ph":"X"}]})"
                                    << "trace event 0:";
    QTest::newRow("bad op") << "{\"traceEvents\":[" + x + "," +
                                   QString(x).replace("\"F\"", "\"Q\"") + "]}"
                            << "trace event 1:";
    QTest::newRow("float batch") << "{\"traceEvents\":[" +
                                        QString(x).replace("\"batch\":0", "\"batch\":0.5") + "]}"
                                 << "trace event 0:";
    QTest::newRow("end before start")
        << "{\"traceEvents\":[" + QString(x).replace("\"end_us\":5", "\"end_us\":-5") + "]}"
        << "trace event 0:";
    QTest::newRow("counts counter alone")
        << R"({"traceEvents":[{"ph":"C","name":"in flight stage 0","ts":1,"args":{"activations":1,"versions":1}}]})"
        << "trace event 0:";
    QTest::newRow("memory without bytes")
        << R"({"traceEvents":[{"ph":"C","name":"memory stage 0","ts":1,"args":{}}]})"
        << "trace event 0:";
    // 256 MiB of "0," would be 134 million values, 5 GiB as a tree.
    QTest::newRow("bare numbers") << "[" + QString("0,").repeated(10000) + "0]"
                                  << "JSON error: too many values";
    QTest::newRow("thread name tid huge")
        << R"({"traceEvents":[{"ph":"M","name":"thread_name","tid":100000000,"args":{"name":"x"}}]})"
        << "trace event 0:";
}

void TestTrace::chromeMalformed() {
    QFETCH(QString, text);
    QFETCH(QString, prefix);
    RunRecord back;
    back.stageNames = {"stale"};
    auto error = errorOf([&] { back = parseChromeTrace(text.toStdString()); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).startsWith(prefix), messageOf(error));
    // Untouched: nothing half-parsed.
    QVERIFY(back.slots.empty() && back.memory.empty());
    QCOMPARE(back.stageNames, std::vector<std::string>{"stale"});
}

void TestTrace::toSlotEventsScalesAndRounds_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<double>("usPerUnit");
    for (ScheduleKind kind : allScheduleKinds()) {
        QTest::addRow("%s x1000", toString(kind)) << kind << 1000.0;
        QTest::addRow("%s x333.3", toString(kind)) << kind << 333.3;
    }
}

void TestTrace::toSlotEventsScalesAndRounds() {
    QFETCH(ScheduleKind, kind);
    QFETCH(double, usPerUnit);
    const Schedule s = generateSchedule(config(kind, 3, 6, 2));
    const Timeline t = simulate(s);
    const auto slots = toSlotEvents(t, usPerUnit);
    QCOMPARE(slots.size(), t.actions.size());
    QCOMPARE(slots.size(), s.actionCount());
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const TimedAction& a = t.actions[i];
        const SlotEvent& e = slots[i];
        QCOMPARE(e.stage, a.stage);
        QVERIFY(e.batch == a.action.batch && e.microbatch == a.action.microbatch);
        QVERIFY(e.op == a.action.op && e.chunk == a.action.chunk);
        QVERIFY(e.version == a.action.version && e.mismatch == a.action.mismatch);
        QCOMPARE(e.startUs, std::llround(a.start * usPerUnit));
        QCOMPARE(e.endUs, std::llround(a.end * usPerUnit));
    }
    const auto last = std::max_element(slots.begin(), slots.end(),
                                       [](auto& a, auto& b) { return a.endUs < b.endUs; });
    QCOMPARE(last->endUs, std::llround(t.makespan * usPerUnit));
}

void TestTrace::chromeArrayFormat() {
    // Chrome's JSON array format: the events alone, no enclosing object.
    const ScheduleConfig c = config(ScheduleKind::OneFOneB, 3, 4, 2);
    RunRecord record;
    record.stageNames = stageNames(c, 6);
    record.slots = scheduleSlots(c);
    const std::string object = toChromeTrace(record);
    const std::string array =
        object.substr(object.find('['), object.rfind(']') - object.find('[') + 1);
    RunRecord back;
    std::optional<std::string> error;
    QVERIFY_THROWS_NO_EXCEPTION(back = parseChromeTrace(array));
    QVERIFY(back.slots == record.slots);
    QVERIFY(back.stageNames == record.stageNames);
    // Without the closing bracket, as Chrome allows, it is still malformed JSON here.
    error = errorOf([&] { back = parseChromeTrace(array.substr(0, array.size() - 1)); });
    QVERIFY(error);
}

void TestTrace::stageNamesKnown_data() {
    QTest::addColumn<ScheduleKind>("kind");
    QTest::addColumn<int>("stages");
    QTest::addColumn<int>("layers");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("tutorial") << ScheduleKind::OneFOneB << 4 << 48
                              << QStringList{"GPU0 (L1-12)", "GPU1 (L13-24)", "GPU2 (L25-36)",
                                             "GPU3 (L37-48)"};
    QTest::newRow("interleaved") << ScheduleKind::Interleaved << 4 << 48
                                 << QStringList{"GPU0 (L1-6, L25-30)", "GPU1 (L7-12, L31-36)",
                                                "GPU2 (L13-18, L37-42)", "GPU3 (L19-24, L43-48)"};
    QTest::newRow("one layer each")
        << ScheduleKind::GPipe << 2 << 2 << QStringList{"GPU0 (L1)", "GPU1 (L2)"};
    QTest::newRow("single stage") << ScheduleKind::Naive << 1 << 5 << QStringList{"GPU0 (L1-5)"};
    QTest::newRow("too few layers: plain names")
        << ScheduleKind::GPipe << 3 << 2 << QStringList{"GPU0", "GPU1", "GPU2"};
}

void TestTrace::stageNamesKnown() {
    QFETCH(ScheduleKind, kind);
    QFETCH(int, stages);
    QFETCH(int, layers);
    QFETCH(QStringList, names);
    QStringList got;
    for (const auto& n : stageNames(config(kind, stages, stages, 1), layers))
        got << QString::fromStdString(n);
    QCOMPARE(got, names);
}

void TestTrace::stageNamesCoverEveryLayerOnce_data() {
    QTest::addColumn<int>("stages");
    QTest::addColumn<int>("chunks");
    QTest::addColumn<int>("layers");
    for (int S : {1, 2, 3, 5, 8})
        for (int V : {1, 2, 3})
            for (int L : {S * V, S * V + 1, 17, 48, 100})
                if (L >= S * V) QTest::addRow("S%d V%d L%d", S, V, L) << S << V << L;
}

// Parses the labels back into layer ranges: every layer on exactly one stage.
void TestTrace::stageNamesCoverEveryLayerOnce() {
    QFETCH(int, stages);
    QFETCH(int, chunks);
    QFETCH(int, layers);
    ScheduleConfig c =
        config(chunks > 1 ? ScheduleKind::Interleaved : ScheduleKind::OneFOneB, stages, stages, 1);
    c.chunks = chunks;
    const auto names = stageNames(c, layers);
    QCOMPARE(int(names.size()), stages);
    std::vector<int> owner(std::size_t(layers) + 1, -1);
    const QRegularExpression range("L(\\d+)(?:-(\\d+))?");
    for (int s = 0; s < stages; ++s) {
        const QString n = QString::fromStdString(names[std::size_t(s)]);
        QVERIFY2(n.startsWith(QString("GPU%1 (").arg(s)), qPrintable(n));
        int pieces = 0;
        for (auto it = range.globalMatch(n); it.hasNext(); ++pieces) {
            const auto m = it.next();
            const int first = m.captured(1).toInt();
            const int last = m.captured(2).isEmpty() ? first : m.captured(2).toInt();
            QVERIFY(first >= 1 && first <= last && last <= layers);
            for (int l = first; l <= last; ++l) {
                QCOMPARE(owner[std::size_t(l)], -1);
                owner[std::size_t(l)] = s;
            }
        }
        QCOMPARE(pieces, chunks);
    }
    for (int l = 1; l <= layers; ++l)
        QVERIFY2(owner[std::size_t(l)] >= 0, qPrintable(QString::number(l)));
}

QTEST_APPLESS_MAIN(TestTrace)
#include "tst_trace.moc"
