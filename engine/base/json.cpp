#include "engine/base/json.h"

#include <new>
#include <nlohmann/json.hpp>

namespace pd::json {

namespace {

constexpr int kMaxDepth = 512;

struct TooMany {
    const char* what;
};

// "line L, column C (offset B)" of a byte offset.
std::string where(std::string_view text, std::size_t byte) {
    if (byte > text.size()) byte = text.size();
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < byte; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (offset " +
           std::to_string(byte) + ")";
}

// nlohmann's message without its "[json.exception.parse_error.101] parse
// error at line 1, column 2: " prefix (we say where ourselves).
std::string reason(const std::string& what) {
    const auto colon = what.find(": ");
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

bool parse(std::string_view text, Value& out, std::string& error, std::size_t maxValues) {
    out = nullptr;
    error.clear();
    std::size_t values = 0;
    const Value::parser_callback_t bound = [&](int depth, nlohmann::json::parse_event_t event,
                                               Value&) {
        if (depth > kMaxDepth) throw TooMany{"levels of nesting"};
        if ((event == nlohmann::json::parse_event_t::value ||
             event == nlohmann::json::parse_event_t::object_start ||
             event == nlohmann::json::parse_event_t::array_start) &&
            ++values > maxValues)
            throw TooMany{"values"};
        return true;
    };
    try {
        out = Value::parse(text.begin(), text.end(), bound);
        return true;
    } catch (const nlohmann::json::parse_error& e) {
        error =
            "JSON error at " + where(text, e.byte > 0 ? e.byte - 1 : 0) + ": " + reason(e.what());
    } catch (const TooMany& e) {
        error = e.what == std::string_view("values")
                    ? "JSON error: too many values (more than " + std::to_string(maxValues) +
                          ") for a text of " + std::to_string(text.size()) + " bytes"
                    : "JSON error: nesting too deep (more than " + std::to_string(kMaxDepth) +
                          " levels)";
    } catch (const std::bad_alloc&) {
        error = "not enough memory to read " + std::to_string(text.size()) + " bytes of JSON";
    } catch (const nlohmann::json::exception& e) {
        error = std::string("JSON error: ") + reason(e.what());
    }
    out = nullptr;
    return false;
}

const Value& member(const Value& object, std::string_view key) {
    static const Value null;
    if (!object.is_object()) return null;
    const auto it = object.find(key);
    return it == object.end() ? null : *it;
}

const std::string& text(const Value& v) {
    static const std::string empty;
    return v.is_string() ? v.get_ref<const std::string&>() : empty;
}

bool integer(const Value& v, std::int64_t& out) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) return false;
        out = static_cast<std::int64_t>(u);
        return true;
    }
    if (v.is_number_integer()) {
        out = v.get<std::int64_t>();
        return true;
    }
    return false;
}

std::string dump(const Ordered& v, int indent) {
    return v.dump(indent, ' ', false, nlohmann::detail::error_handler_t::replace);
}

std::string dump(const Value& v, int indent) {
    return v.dump(indent, ' ', false, nlohmann::detail::error_handler_t::replace);
}

}  // namespace pd::json
