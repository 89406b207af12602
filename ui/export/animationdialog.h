// File > Export > Animation...: the file (.gif or .webp), then width,
// frames per second, slot range, hold and caption; the export runs with a
// cancellable progress dialog. Nothing is written when it is cancelled.
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
bool askAnimationSettings(QWidget* parent, const RunModel& model, AnimationSettings* settings);

}  // namespace pd
