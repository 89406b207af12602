// pipedream-viz: the Qt application, or with --headless --export DIR the
// figures, timeline, CSV and trace of a run written without a window.
#include <QApplication>
#include <QDir>
#include <QTextStream>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "figures.h"
#include "mainwindow.h"
#include "options.h"
#include "safefile.h"

namespace {

bool hasDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && std::string(platform).rfind("offscreen", 0) == 0) return true;
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
}

// Without XDG_RUNTIME_DIR (root shells, CI, xvfb-run) Qt picks
// /tmp/runtime-USER itself but warns on stderr on every start; make that
// choice here, silently, so stderr carries only our own messages.
void ensureRuntimeDir() {
    if (!qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) return;
    const QByteArray dir = QDir::tempPath().toUtf8() + "/runtime-" + QByteArray::number(getuid());
    if (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST) return;
    struct stat st {};
    if (::stat(dir.constData(), &st) == 0 && st.st_uid == getuid() && (st.st_mode & 0777) == 0700)
        qputenv("XDG_RUNTIME_DIR", dir);
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
    ensureRuntimeDir();
    if (parsed.options.headless) {
        // No window: render with the offscreen platform whatever the session has.
        qputenv("QT_QPA_PLATFORM", "offscreen");
        int qtArgc = 1;
        QApplication app(qtArgc, argv);
        QTextStream out(stdout), err(stderr);
        const QString dir = QString::fromStdString(parsed.options.exportDir);
        if (!parsed.options.openFile.empty())
            return pd::headlessExportOpened(QString::fromStdString(parsed.options.openFile),
                                            parsed.options, dir, out, err);
        return pd::headlessExport(parsed.options, dir, out, err);
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
    const bool onlyOpen = (args.size() == 2 && args[0] == "--open") ||
                          (args.size() == 1 && args[0].rfind("--open=", 0) == 0);
    const pd::RunOptions options = args.empty() || onlyOpen
                                       ? pd::MainWindow::restoredOptions(parsed.options)
                                       : parsed.options;
    const bool open = !parsed.options.openFile.empty();
    pd::MainWindow window(options, nullptr, /*autoStart=*/!open);
    if (open) {
        QString error;
        if (!window.openRun(QString::fromStdString(parsed.options.openFile), &error)) {
            std::fprintf(stderr, "error: %s\n", pd::printable(error.toStdString(), 4096).c_str());
            return 2;
        }
    }
    window.show();
    return app.exec();
}
