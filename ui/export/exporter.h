// Exports are functions of (plot, size, path): the format comes from the
// suffix (png, svg, pdf); the image is encoded in memory and written by the
// engine's writeFileAtomic (every write and the rename checked, the previous
// file kept on failure, the cause named; devices and symlinks handled).
#pragma once

#include <QList>
#include <QSize>
#include <QString>

class QCustomPlot;

namespace pd {

enum class ImageFormat { Png, Svg, Pdf, Unknown };
ImageFormat formatFromSuffix(const QString& path);

// Renders `plot` at `size` (pixels; PDF: points) into `path`.
bool exportPlot(QCustomPlot* plot, const QString& path, const QSize& size, QString* error);
// Several plots stacked top to bottom in one image, each `size` large.
bool exportStacked(const QList<QCustomPlot*>& plots, const QString& path, const QSize& size,
                   QString* error);
// Text or bytes, through writeFileAtomic.
bool writeFileSafely(const QString& path, const QByteArray& content, QString* error);

}  // namespace pd
