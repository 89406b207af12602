// The layer strip above the timeline: one cell per partitionable layer, as
// wide as its cost (forward + backward, at least a few pixels), coloured by
// the pipeline stage that holds it, each model part labelled ("GPU0 L1-3 ·
// 41%"). The cuts between parts are handles: drag one (it snaps to cell
// edges and never empties a part) or move the selected one with the arrow
// keys; the new cut is emitted live while it moves and committed on release.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

#include "engine/schedule/partition.h"

namespace pd {

class LayerStrip : public QWidget {
    Q_OBJECT
public:
    explicit LayerStrip(QWidget* parent = nullptr);

    // One entry per partitionable layer (a missing name reads "Layer <n>").
    // `unit` is "ms" for measured costs, "" for estimated (relative) ones:
    // the tooltips then show shares only.
    void setLayers(std::vector<QString> names, std::vector<LayerCost> costs, QString unit);
    // The cut: the 1-based first layer of every part after the first
    // (parts-1 strictly increasing values in 2..layers); stage of part p is
    // p % stages. Boundaries that do not fit are replaced by equal layer
    // counts (splitLayers).
    void setCut(std::vector<int> boundaries, int parts, int stages);
    // The cut on screen; empty when there is none (one part, or more parts
    // than layers).
    std::vector<int> boundaries() const { return boundaries_; }
    int layers() const { return static_cast<int>(costs_.size()); }
    int parts() const { return parts_; }
    int stages() const { return stages_; }
    // false: no dragging nor keys (while a run trains); tooltips still work.
    void setEditable(bool editable);
    bool isEditable() const { return editable_; }
    bool isDragging() const { return drag_ >= 0; }
    // The handle the arrow keys move (0-based: the cut before part h + 1).
    int selectedHandle() const { return selected_; }

    // Geometry, for the window and tests: layer `layer` (0-based index into
    // setLayers' vectors, so 1-based layer L is cellRect(L - 1)), and the x
    // of handle h (the left edge of layer boundaries()[h]); -1 / empty when
    // there is no such thing.
    QRect cellRect(int layer) const;
    int handleX(int handle) const;
    // The layer under x (0-based), or -1.
    int layerAt(int x) const;
    // What a tooltip on `layer` (0-based) says.
    QString layerToolTip(int layer) const;
    // The part labels of the last paint (empty strings where none fits), and
    // the line shown instead of cells (no layers, more parts than layers).
    const QStringList& drawnLabels() const { return drawn_; }
    QString note() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    // While dragging (or on an arrow key), each time the cut moves.
    void cutChanged(std::vector<int> boundaries);
    // On release (or after an arrow key), when the cut differs from the press.
    void cutCommitted(std::vector<int> boundaries);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void focusInEvent(QFocusEvent* event) override;
    void focusOutEvent(QFocusEvent* event) override;

private:
    bool hasCut() const { return !costs_.empty() && parts_ >= 1 && parts_ <= layers(); }
    void resolveCut();
    QRect cellArea() const;
    std::vector<int> edges() const;
    std::vector<double> cellWidths(double room) const;
    double cost(int layer) const;
    double totalCost() const;
    double partCost(int part) const;
    int partOf(int layer) const;  // 0-based layer -> part
    int handleAt(int x) const;
    // The boundary handle h may take: its neighbours keep one layer each.
    int lowest(int handle) const;
    int highest(int handle) const;
    bool moveHandle(int handle, int boundary);
    void endDrag(bool restore);
    void updateCursor(int x);
    QString partLabel(int part, int width) const;
    void paintPart(QPainter& painter, int part, const std::vector<int>& edges, QRect area);
    void paintHandle(QPainter& painter, int handle, int x) const;

    std::vector<QString> names_;
    std::vector<LayerCost> costs_;
    QString unit_;
    std::vector<int> wanted_;      // as given to setCut
    std::vector<int> boundaries_;  // on screen (wanted_ or equal counts)
    int parts_ = 1;
    int stages_ = 1;
    bool editable_ = true;
    int selected_ = 0;
    int hover_ = -1;             // handle under the mouse
    int drag_ = -1;              // handle being dragged
    int grabOffset_ = 0;         // handle x - press x
    std::vector<int> pressCut_;  // the cut when the drag began
    QStringList drawn_;
};

}  // namespace pd
