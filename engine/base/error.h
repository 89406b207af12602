// The engine's one error convention. A failure the user can act on (bad
// flags, a file that cannot be read or written, an address that cannot be
// reached, a peer that breaks the protocol) is thrown as pd::Error, or as its
// ConfigError when the configuration itself is wrong, with a one-line message
// meant for the user as it is (no "error: " prefix, control bytes escaped).
// Our own bugs are std::logic_error. No function returns an error code, an
// empty-string success or takes an error out-parameter.
//
// Errors are caught only at the boundaries, where they become what that
// boundary speaks: pipedream-train's and a rank's main (a line on stderr and
// exit status 2), a worker thread (an error event to the sink), the
// collector's connection to one rank (the rank is dropped) and the window's
// run session and file actions (a failure signal, then a message).
// No torch, no Qt.
#pragma once

#include <stdexcept>

namespace pd {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bad configuration: flags, sliders, a profile or a split that do not fit.
class ConfigError : public Error {
public:
    using Error::Error;
};

}  // namespace pd
