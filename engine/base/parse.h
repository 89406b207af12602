// Parsing of numbers and addresses from text, the same in every locale: Qt
// sets the C locale from the environment, and strtod/stod/stoi would then
// read "2.31" as 2 in a comma-decimal locale. Everything that reads a number
// from a file, a socket or the command line goes through here.
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>

#include "engine/base/error.h"

namespace pd {

// The whole token as an integer or floating-point T, no leading spaces or
// '+', no trailing junk, no overflow: "4x", "1e3" (for an integer),
// "99999999999" (for int) and "" all fail. Doubles accept "inf" and "nan";
// parseFinite does not.
template <typename T>
bool parseNumber(std::string_view text, T& out) {
    if (text.empty()) return false;
    T value{};
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
    out = value;
    return true;
}

inline bool parseFinite(std::string_view text, double& out) {
    double value = 0;
    if (!parseNumber(text, value) || !std::isfinite(value)) return false;
    out = value;
    return true;
}

struct HostPort {
    std::string host;
    int port = 0;
};
// "HOST:PORT" or "[IPv6]:PORT", port 1 to 65535; throws Error (one line, the
// text quoted with control bytes escaped) otherwise.
HostPort parseHostPort(const std::string& text);

}  // namespace pd
