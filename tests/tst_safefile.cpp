// Files users name: written atomically (the old file stays until the new
// one is whole), through FIFOs, symlinks and standard output; reads refuse
// what is not a regular file of a sane size; every failure names its cause.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>
#include <csignal>
#include <cstring>
#include <thread>

#include "engine/base/safefile.h"
#include "error_test_util.h"

using namespace pd;

namespace {

QStringList filesIn(const QString& dir) {
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System);
}

QString slurp(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return QStringLiteral("<unreadable>");
    return QString::fromUtf8(f.readAll());
}

void put(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), qint64(bytes.size()));
}

// Checked inside the rename hook: what the target holds just before rename.
QString gTargetBeforeRename;
QString gTempBeforeRename;
QString gObservedTarget;
QString gObservedTemp;

void observeBeforeRename(const std::string& temp) {
    gTempBeforeRename = QString::fromStdString(temp);
    gObservedTarget = slurp(gTargetBeforeRename);
    gObservedTemp = slurp(gTempBeforeRename);
}

}  // namespace

class TestSafeFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writeIntoMissingFolderFails();
    void writeCreatesAndOverwrites();
    void overwriteKeepsOldFileUntilRename();
    void failedRenameLeavesNoTemp();
    void unwritableFolderKeepsOldFile();
    void readFileErrorsAndBytes();
    void writeThroughFifo();
    void writeFollowsSymlink();
    void writeToStdout();
    void writeRemovesStaleTemps();
    void writeFailureKeepsOldFileAndNamesCause();
    void readRefusesFifoDeviceAndHugeFiles();

    void cleanup() { gBeforeAtomicRename = nullptr; }
};

void TestSafeFile::writeIntoMissingFolderFails() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = (dir.path() + "/missing/out.csv").toStdString();
    auto error = errorOf([&] { writeFileAtomic(path, "data"); });
    QVERIFY(error);
    QCOMPARE(
        QString::fromStdString(*error),
        QString("cannot write '%1': No such file or directory").arg(QString::fromStdString(path)));
    QVERIFY(!QFileInfo::exists(dir.path() + "/missing"));
    QVERIFY(filesIn(dir.path()).isEmpty());
    error = errorOf([&] { writeFileAtomic("", "data"); });
    QVERIFY(error);
}

void TestSafeFile::writeCreatesAndOverwrites() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/run.csv";
    std::optional<std::string> error;
    std::string big(3 << 20, 'x');  // several write() calls' worth
    big[12345] = '\0';
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(path.toStdString(), big));
    std::string back;
    QVERIFY_THROWS_NO_EXCEPTION(back = readFile(path.toStdString()));
    QVERIFY(back == big);
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(path.toStdString(), "short"));
    QCOMPARE(slurp(path), QString("short"));
    QCOMPARE(filesIn(dir.path()), QStringList{"run.csv"});  // no temporaries left
    // Relative path: the temporary goes into the current folder.
    const QString cwd = QDir::currentPath();
    QVERIFY(QDir::setCurrent(dir.path()));
    error = errorOf([&] { writeFileAtomic("rel.txt", "r"); });
    const bool ok = !error;
    QDir::setCurrent(cwd);
    QVERIFY2(ok, messageOf(error));
    QCOMPARE(slurp(dir.path() + "/rel.txt"), QString("r"));
    // Permissions follow the umask like any new file, not mkstemp's 0600.
    const mode_t mask = ::umask(022);
    ::umask(mask);
    const bool othersRead = QFileInfo(path).permissions().testFlag(QFileDevice::ReadOther);
    QCOMPARE(othersRead, (mask & S_IROTH) == 0);
}

void TestSafeFile::overwriteKeepsOldFileUntilRename() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/trace.json";
    put(path, "old content");
    gTargetBeforeRename = path;
    gObservedTarget.clear();
    gObservedTemp.clear();
    gBeforeAtomicRename = observeBeforeRename;
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(path.toStdString(), "new content"));
    gBeforeAtomicRename = nullptr;
    QCOMPARE(gObservedTarget, QString("old content"));  // untouched until the rename
    QCOMPARE(gObservedTemp, QString("new content"));    // complete before the rename
    QCOMPARE(QFileInfo(gTempBeforeRename).absolutePath(), QFileInfo(path).absolutePath());
    QCOMPARE(slurp(path), QString("new content"));
    QVERIFY(!QFileInfo::exists(gTempBeforeRename));
}

void TestSafeFile::failedRenameLeavesNoTemp() {
    QTemporaryDir dir;
    const QString target = dir.path() + "/out";
    QVERIFY(QDir().mkpath(target + "/inside"));  // a non-empty folder cannot be replaced
    auto error = errorOf([&] { writeFileAtomic(target.toStdString(), "x"); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).startsWith("cannot write '" + target + "': "),
             messageOf(error));
    QVERIFY(QFileInfo(target).isDir());
    QVERIFY(filesIn(dir.path()).isEmpty());
}

void TestSafeFile::unwritableFolderKeepsOldFile() {
    if (::geteuid() == 0) QSKIP("root ignores folder permissions");
    QTemporaryDir dir;
    const QString path = dir.path() + "/keep.csv";
    put(path, "old");
    QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    auto error = errorOf([&] { writeFileAtomic(path.toStdString(), "new"); });
    const bool ok = !error;
    QFile::setPermissions(dir.path(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QVERIFY(!ok);
    QVERIFY2(QString::fromStdString(*error).endsWith("Permission denied"), messageOf(error));
    QCOMPARE(slurp(path), QString("old"));
    QCOMPARE(filesIn(dir.path()), QStringList{"keep.csv"});
}

void TestSafeFile::readFileErrorsAndBytes() {
    QTemporaryDir dir;
    std::string content = "stale";
    const std::string missing = (dir.path() + "/nope.csv").toStdString();
    auto error = errorOf([&] { content = readFile(missing); });
    QVERIFY(error);
    QCOMPARE(QString::fromStdString(*error), QString("cannot read '%1': No such file or directory")
                                                 .arg(QString::fromStdString(missing)));
    QCOMPARE(content, std::string("stale"));  // nothing half-read
    error = errorOf([&] { content = readFile(dir.path().toStdString()); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).endsWith("Is a directory"), messageOf(error));
    const QByteArray bytes("a\0b\r\n\xff", 6);
    put(dir.path() + "/bin", bytes);
    QVERIFY_THROWS_NO_EXCEPTION(content = readFile((dir.path() + "/bin").toStdString()));
    QCOMPARE(QByteArray::fromStdString(content), bytes);
}

void TestSafeFile::writeThroughFifo() {
    QTemporaryDir dir;
    const std::string fifo = (dir.path() + "/pipe").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    std::string received;
    std::thread reader([&] {
        const int fd = ::open(fifo.c_str(), O_RDONLY);
        char buf[4096];
        for (ssize_t n; fd >= 0 && (n = ::read(fd, buf, sizeof buf)) > 0;)
            received.append(buf, static_cast<std::size_t>(n));
        if (fd >= 0) ::close(fd);
    });
    auto error = errorOf([&] { writeFileAtomic(fifo, "through the pipe"); });
    const bool ok = !error;
    reader.join();
    QVERIFY2(ok, messageOf(error));
    QCOMPARE(QString::fromStdString(received), QString("through the pipe"));
    struct stat st {};
    QCOMPARE(::lstat(fifo.c_str(), &st), 0);
    QVERIFY(S_ISFIFO(st.st_mode));  // not replaced by a regular file
    QCOMPARE(filesIn(dir.path()), QStringList{"pipe"});
}

void TestSafeFile::writeFollowsSymlink() {
    QTemporaryDir dir;
    const QString target = dir.path() + "/target.csv", link = dir.path() + "/link.csv";
    put(target, "old");
    QVERIFY(QFile::link("target.csv", link));  // relative, like ln -s
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(link.toStdString(), "new"));
    QVERIFY(QFileInfo(link).isSymLink());
    QCOMPARE(slurp(target), QString("new"));
    // A dangling link names the file to create.
    const QString dangling = dir.path() + "/dangling.csv";
    QVERIFY(QFile::link(dir.path() + "/created.csv", dangling));
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(dangling.toStdString(), "made"));
    QVERIFY(QFileInfo(dangling).isSymLink());
    QCOMPARE(slurp(dir.path() + "/created.csv"), QString("made"));
}

void TestSafeFile::writeToStdout() {
    QTemporaryDir dir;
    const QString captured = dir.path() + "/stdout";
    std::fflush(stdout);
    const int saved = ::dup(STDOUT_FILENO);
    const int fd = ::open(captured.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    QVERIFY(saved >= 0 && fd >= 0);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
    std::optional<std::string> e1, e2;
    e1 = errorOf([&] { writeFileAtomic("-", "dash,"); });
    const bool dash = !e1;
    e2 = errorOf([&] { writeFileAtomic("/dev/stdout", "dev"); });
    const bool devStdout = !e2;
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    QVERIFY2(dash, messageOf(e1));
    QVERIFY2(devStdout, messageOf(e2));
    QCOMPARE(slurp(captured), QString("dash,dev"));
    QVERIFY(isStdoutPath("-") && isStdoutPath("/dev/stdout") && !isStdoutPath("out.csv"));
}

void TestSafeFile::writeRemovesStaleTemps() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/run.csv";
    // A writer killed mid-write: its pid is gone (a reaped child's).
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    QVERIFY(child > 0);
    ::waitpid(child, nullptr, 0);
    const QString stale = dir.path() + QStringLiteral("/.run.csv.tmp%1_0").arg(child);
    const QString live = dir.path() + QStringLiteral("/.run.csv.tmp%1_7").arg(::getppid());
    const QString other = dir.path() + QStringLiteral("/.other.csv.tmp%1_0").arg(child);
    for (const QString& p : {stale, live, other}) put(p, "partial");
    QVERIFY_THROWS_NO_EXCEPTION(writeFileAtomic(path.toStdString(), "whole"));
    QVERIFY(!QFileInfo::exists(stale));
    QVERIFY(QFileInfo::exists(live));   // its writer may still be writing
    QVERIFY(QFileInfo::exists(other));  // another file's
    QCOMPARE(slurp(path), QString("whole"));
}

// A full disk, simulated with a file size limit (EFBIG instead of ENOSPC,
// the same path through the code): the old file stays, no temporary is left
// and the error names the cause.
void TestSafeFile::writeFailureKeepsOldFileAndNamesCause() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/run.csv";
    put(path, "old");
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4096;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto error = errorOf([&] { writeFileAtomic(path.toStdString(), std::string(1 << 20, 'x')); });
    const bool ok = !error;
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous);
    QVERIFY(!ok);
    QVERIFY2(QString::fromStdString(*error).endsWith(std::strerror(EFBIG)), messageOf(error));
    QCOMPARE(slurp(path), QString("old"));
    QCOMPARE(filesIn(dir.path()), QStringList{"run.csv"});
}

void TestSafeFile::readRefusesFifoDeviceAndHugeFiles() {
    QTemporaryDir dir;
    const std::string fifo = (dir.path() + "/pipe").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    std::string content;
    auto error = errorOf([&] { content = readFile(fifo); });
    QVERIFY(error);  // returns at once: no writer is waited for
    QVERIFY2(QString::fromStdString(*error).contains("a FIFO, not a regular file"),
             messageOf(error));
    error = errorOf([&] { content = readFile("/dev/zero"); });
    QVERIFY(error);
    QVERIFY2(QString::fromStdString(*error).contains("a character device"), messageOf(error));
    const QString big = dir.path() + "/big.csv";
    put(big, QByteArray(5000, 'x'));
    error = errorOf([&] { content = readFile(big.toStdString(), 4999); });
    QVERIFY(error);
    QVERIFY2(
        QString::fromStdString(*error).contains("5000 bytes is more than the limit of 4999 bytes"),
        messageOf(error));
    QVERIFY(content.empty());
    QVERIFY_THROWS_NO_EXCEPTION(content = readFile(big.toStdString(), 5000));
    QCOMPARE(content.size(), std::size_t(5000));
    QVERIFY(kMaxRunFileBytes >= (std::uint64_t{100} << 20));  // a million-event trace fits
}

QTEST_APPLESS_MAIN(TestSafeFile)
#include "tst_safefile.moc"
