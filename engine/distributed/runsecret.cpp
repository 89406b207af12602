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
    try {
        return toHex(randomBytes(32));
    } catch (const Error& e) {
        throw ConfigError(std::string("cannot make a run secret: ") + e.what());
    }
}

std::string readRunSecret(const RunOptions& o, const std::function<const char*(const char*)>& env) {
    if (o.noSecret) return {};
    if (!o.secretFile.empty()) {
        const std::string name = "'" + printable(o.secretFile) + "'";
        struct stat st {};
        if (::stat(o.secretFile.c_str(), &st) != 0)
            throw ConfigError("--secret-file " + name + " cannot be read (" + std::strerror(errno) +
                              ")");
        if (!S_ISREG(st.st_mode))
            throw ConfigError("--secret-file " + name + " is not a regular file");
        std::ifstream in(o.secretFile, std::ios::binary);
        if (!in)
            throw ConfigError("--secret-file " + name + " cannot be read (permission denied?)");
        std::string head(kMaxSecretBytes + 1, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        if (in.bad()) throw ConfigError("--secret-file " + name + " cannot be read");
        head.resize(static_cast<std::size_t>(in.gcount()));
        const std::string line = head.substr(0, head.find('\n'));
        if (line.size() > kMaxSecretBytes)
            throw ConfigError("--secret-file " + name + ": its first line is longer than " +
                              std::to_string(kMaxSecretBytes) + " bytes");
        std::string secret = trimmed(line);
        if (secret.empty())
            throw ConfigError("--secret-file " + name +
                              " is empty (its first line is the run secret)");
        return secret;
    }
    if (const char* v = env(kSecretVariable)) {
        std::string secret = trimmed(v);
        if (secret.size() > kMaxSecretBytes)
            throw ConfigError(std::string("the environment variable ") + kSecretVariable +
                              " is longer than " + std::to_string(kMaxSecretBytes) + " bytes");
        if (secret.empty())
            throw ConfigError(std::string("the environment variable ") + kSecretVariable +
                              " is set but empty (it holds the run secret)");
        return secret;
    }
    throw ConfigError(
        std::string("ranks started by hand need a shared run secret: set ") + kSecretVariable +
        " (the same on every rank) or --secret-file FILE; --no-secret accepts events from "
        "anyone who can reach the collector (a trusted network only)");
}

}  // namespace pd
