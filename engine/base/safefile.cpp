#include "engine/base/safefile.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace pd {

void (*gBeforeAtomicRename)(const std::string&) = nullptr;

namespace {

std::string errnoText(const char* verb, const std::string& path, int err = errno) {
    return std::string("cannot ") + verb + " '" + printable(path) + "': " + std::strerror(err);
}

std::string folderOf(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ".name.tmp" : the prefix of our temporaries for `path`; the pid and a
// counter follow, so a later writer can tell whose they are.
std::string tempPrefix(const std::string& path) {
    return "." + baseOf(path) + ".tmp";
}

// The final target of a chain of symlinks (a dangling link names the file to
// create). Gives up after 40 links, like the kernel.
std::string followLinks(std::string path) {
    for (int hop = 0; hop < 40; ++hop) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
        std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
        const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n <= 0) return path;
        target.resize(static_cast<std::size_t>(n));
        path = target[0] == '/' ? target : folderOf(path) + "/" + target;
    }
    return path;
}

// A temporary of ours whose writer is gone (killed mid-write): its pid no
// longer exists. Temporaries of live writers are left alone.
bool isStaleTemp(const std::string& name, const std::string& prefix) {
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    long pid = 0;
    auto r = std::from_chars(first, last, pid);
    if (r.ec != std::errc() || r.ptr == last || *r.ptr != '_' || pid <= 0) return false;
    if (pid == ::getpid()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

void removeStaleTemps(const std::string& path) {
    DIR* dir = ::opendir(folderOf(path).c_str());
    if (!dir) return;
    const std::string prefix = tempPrefix(path);
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (isStaleTemp(name, prefix)) ::unlinkat(::dirfd(dir), name.c_str(), 0);
    }
    ::closedir(dir);
}

// O_EXCL on a unique name in the target's folder, so the rename stays on
// one file system and two writers never share a temporary.
int openTemp(const std::string& path, std::string& tempPath) {
    static std::atomic<unsigned> counter{0};
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
        tempPath =
            dir + tempPrefix(path) + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        const int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

// Writes everything; on failure errno says why (a short write of 0 bytes,
// which POSIX allows on a full disk, is reported as ENOSPC).
bool writeAll(int fd, const std::string& content) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) errno = ENOSPC;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Makes the rename itself durable; failure here loses nothing, so ignored.
void syncFolder(const std::string& path) {
    const int fd = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

[[noreturn]] void fail(const char* verb, const std::string& path, int err = errno) {
    throw Error(errnoText(verb, path, err));
}

// Closes a descriptor on every way out.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void writeToFd(int fd, const std::string& path, const std::string& content) {
    if (!writeAll(fd, content)) fail("write", path);
}

// Devices, FIFOs and sockets: no temporary (a rename would replace the
// device node with a regular file), no truncation, no fsync (not a file).
void writeThrough(const std::string& path, const std::string& content) {
    const Fd out{::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY)};
    if (out.fd < 0) fail("write", path);
    writeToFd(out.fd, path, content);
}

void replaceAtomically(const std::string& path, const std::string& content) {
    removeStaleTemps(path);
    std::string temp;
    const int fd = openTemp(path, temp);
    if (fd < 0) fail("write", path);
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) ::fchmod(fd, old.st_mode & 07777);  // keep its mode
    int err = 0;
    if (!writeAll(fd, content) || ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && gBeforeAtomicRename) gBeforeAtomicRename(temp);
    if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(temp.c_str());
        fail("write", path, err);
    }
    syncFolder(path);
}

const char* kindOf(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

std::string sizeText(std::uint64_t bytes) {
    if (bytes >= (std::uint64_t{1} << 30)) return std::to_string(bytes >> 30) + " GiB";
    if (bytes >= (std::uint64_t{1} << 20)) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace

bool isStdoutPath(const std::string& path) {
    return path == "-" || path == "/dev/stdout";
}

void writeFileAtomic(const std::string& path, const std::string& content) {
    if (path.empty()) throw Error("cannot write '': empty file name");
    if (isStdoutPath(path)) return writeToFd(STDOUT_FILENO, "standard output", content);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {  // follows symlinks
        if (S_ISDIR(st.st_mode)) fail("write", path, EISDIR);
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
            return writeThrough(path, content);
        if (!S_ISREG(st.st_mode))
            throw Error("cannot write '" + printable(path) + "': it is " + kindOf(st.st_mode));
    }
    replaceAtomically(followLinks(path), content);
}

void checkWritable(const std::string& path) {
    if (path.empty() || isStdoutPath(path)) return;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) fail("write", path, EISDIR);
        if (!S_ISREG(st.st_mode)) return;  // written through, like a pipe
    }
    const std::string dir = folderOf(followLinks(path));
    if (::access(dir.c_str(), W_OK | X_OK) == 0) return;
    throw Error("cannot write '" + printable(path) + "': folder '" + printable(dir) + "' " +
                (::access(dir.c_str(), F_OK) == 0 ? "is not writable" : "does not exist"));
}

std::string readFile(const std::string& path, std::uint64_t maxBytes) {
    // O_NONBLOCK: opening a FIFO without a writer must not hang.
    const Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    if (in.fd < 0) fail("read", path);
    struct stat st {};
    if (::fstat(in.fd, &st) != 0) fail("read", path);
    if (S_ISDIR(st.st_mode)) fail("read", path, EISDIR);
    if (!S_ISREG(st.st_mode))
        throw Error("cannot read '" + printable(path) + "': it is " + kindOf(st.st_mode) +
                    ", not a regular file");
    const auto tooLarge = [&](const std::string& what) {
        return Error("cannot read '" + printable(path) + "': " + what + "the limit of " +
                     sizeText(maxBytes));
    };
    if (static_cast<std::uint64_t>(st.st_size) > maxBytes)
        throw tooLarge(sizeText(static_cast<std::uint64_t>(st.st_size)) + " is more than ");
    std::string data;
    data.reserve(static_cast<std::size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(in.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read", path);
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > maxBytes) throw tooLarge("more than ");  // grew while we read
    }
    return data;
}

std::string printable(std::string_view text, std::size_t maxBytes) {
    static const char* hex = "0123456789abcdef";
    const bool cut = text.size() > maxBytes;
    if (cut) text = text.substr(0, maxBytes);
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;  // UTF-8 passes through
        }
    }
    return cut ? out + "..." : out;
}

}  // namespace pd
