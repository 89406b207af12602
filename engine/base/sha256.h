// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the run secret's
// challenge-response between a distributed run's ranks and its event
// collector: the secret never travels, only HMAC(secret, nonce).
// Small and dependency-free; checked against the RFC 4231 test vectors.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/error.h"

namespace pd {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);
Digest hmacSha256(std::string_view key, std::string_view message);

// Lower-case hex of bytes.
std::string toHex(std::string_view bytes);
std::string toHex(const Digest& digest);

// Equal in time independent of where they differ (for secrets' proofs).
bool equalConstantTime(std::string_view a, std::string_view b);

// `bytes` random bytes from /dev/urandom; Error when it cannot be read.
std::string randomBytes(std::size_t bytes);

}  // namespace pd
