// Run > Profile layers: the layer profiler (engine/run/profiler.h) on a
// thread of its own, so that the window stays responsive for the few
// seconds it measures; the profile (or why there is none) comes back as a
// signal on the GUI thread. Without the training engine it says so.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <thread>

#include "engine/config/options.h"

namespace pd {

class LayerProfiler : public QObject {
    Q_OBJECT
public:
    explicit LayerProfiler(QObject* parent = nullptr);
    ~LayerProfiler() override;  // waits for a profile in progress (seconds at most)

    // Measures `options`' layers; false (and nothing starts) while one is in
    // progress.
    bool start(const RunOptions& options);
    bool busy() const { return worker_.joinable() && !*done_; }

Q_SIGNALS:
    void profiled(const pd::LayerProfile& profile, double seconds);
    void failed(const QString& message);

private:
    std::thread worker_;
    std::shared_ptr<bool> done_ = std::make_shared<bool>(true);
};

}  // namespace pd
