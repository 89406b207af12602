// The rendezvous store of ranks started by hand (pipedream-train --backend
// gloo --rank R --world-size W --master-addr A --master-port P): rank 0
// serves it on A:P (that address only), the other ranks connect. Every
// connection proves the run secret first; sizes, connections and waits are
// bounded, so a stranger can neither read the run's options nor hold the
// rendezvous past --rendezvous-timeout. StoreServer and StoreClient are
// torch-free (storeserver.cpp, storeclient.cpp); the c10d::Store that the
// process group uses over them is in rankstore.cpp (LibTorch).
//
// The wire, after connect:
//   host:  challenge <nonce>           64 hex digits, at once
//   rank:  auth <proof|-> <nonce2>     HMAC-SHA256(secret, "pipedream-store " +
//                                      nonce) as hex; "-" with --no-secret
//   host:  welcome <proof|->           HMAC-SHA256(secret, "pipedream-store-host "
//                                      + nonce2): the host knows it too
//       or refused <reason>            and the connection is closed
// then binary requests, one at a time:
//   op (1 byte), three lengths (4 bytes each, big-endian), three fields
//   (key, value, value2); each length is checked before anything is read
//   for it. The reply: status (1 byte), length (4 bytes), data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/config/options.h"

namespace c10d {
class Store;
}

namespace pd {

constexpr std::size_t kStoreMaxKeyBytes = 4096;
constexpr std::size_t kStoreMaxValueBytes = 1 << 20;
// All keys and values together (a rendezvous holds a few kilobytes).
constexpr std::size_t kStoreMaxTotalBytes = 64 << 20;
// Connections that have not proven the secret yet, on top of the world size.
constexpr std::size_t kStoreExtraPending = 4;
// A connection that has not answered the challenge by then is closed.
constexpr int kStoreHandshakeMs = 5000;

enum class StoreOp : std::uint8_t { Set = 1, Get, Add, CompareSet, Delete, Check, Wait, NumKeys };
enum class StoreStatus : std::uint8_t { Ok = 0, No = 1, Timeout = 2, Error = 3 };

// Serves the store on its own thread (poll()); rank 0 uses it in-process.
class StoreServer {
public:
    using Log = std::function<void(const std::string&)>;
    // `secret` empty: none asked (--no-secret; said once on the log).
    // `world`: ranks, so world - 1 connections in all. Waits are capped at
    // `maxWait` (the rendezvous timeout). `log`: one line per event (default:
    // stderr "warning: rendezvous store: ...").
    StoreServer(int world, std::string secret, std::chrono::milliseconds maxWait, Log log = {});
    ~StoreServer();
    StoreServer(const StoreServer&) = delete;
    StoreServer& operator=(const StoreServer&) = delete;

    // Binds host:port (that address only) and starts serving; Error when
    // it cannot.
    void listen(const std::string& host, int port);
    int port() const;
    bool listening() const;
    // Closes the port and every connection (once the process group is up);
    // the keys stay readable here.
    void stop();

    // Rank 0's own operations (the c10d::Store semantics).
    void set(const std::string& key, std::string value);
    std::optional<std::string> get(const std::string& key) const;
    std::int64_t add(const std::string& key, std::int64_t delta);  // throws on a non-number
    std::string compareSet(const std::string& key, const std::string& expected,
                           std::string desired);
    bool erase(const std::string& key);
    bool check(const std::string& key) const;
    std::int64_t numKeys() const;
    // True when `key` exists within `timeout` (capped at maxWait).
    bool wait(const std::string& key, std::chrono::milliseconds timeout) const;

    int joined() const;   // open connections that proved the secret
    int refused() const;  // connections closed before or for breaking the protocol

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// One rank's connection to the store. Every operation throws
// Error (the host, the operation, the real time it took) when
// the connection breaks or no reply comes within its timeout.
class StoreClient {
public:
    ~StoreClient();
    // Connects (again while refused: rank 0 may start later) and proves the
    // secret both ways, within `timeout`; Error when it cannot.
    void connect(const std::string& host, int port, const std::string& secret,
                 std::chrono::milliseconds timeout);
    void close();
    // Replies that take longer than this fail the operation (the rendezvous timeout).
    void setTimeout(std::chrono::milliseconds timeout);

    void set(const std::string& key, const std::string& value);
    std::optional<std::string> get(const std::string& key);
    std::int64_t add(const std::string& key, std::int64_t delta);
    std::string compareSet(const std::string& key, const std::string& expected,
                           const std::string& desired);
    bool erase(const std::string& key);
    bool check(const std::string& key);
    std::int64_t numKeys();
    bool wait(const std::string& key, std::chrono::milliseconds timeout);

private:
    struct Reply {
        StoreStatus status = StoreStatus::Error;
        std::string data;
    };
    Reply request(StoreOp op, const std::string& key, const std::string& value,
                  const std::string& value2, std::chrono::milliseconds replyWithin);
    std::string where_;
    int fd_ = -1;
    std::chrono::milliseconds timeout_{30000};
    std::mutex mutex_;
};

// The store for ranks started by hand (not under --launch, not torchrun's
// agent store): rank 0 hosts, the others connect (rankstore.cpp).
class RankRendezvous {
public:
    // Throws ConfigError: the port taken, rank 0 not reached within
    // --rendezvous-timeout, a wrong secret.
    void open(const RunOptions& o, const std::string& secret);
    // The c10d::Store over it, for the process group and the rank's keys.
    std::unique_ptr<c10d::Store> store() const;
    // Once this rank's process group is up: the others say so, rank 0 waits
    // for all of them (at most --rendezvous-timeout) and closes the store.
    void finish(const RunOptions& o);

private:
    std::shared_ptr<StoreServer> host_;
    std::shared_ptr<StoreClient> link_;
    std::chrono::milliseconds timeout_{0};
};

}  // namespace pd
