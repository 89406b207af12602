// The distributed GUI tests' fixtures: fake ranks (RankClients speaking
// the collector's protocol from threads of the test) and small runs.
#pragma once

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

namespace pd::distuitest {

inline RunOptions small(int stages = 2) {
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

inline std::vector<SlotEvent> stageEvents(const RunOptions& o, int stage) {
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
inline QString statusBarText(const MainWindow& w) {
    QStringList texts;
    for (const QLabel* l : w.statusBar()->findChildren<QLabel*>()) texts << l->text();
    return texts.join(QStringLiteral(" | "));
}

inline QString address(const EngineController& c) {
    return QStringLiteral("127.0.0.1:%1").arg(c.listenPort());
}

}  // namespace pd::distuitest
