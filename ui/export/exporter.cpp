#include "ui/export/exporter.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>

#include "engine/base/safefile.h"
#include "ui/views/qcp.h"

namespace pd {

ImageFormat formatFromSuffix(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png")) return ImageFormat::Png;
    if (suffix == QLatin1String("svg")) return ImageFormat::Svg;
    if (suffix == QLatin1String("pdf")) return ImageFormat::Pdf;
    return ImageFormat::Unknown;
}

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

// Paints every plot into `device`, stacked, each at `size`.
void paintStacked(QPaintDevice* device, const QList<QCustomPlot*>& plots, const QSize& size,
                  double scale = 1.0) {
    QCPPainter painter(device);
    painter.scale(scale, scale);
    for (int i = 0; i < plots.size(); ++i) {
        painter.save();
        painter.translate(0, static_cast<double>(i) * size.height());
        painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
        plots[i]->toPainter(&painter, size.width(), size.height());
        painter.restore();
    }
    painter.end();
}

// Encodes the stacked plots in `format` into `device`.
bool render(ImageFormat format, const QList<QCustomPlot*>& plots, const QSize& size,
            const QSize& total, QIODevice& device) {
    switch (format) {
        case ImageFormat::Png: {
            QImage image(total, QImage::Format_ARGB32_Premultiplied);
            image.fill(Qt::white);
            paintStacked(&image, plots, size);
            return image.save(&device, "PNG");
        }
        case ImageFormat::Svg: {
            QSvgGenerator svg;
            svg.setOutputDevice(&device);
            svg.setSize(total);
            svg.setViewBox(QRect(QPoint(0, 0), total));
            svg.setTitle(QStringLiteral("PipeDream Studio"));
            paintStacked(&svg, plots, size);
            return true;
        }
        case ImageFormat::Pdf: {
            QPdfWriter pdf(&device);
            pdf.setResolution(72);  // one pixel of the plot = one point
            pdf.setPageSize(QPageSize(QSizeF(total), QPageSize::Point));
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setCreator(QStringLiteral("PipeDream Studio"));
            paintStacked(&pdf, plots, size);
            return true;
        }
        case ImageFormat::Unknown:
            break;
    }
    return false;
}

}  // namespace

bool exportStacked(const QList<QCustomPlot*>& plots, const QString& path, const QSize& size,
                   QString* error) {
    if (plots.isEmpty()) return fail(error, QObject::tr("nothing to export"));
    if (size.width() < 16 || size.height() < 16 || size.width() > 20000 || size.height() > 20000)
        return fail(error, QObject::tr("export size %1x%2 is out of range (16 to 20000 pixels)")
                               .arg(size.width())
                               .arg(size.height()));
    const ImageFormat format = formatFromSuffix(path);
    if (format == ImageFormat::Unknown)
        return fail(error,
                    QObject::tr("%1: unknown image format (use .png, .svg or .pdf)").arg(path));
    const QSize total(size.width(), size.height() * static_cast<int>(plots.size()));

    // Rendered into memory first, then written by writeFileAtomic: QSaveFile
    // committed a truncated SVG or PDF on a full disk (the generators do not
    // report their write errors) and named no cause for PNG.
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!render(format, plots, size, total, buffer))
        return fail(error, QObject::tr("cannot encode %1").arg(path));
    buffer.close();
    return writeFileSafely(path, bytes, error);
}

bool exportPlot(QCustomPlot* plot, const QString& path, const QSize& size, QString* error) {
    return exportStacked({plot}, path, size, error);
}

bool writeFileSafely(const QString& path, const QByteArray& content, QString* error) {
    try {
        writeFileAtomic(QFile::encodeName(path).toStdString(), content.toStdString());
        return true;
    } catch (const Error& e) {
        return fail(error, QString::fromUtf8(e.what()));
    }
}

}  // namespace pd
