#include "SystemdNotifier.h"

#include "core/engine/Engine.h"

#include <QLoggingCategory>

#include <cerrno>
#include <cstring>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSystemd, "se.systemd")

namespace se {

SystemdNotifier::SystemdNotifier(Engine &engine, QObject *parent) : QObject(parent), m_engine(engine)
{
    const QByteArray path = qgetenv("NOTIFY_SOCKET");
    if (path.isEmpty())
        return;
    if (const Result<> opened = m_socket.open(path); !opened.ok)
        qCWarning(lcSystemd).noquote() << "cannot reach systemd at NOTIFY_SOCKET:" << opened.message;
    // Pipelines the engine starts are not the service: they must not speak for it.
    qunsetenv("NOTIFY_SOCKET");

    bool ok = false;
    const qint64 watchdogUs = qEnvironmentVariable("WATCHDOG_USEC").toLongLong(&ok);
    const qint64 watchdogPid = qEnvironmentVariable("WATCHDOG_PID").toLongLong();
    if (ok && watchdogUs > 0 && (watchdogPid == 0 || watchdogPid == qint64(::getpid()))) {
        // Pinged from the event loop: a loop that no longer turns stops the pings.
        m_watchdog.setInterval(int(std::max<qint64>(1, watchdogUs / 2000)));
        connect(&m_watchdog, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
        m_watchdog.start();
    }
    qunsetenv("WATCHDOG_USEC");
    qunsetenv("WATCHDOG_PID");

    m_status.setInterval(5000);
    connect(&m_status, &QTimer::timeout, this, [this] {
        const QByteArray s = status();
        if (s != m_lastStatus && send("STATUS=" + s))
            m_lastStatus = s;
    });
    connect(&engine, &Engine::shuttingDown, this, [this] {
        m_status.stop();
        send("STOPPING=1\nSTATUS=stopping the workers");
    });
}

SystemdNotifier::~SystemdNotifier() = default;

void SystemdNotifier::ready()
{
    if (!m_socket.isOpen())
        return;
    m_lastStatus = status();
    send("READY=1\nSTATUS=" + m_lastStatus);
    m_status.start();
}

bool SystemdNotifier::send(const QByteArray &message)
{
    if (!m_socket.isOpen())
        return false;
    const bool sent = m_socket.send(message);
    if (!sent)
        qCDebug(lcSystemd) << "could not tell systemd" << message << ":" << std::strerror(errno);
    return sent;
}

QByteArray SystemdNotifier::status() const
{
    const QList<Worker *> workers = m_engine.workers().workers();
    const auto running = std::count_if(workers.begin(), workers.end(), [](const Worker *w) { return w->state() == WorkerState::Running; });
    QString text = QStringLiteral("%1 workers, %2 running").arg(workers.size()).arg(running);
    if (const HubDirectory *hubs = m_engine.hubs()) {
        const QList<HubDirectory::Hub> list = hubs->hubs();
        const auto connected = std::count_if(list.begin(), list.end(), [](const HubDirectory::Hub &h) { return h.state == HubDirectory::LinkState::Connected; });
        text += QStringLiteral(", %1 of %2 hubs connected").arg(connected).arg(list.size());
    }
    return text.toUtf8();
}

} // namespace se
