// Line-based TCP sockets for the distributed collector and its ranks
// (distributed.h): connecting, listening, sending whole lines without
// SIGPIPE, reading lines with a buffer, and the escaping that keeps free
// text to one field of one line. POSIX only; no torch, no Qt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/error.h"

namespace pd::net {

// Every socket here has TCP_NODELAY (one small line per action) and
// close-on-exec (rank processes must not inherit the collector's sockets).
void tuneSocket(int fd);

// A connection that failed; retryable() tells a refused or unreachable peer
// (worth trying again) from a bad host name.
class ConnectError : public Error {
public:
    ConnectError(const std::string& message, bool retryable)
        : Error(message), retryable_(retryable) {}
    bool retryable() const { return retryable_; }

private:
    bool retryable_;
};

// Connects to host:port: the socket, or ConnectError.
int connectTcp(const std::string& host, int port);

// Listening socket on host:port (0: a free port); Error when it cannot be had.
int listenTcp(const std::string& host, int port);

// The local address this machine uses to reach host:port (the route's
// source: a UDP socket connected there, nothing sent), numeric; empty when
// it cannot be found.
std::string localAddressToward(const std::string& host, int port);

// The local port of a bound socket, 0 on failure.
int localPort(int fd);

// Writes all of `data` (MSG_NOSIGNAL, EINTR retried); false when the peer
// has gone or the send timed out.
bool sendAll(int fd, std::string_view data);

// Gives up a send after `ms` milliseconds blocked on a full buffer.
void setSendTimeout(int fd, int ms);

// Reads '\n'-terminated lines from one socket (the '\n' and a '\r' before
// it are dropped). Not thread-safe: one reader per socket.
class LineReader {
public:
    enum Result { Line, Timeout, Closed };
    explicit LineReader(int fd = -1) : fd_(fd) {}
    // Waits up to `timeoutMs` (-1: for ever) for a complete line.
    Result read(std::string& line, int timeoutMs = -1);

private:
    int fd_;
    std::string buffer_;
    std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no '\n'
};

// Longest line either side accepts: a rank's error message or option list
// is far shorter; anything longer is a stranger, not a rank.
constexpr std::size_t kMaxLineBytes = 1 << 16;

// Free text as one space-free field: backslash, space and control bytes
// escaped (\\, \s, \n, \r, \t, \xNN); unescape(escape(t)) == t.
std::string escape(std::string_view text);
std::string unescape(std::string_view field);

// A line's fields (single spaces between them).
std::vector<std::string_view> fields(std::string_view line);

bool toInt(std::string_view text, std::int64_t& out);
bool toInt(std::string_view text, int& out);
bool toDouble(std::string_view text, double& out);

// Seconds as a person reads them: "5 s", "0.25 s".
std::string seconds(std::int64_t ms);

}  // namespace pd::net
