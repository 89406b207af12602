// Exports of the run on screen (File > Export and the window's export
// functions): the timeline and the charts as PNG, SVG or PDF with a title
// naming the run, and the run as CSV or Chrome trace. Formats come from the
// suffix; every file is written atomically.
#pragma once

#include <QCoreApplication>
#include <QObject>
#include <QSize>
#include <QString>

class QWidget;

namespace pd {

class ChartsPanel;
class RunModel;
class TimelineView;

class RunExport {
    Q_DECLARE_TR_FUNCTIONS(RunExport)
public:
    RunExport(const RunModel& model, TimelineView* timeline, ChartsPanel* charts)
        : model_(model), timeline_(timeline), charts_(charts) {}

    // "1F1B — S=4 stages, M=4 microbatches, 5 batches — measured run, Slots"
    QString title(const QString& timeBase) const;
    bool timelineImage(const QString& path, const QSize& size, const QString& timeBase,
                       QString* error) const;
    bool chartsImage(const QString& path, const QSize& size, QString* error) const;
    bool csv(const QString& path, QString* error) const;
    bool trace(const QString& path, QString* error) const;

    enum class What { Timeline, CurrentChart, AllCharts, Csv, Trace };
    // Asks for a file (and an image size), writes it; the message to show:
    // "Wrote PATH", the error, or empty when the user cancelled.
    QString interactive(QWidget* parent, What what, const QString& timeBase, bool* ok) const;

private:
    const RunModel& model_;
    TimelineView* timeline_;
    ChartsPanel* charts_;
};

// pipedream-viz --csv FILE / --trace FILE with a window: the first run the
// window starts (the command line's configuration) writes its measured
// timeline there when it ends, atomically, however it was walked (played,
// stepped). A run replaced (a control changed, a new run, a file opened),
// cancelled (the window closed) or failed before its end writes nothing;
// that is said once (status bar and stderr) and problem() keeps it for the
// exit status. Later runs never write: the files stay the command line's run.
class RunOutputs : public QObject {
    Q_OBJECT
public:
    RunOutputs(const RunModel& model, const QString& csv, const QString& trace, QObject* parent);

    bool requested() const { return !csv_.isEmpty() || !trace_.isEmpty(); }
    bool written() const { return state_ == State::Written; }
    QString problem() const { return problem_; }

    void modelReset();   // the model shows another run
    void runFinished();  // the model's run ended
    void windowClosing();

Q_SIGNALS:
    // What happened, for the status bar (also printed: stdout / stderr).
    void message(const QString& text);

private:
    enum class State { Waiting, Running, Written, Abandoned };
    void abandon(const QString& why);
    QString names() const;  // "--csv FILE and --trace FILE"

    const RunModel& model_;
    QString csv_, trace_;
    State state_ = State::Waiting;
    QString problem_;
};

}  // namespace pd
