// Everything one run produced, as plain values: the options, lane names,
// the ideal (simulated) schedule and, when the engine ran, the measured
// events. Used by the headless export and the main window.
#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>
#include <vector>

#include "engine/config/options.h"
#include "engine/config/report.h"
#include "engine/run/comparison.h"
#include "engine/schedule/events.h"
#include "engine/schedule/measured.h"

class QMimeData;

namespace pd {

struct RunResult {
    RunOptions options;
    QStringList stageNames;
    // Per stage, the host of its rank when the stages ran as processes
    // (distributed.h); empty for a run in one process.
    QStringList stageHosts;
    DryRun ideal;           // schedule, ideal timeline, analysis, closed forms
    bool measured = false;  // true when the events below come from a real run
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
    RunSummary summary;
    QString error;
    QString source;  // the file it was opened from; empty for a run made here
    // An opened file: the settings it does not record ("batch size", ...),
    // taken from the loader's `base` instead.
    QStringList unrecorded;
};

// Fills options, stageNames and the ideal schedule. False (with a message)
// when the options are invalid.
bool prepareRun(const RunOptions& options, RunResult& result, QString* error);

// A run saved as CSV or Chrome trace (by either executable): reads and parses
// it, recognises its schedule (identifySchedule) and fills `result` as a
// measured run of that schedule: slots, memory (trace), stage names (trace;
// "GPUs" for a CSV, which does not say how the layers were split; the
// ranks' hosts for a distributed run's trace). The schedule (kind, S, M,
// batches, chunks, stashing, vertical sync) comes from the events; a
// trace's lane names ("GPU3 (L37-48)") give the layers. The settings no
// file records (batch size, hidden width, learning rate; a CSV's layers)
// are `base`'s, made to fit the schedule, and listed in `unrecorded`. False
// with one message ("Cannot open FILE: why") otherwise.
bool loadRunFile(const QString& path, const RunOptions& base, RunResult& result,
                 IdentifiedSchedule* identified, QString* error);
// The one local .csv or .json file a drag carries, or empty.
QString droppedRunFile(const QMimeData* mime);
// " (cut short: 40 of 64 actions)" for a run that did not finish, else empty.
QString cutShortNote(const IdentifiedSchedule& identified);

// "1 batch", "5 batches": a count with its noun in the right number.
QString counted(long long n, const QString& one, const QString& many);
// A configuration in words, for tooltips and messages: "1F1B, 4 stages,
// 4 microbatches, 5 batches of 32, 48 layers of width 512, learning rate 0.02".
QString describeConfiguration(const RunOptions& options);

QStringList toQStringList(const std::vector<std::string>& v);
// The timeline's lane labels: "GPU0 (L1-12) · hostA" where the stages ran on
// hosts of their own, the stage names alone otherwise.
QStringList laneLabels(const QStringList& stageNames, const QStringList& stageHosts);

}  // namespace pd

Q_DECLARE_METATYPE(pd::SlotEvent)
Q_DECLARE_METATYPE(pd::MemoryEvent)
Q_DECLARE_METATYPE(pd::BatchEvent)
Q_DECLARE_METATYPE(pd::EvaluationEvent)
Q_DECLARE_METATYPE(pd::VersionEvent)
Q_DECLARE_METATYPE(pd::RunSummary)
Q_DECLARE_METATYPE(pd::RunOptions)
Q_DECLARE_METATYPE(pd::ComparisonRow)
