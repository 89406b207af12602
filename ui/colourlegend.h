// A one-row colour legend inside a plot's layout: a caption, then swatches
// with their labels. Part of the plot, so exported images carry it too.
#pragma once

#include <QColor>
#include <QString>
#include <vector>

#include "qcp.h"

namespace pd {

class ColourLegend : public QCPLayoutElement {
    Q_OBJECT
public:
    struct Entry {
        QColor colour;
        QString label;
    };

    explicit ColourLegend(QCustomPlot* plot);

    void setEntries(const QString& caption, std::vector<Entry> entries);
    const std::vector<Entry>& entries() const { return entries_; }
    QString caption() const { return caption_; }
    void setFont(const QFont& font) { font_ = font; }

protected:
    void applyDefaultAntialiasingHint(QCPPainter* painter) const override;
    void draw(QCPPainter* painter) override;
    QSize minimumOuterSizeHint() const override;
    QSize maximumOuterSizeHint() const override;

private:
    QString caption_;
    std::vector<Entry> entries_;
    QFont font_;
};

}  // namespace pd
