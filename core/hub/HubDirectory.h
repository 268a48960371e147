#pragma once

#include "common/Result.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

namespace se {

// What the rest of the engine (dashboard, control socket) may know of the
// StreamHub links without knowing SignalR: the hubs, their connection state,
// and adding or removing one. The hub link layer implements it.
class HubDirectory : public QObject {
    Q_OBJECT
public:
    // Where a link is; Disconnected and Refused come with lastError.
    enum class LinkState { Connecting, Registering, Connected, Disconnected, Refused };
    static constexpr LinkState kLinkStates[] = {LinkState::Connecting, LinkState::Registering, LinkState::Connected,
                                                LinkState::Disconnected, LinkState::Refused};
    // The state's name as ctl, the dashboard and the metrics show it.
    static QString linkStateName(LinkState state);

    struct Hub {
        int id = 0;
        QString url;
        LinkState state = LinkState::Disconnected;
        QString lastError;  // why it is not connected, if it is not
        QDateTime since;    // when it entered this state
        qint64 queued = 0;  // messages waiting to be sent
        qint64 dropped = 0; // messages dropped because the hub was too slow
        qint64 reconnects = 0; // connections begun again after one failed or was lost
    };

    using QObject::QObject;
    virtual QList<Hub> hubs() const = 0;
    virtual Result<> addHub(const QString &url, const QString &apiKey) = 0;
    virtual Result<> removeHub(const QString &url) = 0;

Q_SIGNALS:
    void hubsChanged();
    // A hub's command was answered (the answer handed to the connection) this
    // long after it arrived. For the metrics endpoint.
    void commandAnswered(const QString &url, const QString &method, double seconds);
};

inline QString HubDirectory::linkStateName(LinkState state)
{
    switch (state) {
    case LinkState::Connecting: return QStringLiteral("Connecting");
    case LinkState::Registering: return QStringLiteral("Registering");
    case LinkState::Connected: return QStringLiteral("Connected");
    case LinkState::Disconnected: return QStringLiteral("Disconnected");
    case LinkState::Refused: return QStringLiteral("Refused");
    }
    return {};
}

} // namespace se
