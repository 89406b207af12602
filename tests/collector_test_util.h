// The collector tests' fixtures: a recording sink, fake ranks (RankClients
// on the test's threads), a collector with its ranks, the collector's log,
// and raw connections that speak the protocol line by line.
#pragma once

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QtTest>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"
#include "engine/distributed/netutil.h"
#include "engine/schedule/slotgrid.h"
#include "error_test_util.h"

namespace pd::collectortest {

using namespace std::chrono_literals;

inline constexpr auto kLong = 20s;  // for things that take milliseconds
// The run secret of the tests' collectors and fake ranks.
inline const std::string kSecret = "tst-collector-secret";

// Everything the collector hands on, and a way to wait for it.
class RecordingSink : public EventSink {
public:
    void onSlot(const SlotEvent& e) override {
        add([&] { slots.push_back(e); });
    }
    void onMemory(const MemoryEvent& e) override {
        add([&] { memory.push_back(e); });
    }
    void onBatch(const BatchEvent& e) override {
        add([&] { batches.push_back(e); });
    }
    void onVersion(const VersionEvent& e) override {
        add([&] { versions.push_back(e); });
    }
    void onFinished(const RunSummary& s) override {
        add([&] {
            summary = s;
            ++finishedCount;
        });
    }
    void onError(const std::string& m) override {
        add([&] { errors.push_back(m); });
    }

    template <typename Pred>
    bool waitFor(Pred pred, std::chrono::milliseconds timeout = kLong) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
    bool waitFinished() {
        return waitFor([&] { return finishedCount > 0; });
    }
    std::string allErrors() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& e : errors) out += e + "\n";
        return out;
    }

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
    std::vector<std::string> errors;
    RunSummary summary;
    int finishedCount = 0;

private:
    template <typename F>
    void add(F f) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            f();
        }
        changed.notify_all();
    }
};

inline RunOptions smallOptions(int stages = 2, int microbatches = 4, int batches = 1) {
    RunOptions o = defaultRunOptions();
    o.schedule.stages = stages;
    o.schedule.microbatches = microbatches;
    o.schedule.batches = batches;
    o.backend = "gloo";
    return o;
}

// A rank without training: a RankClient and the control it received.
class FakeRank {
public:
    FakeRank() {
        client.setControlHandler([this](const RankClient::Control& c) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                controls.push_back(c);
            }
            changed.notify_all();
        });
    }
    void connect(int port, int rank, int world, const RunOptions& options,
                 const std::string& secret = kSecret) {
        RankClient::Hello h;
        h.secret = secret;
        h.rank = rank;
        h.world = world;
        h.host = "host" + std::to_string(rank);
        h.pid = 1000 + rank;
        h.args = toArgs(options);
        client.setStage(rank);
        client.connect("127.0.0.1:" + std::to_string(port), h, 10s);
    }
    // The next control message not looked at yet (nullopt after a timeout).
    std::optional<RankClient::Control> next(std::chrono::milliseconds timeout = kLong) {
        std::unique_lock<std::mutex> lock(mutex);
        if (!changed.wait_for(lock, timeout, [&] { return controls.size() > seen; }))
            return std::nullopt;
        return controls[seen++];
    }
    std::optional<int> nextFrontier() {
        const auto c = next();
        if (!c || c->kind != RankClient::Control::Frontier) return std::nullopt;
        return c->frontier;
    }

private:
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<RankClient::Control> controls;
    std::size_t seen = 0;

public:
    RankClient client;  // last: its reader thread uses the members above
};

// `world` fake ranks connected to a collector on `port`, all of them ready
// (go received).
struct Ranks {
    std::vector<std::unique_ptr<FakeRank>> ranks;
    std::vector<std::chrono::steady_clock::time_point> t0;

    bool connect(int port, int world, const RunOptions& o, const std::string& secret = kSecret) {
        for (int r = 0; r < world; ++r) {
            ranks.push_back(std::make_unique<FakeRank>());
            if (const auto error =
                    errorOf([&] { ranks.back()->connect(port, r, world, o, secret); })) {
                qWarning("connect: %s", error->c_str());
                return false;
            }
        }
        return true;
    }
    bool ready() {
        std::vector<std::future<std::optional<std::chrono::steady_clock::time_point>>> go;
        for (auto& r : ranks)
            go.push_back(std::async(std::launch::async, [&r] {
                std::optional<std::chrono::steady_clock::time_point> t0;
                if (const auto error = errorOf([&] { t0 = r->client.ready(); }))
                    qWarning("ready: %s", error->c_str());
                return t0;
            }));
        for (auto& g : go) {
            auto t = g.get();
            if (!t) return false;
            t0.push_back(*t);
        }
        return true;
    }
    FakeRank& operator[](int r) { return *ranks[r]; }
};

// A collector expecting `world` ranks of `options`, and those ranks
// connected (and, with `ready`, started).
struct Cluster {
    RecordingSink sink;
    EventCollector collector{sink};
    Ranks ranks;  // last: the ranks go first, while the collector listens

    bool start(int world, const RunOptions& options, bool ready = true) {
        collector.setSecret(kSecret);
        collector.expect(world, options);
        if (const auto error = errorOf([&] { collector.listen("127.0.0.1", 0); })) {
            qWarning("listen: %s", error->c_str());
            return false;
        }
        return ranks.connect(collector.port(), world, options) && (!ready || ranks.ready());
    }
};

inline RunSummary done(int batches = 1, std::int64_t timeUs = 100, bool cancelled = false) {
    RunSummary s;
    s.batchesDone = batches;
    s.timeUs = timeUs;
    s.cancelled = cancelled;
    return s;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The collector's log (refused connections), and a way to wait for it.
class LogLines {
public:
    std::function<void(const std::string&)> sink() {
        return [this](const std::string& line) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                lines.push_back(line);
            }
            changed.notify_all();
        };
    }
    bool waitFor(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, kLong, [&] { return lines.size() >= count; });
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }

private:
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
};

// Open file descriptors of this process.
inline int openFds() {
    return static_cast<int>(QDir("/proc/self/fd").entryList(QDir::Files | QDir::System).size());
}

// Connects and answers the collector's challenge with `secret` (a rank's
// nonce of "a"s); `welcome` gets the collector's answer. -1 when it fails.
inline int connectWithSecret(int port, const std::string& secret, std::string& welcome,
                             net::LineReader& reader) {
    int fd = -1;
    if (errorOf([&] { fd = net::connectTcp("127.0.0.1", port); })) return -1;
    reader = net::LineReader(fd);
    std::string challenge;
    if (reader.read(challenge, 10000) != net::LineReader::Line ||
        challenge.rfind("challenge ", 0) != 0) {
        ::close(fd);
        return -1;
    }
    net::sendAll(fd, "auth " +
                         toHex(hmacSha256(secret, "pipedream-collector " + challenge.substr(10))) +
                         " " + std::string(64, 'a') + "\n");
    if (reader.read(welcome, 10000) != net::LineReader::Line) welcome.clear();
    return fd;
}

// Connects with the run secret, says one line, and returns what comes back
// until the collector closes (or 10 s pass).
inline std::string sayOnce(int port, const std::string& line) {
    net::LineReader reader;
    std::string welcome;
    const int fd = connectWithSecret(port, kSecret, welcome, reader);
    if (fd < 0) return "connect failed";
    if (welcome.rfind("welcome ", 0) != 0) return "not welcome: " + welcome;
    net::sendAll(fd, line + "\n");
    std::string out, reply;
    while (reader.read(reply, 10000) == net::LineReader::Line) out += reply + "\n";
    ::close(fd);
    return out;
}

}  // namespace pd::collectortest
