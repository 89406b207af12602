// A one-row colour legend inside a plot's layout: a caption, then swatches
// with their labels. Part of the plot, so exported images carry it too.
// What does not fit is elided whole ("…" then the last entry), never cut
// mid-entry; a long sequential scale is one compact ramp entry.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <vector>

#include "ui/views/qcp.h"

namespace pd {

class ColourLegend : public QCPLayoutElement {
    Q_OBJECT
public:
    struct Entry {
        QColor colour;
        QString label;
        // A ramp: `label`, a strip of these colours in order, then `rampEnd`
        // ("v0 ▮▮▮▮ v40"); empty for a plain swatch.
        std::vector<QColor> ramp = {};
        QString rampEnd = {};
    };

    explicit ColourLegend(QCustomPlot* plot);

    void setEntries(const QString& caption, std::vector<Entry> entries);
    const std::vector<Entry>& entries() const { return entries_; }
    QString caption() const { return caption_; }
    void setFont(const QFont& font) { font_ = font; }
    // The labels of the last draw ("…" for an elision), for tests.
    const QStringList& drawnLabels() const { return drawn_; }

    // A ramp of `n` colours: how many cells it shows, and how wide each is
    // for a font `h` pixels high.
    static int rampCells(std::size_t n);
    static int rampCellWidth(std::size_t n, int h);

protected:
    void applyDefaultAntialiasingHint(QCPPainter* painter) const override;
    void draw(QCPPainter* painter) override;
    QSize minimumOuterSizeHint() const override;
    QSize maximumOuterSizeHint() const override;

private:
    int entryWidth(const Entry& e, const QFontMetrics& fm) const;
    int drawEntry(QCPPainter* painter, const Entry& e, int x, int y, const QFontMetrics& fm);

    QString caption_;
    std::vector<Entry> entries_;
    QFont font_;
    QStringList drawn_;
};

}  // namespace pd
