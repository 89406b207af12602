// Animated image encoders: frames (QImage, all one size) in, the bytes of
// an animated GIF (giflib) or a lossless animated WebP (libwebp's
// WebPAnimEncoder) out. Nothing is written to disk here: the caller writes
// the bytes atomically. No torch, no widgets.
//
// GIF: each frame gets its own exact palette built from its colours (the
// exports' flat fills stay exact; past 256 colours, from antialiased text,
// the most frequent colours are kept exactly and the rare ones take their
// nearest), only the rectangle that changed is stored, unchanged pixels in
// it are transparent, and it loops forever (NETSCAPE2.0).
// WebP: lossless, so every colour is exact; libwebp stores the changed
// rectangles itself; loops forever.
#pragma once

#include <QByteArray>
#include <QImage>
#include <QSize>
#include <QString>
#include <memory>

namespace pd {

enum class AnimFormat { Gif, WebP, Unknown };
// From the suffix: .gif, .webp (any case).
AnimFormat animFormatFromSuffix(const QString& path);

class AnimEncoder {
public:
    // nullptr with `error` set when the encoder cannot start.
    static std::unique_ptr<AnimEncoder> create(AnimFormat format, const QSize& size,
                                               QString* error);
    virtual ~AnimEncoder() = default;
    // Appends `frame` (converted to opaque RGB; must be size()), shown for
    // `durationMs`. A frame equal to the previous one lengthens it instead.
    virtual bool add(const QImage& frame, int durationMs, QString* error) = 0;
    // Ends the animation; the file's bytes. The encoder is spent afterwards.
    virtual bool finish(QByteArray* bytes, QString* error) = 0;
    QSize size() const { return size_; }
    int frames() const { return frames_; }  // frames stored (equal ones merged)

protected:
    explicit AnimEncoder(const QSize& size) : size_(size) {}
    QSize size_;
    int frames_ = 0;
};

}  // namespace pd
