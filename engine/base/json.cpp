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

// nlohmann's own DOM builder, with the values and the nesting counted on
// the way. (Its callback parser would count them too, but after each nested
// object it scans the whole parent for discarded members: a trace with 200k
// stack frames took minutes.)
class BoundedBuilder {
public:
    using Dom = nlohmann::detail::json_sax_dom_parser<Value>;
    BoundedBuilder(Value& out, std::size_t maxValues) : dom_(out, true), max_(maxValues) {}

    bool null() { return count() && dom_.null(); }
    bool boolean(bool v) { return count() && dom_.boolean(v); }
    bool number_integer(Value::number_integer_t v) { return count() && dom_.number_integer(v); }
    bool number_unsigned(Value::number_unsigned_t v) { return count() && dom_.number_unsigned(v); }
    bool number_float(Value::number_float_t v, const std::string& s) {
        return count() && dom_.number_float(v, s);
    }
    bool string(std::string& v) { return count() && dom_.string(v); }
    bool binary(Value::binary_t& v) { return count() && dom_.binary(v); }
    bool start_object(std::size_t n) { return open() && dom_.start_object(n); }
    bool key(std::string& k) { return dom_.key(k); }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return open() && dom_.start_array(n); }
    bool end_array() {
        --depth_;
        return dom_.end_array();
    }
    template <class Exception>
    bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
        return dom_.parse_error(position, token, e);  // throws e
    }

private:
    bool count() {
        if (++values_ > max_) throw TooMany{"values"};
        return true;
    }
    bool open() {
        if (++depth_ > kMaxDepth) throw TooMany{"levels of nesting"};
        return count();
    }

    Dom dom_;
    std::size_t max_;
    std::size_t values_ = 0;
    int depth_ = 0;
};

}  // namespace

Value parse(std::string_view text, std::size_t maxValues) {
    Value out;
    try {
        BoundedBuilder builder(out, maxValues);
        Value::sax_parse(text.begin(), text.end(), &builder);
        return out;
    } catch (const nlohmann::json::parse_error& e) {
        throw Error("JSON error at " + where(text, e.byte > 0 ? e.byte - 1 : 0) + ": " +
                    reason(e.what()));
    } catch (const TooMany& e) {
        throw Error(e.what == std::string_view("values")
                        ? "JSON error: too many values (more than " + std::to_string(maxValues) +
                              ") for a text of " + std::to_string(text.size()) + " bytes"
                        : "JSON error: nesting too deep (more than " + std::to_string(kMaxDepth) +
                              " levels)");
    } catch (const std::bad_alloc&) {
        throw Error("not enough memory to read " + std::to_string(text.size()) + " bytes of JSON");
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("JSON error: ") + reason(e.what()));
    }
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
