#include "engine/distributed/netutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/base/parse.h"
#include "engine/base/safefile.h"
#include "engine/distributed/distributed.h"

namespace pd {

std::int64_t steadyNowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string hostName() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
    return name;
}

int freePort(const std::string& host) {
    int fd = -1;
    try {
        fd = net::listenTcp(host, 0);
    } catch (const Error&) {
        return 0;
    }
    const int port = net::localPort(fd);
    ::close(fd);
    return port;
}

namespace net {

void tuneSocket(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

namespace {

struct AddrInfo {
    addrinfo* list = nullptr;
    ~AddrInfo() {
        if (list) freeaddrinfo(list);
    }
};

// Resolves host:port; Error when it cannot be.
void resolve(const std::string& host, int port, bool passive, AddrInfo& out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    const std::string service = std::to_string(port);
    const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &out.list);
    if (rc != 0)
        throw Error("cannot resolve host '" + printable(host) +
                    "': " + (rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc)));
}

}  // namespace

int connectTcp(const std::string& host, int port) {
    AddrInfo ai;
    try {
        resolve(host, port, false, ai);
    } catch (const Error& e) {
        throw ConnectError(e.what(), false);  // a bad name: trying again will not help
    }
    int lastErr = 0;
    for (addrinfo* a = ai.list; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            lastErr = errno;
            continue;
        }
        int rc;
        do {
            rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        } while (rc != 0 && errno == EINTR);
        if (rc == 0) {
            tuneSocket(fd);
            return fd;
        }
        lastErr = errno;
        ::close(fd);
    }
    throw ConnectError("cannot connect to " + printable(host) + ":" + std::to_string(port) + ": " +
                           std::strerror(lastErr),
                       lastErr == ECONNREFUSED || lastErr == ETIMEDOUT || lastErr == EHOSTUNREACH ||
                           lastErr == ENETUNREACH || lastErr == ECONNRESET || lastErr == EAGAIN);
}

std::string localAddressToward(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* list = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list) != 0) return {};
    std::string out;
    for (addrinfo* a = list; a && out.empty(); a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        sockaddr_storage local{};
        socklen_t len = sizeof local;
        char text[INET6_ADDRSTRLEN] = {};
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
            ::getnameinfo(reinterpret_cast<sockaddr*>(&local), len, text, sizeof text, nullptr, 0,
                          NI_NUMERICHOST) == 0)
            out = text;
        ::close(fd);
    }
    freeaddrinfo(list);
    return out;
}

int listenTcp(const std::string& host, int port) {
    if (port < 0 || port > 65535)
        throw Error("bad port " + std::to_string(port) + ": expected 0 (any free port) to 65535");
    AddrInfo ai;
    resolve(host, port, true, ai);
    const std::string where = printable(host) + ":" + std::to_string(port);
    int lastErr = 0;
    for (addrinfo* a = ai.list; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            lastErr = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 64) == 0) return fd;
        lastErr = errno;
        ::close(fd);
    }
    throw Error("cannot listen on " + where + ": " +
                (lastErr == EADDRINUSE ? std::string("the port is in use by another program")
                                       : std::string(std::strerror(lastErr))));
}

int localPort(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
    if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return 0;
}

bool sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void setSendTimeout(int fd, int ms) {
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

LineReader::Result LineReader::read(std::string& line, int timeoutMs) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        const auto nl = buffer_.find('\n', scanned_);
        if (nl != std::string::npos) {
            line.assign(buffer_, 0, nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            buffer_.erase(0, nl + 1);
            scanned_ = 0;
            return Line;
        }
        scanned_ = buffer_.size();
        if (buffer_.size() > kMaxLineBytes) return Closed;  // not one of ours
        if (timeoutMs >= 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  until - std::chrono::steady_clock::now())
                                  .count();
            if (left <= 0) return Timeout;
            pollfd p{fd_, POLLIN, 0};
            const int rc = ::poll(&p, 1, static_cast<int>(left));
            if (rc == 0) return Timeout;
            if (rc < 0 && errno != EINTR) return Closed;
            if (rc < 0) continue;
        }
        char chunk[4096];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Closed;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string escape(std::string_view text) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + 8);
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case ' ':
                out += "\\s";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 0xf];
                } else {
                    out += ch;
                }
        }
    }
    return out.empty() ? std::string("\\e") : out;  // an empty field stays a field
}

std::string unescape(std::string_view field) {
    if (field == "\\e") return {};
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\' || i + 1 >= field.size()) {
            out += field[i];
            continue;
        }
        const char e = field[++i];
        if (e == 's') {
            out += ' ';
        } else if (e == 'n') {
            out += '\n';
        } else if (e == 'r') {
            out += '\r';
        } else if (e == 't') {
            out += '\t';
        } else if (e == 'x' && i + 2 < field.size()) {
            unsigned value = 0;
            const auto r = std::from_chars(field.data() + i + 1, field.data() + i + 3, value, 16);
            if (r.ptr != field.data() + i + 3) {
                out += '\\';
                out += e;
                continue;
            }
            out += static_cast<char>(value);
            i += 2;
        } else {
            out += e;  // "\\" and anything unknown
        }
    }
    return out;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= line.size()) {
        const auto sp = line.find(' ', start);
        const auto end = sp == std::string_view::npos ? line.size() : sp;
        if (end > start) out.push_back(line.substr(start, end - start));
        if (sp == std::string_view::npos) break;
        start = sp + 1;
    }
    return out;
}

bool toInt(std::string_view text, std::int64_t& out) {
    return parseNumber(text, out);
}

bool toInt(std::string_view text, int& out) {
    return parseNumber(text, out);
}

bool toDouble(std::string_view text, double& out) {
    return parseNumber(text, out);
}

std::string seconds(std::int64_t ms) {
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms) / 1000.0);
    return text;
}

}  // namespace net
}  // namespace pd
