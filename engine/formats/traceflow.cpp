#include "engine/formats/traceflow.h"

#include <nlohmann/json.hpp>
#include <string>

namespace pd {

namespace {

json::Ordered flowEnd(const char* ph, const SlotEvent& s, std::int64_t ts, std::size_t id,
                      bool gradient) {
    json::Ordered e = json::Ordered::object();
    e["name"] = gradient ? "gradient" : "activation";
    e["cat"] = "flow";
    e["ph"] = ph;
    e["id"] = static_cast<std::int64_t>(id);
    e["ts"] = ts;
    e["pid"] = 0;
    e["tid"] = s.stage;
    // "e": the arrow ends at the slice that encloses ts (the receiver).
    if (ph[0] == 'f') e["bp"] = "e";
    return e;
}

std::int64_t midpoint(const SlotEvent& e) {
    return e.startUs + std::max<std::int64_t>(0, e.endUs - e.startUs) / 2;
}

}  // namespace

std::vector<json::Ordered> flowEvents(const std::vector<SlotEvent>& slots) {
    const auto links = flowLinks(slots, [](const SlotEvent& e) { return e.startUs; });
    std::vector<json::Ordered> out;
    out.reserve(links.size() * 2);
    std::size_t id = 1;
    for (const FlowLink& l : links) {
        const SlotEvent& from = slots[l.from];
        const SlotEvent& to = slots[l.to];
        // Mid-slice: a slice's start is its neighbour's end on a busy track,
        // and a flow end binds to the slice enclosing its time.
        out.push_back(flowEnd("s", from, midpoint(from), id, l.gradient));
        out.push_back(flowEnd("f", to, midpoint(to), id, l.gradient));
        ++id;
    }
    return out;
}

}  // namespace pd
