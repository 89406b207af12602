// Run records to and from the stable file formats of
// shared/docs/architecture.md: CSV (one row per action) and Chrome trace
// JSON (Perfetto / chrome://tracing). Files are read and written through
// safefile.h.
#pragma once

#include <string>
#include <vector>

#include "engine/base/safefile.h"  // writeFileAtomic, readFile: the files these formats go to
#include "engine/schedule/events.h"
#include "engine/schedule/simulator.h"

namespace pd {

struct RunRecord {
    std::vector<std::string> stageNames;  // track names, e.g. "GPU0 (L1-12)"
    // Distributed runs (one process per stage): per stage, the host of its
    // rank. Empty for one-process runs. In the Chrome trace each stage is
    // then a process of its own ("pid" = stage, named "rank S (HOST)").
    std::vector<std::string> stageHosts;
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    // How the run ended ("completed", "cancelled", "failed"; empty: not
    // said, as for an ideal timeline) and why it failed. Kept in the trace's
    // "otherData"; the CSV has no place for it.
    std::string status;
    std::string statusMessage;
    // The flags that give the run (toArgs: batch size, layers, width, lr,
    // seed, data...), which the events do not say. Kept in "otherData" as
    // "run_args"; empty when not known (an opened CSV, an ideal timeline).
    std::vector<std::string> runArgs;
};

// Exact header of the CSV format; a mismatch column follows it.
extern const char* const kCsvHeader;  // "batch,stage,microbatch,op,chunk,version,start_us,end_us"

std::string toCsv(const std::vector<SlotEvent>& slots);
std::string toChromeTrace(const RunRecord& record);

// Parse back what toCsv / toChromeTrace wrote (and CSVs without the optional
// mismatch column). On failure throw Error with a message naming the line or
// event.
std::vector<SlotEvent> parseCsv(const std::string& text);
RunRecord parseChromeTrace(const std::string& text);

// Ideal timeline as slot events; `usPerUnit` scales the simulator's cost
// units (default: one unit = 1000 us).
std::vector<SlotEvent> toSlotEvents(const Timeline& timeline, double usPerUnit = 1000.0);

// "GPU0 (L1-12)" labels from the real split (interleaved: "GPU0 (L1-6, L25-30)").
std::vector<std::string> stageNames(const ScheduleConfig& config, int layers);
// The same for any layer split (one range per model part).
std::vector<std::string> stageNames(const ScheduleConfig& config,
                                    const std::vector<LayerRange>& parts);

}  // namespace pd
