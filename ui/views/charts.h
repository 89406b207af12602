// The charts next to the timeline: grouped bars (utilization measured vs
// analytic, bubble, memory, schedule comparison) and the loss curve.
#pragma once

#include <QStringList>
#include <limits>
#include <vector>

#include "engine/schedule/events.h"
#include "ui/views/qcp.h"

namespace pd {

// "36.1 MiB" style.
QString formatBytes(double bytes);
// "1 batch", "5 batches": a count with its noun in the right number.
QString countText(long long n, const QString& one, const QString& many);
// `text` broken into lines no wider than `width` pixels in `metrics`, at spaces.
QString wrapText(const QString& text, const QFontMetrics& metrics, int width);

struct BarSeries {
    QString name;
    QColor color;
    std::vector<double> values;  // one per category; NaN = no value (not drawn)
};

class GroupedBarChart : public QCustomPlot {
    Q_OBJECT
public:
    enum class Format { Percent, Bytes, Count };
    explicit GroupedBarChart(QWidget* parent = nullptr);

    void setTitle(const QString& title);
    void setValueLabel(const QString& label);
    void setFormat(Format format) { format_ = format; }
    // Replaces categories and series; values of Percent charts are fractions.
    void setData(const QStringList& categories, const std::vector<BarSeries>& series);
    // Value labels on top of the bars (for exported figures).
    void setValueLabels(bool on) { valueLabels_ = on; }
    // A line in the middle of the empty chart (what to do to fill it).
    void setNote(const QString& note);
    QString note() const;
    // Plain words under the legend (why the figures read as they do),
    // wrapped to the chart's width; empty: none. Part of exported images.
    void setCaption(const QString& caption);
    QString caption() const { return captionText_; }
    QString title() const;
    // Longer names of the categories, shown as tool tips over their bars
    // and labels (the axis shows the short ones).
    void setCategoryToolTips(const QStringList& tips) { tips_ = tips; }
    QString categoryToolTip(const QPoint& pos) const;
    // Tick labels slant when they would not fit side by side.
    bool labelsSlanted() const { return xAxis->tickLabelRotation() != 0.0; }
    QString formatValue(double v) const;
    const std::vector<BarSeries>& series() const { return series_; }

protected:
    bool event(QEvent* event) override;

private:
    void fitLabels();
    void wrapCaption();

    QCPTextElement* title_ = nullptr;
    QCPItemText* note_ = nullptr;
    QCPTextElement* caption_ = nullptr;
    QString captionText_;
    QStringList categories_;
    QStringList tips_;
    std::vector<BarSeries> series_;
    Format format_ = Format::Percent;
    bool valueLabels_ = true;
};

class LossChart : public QCustomPlot {
    Q_OBJECT
public:
    explicit LossChart(QWidget* parent = nullptr);
    void setTitle(const QString& title);
    QString title() const;
    void clear();
    // `batch` 0-based; `seconds` of measured training time by its end (NaN:
    // not known, left out of the time axis). Queues a replot.
    void addPoint(int batch, double loss,
                  double seconds = std::numeric_limits<double>::quiet_NaN());
    // model batches [from, end) at once: one range fit and one replot.
    void addPoints(const std::vector<BatchEvent>& batches, std::size_t from = 0);
    int points() const;
    // x: batches (false) or measured training seconds, pauses and
    // evaluations left out (true); the points stay.
    void setTimeAxis(bool seconds);
    bool timeAxis() const { return timeAxis_; }
    // The held-out evaluations: their loss beside the training loss, their
    // accuracy (where there is one) on the right axis in percent.
    void setHeldOut(const std::vector<EvaluationEvent>& evaluations);
    int heldOutPoints() const;
    // A line shown in the middle of an empty chart (why there is no data).
    void setNote(const QString& note);

private:
    void fitRanges();
    void append(int batch, double loss, double seconds);  // no fit, no replot
    void rebuild();  // the graphs from the points, on the current axis

    struct Point {
        double batch, seconds, loss, accuracy;
    };
    std::vector<Point> train_, held_;
    bool timeAxis_ = false;
    QCPGraph* graph_ = nullptr;
    QCPGraph* heldLoss_ = nullptr;
    QCPGraph* heldAccuracy_ = nullptr;
    QCPItemText* note_ = nullptr;
    QCPTextElement* title_ = nullptr;
};

}  // namespace pd
