// pipedream-viz: the Qt application, or with --headless --export DIR the
// figures, timeline, CSV and trace of a run written without a window.
// --csv FILE / --trace FILE write the command line's run when it ends, in
// either mode (the window: see RunOutputs).
#include <sys/stat.h>
#include <unistd.h>

#include <QApplication>
#include <QDir>
#include <QTextStream>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "engine/base/safefile.h"
#include "engine/config/options.h"
#include "engine/config/resources.h"
#include "ui/export/figures.h"
#include "ui/window/mainwindow.h"

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

// --headless --export DIR and/or --export-animation FILE [--open FILE]: no window, the offscreen
// platform whatever the session has.
int headless(const pd::RunOptions& options, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    int qtArgc = 1;
    QApplication app(qtArgc, argv);
    QTextStream out(stdout), err(stderr);
    const QString dir = QString::fromStdString(options.exportDir);
    if (!options.openFile.empty())
        return pd::headlessExportOpened(QString::fromStdString(options.openFile), options, dir, out,
                                        err);
    return pd::headlessExport(options, dir, out, err);
}

// Remembered settings that cannot fit (a model too large for this machine,
// say) would be built as the window opens: start from the defaults instead.
pd::RunOptions fitting(const pd::RunOptions& restored, const pd::RunOptions& fallback) {
    try {
        pd::checkRunMemory(restored);
        return restored;
    } catch (const pd::ConfigError& e) {
        std::fprintf(stderr, "note: the remembered settings are not used: %s\n", e.what());
        return fallback;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    // Bad input, said in one line before anything is built: exit status 2.
    pd::ParsedOptions parsed;
    try {
        parsed = pd::parseRunOptions(args, /*vizFlags=*/true);
        if (parsed.help) {
            std::fputs(pd::usage("pipedream-viz", true).c_str(), stdout);
            return 0;
        }
        // A run that cannot fit.
        if (parsed.options.openFile.empty()) pd::checkRunMemory(parsed.options);
        // A file that cannot be written, before a run is spent on it.
        for (const std::string* path :
             {&parsed.options.csvPath, &parsed.options.tracePath, &parsed.options.animationPath})
            if (!path->empty()) pd::checkWritable(*path);
    } catch (const pd::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
    ensureRuntimeDir();
    if (parsed.options.headless) {
        try {
            return headless(parsed.options, argv);
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "error: out of memory\n");
            return 1;
        }
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
    const pd::RunOptions options =
        args.empty() || onlyOpen
            ? fitting(pd::MainWindow::restoredOptions(parsed.options), parsed.options)
            : parsed.options;
    const bool open = !parsed.options.openFile.empty();
    pd::MainWindow window(options, nullptr, /*autoStart=*/!open);
    if (open) {
        QString error;
        if (!window.openRun(QString::fromStdString(parsed.options.openFile), &error)) {
            // Started from a launcher there is no terminal to read stderr:
            // the window opens and says it (the message goes to stderr too).
            std::fprintf(stderr, "error: %s\n", pd::printable(error.toStdString(), 4096).c_str());
            window.showOpenError(error);
        }
    }
    window.show();
    const int status = app.exec();
    // --csv / --trace not written (the run replaced before its end, a
    // failed write): said already; a script sees it in the exit status.
    return status != 0 ? status : window.outputsProblem().isEmpty() ? 0 : 1;
}
