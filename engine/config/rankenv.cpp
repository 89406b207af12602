// Ranks and their options: the options as arguments (toArgs), the
// difference between a rank's options and the run's, flag by flag, and the
// rank settings torchrun gives in the environment.
#include <sstream>

#include "engine/config/optionsdetail.h"

namespace pd {

using namespace optionsdetail;

namespace {

using Flags = std::vector<std::pair<std::string, std::string>>;  // flag, value ("" for switches)

Flags flagsOf(const std::vector<std::string>& args) {
    Flags out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool hasValue = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
        out.emplace_back(args[i], hasValue ? args[i + 1] : std::string());
        if (hasValue) ++i;
    }
    return out;
}

std::string shown(const std::string& flag, const std::string& value) {
    return value.empty() ? flag : flag + " " + value;
}

// What differs between a rank's options and the expected ones, flag by
// flag ("--microbatches 8, expected 4"); empty when they agree.
std::string describeDifference(const std::vector<std::string>& actual,
                               const std::vector<std::string>& expected) {
    const Flags a = flagsOf(actual);
    const Flags e = flagsOf(expected);
    auto find = [](const Flags& f, const std::string& flag) -> const std::string* {
        for (const auto& [k, v] : f)
            if (k == flag) return &v;
        return nullptr;
    };
    std::string out;
    auto add = [&](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
    for (const auto& [flag, value] : e) {
        const std::string* got = find(a, flag);
        if (!got)
            add("without " + flag + ", expected " + shown(flag, value));
        else if (*got != value)
            add(shown(flag, *got) + ", expected " + (value.empty() ? flag : value));
    }
    for (const auto& [flag, value] : a) {
        if (!find(e, flag)) add(shown(flag, value) + ", expected without " + flag);
    }
    return out;
}

// The options as toArgs writes them, so that two spellings of one run agree.
std::vector<std::string> normalized(const std::vector<std::string>& args) {
    try {
        return toArgs(parseRunOptions(args, false).options);
    } catch (const ConfigError&) {
        return args;  // compared as given: they differ from any valid run's
    }
}

}  // namespace

std::vector<std::string> toArgs(const RunOptions& o) {
    const ScheduleConfig& c = o.schedule;
    std::vector<std::string> a = {"--schedule",     toString(c.kind),
                                  "--stages",       str(c.stages),
                                  "--microbatches", str(c.microbatches),
                                  "--batches",      str(c.batches),
                                  "--batch-size",   str(o.batchSize),
                                  "--layers",       str(o.layers),
                                  "--hidden",       str(o.hidden),
                                  "--seed",         std::to_string(o.seed),
                                  "--device",       o.device,
                                  "--data",         o.data};
    if (c.batches == 0) a.erase(a.begin() + 6, a.begin() + 8);  // the epochs decide
    std::ostringstream lr;
    lr.precision(17);
    lr << o.lr;
    a.insert(a.end(), {"--lr", lr.str()});
    if (o.model != "mlp") a.insert(a.end(), {"--model", o.model});
    if (o.optimizer != "sgd") a.insert(a.end(), {"--optimizer", o.optimizer});
    if (o.epochs > 0) a.insert(a.end(), {"--epochs", str(o.epochs)});
    if (o.evalEvery > 0) a.insert(a.end(), {"--eval-every", str(o.evalEvery)});
    if (o.model == "gpt") a.insert(a.end(), {"--heads", str(o.heads), "--seq-len", str(o.seqLen)});
    if (isChunkedKind(c.kind)) a.insert(a.end(), {"--chunks", str(c.chunks)});
    if (!o.split.empty()) {
        std::string text;
        for (int b : o.split) text += (text.empty() ? "" : ",") + str(b);
        a.insert(a.end(), {"--split", text});
    }
    if (!c.stash) a.push_back("--no-stash");
    if (c.verticalSync) a.push_back("--vertical-sync");
    if (o.backend != "threads") {
        a.insert(a.end(), {"--backend", o.backend, "--rendezvous-timeout",
                           str(o.rendezvousTimeoutS), "--timeout", str(o.timeoutS)});
    }
    return a;
}

std::string optionsDifference(const std::vector<std::string>& actual,
                              const std::vector<std::string>& expected) {
    return describeDifference(normalized(actual), expected);
}

void resolveRankSettings(RunOptions& o, const std::function<const char*(const char*)>& env) {
    auto fromEnv = [&](const char* name, int& out, int lo, int hi) {
        if (out >= 0 && !(out == 0 && std::string(name) == "MASTER_PORT")) return;
        const char* v = env(name);
        if (!v || !*v) return;
        int parsed = 0;
        if (!parseNumber(std::string(v), parsed) || parsed < lo || parsed > hi)
            throw ConfigError(std::string("environment variable ") + name + "=" + quoted(v) +
                              " is not a valid value");
        out = parsed;
    };
    fromEnv("RANK", o.rank, 0, 1 << 20);
    fromEnv("WORLD_SIZE", o.worldSize, 1, 1 << 20);
    fromEnv("LOCAL_RANK", o.localRank, 0, 1 << 20);
    fromEnv("MASTER_PORT", o.masterPort, 1, 65535);
    if (o.masterAddr.empty()) {
        const char* v = env("MASTER_ADDR");
        o.masterAddr = v && *v ? v : "127.0.0.1";
        checkHost("MASTER_ADDR", o.masterAddr);
    }
    if (o.masterPort <= 0) o.masterPort = 29500;
    const int stages = o.schedule.stages;
    if (o.worldSize < 0) o.worldSize = stages;
    if (o.worldSize != stages)
        throw ConfigError("world size mismatch: " + str(o.worldSize) + " ranks for " + str(stages) +
                          " stages (one rank per stage: --stages " + str(o.worldSize) +
                          " or launch " + str(stages) + " ranks)");
    if (o.rank < 0)
        throw ConfigError("no rank given: set --rank (or RANK, as torchrun does), or use --launch");
    if (o.rank >= o.worldSize)
        throw ConfigError("rank " + str(o.rank) + " is outside the world of " + str(o.worldSize) +
                          " ranks (0.." + str(o.worldSize - 1) + ")");
    if (o.localRank < 0) o.localRank = o.rank;
}

}  // namespace pd
