#pragma once

#include "OpResult.h"

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
    struct Hub {
        int id = 0;
        QString url;
        QString state;      // "Connecting", "Registering", "Connected", "Disconnected" (with lastError), "Refused"
        QString lastError;  // why it is not connected, if it is not
        QDateTime since;    // when it entered this state
        qint64 queued = 0;  // messages waiting to be sent
        qint64 dropped = 0; // messages dropped because the hub was too slow
        qint64 reconnects = 0; // connections begun again after one failed or was lost
    };

    using QObject::QObject;
    virtual QList<Hub> hubs() const = 0;
    virtual OpResult addHub(const QString &url, const QString &apiKey) = 0;
    virtual OpResult removeHub(const QString &url) = 0;

Q_SIGNALS:
    void hubsChanged();
    // A hub's command was answered (the answer handed to the connection) this
    // long after it arrived. For the metrics endpoint.
    void commandAnswered(const QString &url, const QString &method, double seconds);
};

} // namespace se
