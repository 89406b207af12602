// What the UI tests reach inside a MainWindow: its model, controller, docks,
// toolbar and actions, and the restart delay. A friend of the window, so
// that these parts stay out of its public interface (the application uses
// only opening, exporting, attaching and the window itself).
#pragma once

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QTextBrowser>

#include "ui/model/enginecontroller.h"
#include "ui/model/runmodel.h"
#include "ui/model/runsession.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/controlspanel.h"
#include "ui/panels/detailspanel.h"
#include "ui/panels/explainpanel.h"
#include "ui/panels/runstatus.h"
#include "ui/panels/versionpanel.h"
#include "ui/views/layerstrip.h"
#include "ui/views/timelineplot.h"
#include "ui/views/timelinetoolbar.h"
#include "ui/window/attachflow.h"
#include "ui/window/cutflow.h"
#include "ui/window/mainwindow.h"
#include "ui/window/runactions.h"

namespace pd {

class MainWindowProbe {
public:
    explicit MainWindowProbe(const MainWindow& window) : w_(window) {}

    RunModel* model() const { return w_.model_; }
    EngineController* controller() const { return w_.controller_; }
    TimelineView* timeline() const { return w_.timeline_; }
    ControlsPanel* controls() const { return w_.controls_; }
    VersionPanel* versionPanel() const { return w_.versions_; }
    DetailsPanel* detailsPanel() const { return w_.details_; }
    TimelineToolbar* timelineToolbar() const { return w_.toolbar_; }
    ChartsPanel* charts() const { return w_.charts_; }
    QTextBrowser* explainView() const { return w_.explain_->text(); }
    QLabel* statusLabel() const { return w_.status_->label(); }
    QComboBox* timeBaseCombo() const { return w_.timeBase_; }
    LayerStrip* layerStrip() const { return w_.cut_->strip(); }
    QAction* profileLayersAction() const { return w_.cut_->profileAction(); }
    QAction* playAction() const { return w_.actions_->play; }
    QAction* stepForwardAction() const { return w_.actions_->forward; }
    QAction* newRunAction() const { return w_.actions_->newRun; }
    QAction* resetToDefaultsAction() const { return w_.actions_->resetDefaults; }
    QAction* attachAction() const { return w_.attach_->attachAction(); }
    QAction* stopListeningAction() const { return w_.attach_->stopListeningAction(); }
    QAction* presentationAction() const { return w_.presentation_; }
    // Milliseconds from a change of the controls to the new run (350 on screen).
    void setRestartDelay(int ms) const { w_.session_->setRestartDelay(ms); }

private:
    const MainWindow& w_;
};

inline MainWindowProbe probe(const MainWindow& window) {
    return MainWindowProbe(window);
}

}  // namespace pd
