#include "engine/base/parse.h"

#include "engine/base/safefile.h"

namespace pd {

HostPort parseHostPort(const std::string& text) {
    const std::string shown = "'" + printable(text) + "'";
    std::string h;
    std::string p;
    if (!text.empty() && text[0] == '[') {  // [IPv6]:PORT
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw Error("expected HOST:PORT (e.g. 127.0.0.1:29400 or [::1]:29400), got " + shown);
        h = text.substr(1, close - 1);
        p = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos)
            throw Error("expected HOST:PORT (e.g. 127.0.0.1:29400), got " + shown);
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
    }
    if (h.empty())
        throw Error("no host in " + shown + " (expected HOST:PORT, e.g. 127.0.0.1:29400)");
    int parsed = 0;
    if (!parseNumber(p, parsed) || parsed < 1 || parsed > 65535)
        throw Error("bad port in " + shown + ": expected a number from 1 to 65535");
    return {h, parsed};
}

}  // namespace pd
