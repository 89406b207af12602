// What pipedream-viz remembers between sessions (QSettings): the run
// configuration, and small dialogs that go with exports.
#pragma once

#include <QSettings>
#include <QSize>

#include "engine/config/options.h"

class QWidget;

namespace pd {

QSettings appSettings();
// Whether the settings can be saved; false with why (their file or folder
// not writable): said once at start, since nothing would be remembered.
bool settingsWritable(QSettings& settings, QString* why);
void saveRunOptions(QSettings& settings, const RunOptions& options);
// The saved configuration, or `fallback` when none was saved or it is not
// valid any more (a stale or hand-edited file must not keep the window from
// opening).
RunOptions restoreRunOptions(QSettings& settings, const RunOptions& fallback);

// Asks for an image size (at least 800 x 400 suggested from `current`).
// False when the user cancels.
bool askImageSize(QWidget* parent, const QSize& current, QSize* size);

}  // namespace pd
