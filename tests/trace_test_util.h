// The trace tests' fixtures: events compared field by field, a schedule's
// slot events, random slots and memory events with awkward values.
#pragma once

#include <QtTest>
#include <cmath>
#include <map>
#include <random>

#include "engine/formats/trace.h"
#include "engine/schedule/schedule.h"
#include "engine/schedule/simulator.h"
#include "error_test_util.h"

Q_DECLARE_METATYPE(pd::ScheduleKind)

// In pd so that std::vector's operator== finds them by argument lookup.
namespace pd {

inline bool operator==(const SlotEvent& a, const SlotEvent& b) {
    return a.batch == b.batch && a.stage == b.stage && a.microbatch == b.microbatch &&
           a.op == b.op && a.chunk == b.chunk && a.version == b.version && a.startUs == b.startUs &&
           a.endUs == b.endUs && a.mismatch == b.mismatch;
}

inline bool operator==(const MemoryEvent& a, const MemoryEvent& b) {
    return a.stage == b.stage && a.timeUs == b.timeUs &&
           a.activationsInFlight == b.activationsInFlight && a.versionsHeld == b.versionsHeld &&
           a.activationBytes == b.activationBytes && a.stashBytes == b.stashBytes;
}

}  // namespace pd

namespace pd::tracetest {

inline ScheduleConfig config(ScheduleKind kind, int S, int M, int B) {
    ScheduleConfig c;
    c.kind = kind;
    c.stages = S;
    c.microbatches = M;
    c.batches = B;
    c.chunks = chunksFor(kind, 2);
    return c;
}

// Slots of a real schedule: U rows (microbatch -1), chunks, versions.
inline std::vector<SlotEvent> scheduleSlots(const ScheduleConfig& c) {
    return toSlotEvents(simulate(generateSchedule(c)), 1000.0);
}

// Random but valid slots, large values included, a share flagged mismatched.
inline std::vector<SlotEvent> randomSlots(int n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<SlotEvent> out;
    const Op ops[] = {Op::F, Op::B, Op::I, Op::W, Op::U};
    for (int i = 0; i < n; ++i) {
        SlotEvent e;
        e.op = ops[rng() % 5];
        e.batch = int(rng() % 100000);
        e.stage = int(rng() % 64);
        e.microbatch = e.op == Op::U ? -1 : int(rng() % 4096);
        e.chunk = int(rng() % 16);
        e.version = int(rng() % 1000000);
        e.startUs = std::int64_t(rng() % (std::int64_t(1) << 50));
        e.endUs = e.startUs + std::int64_t(rng() % 10000000);
        e.mismatch = rng() % 4 == 0;
        out.push_back(e);
    }
    return out;
}

inline std::vector<MemoryEvent> randomMemory(int n, int stages, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<MemoryEvent> out;
    for (int i = 0; i < n; ++i) {
        MemoryEvent m;
        m.stage = int(rng() % stages);
        m.timeUs = std::int64_t(rng() % 100000000);
        m.activationsInFlight = int(rng() % 64);
        m.versionsHeld = 1 + int(rng() % 8);
        m.activationBytes = std::int64_t(rng() % (std::int64_t(1) << 40));
        m.stashBytes = std::int64_t(rng() % (std::int64_t(1) << 40));
        out.push_back(m);
    }
    return out;
}

}  // namespace pd::tracetest
