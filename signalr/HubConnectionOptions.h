#pragma once
// How a HubConnection connects and behaves; see HubConnectionBuilder.
#include "RetryPolicy.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>
#include <functional>
#include <memory>
#include <optional>

namespace signalr {

class Transport;

struct HubConnectionOptions {
    QUrl url;                                     // http(s)://host/hub (ws(s):// too)
    std::function<QString()> accessTokenProvider; // asked before each connect
    QList<QPair<QByteArray, QByteArray>> headers; // on negotiate and on the WebSocket upgrade
    bool skipNegotiation = false;                 // WebSocket straight away (no /negotiate)
    RetryPolicy retryPolicy;                      // default: never reconnect (none())
    int keepAliveIntervalMs = 15000;              // Ping after this long without sending
    int serverTimeoutMs = 30000;                  // lost after this long without hearing
    int handshakeTimeoutMs = 15000;
    int negotiateTimeoutMs = 15000;
    qint64 maxNegotiateBytes = 64 * 1024;          // a larger negotiate answer fails the attempt
    int stableConnectionMs = 5000;                 // lost sooner after opening: the reconnect episode goes on
    bool statefulReconnect = false;                // ask for it; used when the server allows
    qint64 statefulReconnectBufferBytes = 1 << 20; // unacknowledged bytes kept for replay
    int ackIntervalMs = 1000;
    int statefulReconnectTimeoutMs = 5000;             // a transparent re-attach must succeed within
    int writeTimeoutMs = 30000;                        // lost after this long unable to write anything (0: never)
    qint64 maxRecordBytes = 32 * 1024 * 1024;          // a larger incoming record or message is a protocol error
    std::optional<QSslConfiguration> sslConfiguration; // default: Qt's, verification on
    // Makes the transport (never null) of each new connection; default (empty): a WebSocketTransport.
    std::function<std::unique_ptr<Transport>(const HubConnectionOptions &options)> transportFactory;
};

} // namespace signalr
