#include "engine/base/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <new>
#include <string_view>
#include <unordered_map>

namespace pd::json {

namespace {

const Value& nullValue() {
    static const Value v;
    return v;
}

// Deep enough for any file we write; shallow enough that hostile input
// cannot overflow the stack through recursion.
constexpr int kMaxDepth = 512;

void appendNumber(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    // std::to_chars without a precision gives the shortest text that reads
    // back to the same double, independent of the C locale (Qt sets it).
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, r.ptr);
}

void appendInt(std::string& out, std::int64_t i) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out.append(buf, r.ptr);
}

void appendQuoted(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xf];
                } else {
                    out += ch;  // UTF-8 passes through unchanged
                }
        }
    }
    out += '"';
}

void newline(std::string& out, int indent, int depth) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(depth), ' ');
}

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    Parser(std::string_view text, std::size_t maxValues) : text_(text), valuesLeft_(maxValues) {}

    bool run(Value& out, std::string& error) {
        skipSpace();
        if (!parseValue(out, 0)) return fail(error);
        skipSpace();
        if (pos_ != text_.size()) {
            message_ = "unexpected text after the JSON value";
            return fail(error);
        }
        return true;
    }

private:
    bool fail(std::string& error) {
        int line = 1, column = 1;
        for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        error = "JSON error at line " + std::to_string(line) + ", column " +
                std::to_string(column) + " (offset " + std::to_string(pos_) + "): " + message_;
        return false;
    }

    bool error(const char* message) {
        message_ = message;
        return false;
    }

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }

    void skipSpace() {
        while (!atEnd()) {
            char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++pos_;
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return error("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool parseValue(Value& out, int depth) {
        if (depth > kMaxDepth) return error("nesting too deep");
        if (valuesLeft_-- == 0) return error("too many values for the size of the text");
        if (atEnd()) return error("unexpected end of input, expected a value");
        switch (peek()) {
            case '{':
                return parseObject(out, depth);
            case '[':
                return parseArray(out, depth);
            case '"': {
                std::string s;
                if (!parseString(s)) return false;
                out = Value(std::move(s));
                return true;
            }
            case 't':
                out = Value(true);
                return literal("true");
            case 'f':
                out = Value(false);
                return literal("false");
            case 'n':
                out = Value();
                return literal("null");
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parseNumber(out);
                return error("unexpected character, expected a value");
        }
    }

    bool parseObject(Value& out, int depth) {
        ++pos_;  // '{'
        out = Value::object();
        skipSpace();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        Value::Object members;
        for (;;) {
            skipSpace();
            if (peek() != '"') return error("expected a string key");
            std::string key;
            if (!parseString(key)) return false;
            skipSpace();
            if (peek() != ':') return error("expected ':' after the key");
            ++pos_;
            skipSpace();
            Value v;
            if (!parseValue(v, depth + 1)) return false;
            members.emplace_back(std::move(key), std::move(v));
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                out = Value::objectOf(std::move(members));
                return true;
            }
            return error("expected ',' or '}'");
        }
    }

    bool parseArray(Value& out, int depth) {
        ++pos_;  // '['
        out = Value::array();
        skipSpace();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            skipSpace();
            Value v;
            if (!parseValue(v, depth + 1)) return false;
            out.push(std::move(v));
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return error("expected ',' or ']'");
        }
    }

    bool parseHex4(std::uint32_t& cp) {
        if (pos_ + 4 > text_.size()) return error("truncated \\u escape");
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            char c = text_[pos_++];
            cp <<= 4;
            if (c >= '0' && c <= '9')
                cp |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                cp |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                cp |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return error("invalid hex digit in \\u escape");
        }
        return true;
    }

    // \uD83D\uDE00 style surrogate pairs become one code point.
    bool parseUnicodeEscape(std::string& out) {
        std::uint32_t cp = 0;
        if (!parseHex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return error("unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u")
                return error("unpaired high surrogate in \\u escape");
            pos_ += 2;
            std::uint32_t low = 0;
            if (!parseHex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return error("invalid low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, cp);
        return true;
    }

    bool parseEscape(std::string& out) {
        if (atEnd()) return error("unterminated string");
        char c = text_[pos_++];
        switch (c) {
            case '"':
                out += '"';
                return true;
            case '\\':
                out += '\\';
                return true;
            case '/':
                out += '/';
                return true;
            case 'b':
                out += '\b';
                return true;
            case 'f':
                out += '\f';
                return true;
            case 'n':
                out += '\n';
                return true;
            case 'r':
                out += '\r';
                return true;
            case 't':
                out += '\t';
                return true;
            case 'u':
                return parseUnicodeEscape(out);
            default:
                --pos_;
                return error("invalid escape in string");
        }
    }

    bool parseString(std::string& out) {
        ++pos_;  // opening quote
        for (;;) {
            if (atEnd()) return error("unterminated string");
            char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return error("control character in string");
            ++pos_;
            if (c == '\\') {
                if (!parseEscape(out)) return false;
            } else {
                out += c;
            }
        }
    }

    std::size_t digits() {
        std::size_t n = 0;
        while (!atEnd() && peek() >= '0' && peek() <= '9') {
            ++pos_;
            ++n;
        }
        return n;
    }

    // Checks the strict JSON number grammar, then converts with from_chars
    // (locale-independent). Integers that fit stay exact int64s.
    bool parseNumber(Value& out) {
        const std::size_t begin = pos_;
        bool integral = true;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (digits() == 0) {
            return error("invalid number");
        }
        if (peek() == '.') {
            ++pos_;
            integral = false;
            if (digits() == 0) return error("invalid number: digits expected after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            integral = false;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (digits() == 0) return error("invalid number: digits expected in the exponent");
        }
        const char* first = text_.data() + begin;
        const char* last = text_.data() + pos_;
        if (integral) {
            std::int64_t i = 0;
            auto r = std::from_chars(first, last, i);
            if (r.ec == std::errc() && r.ptr == last) {
                out = Value(i);
                return true;
            }
        }
        double d = 0.0;
        auto r = std::from_chars(first, last, d);
        if (r.ec != std::errc() || r.ptr != last || !std::isfinite(d)) {
            pos_ = begin;
            return error("number out of range");
        }
        out = Value(d);
        return true;
    }

    std::string_view text_;
    std::size_t valuesLeft_;
    std::size_t pos_ = 0;
    std::string message_;
};

}  // namespace

Value Value::objectOf(Object members) {
    // Index of each key's first occurrence; the vector no longer grows, so
    // views into its keys stay valid.
    std::unordered_map<std::string_view, std::size_t> first;
    first.reserve(members.size());
    std::size_t kept = 0;
    for (std::size_t i = 0; i < members.size(); ++i) {
        auto [it, inserted] = first.try_emplace(members[i].first, kept);
        if (inserted) {
            if (kept != i) {
                members[kept] = std::move(members[i]);
                // The moved key may live in a new buffer: point the map at it.
                first.erase(it);
                first.emplace(members[kept].first, kept);
            }
            ++kept;
        } else {
            members[it->second].second = std::move(members[i].second);
        }
    }
    members.resize(kept);
    return Value(std::move(members));
}

Value::Type Value::type() const {
    switch (v_.index()) {
        case kBool:
            return Type::Bool;
        case kInt:
        case kDouble:
            return Type::Number;
        case kString:
            return Type::String;
        case kArray:
            return Type::Array;
        case kObject:
            return Type::Object;
        default:
            return Type::Null;
    }
}

bool Value::toBool(bool fallback) const {
    return isBool() ? std::get<kBool>(v_) : fallback;
}

double Value::toDouble(double fallback) const {
    if (isInteger()) return static_cast<double>(std::get<kInt>(v_));
    return v_.index() == kDouble ? std::get<kDouble>(v_) : fallback;
}

std::int64_t Value::toInt(std::int64_t fallback) const {
    if (isInteger()) return std::get<kInt>(v_);
    if (v_.index() != kDouble) return fallback;
    // Only doubles that are whole and in range convert; 2.5 is not an int.
    const double d = std::get<kDouble>(v_);
    if (std::nearbyint(d) != d || std::fabs(d) >= 9.2e18) return fallback;
    return static_cast<std::int64_t>(d);
}

const std::string& Value::toString() const {
    static const std::string empty;
    return isString() ? std::get<kString>(v_) : empty;
}

const Value::Array& Value::items() const {
    static const Array empty;
    return isArray() ? std::get<kArray>(v_) : empty;
}

const Value::Object& Value::members() const {
    static const Object empty;
    return isObject() ? std::get<kObject>(v_) : empty;
}

std::size_t Value::size() const {
    if (isArray()) return std::get<kArray>(v_).size();
    if (isObject()) return std::get<kObject>(v_).size();
    return 0;
}

const Value& Value::operator[](std::size_t i) const {
    const Array& a = items();
    return i < a.size() ? a[i] : nullValue();
}

const Value& Value::operator[](std::string_view key) const {
    const Value* v = find(key);
    return v ? *v : nullValue();
}

const Value* Value::find(std::string_view key) const {
    for (const Member& m : members()) {
        if (m.first == key) return &m.second;
    }
    return nullptr;
}

Value& Value::push(Value v) {
    if (!isArray()) v_ = Array{};
    Array& a = std::get<kArray>(v_);
    a.push_back(std::move(v));
    return a.back();
}

Value& Value::set(std::string key, Value v) {
    if (!isObject()) v_ = Object{};
    Object& o = std::get<kObject>(v_);
    for (Member& m : o) {
        if (m.first == key) {
            m.second = std::move(v);
            return m.second;
        }
    }
    o.emplace_back(std::move(key), std::move(v));
    return o.back().second;
}

std::string Value::dump(int indent) const {
    std::string out;
    dumpTo(out, indent, 0);
    return out;
}

void Value::dumpTo(std::string& out, int indent, int depth) const {
    switch (v_.index()) {
        case kNull:
            out += "null";
            return;
        case kBool:
            out += std::get<kBool>(v_) ? "true" : "false";
            return;
        case kInt:
            appendInt(out, std::get<kInt>(v_));
            return;
        case kDouble:
            appendNumber(out, std::get<kDouble>(v_));
            return;
        case kString:
            appendQuoted(out, std::get<kString>(v_));
            return;
        case kArray: {
            const Array& a = std::get<kArray>(v_);
            out += '[';
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (i) out += ',';
                newline(out, indent, depth + 1);
                a[i].dumpTo(out, indent, depth + 1);
            }
            if (!a.empty()) newline(out, indent, depth);
            out += ']';
            return;
        }
        case kObject: {
            const Object& o = std::get<kObject>(v_);
            out += '{';
            for (std::size_t i = 0; i < o.size(); ++i) {
                if (i) out += ',';
                newline(out, indent, depth + 1);
                appendQuoted(out, o[i].first);
                out += indent < 0 ? ":" : ": ";
                o[i].second.dumpTo(out, indent, depth + 1);
            }
            if (!o.empty()) newline(out, indent, depth);
            out += '}';
            return;
        }
    }
}

bool Value::operator==(const Value& o) const {
    // 3 and 3.0 are the same JSON number.
    if (isNumber() && o.isNumber()) {
        if (isInteger() && o.isInteger()) return std::get<kInt>(v_) == std::get<kInt>(o.v_);
        return toDouble() == o.toDouble();
    }
    return v_ == o.v_;
}

bool parse(std::string_view text, Value& out, std::string& error, std::size_t maxValues) {
    out = Value();
    error.clear();
    Value v;
    try {
        if (!Parser(text, maxValues).run(v, error)) return false;
    } catch (const std::bad_alloc&) {
        error = "not enough memory to parse " + std::to_string(text.size()) + " bytes of JSON";
        return false;
    }
    out = std::move(v);
    return true;
}

Value parse(std::string_view text, std::string& error) {
    Value v;
    parse(text, v, error);
    return v;
}

std::string quote(std::string_view s) {
    std::string out;
    appendQuoted(out, s);
    return out;
}

}  // namespace pd::json
