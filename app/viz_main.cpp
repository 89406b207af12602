// pipedream-viz: the Qt application, or with --headless --export DIR the
// figures, timeline, CSV and trace of a run written without a window.
#include <QApplication>
#include <QTextStream>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "figures.h"
#include "mainwindow.h"
#include "options.h"

namespace {

bool hasDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && std::string(platform).rfind("offscreen", 0) == 0) return true;
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const pd::ParsedOptions parsed = pd::parseRunOptions(args, /*vizFlags=*/true);
    if (parsed.help) {
        std::fputs(pd::usage("pipedream-viz", true).c_str(), stdout);
        return 0;
    }
    if (!parsed.error.empty()) {
        std::fprintf(stderr, "error: %s\n", parsed.error.c_str());
        return 2;
    }
    if (parsed.options.headless) {
        // No window: render with the offscreen platform whatever the session has.
        qputenv("QT_QPA_PLATFORM", "offscreen");
        int qtArgc = 1;
        QApplication app(qtArgc, argv);
        QTextStream out(stdout), err(stderr);
        return pd::headlessExport(parsed.options, QString::fromStdString(parsed.options.exportDir),
                                  out, err);
    }
    if (!hasDisplay()) {
        std::fprintf(stderr,
                     "error: no display found (DISPLAY is not set). Run under a desktop session "
                     "or xvfb-run, or use --headless --export DIR to write the figures without "
                     "a window.\n");
        return 2;
    }
    int qtArgc = 1;  // our own flags were parsed above; Qt sees none of them
    QApplication app(qtArgc, argv);
    QApplication::setOrganizationName(QStringLiteral("PipeDreamStudio"));
    QApplication::setApplicationName(QStringLiteral("pipedream-viz"));
    // Without run options on the command line, start where the last session ended.
    const pd::RunOptions options =
        args.empty() ? pd::MainWindow::restoredOptions(parsed.options) : parsed.options;
    pd::MainWindow window(options);
    window.show();
    return app.exec();
}
