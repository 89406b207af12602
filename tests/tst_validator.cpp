// The validator catches hand-broken schedules of each kind of fault and
// names the offending action.
#include <QtTest>
#include <algorithm>

#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"
#include "engine/schedule/validator.h"

using namespace pd;

Q_DECLARE_METATYPE(pd::ScheduleKind)

namespace {

ScheduleConfig config(ScheduleKind kind, int S = 4, int M = 8, int B = 2) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = B;
    c.chunks = chunksFor(kind, 2);
    return c;
}

bool isBackward(Op op) {
    return op == Op::B || op == Op::I;
}

std::size_t indexOf(const std::vector<Action>& list, Op op, int batch, int mb, int chunk = 0) {
    for (std::size_t k = 0; k < list.size(); ++k)
        if (list[k].op == op && list[k].batch == batch && list[k].microbatch == mb &&
            list[k].chunk == chunk)
            return k;
    return list.size();
}

bool has(const std::vector<Violation>& v, Violation::Kind kind, int stage,
         const QString& text = {}) {
    return std::any_of(v.begin(), v.end(), [&](const Violation& x) {
        return x.kind == kind && x.stage == stage &&
               (text.isEmpty() || QString::fromStdString(x.message).contains(text));
    });
}

QString dump(const std::vector<Violation>& v) {
    QStringList lines;
    for (const Violation& x : v) lines << QString::fromStdString(x.message);
    return lines.join('\n');
}

void addKinds() {
    QTest::addColumn<ScheduleKind>("kind");
    for (ScheduleKind kind : allScheduleKinds()) QTest::newRow(toString(kind)) << kind;
}

}  // namespace

class TestValidator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void missingAction_data() { addKinds(); }
    void missingAction() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[2];
        const std::size_t k = indexOf(list, Op::F, 1, 5);
        QVERIFY(k < list.size());
        list.erase(list.begin() + static_cast<long>(k));
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Missing, 2, "F b1 mb5"), qPrintable(dump(v)));
    }

    void repeatedAction_data() { addKinds(); }
    void repeatedAction() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[1];
        const auto it = std::find_if(list.begin(), list.end(),
                                     [](const Action& a) { return isBackward(a.op); });
        const Action copy = *it;
        list.push_back(copy);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Repeated, 1,
                     QString::fromStdString(describe(copy, false)).left(9)),
                 qPrintable(dump(v)));
    }

    // Stage 0's first backward hoisted to right after its own forward: it
    // then waits for a gradient whose computation needs stage 0's later
    // forwards. (Naive already runs it there: see naiveDeadlock.)
    void deadlock_data() {
        QTest::addColumn<ScheduleKind>("kind");
        for (ScheduleKind kind : allScheduleKinds())
            if (kind != ScheduleKind::Naive) QTest::newRow(toString(kind)) << kind;
    }
    void deadlock() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[0];
        // The first backward that waits for another stage and is not already
        // right after its forward (zb-v and dualpipev compute the loss on
        // stage 0: those backwards wait for nothing but their F).
        const ScheduleConfig& c = sch.config;
        auto bwd = list.begin();
        for (; bwd != list.end(); ++bwd)
            if (isBackward(bwd->op) && partOf(c, 0, bwd->chunk) != c.parts() - 1 &&
                indexOf(list, Op::F, bwd->batch, bwd->microbatch, bwd->chunk) + 1 !=
                    static_cast<std::size_t>(bwd - list.begin()))
                break;
        QVERIFY(bwd != list.end());
        const Action moved = *bwd;
        list.erase(bwd);
        const std::size_t f = indexOf(list, Op::F, moved.batch, moved.microbatch, moved.chunk);
        QVERIFY(f + 1 < list.size());
        list.insert(list.begin() + static_cast<long>(f + 1), moved);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Deadlock, 0,
                     QString::fromStdString(describe(moved, chunksFor(kind, 2) > 1))),
                 qPrintable(dump(v)));
        QVERIFY_THROWS_EXCEPTION(std::logic_error, simulate(sch));
    }

    // Stage 1 takes microbatch 1 before microbatch 0 while stage 0 keeps
    // its order: each waits for the other.
    void naiveDeadlock() {
        Schedule sch = generateSchedule(config(ScheduleKind::Naive, 2, 2, 1));
        auto& list = sch.stages[1];                                     // F0 B0 F1 B1 U
        std::rotate(list.begin(), list.begin() + 2, list.begin() + 4);  // F1 B1 F0 B0 U
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Deadlock, 0, "B b0 mb0") &&
                     has(v, Violation::Kind::Deadlock, 1, "F b0 mb1"),
                 qPrintable(dump(v)));
    }

    void backwardBeforeForward_data() { addKinds(); }
    void backwardBeforeForward() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[3];
        const std::size_t f = indexOf(list, Op::F, 0, 0);
        const auto bwd = std::find_if(list.begin(), list.end(), [](const Action& a) {
            return isBackward(a.op) && a.batch == 0 && a.microbatch == 0 && a.chunk == 0;
        });
        std::iter_swap(list.begin() + static_cast<long>(f), bwd);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Dependency, 3, "runs before its F"), qPrintable(dump(v)));
    }

    // Every zero-bubble kind: a W moved before its own I is caught.
    void weightBeforeInput_data() {
        QTest::addColumn<ScheduleKind>("kind");
        for (ScheduleKind kind : allScheduleKinds())
            if (usesSplitBackward(kind)) QTest::newRow(toString(kind)) << kind;
    }
    void weightBeforeInput() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[1];
        const auto w =
            std::find_if(list.begin(), list.end(), [](const Action& a) { return a.op == Op::W; });
        QVERIFY(w != list.end());
        const Action moved = *w;
        const std::size_t i = indexOf(list, Op::I, moved.batch, moved.microbatch, moved.chunk);
        QVERIFY(i < list.size());
        list.erase(w);
        list.insert(list.begin() + static_cast<long>(i), moved);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Dependency, 1, "runs before its I"), qPrintable(dump(v)));
    }

    // V placement: chunk 1 of stage s is model part 2S-1-s. A forward of
    // chunk 1 handed to the stage that round robin would pick (part p on
    // stage p % S) is caught, in the order and on a timeline.
    void vPlacementWrongStage_data() {
        QTest::addColumn<ScheduleKind>("kind");
        QTest::newRow("zb-v") << ScheduleKind::ZeroBubbleV;
        QTest::newRow("dualpipev") << ScheduleKind::DualPipeV;
    }
    void vPlacementWrongStage() {
        QFETCH(ScheduleKind, kind);
        const ScheduleConfig c = config(kind);
        const int part = partOf(c, 1, 1);
        QCOMPARE(part, 2 * c.stages - 2);
        const int wrong = part % c.stages;
        QVERIFY(wrong != 1);
        Schedule sch = generateSchedule(c);
        auto& from = sch.stages[1];
        const auto f = std::find_if(from.begin(), from.end(),
                                    [](const Action& a) { return a.op == Op::F && a.chunk == 1; });
        const Action moved = *f;
        from.erase(f);
        sch.stages[wrong].insert(sch.stages[wrong].begin(), moved);
        auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Repeated, wrong, "forward appears twice"),
                 qPrintable(dump(v)));
        QVERIFY2(has(v, Violation::Kind::Missing, 1, "no forward"), qPrintable(dump(v)));

        const Schedule good = generateSchedule(c);
        Timeline tl = simulate(good);
        QVERIFY(validateTimeline(good, tl).empty());
        for (std::size_t k = tl.stageBegin[1]; k < tl.stageBegin[2]; ++k)
            if (tl.actions[k].action.op == Op::F && tl.actions[k].action.chunk == 1) {
                tl.actions[k].stage = wrong;
                break;
            }
        v = validateTimeline(good, tl);
        QVERIFY2(has(v, Violation::Kind::Missing, 1, "not on the timeline"), qPrintable(dump(v)));
        QVERIFY2(has(v, Violation::Kind::Repeated, wrong), qPrintable(dump(v)));

        // The same lists read with round-robin placement break dependencies.
        ScheduleConfig roundRobin = c;
        roundRobin.kind = ScheduleKind::InterleavedZeroBubble;
        Schedule misplaced = good;
        misplaced.config = roundRobin;
        QVERIFY(!validate(misplaced).empty() || [&] {
            try {
                (void)simulate(misplaced);
                return false;
            } catch (const std::logic_error&) {
                return true;
            }
        }());
    }

    void updateTooEarly_data() { addKinds(); }
    void updateTooEarly() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[1];
        const auto u =
            std::find_if(list.begin(), list.end(), [](const Action& a) { return a.op == Op::U; });
        const Action update = *u;
        list.erase(u);
        list.insert(list.begin(), update);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Dependency, 1, "update"), qPrintable(dump(v)));
    }

    // A version rule broken in the way each kind can break it.
    void versionRule_data() { addKinds(); }
    void versionRule() {
        QFETCH(ScheduleKind, kind);
        Schedule sch = generateSchedule(config(kind));
        auto& list = sch.stages[0];
        // The last backward of stage 0 claims a version one too old / new.
        auto it = std::find_if(list.rbegin(), list.rend(),
                               [](const Action& a) { return isBackward(a.op); });
        it->version += (it->version > 0 ? -1 : 1);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Version, 0,
                     QString::fromStdString(describe(*it, chunksFor(kind, 2) > 1))),
                 qPrintable(dump(v)));
    }

    void pipedreamBackwardOnNewestIsCaught() {
        // Stashing schedule where a backward reads the newest instead of its stash.
        Schedule sch = generateSchedule(config(ScheduleKind::PipeDream, 4, 8, 1));
        int newest = 0;
        bool changed = false;
        for (Action& a : sch.stages[0]) {
            if (a.op == Op::U) newest = a.version;
            if (a.op == Op::B && a.version != newest && !changed) {
                a.version = newest;
                changed = true;
            }
        }
        QVERIFY(changed);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Version, 0, "stashed"), qPrintable(dump(v)));
    }

    void flushForwardBeforeUpdate() {
        // Next batch's first forward hoisted above the update of the previous one.
        Schedule sch = generateSchedule(config(ScheduleKind::OneFOneB, 2, 2, 2));
        auto& list = sch.stages[1];
        const std::size_t u = indexOf(list, Op::U, 0, -1);
        const std::size_t f = indexOf(list, Op::F, 1, 0);
        Action next = list[f];
        list.erase(list.begin() + static_cast<long>(f));
        list.insert(list.begin() + static_cast<long>(u), next);
        const auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Version, 1, "before the update of the previous batch"),
                 qPrintable(dump(v)));
    }

    void malformed() {
        Schedule sch = generateSchedule(config(ScheduleKind::GPipe));
        sch.stages[0][0].microbatch = 99;
        auto v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Malformed, 0, "microbatch out of range"),
                 qPrintable(dump(v)));
        sch = generateSchedule(config(ScheduleKind::GPipe));
        sch.stages[2][3].op = Op::I;
        v = validate(sch);
        QVERIFY2(has(v, Violation::Kind::Malformed, 2, "uses B, not I/W"), qPrintable(dump(v)));
        sch.stages.pop_back();
        QVERIFY(!validate(sch).empty());
    }

    void timelineOverlap_data() { addKinds(); }
    void timelineOverlap() {
        QFETCH(ScheduleKind, kind);
        const Schedule sch = generateSchedule(config(kind));
        Timeline tl = simulate(sch);
        QVERIFY(validateTimeline(sch, tl).empty());
        // Stretch one op of stage 2 into the next one.
        TimedAction& t = tl.actions[tl.stageBegin[2] + 3];
        t.end += 10.0;
        const auto v = validateTimeline(sch, tl);
        QVERIFY2(has(v, Violation::Kind::Overlap, 2), qPrintable(dump(v)));
    }

    void timelineDependency_data() { addKinds(); }
    void timelineDependency() {
        QFETCH(ScheduleKind, kind);
        const Schedule sch = generateSchedule(config(kind));
        Timeline tl = simulate(sch);
        // Stage 1's first forward starts before stage 0's forward of that microbatch ended.
        TimedAction& t = tl.actions[tl.stageBegin[1]];
        QCOMPARE(t.action.op, Op::F);
        const double d = t.end - t.start;
        t.start = 0.0;
        t.end = d;
        const auto v = validateTimeline(sch, tl);
        QVERIFY2(has(v, Violation::Kind::Dependency, 1, "before its dependency ends"),
                 qPrintable(dump(v)));
    }

    void timelineMissingAction() {
        const Schedule sch = generateSchedule(config(ScheduleKind::OneFOneB));
        Timeline tl = simulate(sch);
        tl.actions.erase(tl.actions.begin() + 5);
        const auto v = validateTimeline(sch, tl);
        QVERIFY2(has(v, Violation::Kind::Missing, 0, "not on the timeline"), qPrintable(dump(v)));
    }

    void slackToleratesClockJitter() {
        const Schedule sch = generateSchedule(config(ScheduleKind::GPipe, 2, 2, 1));
        Timeline tl = simulate(sch);
        tl.actions[tl.stageBegin[1]].start -= 0.001;
        QVERIFY(!validateTimeline(sch, tl).empty());
        QVERIFY(validateTimeline(sch, tl, 0.01).empty());
    }
};

QTEST_APPLESS_MAIN(TestValidator)
#include "tst_validator.moc"
