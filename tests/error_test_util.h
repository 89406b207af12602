// What an engine call throws, for tests of the engine's error convention
// (engine/base/error.h: failures are pd::Error, bad configuration its
// ConfigError, each with one line for the user).
#pragma once

#include <optional>
#include <string>

#include "engine/base/error.h"

// The message of the pd::Error that `call` throws; nullopt when it returns.
template <typename F>
std::optional<std::string> errorOf(F&& call) {
    try {
        call();
    } catch (const pd::Error& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

// The message for QVERIFY2, which evaluates its message even when the check
// passes: "" when there was no error.
inline const char* messageOf(const std::optional<std::string>& error) {
    return error ? error->c_str() : "";
}
