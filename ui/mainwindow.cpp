#include "mainwindow.h"

#include <QLabel>

#include "schedule.h"

namespace pd {

MainWindow::MainWindow(const RunOptions& options, QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("PipeDream Studio"));
    auto* label = new QLabel(QStringLiteral("Schedule %1: %2 stages, %3 microbatches")
                                 .arg(QString::fromUtf8(toString(options.schedule.kind)))
                                 .arg(options.schedule.stages)
                                 .arg(options.schedule.microbatches),
                             this);
    label->setAlignment(Qt::AlignCenter);
    setCentralWidget(label);
    resize(900, 600);
}

}  // namespace pd
