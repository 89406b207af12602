// JSON through nlohmann-json (Debian's nlohmann-json3-dev), for the engine's
// file formats and --json output:
// - json::Value reads: objects in a std::map, so a file with 300k keys parses
//   in n log n, where an insertion-ordered object would check every earlier
//   key on each insert;
// - json::Ordered writes: members in insertion order, stable and diffable.
// And the few things the library leaves to its users: a parse that returns
// pd::Error (line, column, byte) instead of nlohmann's exceptions and bounds the number of
// values a text may make, reads that tolerate a missing member, and a dump
// that never throws on bytes that are not UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "engine/base/error.h"

namespace pd::json {

using Value = nlohmann::json;
using Ordered = nlohmann::ordered_json;

// Parses a whole JSON text (RFC 8259; surrounding whitespace allowed). On
// failure throws Error, one line with the line, column and byte offset of the
// byte where reading failed ("JSON error at line 1, column 4 (offset 3): ...",
// or "JSON error: ..." for the bounds below). At most `maxValues` values and
// 512 levels of nesting: a value takes 16 bytes or more, so "[0,0,0,...]"
// would take 8 times its text; callers reading files bound it by the text's
// size. Running out of memory is an Error too, not std::bad_alloc.
Value parse(std::string_view text, std::size_t maxValues = static_cast<std::size_t>(-1));

// Member `key` of an object, or a null value when absent or not an object
// (nlohmann's const operator[] requires the key to exist).
const Value& member(const Value& object, std::string_view key);
// The string, or an empty one when `v` is not a string.
const std::string& text(const Value& v);
// An integral number that fits in int64 (written without fraction or
// exponent); false otherwise.
bool integer(const Value& v, std::int64_t& out);

// Compact when indent < 0, else pretty-printed with `indent` spaces.
// NaN/inf (not JSON) print as null; bytes that are not UTF-8 print as
// U+FFFD instead of throwing.
std::string dump(const Ordered& v, int indent = -1);
std::string dump(const Value& v, int indent = -1);

}  // namespace pd::json
