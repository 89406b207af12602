// The c10d::Store of ranks started by hand (rankstore.h), over rank 0's
// StoreServer or another rank's StoreClient: what ProcessGroupGloo and the
// rank's own keys need, every wait bounded by --rendezvous-timeout.
#include "engine/distributed/rankstore.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include "engine/base/safefile.h"
#include "engine/distributed/netutil.h"

namespace pd {

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

std::string text(const Bytes& b) {
    return std::string(b.begin(), b.end());
}

Bytes bytes(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

class RankStore : public c10d::Store {
public:
    RankStore(std::shared_ptr<StoreServer> host, std::shared_ptr<StoreClient> link,
              std::chrono::milliseconds timeout)
        : c10d::Store(timeout), host_(std::move(host)), link_(std::move(link)) {}

    void set(const std::string& key, const Bytes& value) override {
        host_ ? host_->set(key, text(value)) : link_->set(key, text(value));
    }

    Bytes get(const std::string& key) override {
        wait({key});
        const auto v = host_ ? host_->get(key) : link_->get(key);
        if (!v) throw Error("rendezvous key '" + printable(key) + "' was deleted");
        return bytes(*v);
    }

    std::int64_t add(const std::string& key, std::int64_t value) override {
        return host_ ? host_->add(key, value) : link_->add(key, value);
    }

    Bytes compareSet(const std::string& key, const Bytes& expected, const Bytes& desired) override {
        return bytes(host_ ? host_->compareSet(key, text(expected), text(desired))
                           : link_->compareSet(key, text(expected), text(desired)));
    }

    bool deleteKey(const std::string& key) override {
        return host_ ? host_->erase(key) : link_->erase(key);
    }

    bool check(const std::vector<std::string>& keys) override {
        for (const std::string& k : keys)
            if (!(host_ ? host_->check(k) : link_->check(k))) return false;
        return true;
    }

    std::int64_t getNumKeys() override { return host_ ? host_->numKeys() : link_->numKeys(); }

    void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }

    // Never longer than the store's timeout, whatever the caller asks
    // (Gloo asks for c10d's default, 300 s).
    void wait(const std::vector<std::string>& keys,
              const std::chrono::milliseconds& timeout) override {
        const auto limit =
            timeout.count() > 0 ? std::min(timeout, timeout_) : std::chrono::milliseconds(timeout_);
        const auto start = Clock::now();
        for (const std::string& k : keys) {
            const auto left = std::max(
                std::chrono::milliseconds(0),
                limit -
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
            if (host_ ? host_->wait(k, left) : link_->wait(k, left)) continue;
            const auto took =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            throw Error("rendezvous key '" + printable(k) + "' did not arrive within " +
                        net::seconds(took.count()) + " (the rendezvous timeout is " +
                        net::seconds(timeout_.count()) + ")");
        }
    }

    void setTimeout(const std::chrono::milliseconds& timeout) override {
        c10d::Store::setTimeout(timeout);
        if (link_) link_->setTimeout(timeout);
    }

private:
    std::shared_ptr<StoreServer> host_;
    std::shared_ptr<StoreClient> link_;
};

}  // namespace

void RankRendezvous::open(const RunOptions& o, const std::string& secret) {
    timeout_ = std::chrono::seconds(o.rendezvousTimeoutS);
    const std::string where = printable(o.masterAddr) + ":" + std::to_string(o.masterPort);
    if (o.rank == 0) {
        host_ =
            std::make_shared<StoreServer>(o.worldSize, secret, timeout_, [](const std::string& l) {
                std::fprintf(stderr, "warning: rank 0: rendezvous store: %s\n", l.c_str());
            });
        // That address only: the other ranks reach rank 0 there.
        try {
            host_->listen(o.masterAddr, o.masterPort);
        } catch (const Error& e) {
            throw ConfigError("rank 0 cannot host the rendezvous at " + where + " (" + e.what() +
                              "); is the port in use? choose another with --master-port");
        }
        return;
    }
    link_ = std::make_shared<StoreClient>();
    link_->setTimeout(timeout_);
    try {
        link_->connect(o.masterAddr, o.masterPort, secret, timeout_);
    } catch (const Error& e) {
        throw ConfigError("rank " + std::to_string(o.rank) + ": " + e.what() +
                          " (--rendezvous-timeout " + std::to_string(o.rendezvousTimeoutS) + ")");
    }
}

std::unique_ptr<c10d::Store> RankRendezvous::store() const {
    return std::make_unique<RankStore>(host_, link_, timeout_);
}

void RankRendezvous::finish(const RunOptions& o) {
    const std::string up = "pd/up/";
    try {
        if (link_) {
            link_->set(up + std::to_string(o.rank), "1");
            link_->close();
            return;
        }
        if (!host_) return;
        // The others may still read each other's addresses: rank 0 closes
        // the store once each says its process group is up.
        const auto deadline = Clock::now() + timeout_;
        for (int r = 1; r < o.worldSize; ++r)
            host_->wait(
                up + std::to_string(r),
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    } catch (const std::exception&) {
        // A rank gone now is the run's to report; the store closes anyway.
    }
    if (host_) host_->stop();
}

}  // namespace pd
