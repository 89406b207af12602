#include "ui/panels/versionpanel.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>

#include "ui/views/charts.h"
#include "ui/views/palette.h"

namespace pd {

namespace {

QLabel* chip(const QString& text, const QColor& color, bool current, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    const QColor fg = current ? textColorOn(color) : color.darker(150);
    const QString bg = current ? color.name() : QStringLiteral("white");
    label->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %2; border: 2px %3 %4;"
                       " border-radius: 8px; padding: 0px 4px; font-weight: %5; }")
            .arg(bg, fg.name(), current ? QStringLiteral("solid") : QStringLiteral("dashed"),
                 color.name(), current ? QStringLiteral("bold") : QStringLiteral("normal")));
    label->setToolTip(current ? QObject::tr("current weight version")
                              : QObject::tr("stashed version: still needed by the backward of a "
                                            "microbatch whose forward used it"));
    return label;
}

}  // namespace

VersionPanel::VersionPanel(QWidget* parent) : QWidget(parent) {
    // Compact, so that four stages and the legend fit the dock's default
    // size (about 280 x 110 px) without scrolling.
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(6, 4, 6, 4);
    outer->setSpacing(4);
    grid_ = new QGridLayout;
    grid_->setColumnStretch(1, 1);
    grid_->setVerticalSpacing(3);
    grid_->setHorizontalSpacing(8);
    outer->addLayout(grid_);
    hint_ = new QLabel(tr("Filled: current version \u00B7 dashed: stashed"), this);
    hint_->setToolTip(
        tr("Filled chip: the stage's current weight version. Dashed chips: older "
           "versions stashed for microbatches in flight, whose backward must use "
           "the weights their forward used."));
    hint_->setWordWrap(true);
    hint_->setStyleSheet(QStringLiteral("color: gray;"));
    outer->addWidget(hint_);
    outer->addStretch(1);
}

void VersionPanel::setStages(const QStringList& names) {
    for (Row& r : rows_) {
        delete r.name;
        delete r.chips;
    }
    rows_.clear();
    for (int i = 0; i < names.size(); ++i) {
        Row r;
        // "GPU0": the layers are on the timeline's lane; here, in the tool tip.
        r.name = new QLabel(names[i].section(QLatin1Char(' '), 0, 0), this);
        r.name->setToolTip(names[i]);
        r.chips = new QWidget(this);
        auto* h = new QHBoxLayout(r.chips);
        h->setContentsMargins(0, 0, 0, 0);
        h->setSpacing(4);
        grid_->addWidget(r.name, i, 0);
        grid_->addWidget(r.chips, i, 1);
        rows_.push_back(r);
        renderRow(rows_.back());
    }
}

void VersionPanel::renderRow(Row& row) {
    auto* h = static_cast<QHBoxLayout*>(row.chips->layout());
    while (QLayoutItem* item = h->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    h->addWidget(chip(QStringLiteral("v%1").arg(row.current),
                      versionColor(row.current, maxVersion_), true, row.chips));
    for (int v : row.stashed)
        h->addWidget(
            chip(QStringLiteral("v%1").arg(v), versionColor(v, maxVersion_), false, row.chips));
    h->addStretch(1);
    auto* held =
        new QLabel(countText(row.activations, tr("activation"), tr("activations")), row.chips);
    held->setToolTip(
        tr("Microbatches forwarded here whose backward has not run yet: their "
           "activations are held"));
    held->setStyleSheet(QStringLiteral("color: gray;"));
    h->addWidget(held);
}

void VersionPanel::apply(const VersionEvent& e) {
    if (e.stage < 0 || e.stage >= static_cast<int>(rows_.size())) return;
    Row& r = rows_[static_cast<std::size_t>(e.stage)];
    if (r.current == e.version && r.stashed == e.stashed) return;
    r.current = e.version;
    r.stashed = e.stashed;
    renderRow(r);
}

void VersionPanel::showState(const std::vector<StageSnapshot>& stages) {
    for (std::size_t s = 0; s < stages.size() && s < rows_.size(); ++s) {
        Row& r = rows_[s];
        const StageSnapshot& st = stages[s];
        if (r.current == st.newest && r.stashed == st.stashed && r.activations == st.activations)
            continue;
        r.current = st.newest;
        r.stashed = st.stashed;
        r.activations = st.activations;
        renderRow(r);
    }
}

int VersionPanel::heightFor(int stages, int width) const {
    QLabel* sample = chip(QStringLiteral("v0"), versionColor(0, 0), true, nullptr);
    const int row = sample->sizeHint().height();
    delete sample;
    const QMargins m = layout()->contentsMargins();
    const int rows = stages * row + std::max(0, stages - 1) * grid_->verticalSpacing();
    return m.top() + rows + layout()->spacing() +
           hint_->heightForWidth(width - m.left() - m.right()) + m.bottom();
}

int VersionPanel::current(int stage) const {
    return stage >= 0 && stage < static_cast<int>(rows_.size())
               ? rows_[static_cast<std::size_t>(stage)].current
               : -1;
}

std::vector<int> VersionPanel::stashed(int stage) const {
    return stage >= 0 && stage < static_cast<int>(rows_.size())
               ? rows_[static_cast<std::size_t>(stage)].stashed
               : std::vector<int>{};
}

QString VersionPanel::summary() const {
    QStringList parts;
    for (const Row& r : rows_) parts << QStringLiteral("v%1").arg(r.current);
    return parts.join(QLatin1Char(' '));
}

}  // namespace pd
