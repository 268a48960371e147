#include "UnixDatagramSender.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace se {

UnixDatagramSender::~UnixDatagramSender()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<> UnixDatagramSender::open(QByteArray path)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.isEmpty() || path.size() >= qsizetype(sizeof address.sun_path))
        return Result<>::failure(QStringLiteral("socket path is empty or too long"));
    if (path.startsWith('@'))
        path[0] = '\0';
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr *>(&address), socklen_t(offsetof(sockaddr_un, sun_path) + size_t(path.size()))) != 0) {
        const QString why = QString::fromLocal8Bit(std::strerror(errno));
        if (fd >= 0)
            ::close(fd);
        return Result<>::failure(why);
    }
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = fd;
    return Result<>::success();
}

bool UnixDatagramSender::send(const QByteArray &datagram) const
{
    return m_fd >= 0 && ::send(m_fd, datagram.constData(), size_t(datagram.size()), MSG_NOSIGNAL) == ssize_t(datagram.size());
}

} // namespace se
