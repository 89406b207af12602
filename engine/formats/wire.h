// The rank wire format's records: how a rank's slot, memory, version,
// batch and evaluation events travel to the event collector, one text line each (the whole
// protocol, with its hello, clock and control lines, is described at the top
// of engine/distributed/distributed.h). Encoding and decoding live here
// together so that the two sides cannot drift apart; whether a decoded
// record fits the run (its stage, batch, times) is the collector's check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/schedule/events.h"

namespace pd::wire {

// One rank's share of a batch: its stage's loss part and versions.
struct BatchPart {
    int batch = 0;
    int stage = 0;
    double loss = 0.0;
    int versionUsed = 0;
    int versionAfter = 0;
    std::int64_t timeUs = 0;
};

// "slot B S MB OP CHUNK VERSION START END MISMATCH"
std::string encode(const SlotEvent& e);
// "mem S TIME IN_FLIGHT VERSIONS ACTIVATION_BYTES STASH_BYTES"
std::string encode(const MemoryEvent& e);
// "ver S TIME VERSION STASHED" (STASHED: "v,v,..." or "-")
std::string encode(const VersionEvent& e);
// "batch B S LOSS VERSION_USED VERSION_AFTER TIME" (LOSS exact: %.17g)
std::string encode(const BatchPart& e);
// "eval B EPOCH TRAIN_US SAMPLES LOSS ACCURACY" (ACCURACY "-" for text)
std::string encode(const EvaluationEvent& e);

// Decoding a line already split into fields (fields[0] is the kind). Throws
// Error ("slot: unknown op", "batch: loss x", "ver: does not parse: ...")
// when the fields do not make such a record. Integers out of int's range are
// clamped to it (the collector's range checks refuse them); `maxStashed`
// bounds the stashed versions a "ver" line may list.
SlotEvent decodeSlot(const std::vector<std::string_view>& fields);
MemoryEvent decodeMemory(const std::vector<std::string_view>& fields);
VersionEvent decodeVersion(const std::vector<std::string_view>& fields, std::size_t maxStashed);
BatchPart decodeBatch(const std::vector<std::string_view>& fields);
EvaluationEvent decodeEvaluation(const std::vector<std::string_view>& fields);

}  // namespace pd::wire
