#pragma once

#include "HubDirectory.h"
#include "OutgoingQueue.h"
#include "core/store/Store.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

namespace signalr {
class HubConnection;
}

namespace se {

class HubLinks;

// One StreamHub: its SignalR connection, its own outgoing queue and its own
// reconnect loop that never gives up. On every (re)connect it registers the
// engine, sends the system info and synchronises every worker; then events
// flow, and the hub's commands are answered. Every failed connection, one that
// opened and then failed included, backs off; a hub that stops reading is
// left and reconnected.
class HubLink : public QObject {
    Q_OBJECT
public:
    HubLink(HubEntry entry, HubLinks &owner, QObject *parent = nullptr);
    ~HubLink() override;

    const HubEntry &entry() const { return m_entry; }
    HubDirectory::Hub status() const;
    bool isSynchronised() const { return m_synchronised; }

    void start();
    void stop();
    void push(OutgoingMessage message);

Q_SIGNALS:
    void statusChanged();

private:
    void onConnected();
    void onLost(const QString &why);
    void registerEngine();
    void synchronise();
    void pump();
    void warnDrops();
    void send(OutgoingMessage &message);
    using LinkState = HubDirectory::LinkState;
    void setState(LinkState state, const QString &error = {});
    void retryLater(const QString &why);
    QUrl connectionUrl() const;

    HubEntry m_entry;
    HubLinks &m_owner;
    std::unique_ptr<signalr::HubConnection> m_connection;
    OutgoingQueue m_queue;
    bool m_synchronised = false;
    bool m_stopped = true;
    HubDirectory::LinkState m_state = HubDirectory::LinkState::Disconnected;
    QString m_lastError;
    QDateTime m_since = QDateTime::currentDateTimeUtc();
    QTimer m_retry;
    QTimer m_pumpWatch;      // pumps what waits even if a write signal was missed
    QElapsedTimer m_upSince; // synchronised since
    QElapsedTimer m_dropsTold;
    int m_failures = 0; // since the link was last stable, for the back-off
    qint64 m_reconnects = 0; // connections begun again by the back-off (for /metrics)
    QString m_lastLoggedFailure; // repeats of it go to the debug level
};

} // namespace se
