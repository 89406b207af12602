// Command lines in tests: what parseRunOptions makes of one, or the line
// its ConfigError says; checkRunOptions' line.
#pragma once

#include <string>
#include <vector>

#include "engine/config/options.h"
#include "error_test_util.h"

namespace pd {

// What a command line makes: its options, or the one line the user would
// read (`error`, empty when the options were accepted).
struct Outcome : ParsedOptions {
    std::string error;
};

inline Outcome parsed(const std::vector<std::string>& args, bool viz) {
    Outcome out;
    if (const auto e =
            errorOf([&] { static_cast<ParsedOptions&>(out) = parseRunOptions(args, viz); }))
        out.error = *e;
    return out;
}

// checkRunOptions' message, empty when the options are valid.
inline std::string checked(const RunOptions& options) {
    return errorOf([&] { checkRunOptions(options); }).value_or("");
}

}  // namespace pd
