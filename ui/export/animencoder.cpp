#include "ui/export/animencoder.h"

#include <gif_lib.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <QFileInfo>
#include <QHash>
#include <QObject>
#include <QRect>
#include <algorithm>
#include <utility>
#include <vector>

namespace pd {

AnimFormat animFormatFromSuffix(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("gif")) return AnimFormat::Gif;
    if (suffix == QLatin1String("webp")) return AnimFormat::WebP;
    return AnimFormat::Unknown;
}

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

// Every frame of an animation has its first frame's size.
bool sameSize(const QImage& frame, const QSize& size, QString* error) {
    if (frame.size() == size) return true;
    return fail(error, QObject::tr("frame size %1x%2 differs from the animation's %3x%4")
                           .arg(frame.width())
                           .arg(frame.height())
                           .arg(size.width())
                           .arg(size.height()));
}

QImage opaque(const QImage& frame) {
    return frame.format() == QImage::Format_RGB32 ? frame
                                                  : frame.convertToFormat(QImage::Format_RGB32);
}

// The smallest rectangle holding every pixel where `a` and `b` differ.
QRect changed(const QImage& a, const QImage& b) {
    int top = -1, bottom = -1, left = a.width(), right = -1;
    for (int y = 0; y < a.height(); ++y) {
        const auto* pa = reinterpret_cast<const QRgb*>(a.constScanLine(y));
        const auto* pb = reinterpret_cast<const QRgb*>(b.constScanLine(y));
        int x0 = 0;
        while (x0 < a.width() && pa[x0] == pb[x0]) ++x0;
        if (x0 == a.width()) continue;
        int x1 = a.width() - 1;
        while (pa[x1] == pb[x1]) --x1;
        if (top < 0) top = y;
        bottom = y;
        left = std::min(left, x0);
        right = std::max(right, x1);
    }
    if (top < 0) return {};
    return QRect(QPoint(left, top), QPoint(right, bottom));
}

// ---------------------------------------------------------------------------
// GIF

int appendBytes(GifFileType* gif, const GifByteType* data, int length) {
    static_cast<QByteArray*>(gif->UserData)->append(reinterpret_cast<const char*>(data), length);
    return length;
}

QString gifError(int code) {
    const char* text = GifErrorString(code);
    return QObject::tr("GIF encoder: %1")
        .arg(text ? QString::fromLatin1(text) : QString::number(code));
}

int squaredDistance(QRgb a, QRgb b) {
    const int dr = qRed(a) - qRed(b), dg = qGreen(a) - qGreen(b), db = qBlue(a) - qBlue(b);
    return 2 * dr * dr + 4 * dg * dg + 3 * db * db;
}

class GifEncoder : public AnimEncoder {
public:
    explicit GifEncoder(const QSize& size) : AnimEncoder(size) {}
    ~GifEncoder() override {
        if (gif_) EGifCloseFile(gif_, nullptr);
    }

    bool start(QString* error) {
        int code = 0;
        gif_ = EGifOpen(&bytes_, appendBytes, &code);
        if (!gif_) return fail(error, gifError(code));
        EGifSetGifVersion(gif_, true);  // GIF89a: delays, transparency, looping
        if (EGifPutScreenDesc(gif_, size_.width(), size_.height(), 8, 0, nullptr) == GIF_ERROR)
            return fail(error, gifError(gif_->Error));
        // Loop forever: the NETSCAPE2.0 application extension, count 0.
        const unsigned char loop[3] = {1, 0, 0};
        if (EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
            EGifPutExtensionBlock(gif_, 11, "NETSCAPE2.0") == GIF_ERROR ||
            EGifPutExtensionBlock(gif_, 3, loop) == GIF_ERROR ||
            EGifPutExtensionTrailer(gif_) == GIF_ERROR)
            return fail(error, gifError(gif_->Error));
        return true;
    }

    bool add(const QImage& frame, int durationMs, QString* error) override {
        if (!gif_) return fail(error, QObject::tr("GIF encoder: already finished"));
        if (!sameSize(frame, size_, error)) return false;
        const QImage image = opaque(frame);
        if (previous_.isNull()) {
            prepare(image, QRect(QPoint(0, 0), size_), false);
        } else {
            const QRect rect = changed(image, previous_);
            if (rect.isEmpty()) {  // the same picture: shown longer
                pending_.durationMs += durationMs;
                return true;
            }
            if (!flush(error)) return false;
            prepare(image, rect, true);
        }
        pending_.durationMs = durationMs;
        previous_ = image;
        return true;
    }

    bool finish(QByteArray* bytes, QString* error) override {
        if (!gif_) return fail(error, QObject::tr("GIF encoder: already finished"));
        if (!flush(error)) return false;
        int code = 0;
        const int result = EGifCloseFile(gif_, &code);
        gif_ = nullptr;
        if (result == GIF_ERROR) return fail(error, gifError(code));
        *bytes = std::move(bytes_);
        return true;
    }

private:
    struct Frame {
        QRect rect;
        std::vector<GifByteType> pixels;  // indices, rect.width() per row
        std::vector<QRgb> palette;
        int transparent = NO_TRANSPARENT_COLOR;
        int durationMs = 0;
        bool valid = false;
    };

    // The rectangle of `image` as palette indices; with `delta`, pixels
    // equal to the previous frame's are transparent.
    void prepare(const QImage& image, const QRect& rect, bool delta) {
        Frame f;
        f.rect = rect;
        QHash<QRgb, int> counts;
        for (int y = rect.top(); y <= rect.bottom(); ++y) {
            const auto* p = reinterpret_cast<const QRgb*>(image.constScanLine(y));
            const auto* q =
                delta ? reinterpret_cast<const QRgb*>(previous_.constScanLine(y)) : nullptr;
            for (int x = rect.left(); x <= rect.right(); ++x)
                if (!q || p[x] != q[x]) ++counts[p[x] | 0xff000000u];
        }
        const int room = delta ? 255 : 256;
        std::vector<std::pair<int, QRgb>> byCount;
        byCount.reserve(static_cast<std::size_t>(counts.size()));
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            byCount.emplace_back(it.value(), it.key());
        // Most frequent first (the flat fills), ties by colour: deterministic.
        std::sort(byCount.begin(), byCount.end(), [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        QHash<QRgb, int> index;
        for (const auto& [count, colour] : byCount) {
            if (static_cast<int>(f.palette.size()) == room) break;
            index.insert(colour, static_cast<int>(f.palette.size()));
            f.palette.push_back(colour);
        }
        if (f.palette.empty()) f.palette.push_back(0xff000000u);
        if (delta) {
            f.transparent = static_cast<int>(f.palette.size());
            f.palette.push_back(0xff000000u);
        }
        const auto nearest = [&](QRgb c) {
            auto it = index.constFind(c);
            if (it != index.constEnd()) return it.value();
            int best = 0, bestDistance = squaredDistance(c, f.palette[0]);
            const int usable = static_cast<int>(f.palette.size()) - (delta ? 1 : 0);
            for (int i = 1; i < usable; ++i) {
                const int d = squaredDistance(c, f.palette[static_cast<std::size_t>(i)]);
                if (d < bestDistance) best = i, bestDistance = d;
            }
            index.insert(c, best);
            return best;
        };
        f.pixels.reserve(static_cast<std::size_t>(rect.width()) * rect.height());
        for (int y = rect.top(); y <= rect.bottom(); ++y) {
            const auto* p = reinterpret_cast<const QRgb*>(image.constScanLine(y));
            const auto* q =
                delta ? reinterpret_cast<const QRgb*>(previous_.constScanLine(y)) : nullptr;
            for (int x = rect.left(); x <= rect.right(); ++x)
                f.pixels.push_back(static_cast<GifByteType>(
                    q && p[x] == q[x] ? f.transparent : nearest(p[x] | 0xff000000u)));
        }
        f.valid = true;
        pending_ = std::move(f);
    }

    bool flush(QString* error) {
        if (!pending_.valid) return true;
        Frame& f = pending_;
        // Delays in hundredths of a second, rounded on the running total so
        // that many frames do not drift.
        const long long start = elapsedMs_, end = elapsedMs_ + f.durationMs;
        elapsedMs_ = end;
        const int delay = std::max(2, static_cast<int>((end + 5) / 10 - (start + 5) / 10));
        GraphicsControlBlock gcb{};
        gcb.DisposalMode = DISPOSE_DO_NOT;  // the next frame draws over this one
        gcb.UserInputFlag = false;
        gcb.DelayTime = delay;
        gcb.TransparentColor = f.transparent;
        GifByteType extension[4];
        const size_t length = EGifGCBToExtension(&gcb, extension);
        if (EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension) ==
            GIF_ERROR)
            return fail(error, gifError(gif_->Error));
        int mapSize = 2;
        while (mapSize < static_cast<int>(f.palette.size())) mapSize *= 2;
        std::vector<GifColorType> colours(static_cast<std::size_t>(mapSize), GifColorType{0, 0, 0});
        for (std::size_t i = 0; i < f.palette.size(); ++i)
            colours[i] = GifColorType{static_cast<GifByteType>(qRed(f.palette[i])),
                                      static_cast<GifByteType>(qGreen(f.palette[i])),
                                      static_cast<GifByteType>(qBlue(f.palette[i]))};
        ColorMapObject* map = GifMakeMapObject(mapSize, colours.data());
        if (!map) return fail(error, QObject::tr("GIF encoder: out of memory"));
        const bool described = EGifPutImageDesc(gif_, f.rect.left(), f.rect.top(), f.rect.width(),
                                                f.rect.height(), false, map) != GIF_ERROR;
        GifFreeMapObject(map);
        if (!described) return fail(error, gifError(gif_->Error));
        for (int y = 0; y < f.rect.height(); ++y)
            if (EGifPutLine(gif_, f.pixels.data() + static_cast<std::size_t>(y) * f.rect.width(),
                            f.rect.width()) == GIF_ERROR)
                return fail(error, gifError(gif_->Error));
        ++frames_;
        pending_ = Frame{};
        return true;
    }

    GifFileType* gif_ = nullptr;
    QByteArray bytes_;
    QImage previous_;
    Frame pending_;
    long long elapsedMs_ = 0;
};

// ---------------------------------------------------------------------------
// WebP

QString webpError(WebPAnimEncoder* encoder) {
    const char* text = encoder ? WebPAnimEncoderGetError(encoder) : nullptr;
    return QObject::tr("WebP encoder: %1")
        .arg(text && *text ? QString::fromLatin1(text) : QObject::tr("failed"));
}

class WebPEncoder : public AnimEncoder {
public:
    explicit WebPEncoder(const QSize& size) : AnimEncoder(size) {}
    ~WebPEncoder() override {
        if (encoder_) WebPAnimEncoderDelete(encoder_);
    }

    bool start(QString* error) {
        WebPAnimEncoderOptions options;
        if (!WebPAnimEncoderOptionsInit(&options) || !WebPConfigInit(&config_) ||
            !WebPConfigLosslessPreset(&config_, 4))
            return fail(error,
                        QObject::tr("WebP encoder: this libwebp does not match its headers"));
        options.anim_params.loop_count = 0;  // forever
        options.anim_params.bgcolor = 0xffffffff;
        options.allow_mixed = 0;  // lossless only: colours exact
        encoder_ = WebPAnimEncoderNew(size_.width(), size_.height(), &options);
        if (!encoder_) return fail(error, QObject::tr("WebP encoder: out of memory"));
        return true;
    }

    bool add(const QImage& frame, int durationMs, QString* error) override {
        if (!encoder_) return fail(error, QObject::tr("WebP encoder: already finished"));
        if (!sameSize(frame, size_, error)) return false;
        // Equal frames are merged here, so frames() counts what is stored.
        const QImage image = opaque(frame).convertToFormat(QImage::Format_ARGB32);
        if (!previous_.isNull() && image == previous_) {
            elapsedMs_ += durationMs;
            return true;
        }
        WebPPicture picture;
        if (!WebPPictureInit(&picture)) return fail(error, webpError(nullptr));
        picture.use_argb = 1;
        picture.width = size_.width();
        picture.height = size_.height();
        // Format_ARGB32 is B, G, R, A in memory on little-endian machines.
        const bool imported =
            QSysInfo::ByteOrder == QSysInfo::LittleEndian
                ? WebPPictureImportBGRA(&picture, image.constBits(),
                                        static_cast<int>(image.bytesPerLine()))
                : WebPPictureImportRGBA(&picture,
                                        image.convertToFormat(QImage::Format_RGBA8888).constBits(),
                                        static_cast<int>(image.bytesPerLine()));
        if (!imported) {
            WebPPictureFree(&picture);
            return fail(error, QObject::tr("WebP encoder: out of memory"));
        }
        const bool ok =
            WebPAnimEncoderAdd(encoder_, &picture, static_cast<int>(elapsedMs_), &config_) != 0;
        WebPPictureFree(&picture);
        if (!ok) return fail(error, webpError(encoder_));
        elapsedMs_ += durationMs;
        previous_ = image;
        ++frames_;
        return true;
    }

    bool finish(QByteArray* bytes, QString* error) override {
        if (!encoder_) return fail(error, QObject::tr("WebP encoder: already finished"));
        WebPData data;
        WebPDataInit(&data);
        const bool ok =
            WebPAnimEncoderAdd(encoder_, nullptr, static_cast<int>(elapsedMs_), nullptr) &&
            WebPAnimEncoderAssemble(encoder_, &data);
        if (!ok) {
            const QString why = webpError(encoder_);
            WebPDataClear(&data);
            return fail(error, why);
        }
        *bytes = QByteArray(reinterpret_cast<const char*>(data.bytes),
                            static_cast<qsizetype>(data.size));
        WebPDataClear(&data);
        WebPAnimEncoderDelete(encoder_);
        encoder_ = nullptr;
        return true;
    }

private:
    WebPAnimEncoder* encoder_ = nullptr;
    WebPConfig config_{};
    QImage previous_;
    long long elapsedMs_ = 0;
};

}  // namespace

std::unique_ptr<AnimEncoder> AnimEncoder::create(AnimFormat format, const QSize& size,
                                                 QString* error) {
    if (size.width() < 1 || size.height() < 1 || size.width() > 16383 || size.height() > 16383) {
        fail(error, QObject::tr("animation size %1x%2 is out of range")
                        .arg(size.width())
                        .arg(size.height()));
        return nullptr;
    }
    switch (format) {
        case AnimFormat::Gif: {
            auto encoder = std::make_unique<GifEncoder>(size);
            if (!encoder->start(error)) return nullptr;
            return encoder;
        }
        case AnimFormat::WebP: {
            auto encoder = std::make_unique<WebPEncoder>(size);
            if (!encoder->start(error)) return nullptr;
            return encoder;
        }
        case AnimFormat::Unknown:
            break;
    }
    fail(error, QObject::tr("unknown animation format (use .gif or .webp)"));
    return nullptr;
}

}  // namespace pd
