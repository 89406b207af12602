#pragma once

#include <QMainWindow>

#include "options.h"

namespace pd {

// Placeholder main window until the GUI issue lands.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const RunOptions& options, QWidget* parent = nullptr);
};

}  // namespace pd
