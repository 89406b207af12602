// The timeline's search: "mb3", "B", "stage 2", "batch 1", "v4", "c1" and
// combinations ("B mb3 s2"). Boxes that do not match are dimmed.
#pragma once

#include <QString>

#include "ui/model/timelinedata.h"

namespace pd {

// Words: mb/m/microbatch N (0-based, as in the labels), batch N (1-based,
// as in the status bar), s/stage N (0-based, as the lanes), v/version N,
// c/chunk N, op letters F B I W U (several: any of them) and a label as the
// boxes read it ("B3": backward of microbatch 3). Unknown words leave
// `problem` set and the filter as far as it was understood.
BoxFilter parseBoxFilter(const QString& text, QString* problem = nullptr);

}  // namespace pd
