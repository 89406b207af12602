#include "timelinetoolbar.h"

#include <QComboBox>
#include <QLabel>

#include "palette.h"

namespace pd {

TimelineToolbar::TimelineToolbar(const QList<QAction*>& runActions, QWidget* parent)
    : QToolBar(tr("Timeline"), parent) {
    setObjectName(QStringLiteral("timelineToolbar"));
    addActions(runActions);
    addSeparator();
    addWidget(new QLabel(tr(" Time: "), this));
    timeBase_ = new QComboBox(this);
    timeBase_->addItems({tr("Slots (schedule steps)"), tr("Measured (ms)"),
                         tr("Ideal (ms, simulated)"), tr("Measured + ideal (ms)")});
    timeBase_->setToolTip(tr("Slots: the schedule's time steps, as in the tutorial's tables. "
                             "Measured: real time, paused time excluded. Ideal: the schedule "
                             "simulated at the measured op costs."));
    timeBase_->setFocusPolicy(Qt::ClickFocus);
    addWidget(timeBase_);
    addWidget(new QLabel(tr(" Colour: "), this));
    color_ = new QComboBox(this);
    color_->addItems({tr("by op"), tr("by weight version")});
    color_->setFocusPolicy(Qt::ClickFocus);
    addWidget(color_);
    addAction(tr("Fit"), this, &TimelineToolbar::fitRequested);
    addSeparator();
    for (Op op : {Op::F, Op::B, Op::I, Op::W, Op::U})
        opLegend_.push_back(chip(QString(QLatin1Char(opChar(op))), opName(op), opColor(op)));
    for (int v = 0; v < kVersionColors; ++v) {
        QAction* a = chip(QStringLiteral("v%1").arg(v),
                          tr("weight version %1 (colours repeat every %2 versions: v%3 looks "
                             "like v%1)")
                              .arg(v)
                              .arg(kVersionColors)
                              .arg(v + kVersionColors),
                          versionColor(v));
        a->setVisible(false);
        versionLegend_.push_back(a);
    }
    connect(timeBase_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &TimelineToolbar::timeBaseChanged);
    connect(color_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        for (QAction* a : opLegend_) a->setVisible(i == 0);
        for (QAction* a : versionLegend_) a->setVisible(i != 0);
        Q_EMIT colorModeChanged(i);
    });
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
