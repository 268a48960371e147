#pragma once

#include "UnixDatagramSender.h"

#include <QObject>
#include <QTimer>

namespace se {

class Engine;

// Speaks systemd's notify protocol when the engine runs as a Type=notify
// service (NOTIFY_SOCKET is set); does nothing otherwise. READY=1 once the
// workers are started, WATCHDOG=1 from the event loop at half of
// WATCHDOG_USEC (so a hung engine is restarted by systemd), STATUS= every few
// seconds ("12 workers, 11 running, 2 of 2 hubs connected"), STOPPING=1 when
// the engine begins to stop. No libsystemd: one datagram per message.
class SystemdNotifier : public QObject {
    Q_OBJECT
public:
    explicit SystemdNotifier(Engine &engine, QObject *parent = nullptr);
    ~SystemdNotifier() override;

    bool isActive() const { return m_socket.isOpen(); }
    void ready();

private:
    bool send(const QByteArray &message);
    QByteArray status() const;

    Engine &m_engine;
    UnixDatagramSender m_socket;
    QTimer m_watchdog;
    QTimer m_status;
    QByteArray m_lastStatus;
};

} // namespace se
