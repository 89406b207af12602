#include "ui/model/boxfilter.h"

#include <QObject>
#include <QRegularExpression>

namespace pd {

namespace {

// Applies one word with its number (-1: none); false when not understood.
bool apply(BoxFilter& f, const QString& word, int n) {
    if (n < 0) {
        if (word.size() > 5) return false;
        unsigned ops = 0;
        for (QChar c : word) {
            const auto op = parseOp(c.toUpper().toLatin1());
            if (!op) return false;
            ops |= 1u << static_cast<unsigned>(*op);
        }
        f.ops = (f.ops == 0x1F ? 0u : f.ops) | ops;
        return true;
    }
    if (word == QLatin1String("mb") || word == QLatin1String("m") ||
        word == QLatin1String("microbatch"))
        f.microbatch = n;
    else if (word == QLatin1String("batch"))
        f.batch = n - 1;
    else if (word == QLatin1String("s") || word == QLatin1String("stage") ||
             word == QLatin1String("gpu"))
        f.stage = n;
    else if (word == QLatin1String("v") || word == QLatin1String("version"))
        f.version = n;
    else if (word == QLatin1String("c") || word == QLatin1String("chunk"))
        f.chunk = n;
    else if (word.size() == 1 && parseOp(word[0].toUpper().toLatin1())) {
        // "F3": a forward of microbatch 3, as the label reads.
        f.ops = (f.ops == 0x1F ? 0u : f.ops) |
                1u << static_cast<unsigned>(*parseOp(word[0].toUpper().toLatin1()));
        f.microbatch = n;
    } else
        return false;
    return true;
}

}  // namespace

BoxFilter parseBoxFilter(const QString& text, QString* problem) {
    BoxFilter f;
    static const QRegularExpression token(QStringLiteral("([a-z]+)\\s*(\\d+)?"));
    const QString lower = text.toLower();
    QStringList unknown;
    auto it = token.globalMatch(lower);
    while (it.hasNext()) {
        const auto m = it.next();
        const int n = m.captured(2).isEmpty() ? -1 : m.captured(2).toInt();
        if (!apply(f, m.captured(1), n)) unknown << m.captured(0).trimmed();
    }
    if (problem)
        *problem = unknown.isEmpty()
                       ? QString()
                       : QObject::tr("not understood: %1").arg(unknown.join(QStringLiteral(", ")));
    return f;
}

}  // namespace pd
