// pipedream-train: the engine without Qt. --dry-run prints the schedule and
// its analytic figures; otherwise it trains (app/train/train_cli.h).
// Exit status: 0 success, 2 bad input ("error: ..." on stderr), 1 failure.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/train/runreport.h"
#include "engine/config/options.h"
#include "engine/config/report.h"
#include "engine/config/resources.h"
#include "engine/formats/trace.h"

#ifdef PD_HAVE_ENGINE
#include <dlfcn.h>
#include <unistd.h>

#include "app/train/train_cli.h"
#endif

namespace {

int fail(int status, const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return status;
}

int dryRun(const pd::RunOptions& options) {
    for (const std::string* path : {&options.csvPath, &options.tracePath}) pd::checkWritable(*path);
    const pd::DryRun run = pd::makeDryRun(options);
    if (!options.csvPath.empty() || !options.tracePath.empty()) {
        pd::RunRecord record;
        record.stageNames = pd::stageNames(options.schedule, options.layers);
        record.slots = pd::toSlotEvents(run.timeline);
        record.runArgs = pd::toArgs(options);
        if (!options.csvPath.empty()) pd::writeFileAtomic(options.csvPath, pd::toCsv(record.slots));
        if (!options.tracePath.empty())
            pd::writeFileAtomic(options.tracePath, pd::toChromeTrace(record));
    }
    if (options.json) {
        std::printf("%s\n", pd::json::dump(pd::toJson(run), 2).c_str());
    } else if (!pd::isStdoutPath(options.csvPath) && !pd::isStdoutPath(options.tracePath)) {
        std::printf("%s\n%s", pd::formatGrid(run).c_str(), pd::formatFigures(run).c_str());
        if (!options.csvPath.empty())
            std::printf("Ideal timeline written to %s\n", options.csvPath.c_str());
        if (!options.tracePath.empty())
            std::printf("Chrome trace written to %s\n", options.tracePath.c_str());
    }
    return 0;
}

#ifdef PD_HAVE_ENGINE
// The folder of this executable, where the engine module lies beside it.
std::string executableFolder() {
    std::string path(4096, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
    if (n <= 0) return ".";
    path.resize(static_cast<std::size_t>(n));
    return path.substr(0, path.rfind('/'));
}

// Loads LibTorch only now, through the engine module (never unloaded:
// LibTorch's threads outlive the call), and finds `name` in it; null after
// printing why not.
void* engineEntry(const char* name) {
    const std::string module = executableFolder() + "/" + PD_TRAIN_MODULE;
    // LibTorch logs through glog, which reads GLOG_* when it is loaded:
    // without this, c10d's socket retries print warnings and errors that our
    // own one-line error already explains. A user's setting wins.
    ::setenv("GLOG_minloglevel", "3", 0);
    void* handle = ::dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fail(1, std::string("cannot load the training engine: ") + ::dlerror());
        return nullptr;
    }
    void* entry = ::dlsym(handle, name);
    if (!entry) fail(1, std::string("the training engine ") + module + " has no " + name);
    return entry;
}

int train(const pd::RunOptions& options) {
    auto entry = reinterpret_cast<PdRunTrainingCli>(engineEntry("pd_run_training_cli"));
    return entry ? entry(&options) : 1;
}

int profile(pd::RunOptions& options) {
    auto entry = reinterpret_cast<PdProfileCli>(engineEntry("pd_profile_cli"));
    return entry ? entry(&options) : 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    // The boundary of pipedream-train: bad input (ConfigError) exits 2, any
    // other failure 1, each with one line on stderr.
    pd::RunOptions options;
    try {
        const pd::ParsedOptions parsed = pd::parseRunOptions(args, /*vizFlags=*/false);
        if (parsed.help) {
            std::fputs(pd::usage("pipedream-train", false).c_str(), stdout);
            return 0;
        }
        options = parsed.options;
        // Before anything is built: a run that cannot fit is bad input.
        pd::checkRunMemory(options);
#ifdef PD_HAVE_ENGINE
        // The layers measured first: the cut of --partition is chosen from them.
        if (pd::measuresProfile(options))
            if (const int status = profile(options)) return status;
#endif
        if (options.dryRun) return dryRun(options);
#ifdef PD_HAVE_ENGINE
        // The launcher only starts and watches the rank processes: no LibTorch here.
        if (options.backend != "threads" && options.launch) return pd::runLaunched(options);
        return train(options);
#else
        return fail(1, "this build has no training engine; use --dry-run");
#endif
    } catch (const pd::ConfigError& e) {
        return fail(2, e.what());
    } catch (const std::bad_alloc&) {
        return fail(1, "out of memory (the estimate before the run was " +
                           pd::estimateRunMemory(options).describe() + ")");
    } catch (const std::exception& e) {
        return fail(1, e.what());
    }
}
