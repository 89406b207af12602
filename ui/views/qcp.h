// The one place that includes QCustomPlot. Every target defines
// QT_NO_KEYWORDS (LibTorch uses the word `slots`), but qcustomplot.h is
// written with `signals:` / `slots:` / `emit` / `foreach`: map those words
// for the length of the include only.
#pragma once

#ifdef QT_NO_KEYWORDS
#define PD_QCP_KEYWORDS_MAPPED
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#endif

#include <qcustomplot.h>

#ifdef PD_QCP_KEYWORDS_MAPPED
#undef signals
#undef slots
#undef emit
#undef foreach
#undef PD_QCP_KEYWORDS_MAPPED
#endif
