#include "ui/views/timelinetoolbar.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPixmap>
#include <algorithm>

#include "ui/model/boxfilter.h"
#include "ui/views/palette.h"
#include "ui/views/timelineplot.h"

namespace pd {

TimelineToolbar::TimelineToolbar(const QList<QAction*>& runActions, QWidget* parent)
    : QToolBar(tr("Timeline"), parent) {
    setObjectName(QStringLiteral("timelineToolbar"));
    addActions(runActions);
    addSeparator();
    addWidget(new QLabel(tr(" Time: "), this));
    timeBase_ = new QComboBox(this);
    timeBase_->addItems({tr("Slots (schedule steps)"), tr("Measured (ms)"), tr("Ideal (simulated)"),
                         tr("Measured + ideal (ms)")});
    timeBase_->setToolTip(
        tr("Slots: the schedule's time steps, as in the tutorial's tables. "
           "Measured: real time, paused time excluded. Ideal: the schedule "
           "simulated at the measured op costs, in ms; before any run, in units "
           "of one forward."));
    timeBase_->setFocusPolicy(Qt::ClickFocus);
    addWidget(timeBase_);
    addWidget(new QLabel(tr(" Colour: "), this));
    color_ = new QComboBox(this);
    color_->addItems({tr("by op"), tr("by weight version"), tr("by staleness")});
    color_->setToolTip(
        tr("Staleness: the stage's newest weight version minus the version the "
           "action read (0 for flush schedules; grows with PipeDream's stashing)."));
    color_->setFocusPolicy(Qt::ClickFocus);
    addWidget(color_);
    addAction(tr("Fit"), this, &TimelineToolbar::fitRequested);
    addSeparator();
    search_ = new QLineEdit(this);
    search_->setPlaceholderText(tr("Search: mb3, B, stage 2"));
    search_->setToolTip(
        tr("Dims every box that does not match. Words: mb3 (microbatch), F B I W "
           "U (ops), B3 (a label), stage 2 or s2, batch 1, v4 (version), c1 "
           "(chunk). Escape clears."));
    search_->setClearButtonEnabled(true);
    search_->setMaximumWidth(200);
    addWidget(search_);
    legendAnchor_ = addSeparator();
    connect(timeBase_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &TimelineToolbar::timeBaseChanged);
    connect(color_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &TimelineToolbar::colorModeChanged);
    connect(search_, &QLineEdit::textChanged, this, &TimelineToolbar::searchChanged);
}

void TimelineToolbar::driveTimeline(TimelineView* view) {
    for (QComboBox* combo : {timeBase_, color_})
        connect(combo, qOverload<int>(&QComboBox::activated), view, [view] { view->setFocus(); });
    connect(this, &TimelineToolbar::searchChanged, view, [this, view](const QString& text) {
        QString problem;
        view->setFilter(parseBoxFilter(text, &problem));
        if (!problem.isEmpty()) Q_EMIT searchProblem(problem);
    });
    connect(view, &TimelineView::legendChanged, this,
            [this, view] { setLegend(view->legendRow()->entries()); });
    setLegend(view->legendRow()->entries());
    connect(this, &TimelineToolbar::fitRequested, view, &TimelineView::fit);
    connect(this, &TimelineToolbar::timeBaseChanged, view, [view](int i) {
        static const TimelineView::Mode modes[] = {
            TimelineView::Mode::Slots, TimelineView::Mode::Measured, TimelineView::Mode::Ideal,
            TimelineView::Mode::Both};
        view->setMode(modes[std::clamp(i, 0, 3)]);
    });
    connect(this, &TimelineToolbar::colorModeChanged, view, [view](int i) {
        static const GanttPlottable::ColorMode modes[] = {GanttPlottable::ColorMode::ByOp,
                                                          GanttPlottable::ColorMode::ByVersion,
                                                          GanttPlottable::ColorMode::ByStaleness};
        view->setColorMode(modes[std::clamp(i, 0, 2)]);
    });
}

void TimelineToolbar::setLegend(const std::vector<ColourLegend::Entry>& entries) {
    for (QAction* a : legend_) {
        removeAction(a);
        a->deleteLater();
    }
    legend_.clear();
    for (const ColourLegend::Entry& e : entries) {
        if (!e.ramp.empty()) {
            legend_.push_back(rampChip(e));
            continue;
        }
        // Short chip text: "F", "v12", "2"; the tooltip has the whole label.
        const QString text = e.label.section(QLatin1Char(' '), 0, 0);
        legend_.push_back(chip(text, e.label, e.colour));
    }
}

// A scale of many colours: "v0", a small strip of them, "v40".
QAction* TimelineToolbar::rampChip(const ColourLegend::Entry& e) {
    const QFontMetrics fm(font());
    const int h = fm.height();
    const int cells = ColourLegend::rampCells(e.ramp.size());
    const int cell = std::max(2, 80 / std::max(cells, 1));
    const int first = fm.horizontalAdvance(e.label) + 4;
    const int width = first + cells * cell + 4 + fm.horizontalAdvance(e.rampEnd) + 2;
    const qreal dpr = devicePixelRatioF();
    QPixmap pixmap(QSize(width, h + 4) * dpr);
    pixmap.setDevicePixelRatio(dpr);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setFont(font());
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(0, 0, first, h + 4), Qt::AlignVCenter, e.label);
    for (int c = 0; c < cells; ++c) {
        const std::size_t k = cells > 1 ? c * (e.ramp.size() - 1) / (cells - 1) : 0;
        p.fillRect(QRect(first + c * cell, 2, cell, h), e.ramp[k]);
    }
    p.drawText(QRect(first + cells * cell + 4, 0, width, h + 4), Qt::AlignVCenter, e.rampEnd);
    p.end();
    auto* l = new QLabel(this);
    l->setPixmap(pixmap);
    l->setToolTip(tr("weight versions %1 to %2, in order").arg(e.label, e.rampEnd));
    return addWidget(l);
}

QAction* TimelineToolbar::chip(const QString& text, const QString& tip, const QColor& c) {
    auto* l = new QLabel(QStringLiteral(" %1 ").arg(text), this);
    l->setToolTip(tip);
    l->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %2; font-weight: bold; margin: 2px; }")
            .arg(c.name(), textColorOn(c).name()));
    return addWidget(l);
}

}  // namespace pd
