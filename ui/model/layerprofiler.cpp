#include "ui/model/layerprofiler.h"

#include <QMetaObject>
#include <QPointer>
#include <chrono>

#ifdef PD_HAVE_ENGINE
#include "engine/run/profiler.h"  // torch-free header; the measuring is in the engine
#endif

namespace pd {

LayerProfiler::LayerProfiler(QObject* parent) : QObject(parent) {}

LayerProfiler::~LayerProfiler() {
    if (worker_.joinable()) worker_.join();
}

bool LayerProfiler::start(const RunOptions& options) {
    if (busy()) return false;
    if (worker_.joinable()) worker_.join();
#ifdef PD_HAVE_ENGINE
    *done_ = false;
    QPointer<LayerProfiler> self(this);
    auto done = done_;
    worker_ = std::thread([self, done, options] {
        const auto t0 = std::chrono::steady_clock::now();
        LayerProfile profile;
        QString error;
        try {
            profile = profileLayers(options);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QMetaObject::invokeMethod(
            self.data(),
            [self, done, profile, error, seconds] {
                *done = true;
                if (!self) return;
                if (error.isEmpty())
                    Q_EMIT self->profiled(profile, seconds);
                else
                    Q_EMIT self->failed(error);
            },
            Qt::QueuedConnection);
    });
    return true;
#else
    (void)options;
    Q_EMIT failed(tr("This build has no training engine to measure the layers with"));
    return false;
#endif
}

}  // namespace pd
