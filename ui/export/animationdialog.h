// File > Export > Animation...: the file (.gif or .webp), then width,
// frames per second, slot range, time base (slots, or measured time every
// N ms), hold and caption, remembered between sessions; the export runs
// with a cancellable progress dialog. Nothing is written when it is
// cancelled.
#pragma once

#include <QString>

#include "ui/export/animation.h"

class QWidget;

namespace pd {

class RunModel;

// The message to show ("Wrote PATH: ..."), the error, or empty when the
// user cancelled a dialog (then *ok is false and nothing was written).
QString exportAnimationInteractive(QWidget* parent, RunModel& model, const AnimationLook& look,
                                   bool* ok);

// The settings dialog alone (tests fill and accept it): false when cancelled.
// The measured base is offered only for a run with measured times.
bool askAnimationSettings(QWidget* parent, const RunModel& model, AnimationSettings* settings);

// The dialog's last choices (QSettings; the slot range is the run's own):
// the defaults the first time, the base then the window's (`look`), and
// the slots base for a run without measured times.
AnimationSettings rememberedAnimationSettings(const RunModel& model, const AnimationLook& look);
void rememberAnimationSettings(const AnimationSettings& settings);

}  // namespace pd
