#include "DataFolder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcDataFolder, "se.engine.folder")

namespace se {

namespace {
QString octal(mode_t mode) { return QStringLiteral("0%1").arg(uint(mode & 07777), 3, 8, QLatin1Char('0')); }
QString lastError() { return QString::fromLocal8Bit(std::strerror(errno)); }

QString userName(uid_t uid)
{
    const struct passwd *pw = ::getpwuid(uid); // at start-up, on one thread
    return pw && pw->pw_name ? QStringLiteral("%1 (uid %2)").arg(QString::fromLocal8Bit(pw->pw_name)).arg(uid)
                             : QStringLiteral("uid %1").arg(uid);
}

// The pid written in the lock file by the engine that holds it.
qint64 pidInFile(const QString &lockPath)
{
    QFile f(lockPath);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.read(32).trimmed().toLongLong();
}
} // namespace

DataFolder::~DataFolder()
{
    release();
}

QString DataFolder::lockPath(const QString &dir)
{
    return dir + QLatin1Char('/') + QLatin1StringView(kLockFileName);
}

void DataFolder::release()
{
    if (m_lockFd >= 0)
        ::close(m_lockFd); // the lock goes with the last descriptor of it
    m_lockFd = -1;
}

Result<> DataFolder::open(const QString &path)
{
    release();
    m_path = QDir::cleanPath(QDir(path).absolutePath());
    auto fail = [&](const QString &why) {
        release();
        return Result<>::failure(why);
    };
    const QByteArray dir = QFile::encodeName(m_path);

    // Created private; its parents as any folder.
    bool created = false;
    if (!QFileInfo::exists(m_path)) {
        const QString parent = QFileInfo(m_path).absolutePath();
        if (!QDir().mkpath(parent))
            return fail(QStringLiteral("cannot create the data folder %1: cannot create %2").arg(m_path, parent));
        if (::mkdir(dir.constData(), 0700) == 0)
            created = true;
        else if (errno != EEXIST)
            return fail(QStringLiteral("cannot create the data folder %1: %2").arg(m_path, lastError()));
    }
    struct stat st {};
    if (::stat(dir.constData(), &st) != 0)
        return fail(QStringLiteral("cannot use the data folder %1: %2").arg(m_path, lastError()));
    if (!S_ISDIR(st.st_mode))
        return fail(QStringLiteral("the data folder %1 is not a folder").arg(m_path));
    if (st.st_uid != ::geteuid())
        return fail(QStringLiteral("the data folder %1 belongs to %2, not to %3, who runs this engine: the engine keeps its "
                                   "database and hub keys there and uses only a folder of its own. Give it to %3 "
                                   "(chown) or choose another --data-dir.")
                        .arg(m_path, userName(st.st_uid), userName(::geteuid())));

    // The lock comes before anything else in the folder is touched.
    const QString lock = lockPath(m_path);
    m_lockFd = ::open(QFile::encodeName(lock).constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (m_lockFd < 0)
        return fail(QStringLiteral("cannot open the lock file %1: %2").arg(lock, lastError()));
    if (::flock(m_lockFd, LOCK_EX | LOCK_NB) != 0) {
        const bool busy = errno == EWOULDBLOCK;
        const QString why = lastError();
        release();
        if (!busy)
            return fail(QStringLiteral("cannot lock %1: %2").arg(lock, why));
        const qint64 pid = holder(m_path);
        return fail(QStringLiteral("another engine is already running with the data folder %1 (%2 holds %3)")
                        .arg(m_path, pid > 0 ? QStringLiteral("pid %1").arg(pid) : QStringLiteral("it"), lock));
    }
    const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
    if (::ftruncate(m_lockFd, 0) != 0 || ::pwrite(m_lockFd, pid.constData(), size_t(pid.size()), 0) != pid.size())
        qCWarning(lcDataFolder).noquote() << "could not write the engine's pid into" << lock << ":" << lastError();

    if (created)
        qCInfo(lcDataFolder).noquote() << "created the data folder" << m_path << "(0700)";
    if (const Result<> made = makePrivate(); !made.ok)
        return fail(made.message);
    return Result<>::success();
}

Result<> DataFolder::makePrivate()
{
    const QByteArray dir = QFile::encodeName(m_path);
    struct stat st {};
    if (::stat(dir.constData(), &st) != 0)
        return Result<>::failure(QStringLiteral("cannot use the data folder %1: %2").arg(m_path, lastError()));
    if (st.st_mode & 077) {
        if (::chmod(dir.constData(), st.st_mode & 0700) != 0)
            return Result<>::failure(QStringLiteral("the data folder %1 is open to other users (mode %2) and cannot be made private: %3")
                                         .arg(m_path, octal(st.st_mode), lastError()));
        qCWarning(lcDataFolder).noquote() << QStringLiteral("the data folder %1 was open to other users (mode %2); it is now %3")
                                                 .arg(m_path, octal(st.st_mode), octal(st.st_mode & 0700));
    }
    // Its files (the database, its -wal and -shm, the socket, the lock, anything
    // left there): owner-only. The folder's 0700 is what keeps others out; this
    // is the second fence, so a file that cannot be changed (another user's) is
    // told, not fatal. Symbolic links have no mode of their own; sub-folders
    // (media) are left as their owners made them, unreachable through this one.
    QStringList tightened, left;
    for (const QFileInfo &fi : QDir(m_path).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System | QDir::Hidden)) {
        const QByteArray file = QFile::encodeName(fi.filePath());
        struct stat fst {};
        if (::lstat(file.constData(), &fst) != 0 || S_ISLNK(fst.st_mode) || S_ISDIR(fst.st_mode) || !(fst.st_mode & 077))
            continue;
        if (::chmod(file.constData(), fst.st_mode & 0700) != 0)
            left << QStringLiteral("%1 (%2, %3: %4)").arg(fi.fileName(), octal(fst.st_mode), userName(fst.st_uid), lastError());
        else
            tightened << QStringLiteral("%1 (%2 -> %3)").arg(fi.fileName(), octal(fst.st_mode), octal(fst.st_mode & 0700));
    }
    if (!tightened.isEmpty())
        qCWarning(lcDataFolder).noquote() << QStringLiteral("made private in %1: %2").arg(m_path, tightened.join(QStringLiteral(", ")));
    if (!left.isEmpty())
        qCWarning(lcDataFolder).noquote() << QStringLiteral("could not make private in %1 (the folder keeps other users out): %2")
                                                 .arg(m_path, left.join(QStringLiteral(", ")));
    return Result<>::success();
}

qint64 DataFolder::holder(const QString &dir)
{
    const QString lock = lockPath(QDir::cleanPath(QDir(dir).absolutePath()));
    struct stat st {};
    if (::stat(QFile::encodeName(lock).constData(), &st) != 0)
        return 0;
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:56789 0 EOF" (waiters show "->").
    QFile locks(QStringLiteral("/proc/locks"));
    if (!locks.open(QIODevice::ReadOnly | QIODevice::Text)) {
        const qint64 pid = pidInFile(lock);
        return pid > 0 && QFileInfo::exists(QStringLiteral("/proc/%1").arg(pid)) ? pid : 0;
    }
    const QByteArray device = QByteArray::number(major(st.st_dev), 16).rightJustified(2, '0') + ':'
        + QByteArray::number(minor(st.st_dev), 16).rightJustified(2, '0') + ':' + QByteArray::number(quint64(st.st_ino));
    for (const QByteArray &line : locks.readAll().split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() < 6 || f.at(1) != "FLOCK" || f.at(5) != device)
            continue;
        const qint64 pid = f.at(4).toLongLong();
        if (pid > 0)
            return pid;
        const qint64 written = pidInFile(lock); // a lock from another pid namespace
        return written > 0 ? written : -1;
    }
    return 0;
}

} // namespace se
