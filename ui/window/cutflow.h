// Where the model is cut, in the window: the layer strip above the timeline
// shows the run's layers (width by cost from the profile, or estimated from
// the shapes; colour by stage) and its cut. Dragging a boundary shows the
// new cut's ideal timeline, bubble and memory at once (RunSession::preview)
// and releasing it runs that cut, as any control does; the Partition chooser
// then reads "Custom (dragged)".
#pragma once

#include <QObject>
#include <functional>
#include <vector>

#include "engine/config/options.h"

class QAction;
class QStatusBar;
class QWidget;

namespace pd {

class ControlsPanel;
class EngineController;
class LayerProfiler;
class LayerStrip;
class RunSession;

class CutFlow : public QObject {
    Q_OBJECT
public:
    struct Parts {
        RunSession* session = nullptr;
        ControlsPanel* controls = nullptr;
        std::function<RunOptions()> options;  // the controls' configuration
        // Called when a drag begins: the timeline shows time, where a cut shows.
        std::function<void()> showTime;
        EngineController* controller = nullptr;  // its run stops while the layers are measured
        QStatusBar* statusBar = nullptr;
    };
    // `window`: the parent of the flow and of the strip.
    CutFlow(const Parts& parts, QWidget* window);

    LayerStrip* strip() const { return strip_; }
    // Run > Profile layers: measures the layers of the controls' model (a
    // few seconds, the run on screen stopped), then the strip, the ideal
    // timeline and the partitioners use the measured costs.
    QAction* profileAction() const { return profile_; }
    LayerProfiler* profiler() const { return profiler_; }
    // The layers and the cut of `options` on the strip.
    void show(const RunOptions& options);

private:
    // The controls' configuration with `boundaries` as a custom cut.
    RunOptions withCut(const std::vector<int>& boundaries) const;
    void cutMoved(const std::vector<int>& boundaries, bool committed);
    void profileLayers();
    void adopt(const LayerProfile& profile, double seconds);

    Parts parts_;
    LayerStrip* strip_ = nullptr;
    QAction* profile_ = nullptr;
    LayerProfiler* profiler_ = nullptr;
};

}  // namespace pd
