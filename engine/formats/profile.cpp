#include "engine/formats/profile.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/base/safefile.h"

namespace pd {

namespace {

constexpr const char* kFormat = "pipedream-profile";
constexpr std::uint64_t kMaxProfileBytes = std::uint64_t{16} << 20;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
    throw ConfigError(path + ": " + why);
}

double number(const json::Value& v, const std::string& path, const std::string& what) {
    if (!v.is_number()) fail(path, what + " is missing or not a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < 0.0) fail(path, what + " must be a finite number >= 0");
    return x;
}

std::int64_t bytes(const json::Value& v, const std::string& path, const std::string& what) {
    std::int64_t x = 0;
    if (!json::integer(v, x) || x < 0) fail(path, what + " must be a whole number of bytes >= 0");
    return x;
}

}  // namespace

json::Ordered toJson(const LayerProfile& p) {
    json::Ordered o = json::Ordered::object();
    o["format"] = kFormat;
    o["version"] = 1;
    o["model"] = p.model;
    o["shape"] = p.shape;
    o["rows"] = p.rows;
    o["device"] = p.device;
    o["threads"] = p.threads;
    o["concurrent"] = p.concurrent;
    o["warmups"] = p.warmups;
    o["repetitions"] = p.repetitions;
    o["bandwidth_bytes_per_ms"] = p.bandwidthBytesPerMs;
    json::Ordered layers = json::Ordered::array();
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
        const LayerCost& c = p.layers[l];
        json::Ordered e = json::Ordered::object();
        e["layer"] = static_cast<int>(l + 1);
        e["name"] = l < p.names.size() ? p.names[l] : "L" + std::to_string(l + 1);
        e["forward_ms"] = c.forward;
        e["backward_ms"] = c.backward;
        e["update_ms"] = c.update;
        e["activation_bytes"] = c.activationBytes;
        e["output_bytes"] = c.outputBytes;
        e["param_bytes"] = c.paramBytes;
        layers.push_back(std::move(e));
    }
    o["layers"] = std::move(layers);
    return o;
}

LayerProfile readProfile(const std::string& path) {
    json::Value v;
    try {
        const std::string text = readFile(path, kMaxProfileBytes);
        v = json::parse(text, text.size() + 16);
    } catch (const Error& e) {
        fail(path, e.what());
    }
    if (json::text(json::member(v, "format")) != kFormat)
        fail(path,
             "not a layer profile (no \"format\": \"pipedream-profile\"; write one with "
             "--profile-out)");
    std::int64_t version = 0;
    if (!json::integer(json::member(v, "version"), version) || version != 1)
        fail(path, "profile version " + json::dump(json::member(v, "version")) +
                       " is not one this program reads (1)");
    LayerProfile p;
    p.model = json::text(json::member(v, "model"));
    p.shape = json::text(json::member(v, "shape"));
    p.device = json::text(json::member(v, "device"));
    std::int64_t n = 0;
    if (json::integer(json::member(v, "rows"), n)) p.rows = static_cast<int>(n);
    if (json::integer(json::member(v, "threads"), n)) p.threads = static_cast<int>(n);
    if (json::integer(json::member(v, "concurrent"), n)) p.concurrent = static_cast<int>(n);
    if (json::integer(json::member(v, "warmups"), n)) p.warmups = static_cast<int>(n);
    if (json::integer(json::member(v, "repetitions"), n)) p.repetitions = static_cast<int>(n);
    if (!json::member(v, "bandwidth_bytes_per_ms").is_null())
        p.bandwidthBytesPerMs =
            number(json::member(v, "bandwidth_bytes_per_ms"), path, "bandwidth_bytes_per_ms");
    const json::Value& layers = json::member(v, "layers");
    if (!layers.is_array() || layers.empty()) fail(path, "\"layers\" must be a non-empty list");
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const json::Value& e = layers[l];
        const std::string at = "layer " + std::to_string(l + 1);
        if (!e.is_object()) fail(path, at + " is not an object");
        LayerCost c;
        c.forward = number(json::member(e, "forward_ms"), path, at + " forward_ms");
        c.backward = number(json::member(e, "backward_ms"), path, at + " backward_ms");
        if (!json::member(e, "update_ms").is_null())
            c.update = number(json::member(e, "update_ms"), path, at + " update_ms");
        c.activationBytes =
            bytes(json::member(e, "activation_bytes"), path, at + " activation_bytes");
        c.outputBytes = bytes(json::member(e, "output_bytes"), path, at + " output_bytes");
        c.paramBytes = bytes(json::member(e, "param_bytes"), path, at + " param_bytes");
        const std::string& name = json::text(json::member(e, "name"));
        p.names.push_back(name.empty() ? "L" + std::to_string(l + 1) : name);
        p.layers.push_back(c);
    }
    p.source = path;
    return p;
}

void writeProfile(const std::string& path, const LayerProfile& profile) {
    try {
        writeFileAtomic(path, json::dump(toJson(profile), 2) + "\n");
    } catch (const Error& e) {
        fail(path, e.what());
    }
}

}  // namespace pd
