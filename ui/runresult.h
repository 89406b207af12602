// Everything one run produced, as plain values: the options, lane names,
// the ideal (simulated) schedule and, when the engine ran, the measured
// events. Used by the headless export and the main window.
#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>
#include <vector>

#include "events.h"
#include "options.h"
#include "report.h"

namespace pd {

struct RunResult {
    RunOptions options;
    QStringList stageNames;
    DryRun ideal;           // schedule, ideal timeline, analysis, closed forms
    bool measured = false;  // true when the events below come from a real run
    std::vector<SlotEvent> slots;
    std::vector<MemoryEvent> memory;
    std::vector<BatchEvent> batches;
    std::vector<VersionEvent> versions;
    RunSummary summary;
    QString error;
};

// Fills options, stageNames and the ideal schedule. False (with a message)
// when the options are invalid.
bool prepareRun(const RunOptions& options, RunResult& result, QString* error);

QStringList toQStringList(const std::vector<std::string>& v);

}  // namespace pd

Q_DECLARE_METATYPE(pd::SlotEvent)
Q_DECLARE_METATYPE(pd::MemoryEvent)
Q_DECLARE_METATYPE(pd::BatchEvent)
Q_DECLARE_METATYPE(pd::VersionEvent)
Q_DECLARE_METATYPE(pd::RunSummary)
Q_DECLARE_METATYPE(pd::RunOptions)
