// A small JSON value for the engine's file formats and --json output. The
// engine has no Qt, so QJsonDocument is not an option; this keeps object
// members in insertion order (stable, diffable output) and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace pd::json {

class Value {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    using Array = std::vector<Value>;
    using Member = std::pair<std::string, Value>;
    using Object = std::vector<Member>;

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : v_(b) {}
    // Any integer type (but not bool): kept exact as a 64-bit integer.
    template <typename T,
              typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
    Value(T i) : v_(static_cast<std::int64_t>(i)) {}
    Value(double d) : v_(d) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(Object o) : v_(std::move(o)) {}

    static Value array() { return Value(Array{}); }
    static Value object() { return Value(Object{}); }
    // An object of `members` in their order; a repeated key keeps its first
    // position and its last value, as repeated set() calls would, but in
    // linear time (the parser builds every object this way).
    static Value objectOf(Object members);

    Type type() const;
    bool isNull() const { return v_.index() == kNull; }
    bool isBool() const { return v_.index() == kBool; }
    bool isNumber() const { return v_.index() == kInt || v_.index() == kDouble; }
    // A number that is an exact integer (written without fraction/exponent,
    // or constructed from an integer type).
    bool isInteger() const { return v_.index() == kInt; }
    bool isString() const { return v_.index() == kString; }
    bool isArray() const { return v_.index() == kArray; }
    bool isObject() const { return v_.index() == kObject; }

    // Typed reads return `fallback` (or an empty string/list) on a type
    // mismatch, so callers can chain lookups without checks at every step.
    bool toBool(bool fallback = false) const;
    double toDouble(double fallback = 0.0) const;
    std::int64_t toInt(std::int64_t fallback = 0) const;
    const std::string& toString() const;
    const Array& items() const;
    const Object& members() const;

    // Array/object size; 0 for scalars.
    std::size_t size() const;
    // Element i, or a null value when out of range or not an array.
    const Value& operator[](std::size_t i) const;
    const Value& operator[](int i) const { return (*this)[static_cast<std::size_t>(i)]; }
    // Member `key`, or a null value when absent or not an object.
    const Value& operator[](std::string_view key) const;
    const Value& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
    const Value* find(std::string_view key) const;
    bool contains(std::string_view key) const { return find(key) != nullptr; }

    // Appends to an array (any other value becomes an empty array first).
    Value& push(Value v);
    // Sets member `key` (any other value becomes an empty object first); an
    // existing key keeps its position. Returns the stored value.
    Value& set(std::string key, Value v);

    // Compact when indent < 0, else pretty-printed with `indent` spaces.
    // Integers print as integers; other numbers in the shortest form that
    // parses back to the same double; NaN/inf (not JSON) print as null.
    std::string dump(int indent = -1) const;

    bool operator==(const Value& o) const;
    bool operator!=(const Value& o) const { return !(*this == o); }

private:
    void dumpTo(std::string& out, int indent, int depth) const;

    // A variant keeps a Value at 40 bytes: traces hold millions of them.
    enum Index : std::size_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> v_;
};

// Parses a whole JSON text (RFC 8259; surrounding whitespace allowed). On
// failure returns false, leaves `out` null and sets `error` to a message
// with line, column and byte offset. At most `maxValues` values: a Value
// takes 40 bytes or more, so "[0,0,0,...]" would take 20 times its text;
// callers reading files bound it by the text's size. Running out of memory
// is an error too, not an exception.
bool parse(std::string_view text, Value& out, std::string& error,
           std::size_t maxValues = static_cast<std::size_t>(-1));
Value parse(std::string_view text, std::string& error);

// `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);

}  // namespace pd::json
