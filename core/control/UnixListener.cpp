#include "UnixListener.h"

#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcControl)

namespace se {

namespace {
QString lastError() { return QString::fromLocal8Bit(std::strerror(errno)); }
} // namespace

UnixListener::UnixListener(QObject *parent) : QObject(parent)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(kRetryMs);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true); // level-triggered: fires again while connections wait
    });
}

UnixListener::~UnixListener()
{
    close();
}

Result<> UnixListener::listen(const QString &path)
{
    close();
    auto fail = [&](const QString &why) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        return Result<>::failure(QStringLiteral("cannot open the control socket %1: %2").arg(path, why));
    };
    const QByteArray file = QFile::encodeName(path);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (size_t(file.size()) >= sizeof addr.sun_path)
        return fail(QStringLiteral("the path is longer than %1 bytes").arg(sizeof addr.sun_path - 1));
    std::memcpy(addr.sun_path, file.constData(), size_t(file.size()) + 1);

    // Whatever socket is there was left by an engine that is gone: the caller
    // holds the folder's lock.
    struct stat st {};
    if (::lstat(file.constData(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode) && !S_ISLNK(st.st_mode))
            return fail(QStringLiteral("something that is not a socket is in the way"));
        if (::unlink(file.constData()) != 0)
            return fail(QStringLiteral("cannot remove the old socket file: %1").arg(lastError()));
    }
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0)
        return fail(lastError());
    if (::bind(m_fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0)
        return fail(lastError());
    // Owner-only before anyone may connect (the folder is 0700 besides).
    if (::chmod(file.constData(), 0600) != 0 || ::stat(file.constData(), &st) != 0) {
        const QString why = lastError();
        ::unlink(file.constData());
        return fail(why);
    }
    m_device = quint64(st.st_dev);
    m_inode = quint64(st.st_ino);
    if (::listen(m_fd, kBacklog) != 0) {
        const QString why = lastError();
        ::unlink(file.constData());
        return fail(why);
    }
    m_path = path;
    m_notifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &UnixListener::acceptPending);
    return Result<>::success();
}

void UnixListener::close()
{
    m_retry.stop();
    if (m_notifier) {
        m_notifier->setEnabled(false);
        delete m_notifier;
        m_notifier = nullptr;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
        // Only our own file: never one another process put there since.
        struct stat st {};
        const QByteArray file = QFile::encodeName(m_path);
        if (::lstat(file.constData(), &st) == 0 && quint64(st.st_dev) == m_device && quint64(st.st_ino) == m_inode)
            ::unlink(file.constData());
    }
    m_path.clear();
}

void UnixListener::acceptPending()
{
    // A bounded batch, so that a flood of connections does not starve the rest.
    for (int i = 0; i < 64 && m_fd >= 0; ++i) {
        const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            if (m_failingSince >= 0) {
                qCInfo(lcControl).noquote()
                    << QStringLiteral("accepting control connections again (after %1 s)")
                           .arg(double(QDateTime::currentMSecsSinceEpoch() - m_failingSince) / 1000.0, 0, 'f', 1);
                m_failingSince = -1;
            }
            Q_EMIT accepted(qintptr(fd));
            continue;
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
            continue; // that one connection is gone; the others wait
        case EAGAIN:
#if EAGAIN != EWOULDBLOCK
        case EWOULDBLOCK:
#endif
            return; // none left
        default:
            break;
        }
        // EMFILE, ENFILE, ENOBUFS, ENOMEM…: the connection waits in the backlog
        // until a descriptor is free. The socket and its file stay.
        if (m_failingSince < 0) {
            const QString why = lastError();
            m_failingSince = QDateTime::currentMSecsSinceEpoch();
            struct rlimit limit {};
            ::getrlimit(RLIMIT_NOFILE, &limit);
            qCWarning(lcControl).noquote()
                << QStringLiteral("cannot accept control connections: %1 (descriptor limit %2); new ones wait and are "
                                  "taken as soon as descriptors are free (retrying every %3 ms)")
                       .arg(why, limit.rlim_cur == RLIM_INFINITY ? QStringLiteral("none") : QString::number(limit.rlim_cur))
                       .arg(kRetryMs);
        }
        m_notifier->setEnabled(false);
        m_retry.start();
        return;
    }
}

} // namespace se
