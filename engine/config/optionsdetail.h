// Internal to engine/config: what the option files share (the parse
// state, the flag table, the checks and the helpers that echo arguments).
// Not for other folders; they use engine/config/options.h.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/base/parse.h"  // parseNumber, parseFinite: every number read here
#include "engine/config/options.h"

namespace pd::optionsdetail {

// Arguments are echoed in errors: control bytes escaped, so one line stays one.
std::string quoted(const std::string& s);

// A host name or address as the network takes it; ConfigError otherwise.
void checkHost(const std::string& flag, const std::string& host);

// What one command line has said so far.
struct State {
    RunOptions o;
    bool chunksGiven = false;
    std::string split;      // --split as typed, read once the sizes are known
    std::string partition;  // --partition METHOD
};

// One table drives parsing and --help, so the two cannot drift apart.
struct FlagSpec {
    const char* name;
    const char* metavar;  // nullptr: the flag takes no value
    bool vizOnly;
    void (*set)(State&, const std::string&);  // ConfigError on a bad value
    const char* help;
    std::string (*defaultText)(const RunOptions&);  // nullptr: no default shown
};

const std::vector<FlagSpec>& flagSpecs();

std::string str(int v);
std::string str(double v);

// Each throws ConfigError with the first rule broken.
// Rules about which flags go together (value ranges are checkRunOptions').
void checkFlagCombinations(State& s, bool vizFlags);
// pipedream-viz --open: flags the file would make meaningless.
void checkOpenCombinations(const std::set<std::string>& seen);
// --split read against the sizes, or --partition's choice.
void resolveSplit(State& s);

}  // namespace pd::optionsdetail
