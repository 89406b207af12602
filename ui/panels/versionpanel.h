// Per stage: the current weight version and the stashed versions still in
// flight, as coloured chips, updated live from VersionEvents.
#pragma once

#include <QStringList>
#include <QWidget>
#include <vector>

#include "engine/schedule/events.h"
#include "engine/schedule/stagestate.h"

class QGridLayout;
class QLabel;

namespace pd {

class VersionPanel : public QWidget {
    Q_OBJECT
public:
    explicit VersionPanel(QWidget* parent = nullptr);

    void setStages(const QStringList& names);  // also resets every stage to v0
    void apply(const VersionEvent& event);
    // Every stage at once: the state at the run model's cursor.
    void showState(const std::vector<StageSnapshot>& stages);
    // The run's highest version: chips share the timeline's colour scale.
    void setMaxVersion(int maxVersion) { maxVersion_ = maxVersion; }
    int current(int stage) const;
    std::vector<int> stashed(int stage) const;
    // "v3 v3 v2 v2" style summary for the status bar.
    QString summary() const;
    // The height that shows `stages` rows and the legend at `width`
    // without scrolling (the window sizes the dock with it).
    int heightFor(int stages, int width) const;

private:
    struct Row {
        QLabel* name = nullptr;
        QWidget* chips = nullptr;
        int current = 0;
        std::vector<int> stashed;
        int activations = 0;
    };
    void renderRow(Row& row);

    QGridLayout* grid_ = nullptr;
    QLabel* hint_ = nullptr;
    std::vector<Row> rows_;
    int maxVersion_ = 0;
};

}  // namespace pd
