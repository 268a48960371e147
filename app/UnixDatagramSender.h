#pragma once

#include "common/Result.h"

#include <QByteArray>
#include <QString>

namespace se {

// Sends datagrams to one AF_UNIX datagram socket, the way systemd is spoken
// to (notify socket, journal socket). A path starting with '@' names an
// abstract socket. Sending is thread-safe and never blocks.
class UnixDatagramSender {
public:
    UnixDatagramSender() = default;
    ~UnixDatagramSender();
    UnixDatagramSender(const UnixDatagramSender &) = delete;
    UnixDatagramSender &operator=(const UnixDatagramSender &) = delete;

    // False with `error` when the path cannot name a socket or none listens there.
    Result<> open(QByteArray path);
    bool isOpen() const { return m_fd >= 0; }
    // False (errno kept) when the datagram was not taken.
    bool send(const QByteArray &datagram) const;

private:
    int m_fd = -1;
};

} // namespace se
