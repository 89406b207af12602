// The run secret of a distributed run (distributed.h): where a rank takes it
// from, and a new one for the launcher and the window's Attach.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "engine/base/safefile.h"
#include "engine/base/sha256.h"
#include "engine/distributed/distributed.h"

namespace pd {

namespace {

std::string trimmed(std::string text) {
    const char* space = " \t\r\n\v\f";
    const auto from = text.find_first_not_of(space);
    if (from == std::string::npos) return {};
    text.erase(text.find_last_not_of(space) + 1);
    return text.substr(from);
}

}  // namespace

std::string newRunSecret() {
    const std::string bytes = randomBytes(32);
    if (bytes.size() != 32)
        throw ConfigError("cannot make a run secret: /dev/urandom cannot be read");
    return toHex(bytes);
}

std::string readRunSecret(const RunOptions& o, const std::function<const char*(const char*)>& env,
                          std::string& secret) {
    secret.clear();
    if (o.noSecret) return {};
    if (!o.secretFile.empty()) {
        const std::string name = "'" + printable(o.secretFile) + "'";
        struct stat st {};
        if (::stat(o.secretFile.c_str(), &st) != 0)
            return "--secret-file " + name + " cannot be read (" + std::strerror(errno) + ")";
        if (!S_ISREG(st.st_mode)) return "--secret-file " + name + " is not a regular file";
        std::ifstream in(o.secretFile, std::ios::binary);
        if (!in) return "--secret-file " + name + " cannot be read (permission denied?)";
        std::string head(kMaxSecretBytes + 1, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        if (in.bad()) return "--secret-file " + name + " cannot be read";
        head.resize(static_cast<std::size_t>(in.gcount()));
        const std::string line = head.substr(0, head.find('\n'));
        if (line.size() > kMaxSecretBytes)
            return "--secret-file " + name + ": its first line is longer than " +
                   std::to_string(kMaxSecretBytes) + " bytes";
        secret = trimmed(line);
        if (secret.empty())
            return "--secret-file " + name + " is empty (its first line is the run secret)";
        return {};
    }
    if (const char* v = env(kSecretVariable)) {
        secret = trimmed(v);
        if (secret.size() > kMaxSecretBytes) {
            secret.clear();
            return std::string("the environment variable ") + kSecretVariable + " is longer than " +
                   std::to_string(kMaxSecretBytes) + " bytes";
        }
        if (secret.empty())
            return std::string("the environment variable ") + kSecretVariable +
                   " is set but empty (it holds the run secret)";
        return {};
    }
    return std::string("ranks started by hand need a shared run secret: set ") + kSecretVariable +
           " (the same on every rank) or --secret-file FILE; --no-secret accepts events from "
           "anyone who can reach the collector (a trusted network only)";
}

}  // namespace pd
