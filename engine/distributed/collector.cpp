// The event collector of a distributed run (distributed.h): one reader
// thread per rank connection, one accepting thread that also watches the
// connect timeout. Everything the ranks say is checked under one mutex;
// the sink is called outside it, under a lock of its own that also makes
// onFinished the last call the sink gets.
//
// This file: the collector's public side (listen, expect, pause and step,
// cancel, wait); its connections are in collectorconn.cpp, what it does with
// a rank's lines in collectorrecords.cpp.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "engine/base/safefile.h"
#include "engine/distributed/collectorimpl.h"

namespace pd {

EventCollector::EventCollector(EventSink& sink) : impl_(std::make_unique<Impl>(sink)) {}

EventCollector::~EventCollector() {
    impl_->stopping = true;
    if (impl_->wake[1] >= 0) {
        const char byte = 0;
        [[maybe_unused]] const auto n = ::write(impl_->wake[1], &byte, 1);
    }
    if (impl_->acceptThread.joinable()) impl_->acceptThread.join();
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        for (auto& c : impl_->conns) ::shutdown(c->fd, SHUT_RDWR);
    }
    for (auto& c : impl_->conns) {
        if (c->thread.joinable()) c->thread.join();
        ::close(c->fd);
    }
    for (int fd : {impl_->listenFd, impl_->wake[0], impl_->wake[1]})  // after the join: no race
        if (fd >= 0) ::close(fd);
}

void EventCollector::listen(const std::string& host, int port) {
    if (impl_->boundPort > 0)
        throw Error("the event collector already listens on port " + std::to_string(this->port()));
    const int fd = net::listenTcp(host, port);
    if (::pipe2(impl_->wake, O_CLOEXEC) != 0) {
        ::close(fd);
        throw Error("cannot create a pipe for the event collector");
    }
    impl_->listenFd = fd;
    impl_->boundPort = net::localPort(fd);
    bool open = false;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        open = impl_->secret && impl_->secret->empty();
    }
    if (open)
        impl_->logLine(
            "accepting events without a run secret (--no-secret): anyone who can "
            "reach port " +
            std::to_string(impl_->boundPort) + " may pose as a rank");
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->world > 0) impl_->connectSince = std::chrono::steady_clock::now();
    }
    impl_->acceptThread = std::thread([this] { impl_->acceptLoop(); });
}

int EventCollector::port() const {
    return impl_->boundPort;
}

void EventCollector::expect(int world, const RunOptions& options) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->setWorld(world, options);
    if (impl_->boundPort > 0) impl_->connectSince = std::chrono::steady_clock::now();
}

void EventCollector::setLog(std::function<void(const std::string&)> log) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->log = std::move(log);
}

void EventCollector::setSecret(std::string secret) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->secret = std::move(secret);
}

void EventCollector::setMemoryLimit(std::uint64_t bytes) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->memoryLimit = bytes;
}

void EventCollector::setOnAllConnected(std::function<void(const RunOptions&)> callback) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->onAllConnected = std::move(callback);
}

std::optional<RunOptions> EventCollector::options() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->options;
}

int EventCollector::worldSize() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->world;
}

std::vector<EventCollector::RankInfo> EventCollector::ranks() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::vector<RankInfo> out;
    for (int r = 0; r < impl_->world; ++r) {
        const Impl::Rank& x = impl_->ranks[r];
        RankInfo info;
        info.rank = r;
        info.host = x.host;
        info.pid = x.pid;
        info.offsetUs = x.offsetUs;
        info.errorUs = x.errorUs;
        info.connected = x.conn && x.conn->open;
        info.finished = x.state == Impl::State::Done;
        info.lost = x.state == Impl::State::Lost;
        out.push_back(info);
    }
    return out;
}

std::int64_t EventCollector::clockErrorUs() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->world == 0) return -1;
    std::int64_t worst = 0;
    for (const Impl::Rank& r : impl_->ranks) {
        if (!r.synced) return -1;
        worst = std::max(worst, r.errorUs);
    }
    return worst;
}

void EventCollector::pause() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl& d = *impl_;
    if (d.finishing) return;
    d.pauser.pause(d.goSent, d.pauseView(), d.toAll());
}

void EventCollector::resume() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->pauser.resume(impl_->toAll());
}

void EventCollector::stepSlot() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->pauser.step(false, impl_->pauseView(), impl_->toAll());
}

void EventCollector::stepBatch() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->pauser.step(true, impl_->pauseView(), impl_->toAll());
}

void EventCollector::cancel() {
    Impl::Outbox out;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        Impl& d = *impl_;
        if (d.cancelRequested) return;
        d.cancelRequested = true;
        d.othersCancelled = true;
        if (!d.stopSince) d.stopSince = std::chrono::steady_clock::now();
        d.sendAll("cancel");
        for (Impl::Rank& r : d.ranks) {
            if (r.state != Impl::State::Waiting) continue;
            r.state = Impl::State::Lost;  // given up on: it will not be waited for
            r.cancelled = true;
        }
        d.checkHeld();
        d.checkFinished(out);
    }
    impl_->deliver(out);
}

void EventCollector::markLost(int rank, const std::string& why) {
    Impl::Outbox out;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        Impl& d = *impl_;
        if (rank < 0 || rank >= d.world) return;
        Impl::Rank& r = d.ranks[rank];
        if (r.state == Impl::State::Connected && r.conn && r.conn->open) {
            r.lostReason = why;  // its end of file follows, after any done still on its way
            return;
        }
        d.lose(rank, why, out);
    }
    impl_->deliver(out);
}

bool EventCollector::paused() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->pauser.paused();
}

void EventCollector::setConnectTimeout(std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->connectTimeout = timeout;
}

bool EventCollector::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    auto done = [&] { return impl_->finished; };
    if (timeout == std::chrono::milliseconds::max()) {
        impl_->changed.wait(lock, done);
        return true;
    }
    return impl_->changed.wait_for(lock, timeout, done);
}

bool EventCollector::finished() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->finished;
}

}  // namespace pd
