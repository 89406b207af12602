// Stages as processes in the GUI: the Controls dock's choice of
// threads or local processes and its setting; the controller's attach mode
// with fake ranks (RankClient instances speaking the collector's protocol
// from threads of this test): options and hosts when every rank is there,
// the events live, a lost rank as a run error that keeps what arrived, and
// addresses that cannot be listened on; the window's listening text, the
// command it shows, and lane labels with the ranks' hosts; local processes
// started from the pipedream-train beside the window (a fake script here).
#include <QApplication>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/config/report.h"
#include "engine/distributed/distributed.h"
#include "engine/formats/trace.h"
#include "tests/error_test_util.h"
#include "tests/mainwindowprobe.h"
#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/settings.h"
#include "ui/panels/controlspanel.h"
#include "ui/views/timelineplot.h"
#include "ui/window/attachflow.h"
#include "ui/window/mainwindow.h"

using namespace pd;

namespace {

RunOptions small(int stages = 2) {
    RunOptions o = defaultRunOptions();
    o.schedule.kind = ScheduleKind::OneFOneB;
    o.schedule.stages = stages;
    o.schedule.microbatches = 4;
    o.schedule.batches = 2;
    o.layers = 8;
    o.hidden = 32;
    o.batchSize = 16;
    o.backend = "gloo";
    return o;
}

std::vector<SlotEvent> stageEvents(const RunOptions& o, int stage) {
    std::vector<SlotEvent> out;
    for (const SlotEvent& e : toSlotEvents(makeDryRun(o).timeline))
        if (e.stage == stage) out.push_back(e);
    return out;
}

// One rank of a run started "elsewhere": says hello with the run's flags,
// waits for go, sends its stage's actions of the ideal schedule and, when
// `finish`, its batches and done. Its thread is joined on destruction; the
// collector's end (cancel, closed socket) releases a rank that waits.
class FakeRank {
public:
    // `answersCancel`: says done when cancelled, as a rank does. Off where a
    // test needs the collector's order of error and end fixed.
    // `secret`: the run secret of the window's listening session.
    FakeRank(const QString& hostPort, const QString& secret, const RunOptions& o, int rank,
             const std::string& host, bool finish, bool answersCancel = true)
        : answersCancel_(answersCancel), thread_([=] {
              run(hostPort.toStdString(), secret.toStdString(), o, rank, host, finish);
          }) {}
    ~FakeRank() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    // Closes the connection without done: a rank that died.
    void die() {
        join();
        client_.reset();
    }
    std::string error() const { return error_; }
    // The control messages the collector sent this rank, in order.
    std::vector<RankClient::Control::Kind> controls() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return controls_;
    }

private:
    void run(const std::string& hostPort, const std::string& secret, const RunOptions& o, int rank,
             const std::string& host, bool finish) {
        RankClient::Hello hello;
        hello.secret = secret;
        hello.rank = rank;
        hello.world = o.schedule.stages;
        hello.host = host;
        hello.pid = 4000 + rank;
        hello.args = toArgs(o);
        // Paused, a rank says where it stands (here: after all it sent);
        // cancelled, it says done.
        const std::size_t actions = stageEvents(o, rank).size();
        client_->setControlHandler([this, rank, actions](const RankClient::Control& c) {
            if (c.kind == RankClient::Control::Pause) client_->sendHeld(rank, actions);
            if (c.kind == RankClient::Control::Cancel && answersCancel_) {
                RunSummary s;
                s.cancelled = true;
                client_->onFinished(s);
            }
            std::lock_guard<std::mutex> lock(mutex_);
            controls_.push_back(c.kind);
        });
        try {
            client_->connect(hostPort, hello, std::chrono::seconds(20));
            client_->setStage(rank);
            if (!client_->ready()) {
                error_ = "cancelled by the event collector before the run started";
                return;
            }
        } catch (const Error& e) {
            error_ = e.what();
            return;
        }
        const std::vector<SlotEvent> events = stageEvents(o, rank);
        for (const SlotEvent& e : events) client_->onSlot(e);
        if (!finish) return;
        const auto S = static_cast<std::size_t>(o.schedule.stages);
        for (int b = 0; b < o.schedule.batches; ++b) {
            BatchEvent e;
            e.batch = b;
            e.loss = rank == o.schedule.stages - 1 ? 2.0 : 0.0;
            e.versionUsed.assign(S, b);
            e.versionAfter.assign(S, b + 1);
            e.timeUs = events.back().endUs;
            client_->onBatch(e);
        }
        RunSummary s;
        s.batchesDone = o.schedule.batches;
        s.timeUs = events.back().endUs;
        client_->onFinished(s);
    }

    const bool answersCancel_;
    mutable std::mutex mutex_;
    std::vector<RankClient::Control::Kind> controls_;
    std::unique_ptr<RankClient> client_ = std::make_unique<RankClient>();
    std::string error_;
    std::thread thread_;
};

// Every label of the window's status bar, joined.
QString statusBarText(const MainWindow& w) {
    QStringList texts;
    for (const QLabel* l : w.statusBar()->findChildren<QLabel*>()) texts << l->text();
    return texts.join(QStringLiteral(" | "));
}

QString address(const EngineController& c) {
    return QStringLiteral("127.0.0.1:%1").arg(c.listenPort());
}

}  // namespace

class TestDistributedUi : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // keep the user's QSettings out of it
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        EngineController::registerMetaTypes();
    }

    void laneLabels_data() {
        QTest::addColumn<QStringList>("names");
        QTest::addColumn<QStringList>("hosts");
        QTest::addColumn<QStringList>("labels");
        const QStringList names{QStringLiteral("GPU0 (L1-4)"), QStringLiteral("GPU1 (L5-8)")};
        QTest::newRow("one process") << names << QStringList() << names;
        QTest::newRow("two hosts")
            << names << QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}
            << QStringList{QStringLiteral("GPU0 (L1-4) \u00B7 hostA"),
                           QStringLiteral("GPU1 (L5-8) \u00B7 hostB")};
        QTest::newRow("a host not known")
            << names << QStringList{QString(), QStringLiteral("hostB")}
            << QStringList{names[0], QStringLiteral("GPU1 (L5-8) \u00B7 hostB")};
    }
    void laneLabels() {
        QFETCH(QStringList, names);
        QFETCH(QStringList, hosts);
        QFETCH(QStringList, labels);
        QCOMPARE(pd::laneLabels(names, hosts), labels);
    }

    // The command the window shows for a rank on another machine: the run's
    // flags, Gloo with R and the world size, the events sent to where the
    // window listens (0.0.0.0 or no host: this machine's name).
    void rankCommand_data() {
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("events");
        const QString here = QString::fromStdString(hostName());
        QTest::newRow("one address")
            << QStringLiteral("10.1.2.3") << 2 << QStringLiteral("10.1.2.3:29600");
        QTest::newRow("every interface") << QStringLiteral("0.0.0.0") << 4 << here + ":29600";
        QTest::newRow("no host") << QString() << 3 << here + ":29600";
    }
    void rankCommand() {
        QFETCH(QString, host);
        QFETCH(int, world);
        QFETCH(QString, events);
        RunOptions threads = small(3);
        threads.backend = "threads";  // toArgs without the backend flags
        QStringList flags;
        for (const std::string& a : toArgs(threads)) flags << QString::fromStdString(a);
        const QString secret = QStringLiteral("0123abcd");
        const QString command = AttachFlow::rankCommand(small(3), world, host, 29600, secret);
        // The secret in the environment, not in the rank's argv.
        QVERIFY2(command.startsWith(QStringLiteral("PIPEDREAM_SECRET=0123abcd pipedream-train ") +
                                    flags.join(' ')),
                 qPrintable(command));
        QCOMPARE(command.count(secret), 1);
        QVERIFY(AttachFlow::rankCommand(small(3), world, host, 29600, QString())
                    .startsWith(QStringLiteral("pipedream-train ")));
        QVERIFY2(
            command.contains(QStringLiteral("--backend gloo --rank R --world-size %1 ").arg(world)),
            qPrintable(command));
        QCOMPARE(command.count(QStringLiteral("--backend")), 1);
        QVERIFY2(command.endsWith(QStringLiteral("--events ") + events), qPrintable(command));
    }

    // How the window counts the ranks while it waits: the world size only
    // once a rank has said it (the README's "(0 of W)" needs W first).
    void waitingText_data() {
        QTest::addColumn<int>("connected");
        QTest::addColumn<int>("world");
        QTest::addColumn<QString>("text");
        QTest::newRow("nobody yet")
            << 0 << 0 << QStringLiteral("waiting for the first rank (it says how many to expect)");
        QTest::newRow("world not said")
            << 1 << 0
            << QStringLiteral(
                   "waiting for ranks (1 connected; how many to expect is not known "
                   "yet)");
        QTest::newRow("one of four")
            << 1 << 4 << QStringLiteral("waiting for ranks (1 of 4 connected)");
        QTest::newRow("none of two")
            << 0 << 2 << QStringLiteral("waiting for ranks (0 of 2 connected)");
    }
    void waitingText() {
        QFETCH(int, connected);
        QFETCH(int, world);
        QFETCH(QString, text);
        QCOMPARE(AttachFlow::waitingText(connected, world), text);
    }

    // A trace with the ranks' hosts shows them in the lane labels; one
    // without keeps the labels as they were.
    void openedTraceShowsTheHosts() {
        const RunOptions o = small(2);
        RunRecord record;
        record.stageNames = stageNames(o.schedule, o.layers);
        record.slots = toSlotEvents(makeDryRun(o).timeline);
        QTemporaryDir dir;
        auto open = [&](const RunRecord& r, const QString& name) {
            const QString path = dir.filePath(name);
            if (errorOf([&] { writeFileAtomic(path.toStdString(), toChromeTrace(r)); }))
                return QStringList();
            MainWindow w(o, nullptr, false);
            QString error;
            if (!w.openRun(path, &error)) return QStringList{error};
            return probe(w).timeline()->lanes();
        };
        const QStringList plain = open(record, QStringLiteral("threads.json"));
        QCOMPARE(plain, toQStringList(record.stageNames));
        record.stageHosts = {"gpu-box-1", "gpu-box-2"};
        const QStringList hosts = open(record, QStringLiteral("ranks.json"));
        QCOMPARE(hosts.size(), 2);
        QCOMPARE(hosts[0], plain[0] + QStringLiteral(" \u00B7 gpu-box-1"));
        QCOMPARE(hosts[1], plain[1] + QStringLiteral(" \u00B7 gpu-box-2"));
    }

    // The Controls dock's "Stages run as" is the run's backend, remembered.
    void placementIsABackendSetting() {
        ControlsPanel panel;
        RunOptions o = small();
        o.backend = "threads";
        panel.showOptions(o);
        QCOMPARE(panel.placementCombo()->currentIndex(), 0);
        QCOMPARE(panel.options(o).backend, std::string("threads"));
        QSignalSpy changed(&panel, &ControlsPanel::optionsChanged);
        panel.placementCombo()->setCurrentIndex(1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.options(o).backend, std::string("gloo"));

        QTemporaryDir dir;
        QSettings s(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        saveRunOptions(s, panel.options(o));
        QCOMPARE(restoreRunOptions(s, defaultRunOptions()).backend, std::string("gloo"));
        s.setValue(QStringLiteral("run/backend"), QStringLiteral("carrier-pigeon"));
        QCOMPARE(restoreRunOptions(s, defaultRunOptions()).backend, std::string("threads"));
    }

    // Bad addresses and ports that cannot be listened on: one message each,
    // nothing left running.
    void attachRefusesWhatCannotBeListenedOn() {
        EngineController first;
        QString error;
        for (const char* bad : {"nonsense", "127.0.0.1:0x50", "127.0.0.1:70000", ":29600"}) {
            error.clear();
            QVERIFY2(!first.attach(QString::fromLatin1(bad), &error), bad);
            QVERIFY2(!error.isEmpty(), bad);
            QVERIFY(!first.running());
        }
        QVERIFY2(first.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        QVERIFY(first.listening());
        QVERIFY(first.listenPort() > 0);

        EngineController second;
        error.clear();
        QVERIFY(!second.attach(address(first), &error));
        QVERIFY2(error.contains(QString::number(first.listenPort())), qPrintable(error));
        QVERIFY(!second.running());
        QVERIFY(!second.listening());

        first.cancel();  // stops listening: the port is free again
        QVERIFY(!first.listening());
        QVERIFY2(second.attach(address(first), &error), qPrintable(error));
        second.cancel();
    }

    // Every rank says hello: the run's options and hosts, then its events,
    // merged, until done.
    void attachedRanksBringTheirRun() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        QSignalSpy waiting(&c, &EngineController::ranksWaiting);
        QSignalSpy connected(&c, &EngineController::ranksConnected);
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        QVERIFY(c.distributed());
        QCOMPARE(waiting.count(), 1);  // 0 ranks, world not known yet
        QCOMPARE(waiting.at(0).at(0).toInt(), 0);

        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 0, "hostA", true));
        QTRY_VERIFY_WITH_TIMEOUT(!waiting.isEmpty() && waiting.last().at(0).toInt() == 1, 20000);
        QCOMPARE(waiting.last().at(1).toInt(), 2);  // world from the first hello
        QVERIFY(c.listening());
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 1, "hostB", true));

        QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 20000);
        QVERIFY(!c.listening());
        const auto options = connected.at(0).at(0).value<RunOptions>();
        QCOMPARE(options.schedule.stages, 2);
        QCOMPARE(options.schedule.microbatches, 4);
        QCOMPARE(options.schedule.kind, ScheduleKind::OneFOneB);
        QCOMPARE(connected.at(0).at(1).toStringList(),
                 (QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}));

        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
        QCOMPARE(failed.count(), 0);
        QVERIFY(!finished.at(0).at(0).value<RunSummary>().failed);
        for (auto& r : ranks) {
            r->join();
            QCOMPARE(r->error(), std::string());
        }
    }

    // Pause, step and cancel of an attached run reach every rank.
    void attachedRunIsControlledOnEveryRank() {
        using Kind = RankClient::Control::Kind;
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        for (int r = 0; r < 2; ++r)
            ranks.push_back(
                std::make_unique<FakeRank>(address(c), c.listenSecret(), o, r, "host", false));
        // Running: every rank got go and sent its actions (no done).
        QTRY_COMPARE_WITH_TIMEOUT(slots, makeDryRun(o).timeline.actions.size(), 20000);
        auto everyRankGot = [&](Kind kind, int times) {
            for (auto& r : ranks) {
                const auto got = r->controls();
                if (std::count(got.begin(), got.end(), kind) < times) return false;
            }
            return true;
        };
        c.pause();  // every rank says where it stands, then gets its frontier
        QVERIFY(c.paused());
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Pause, 1), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Frontier, 1), 20000);
        c.stepSlot();
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Frontier, 2), 20000);
        c.resume();
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Resume, 1), 20000);
        c.cancel();
        QVERIFY(!c.running());
        QTRY_VERIFY_WITH_TIMEOUT(everyRankGot(Kind::Cancel, 1), 20000);
    }

    // A rank that dies: a run error naming it and its host; what the other
    // ranks sent stays.
    void lostRankFailsTheRunKeepingItsEvents() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        EngineController c;
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 0, "hostA", false, false));
        ranks.push_back(
            std::make_unique<FakeRank>(address(c), c.listenSecret(), o, 1, "hostB", false, false));
        const std::size_t first = stageEvents(o, 0).size() + stageEvents(o, 1).size();
        QTRY_COMPARE_WITH_TIMEOUT(slots, first, 20000);
        QCOMPARE(failed.count(), 0);
        ranks[1]->die();
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() >= 1, 20000);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(QStringLiteral("rank 1")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("hostB")), qPrintable(message));
        ranks[0]->die();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
        QVERIFY(finished.at(0).at(0).value<RunSummary>().failed);
        QCOMPARE(slots, first);
    }

    // The window: Run > Attach listens and says so, with the command for the
    // other machines; the ranks' run fills the timeline, its lanes labelled
    // with their hosts; Stop listening frees the port.
    void windowAttachesAndLabelsLanesWithHosts() {
        RunOptions shown = small(3);
        shown.backend = "threads";
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        MainWindow w(shown, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        QVERIFY(probe(w).attachAction());
        QCOMPARE(probe(w).attachAction()->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+A")));
        QVERIFY(!probe(w).stopListeningAction()->isEnabled());

        QString error;
        QVERIFY(!w.attachTo(QStringLiteral("no port here"), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!probe(w).controller()->listening());

        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        QVERIFY(probe(w).stopListeningAction()->isEnabled());
        QVERIFY2(w.listeningText().startsWith(QStringLiteral("Listening on ") + where),
                 qPrintable(w.listeningText()));
        QVERIFY(probe(w).statusLabel()->text().contains(w.listeningText()));
        // Before any rank's hello the world size is not known: said, not guessed.
        QVERIFY2(w.listeningText().contains(QStringLiteral("waiting for the first rank")),
                 qPrintable(w.listeningText()));
        // Nothing in the status bar claims a run is attached while none is.
        QVERIFY2(!statusBarText(w).contains(QStringLiteral("attached")),
                 qPrintable(statusBarText(w)));
        const QString explain = probe(w).explainView()->toPlainText();
        for (const QString& part :
             {QStringLiteral("pipedream-train --schedule 1f1b --stages 3"),
              QStringLiteral("--backend gloo --rank R --world-size 3"),
              QStringLiteral("--events 127.0.0.1:%1").arg(probe(w).controller()->listenPort())})
            QVERIFY2(explain.contains(part), qPrintable(explain));
        QVERIFY(probe(w).model()->measuredBoxes().empty());

        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "hostA", true));
        QTRY_VERIFY_WITH_TIMEOUT(w.listeningText().contains(QStringLiteral("(1 of 2 connected)")),
                                 20000);
        QVERIFY(!statusBarText(w).contains(QStringLiteral("attached")));
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   1, "hostB", true));
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->hasRun(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(statusBarText(w).contains(QStringLiteral("attached run: 2 ranks")),
                                 5000);
        QCOMPARE(probe(w).model()->options().schedule.stages,
                 2);  // the ranks' run, not the controls'
        QCOMPARE(probe(w).controls()->stagesSpin()->value(), 2);
        QCOMPARE(probe(w).timeline()->lanes().size(), 2);
        QVERIFY2(probe(w).timeline()->lanes()[0].endsWith(QStringLiteral(" \u00B7 hostA")),
                 qPrintable(probe(w).timeline()->lanes()[0]));
        QVERIFY(probe(w).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 hostB")));
        QVERIFY(probe(w).timeline()->title().contains(QStringLiteral("hostA, hostB")));
        QVERIFY(!probe(w).stopListeningAction()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->measuredBoxes().size(),
                                  makeDryRun(o).timeline.actions.size(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 20000);
        QVERIFY(probe(w).model()->error().isEmpty());
        QVERIFY(probe(w).model()->record().status == "completed");

        // Its trace keeps the hosts; opened again, the lanes show them.
        QTemporaryDir files;
        const QString trace = files.filePath(QStringLiteral("attached.json"));
        QVERIFY2(w.exportTrace(trace, &error), qPrintable(error));
        MainWindow reopened(shown, nullptr, false);
        QVERIFY2(reopened.openRun(trace, &error), qPrintable(error));
        QCOMPARE(probe(reopened).model()->stageHosts(),
                 (QStringList{QStringLiteral("hostA"), QStringLiteral("hostB")}));
        QVERIFY(probe(reopened).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 hostB")));

        // Listening again on a fixed port, then stopping: the port is free.
        const QString again = where;
        QVERIFY2(w.attachTo(again, &error), qPrintable(error));
        QVERIFY(probe(w).controller()->listening());
        probe(w).stopListeningAction()->trigger();
        QVERIFY(!probe(w).controller()->listening());
        QVERIFY(w.listeningText().isEmpty());
        EngineController other;
        QVERIFY2(other.attach(again, &error), qPrintable(error));
    }

    // Run > Attach to a run...: the address is asked for (the last one
    // offered again); a bad one is said once and asked for again; Cancel
    // leaves the window as it was.
    void attachDialogAsksAgainAfterABadAddress() {
        MainWindow w(small(2), nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QStringList offered, said;
        int step = 0;
        QTimer driver;  // answers the dialogs as a person would
        connect(&driver, &QTimer::timeout, this, [&] {
            QWidget* modal = QApplication::activeModalWidget();
            if (!modal) return;
            if (auto* box = qobject_cast<QMessageBox*>(modal)) {
                said << box->text();
                box->accept();
            } else if (auto* input = qobject_cast<QInputDialog*>(modal)) {
                offered << input->textValue();
                if (step++ == 0) {
                    input->setTextValue(QStringLiteral("no-port-here"));
                    input->accept();
                } else {
                    input->reject();
                }
            }
        });
        driver.start(20);
        probe(w).attachAction()->trigger();  // returns once the dialogs are answered
        driver.stop();
        QCOMPARE(offered.size(), 2);
        QCOMPARE(offered[0], QStringLiteral("127.0.0.1:29600"));  // the default
        QCOMPARE(offered[1], QStringLiteral("no-port-here"));     // asked again, as typed
        QCOMPARE(said.size(), 1);
        QVERIFY2(said[0].contains(QStringLiteral("no-port-here")), qPrintable(said[0]));
        QVERIFY(!probe(w).controller()->listening());
        QVERIFY(w.listeningText().isEmpty());
    }

    // A rank lost mid-run in the window: the run error as today's, the
    // events received kept, the run marked failed (and partial).
    void windowKeepsAFailedAttachedRunsEvents() {
        const RunOptions o = small(2);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        MainWindow w(o, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        QString error;
        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "hostA", false, false));
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   1, "hostB", false, false));
        const std::size_t sent = makeDryRun(o).timeline.actions.size();
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->measuredBoxes().size(), sent, 20000);
        ranks[1]->die();
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).model()->error().isEmpty(), 20000);
        QVERIFY2(probe(w).model()->error().contains(QStringLiteral("rank 1")),
                 qPrintable(probe(w).model()->error()));
        QVERIFY(w.inlineError().startsWith(QStringLiteral("Run failed: ")));
        QVERIFY2(probe(w).timeline()->title().contains(QStringLiteral("partial")),
                 qPrintable(probe(w).timeline()->title()));
        QCOMPARE(probe(w).model()->measuredBoxes().size(), sent);
        QCOMPARE(probe(w).model()->record().status, std::string("failed"));
        QVERIFY(probe(w).model()->record().statusMessage.find("rank 1") != std::string::npos);
        ranks[0]->die();
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).controller()->running(), 20000);
        QCOMPARE(probe(w).model()->measuredBoxes().size(), sent);
    }

    // Local processes: Start runs S pipedream-train ranks with the rank
    // flags and the collector's address; a rank that exits is a run error.
    void localProcessesRunTheTrainExecutable() {
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("fake-train"));
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(
                "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args-$$\"\n"
                "echo 'fake rank: no training here' >&2\nexit 3\n");
        }
        QFile::setPermissions(script, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        EngineController c;
        c.setTrainExecutable(script);
        QSignalSpy failed(&c, &EngineController::failed);
        QSignalSpy finished(&c, &EngineController::finished);
        RunOptions o = small(2);
        o.rendezvousTimeoutS = 5;
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        QVERIFY(c.distributed());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QVERIFY(failed.count() >= 1);
        QVERIFY(finished.at(0).at(0).value<RunSummary>().failed);

        QStringList args;
        for (const QString& name : QDir(dir.path()).entryList({QStringLiteral("args-*")})) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            args << QString::fromUtf8(f.readAll()).trimmed();
        }
        QCOMPARE(args.size(), 2);
        args.sort();
        for (int r = 0; r < 2; ++r) {
            const QString& a = args[r];
            QVERIFY2(a.contains(QStringLiteral("--stages 2")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--backend gloo")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--world-size 2")), qPrintable(a));
            QVERIFY2(a.contains(QStringLiteral("--events 127.0.0.1:")), qPrintable(a));
        }
        QVERIFY(args.join(QLatin1Char('\n')).contains(QStringLiteral("--rank 0")));
        QVERIFY(args.join(QLatin1Char('\n')).contains(QStringLiteral("--rank 1")));
    }

    // The window with "Local processes (Gloo)" chosen: the run is made of
    // processes, its lanes carry this host, a rank's exit is the run's error.
    void windowRunsLocalProcesses() {
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("fake-train"));
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("#!/bin/sh\necho 'error: fake rank' >&2\nexit 3\n");
        }
        QFile::setPermissions(script, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        RunOptions o = small(2);
        o.backend = "threads";
        MainWindow w(o, nullptr, false);
        probe(w).controller()->setTrainExecutable(script);
        probe(w).controls()->placementCombo()->setCurrentIndex(1);
        QCOMPARE(w.currentOptions().backend, std::string("gloo"));
        w.restartRun();
        QVERIFY(probe(w).controller()->distributed());
        const QString here = QString::fromStdString(hostName());
        QVERIFY2(probe(w).timeline()->lanes()[1].endsWith(QStringLiteral(" \u00B7 ") + here),
                 qPrintable(probe(w).timeline()->lanes()[1]));
        QTRY_VERIFY_WITH_TIMEOUT(!probe(w).model()->error().isEmpty(), 30000);
        QVERIFY2(probe(w).model()->error().contains(QStringLiteral("status 3")),
                 qPrintable(probe(w).model()->error()));
        QVERIFY(w.inlineError().startsWith(QStringLiteral("Run failed: ")));

        probe(w).controls()->placementCombo()->setCurrentIndex(
            0);  // back to threads: labels as before
        w.restartRun();
        QVERIFY(!probe(w).controller()->distributed());
        QVERIFY(!probe(w).timeline()->lanes()[1].contains(QStringLiteral("\u00B7")));
    }

    // Real ranks (pipedream-train --backend gloo) started by the controller:
    // paused at t0, a step runs the first slot only, resumed it finishes.
    void realLocalProcessesStepAndFinish() {
#ifndef PD_TRAIN_EXE
        QSKIP("pipedream-train is not built");
#else
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        const RunOptions o = small(2);
        EngineController c;
        c.setTrainExecutable(QStringLiteral(PD_TRAIN_EXE));
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.start(o, &error, /*paused=*/true), qPrintable(error));
        c.stepSlot();  // slot 0: the first forward of stage 0
        QTRY_COMPARE_WITH_TIMEOUT(slots, std::size_t(1), 60000);
        QVERIFY(c.paused());
        c.resume();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
#endif
    }

    // Real ranks started "elsewhere" (here: two processes on this machine)
    // with --events: the window's controller collects their run.
    void realRanksAttach() {
#ifndef PD_TRAIN_EXE
        QSKIP("pipedream-train is not built");
#else
        if (!EngineController::engineAvailable()) QSKIP("no training engine in this build");
        const RunOptions o = small(2);
        EngineController c;
        QSignalSpy connected(&c, &EngineController::ranksConnected);
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy failed(&c, &EngineController::failed);
        std::size_t slots = 0;
        connect(&c, &EngineController::slotsArrived, this,
                [&](const std::vector<SlotEvent>& v) { slots += v.size(); });
        QString error;
        QVERIFY2(c.attach(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString masterPort = QString::number(freePort("127.0.0.1"));
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (int r = 0; r < 2; ++r) {
            QStringList args;
            for (const std::string& a : toArgs(o)) args << QString::fromStdString(a);
            args << QStringLiteral("--rank") << QString::number(r) << QStringLiteral("--world-size")
                 << QStringLiteral("2") << QStringLiteral("--master-addr")
                 << QStringLiteral("127.0.0.1") << QStringLiteral("--master-port") << masterPort
                 << QStringLiteral("--events") << address(c);
            ranks.push_back(std::make_unique<QProcess>());
            ranks.back()->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            // The window's secret, as its command says: in the environment.
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("PIPEDREAM_SECRET"), c.listenSecret());
            ranks.back()->setProcessEnvironment(env);
            ranks.back()->start(QStringLiteral(PD_TRAIN_EXE), args);
        }
        QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 60000);
        const QString here = QString::fromStdString(hostName());
        QCOMPARE(connected[0][1].toStringList(), (QStringList{here, here}));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        QCOMPARE(slots, makeDryRun(o).timeline.actions.size());
        for (auto& p : ranks) {
            QTRY_COMPARE_WITH_TIMEOUT(p->state(), QProcess::NotRunning, 60000);
            QCOMPARE(p->exitStatus(), QProcess::NormalExit);
            QCOMPARE(p->exitCode(), 0);
        }
#endif
    }

    // Not a check: with PD_SCREENSHOT_DIR set, saves the window listening
    // and showing an attached run, for a person to look at.
    void screenshots() {
        const QByteArray env = qgetenv("PD_SCREENSHOT_DIR");
        if (env.isEmpty()) QSKIP("set PD_SCREENSHOT_DIR to save screenshots");
        const QDir dir(QString::fromUtf8(env));
        const RunOptions o = small(4);
        std::vector<std::unique_ptr<FakeRank>> ranks;
        RunOptions shown = o;
        shown.backend = "threads";
        MainWindow w(shown, nullptr, false);
        probe(w).controller()->setPreferSimulated(true);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QString error;
        QVERIFY2(w.attachTo(QStringLiteral("127.0.0.1:0"), &error), qPrintable(error));
        const QString where = address(*probe(w).controller());
        ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(), o,
                                                   0, "alpha", true));
        QTRY_VERIFY_WITH_TIMEOUT(w.listeningText().contains(QStringLiteral("(1 of 4 connected)")),
                                 20000);
        QTest::qWait(200);
        w.grab().save(dir.filePath(QStringLiteral("attach_listening.png")));
        const char* hosts[] = {"alpha", "alpha", "beta", "gamma"};
        for (int r = 1; r < 4; ++r)
            ranks.push_back(std::make_unique<FakeRank>(where, probe(w).controller()->listenSecret(),
                                                       o, r, hosts[r], true));
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 20000);
        probe(w).controls()->paceCombo()->setCurrentIndex(
            probe(w).controls()->paceCombo()->count() - 1);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->slotCount(), 20000);
        QTest::qWait(300);
        w.grab().save(dir.filePath(QStringLiteral("attach_run.png")));
#ifdef PD_TRAIN_EXE
        // The same configuration as local processes of the real pipedream-train.
        probe(w).controller()->setPreferSimulated(false);
        probe(w).controller()->setTrainExecutable(QStringLiteral(PD_TRAIN_EXE));
        w.setOptions(o);
        w.restartRun();
        w.playPause();
        QTRY_VERIFY_WITH_TIMEOUT(probe(w).model()->finished(), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(probe(w).model()->cursor(), probe(w).model()->slotCount(), 20000);
        probe(w).timeBaseCombo()->setCurrentIndex(1);  // measured
        QTest::qWait(300);
        w.grab().save(dir.filePath(QStringLiteral("local_processes.png")));
#endif
    }
};

QTEST_MAIN(TestDistributedUi)
#include "tst_distributed_ui.moc"
