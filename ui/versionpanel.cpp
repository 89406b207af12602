#include "versionpanel.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>

#include "palette.h"

namespace pd {

namespace {

QLabel* chip(const QString& text, const QColor& color, bool current, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    const QColor fg = current ? textColorOn(color) : color.darker(150);
    const QString bg = current ? color.name() : QStringLiteral("white");
    label->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %2; border: 2px %3 %4;"
                       " border-radius: 8px; padding: 1px 6px; font-weight: %5; }")
            .arg(bg, fg.name(), current ? QStringLiteral("solid") : QStringLiteral("dashed"),
                 color.name(), current ? QStringLiteral("bold") : QStringLiteral("normal")));
    label->setToolTip(current ? QObject::tr("current weight version")
                              : QObject::tr("stashed version: still needed by the backward of a "
                                            "microbatch whose forward used it"));
    return label;
}

}  // namespace

VersionPanel::VersionPanel(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    grid_ = new QGridLayout;
    grid_->setColumnStretch(1, 1);
    outer->addLayout(grid_);
    hint_ = new QLabel(tr("Filled chip: current version. Dashed: stashed versions kept for "
                          "microbatches in flight."),
                       this);
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
        r.name = new QLabel(names[i], this);
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
    auto* held = new QLabel(tr("%n activation(s)", "", row.activations), row.chips);
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
