#pragma once
// An in-process WebSocket server that speaks raw bytes, for framing edge cases a
// real hub never produces on demand. Records the client sent are parsed and kept.
#include <QList>
#include <QWebSocket>
#include <QWebSocketServer>

#include "signalr/HubProtocol.h"

class RawHub : public QObject {
    Q_OBJECT
public:
    RawHub() : server(QStringLiteral("raw"), QWebSocketServer::NonSecureMode)
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                s->setParent(this);
                sockets.append(s);
                readers.append(signalr::RecordReader());
                const int index = int(sockets.size()) - 1;
                auto onData = [this, index](const QByteArray &data) {
                    readers[index].append(data);
                    while (auto rec = readers[index].next()) {
                        if (!handshaken.contains(index)) {
                            handshaken.append(index);
                            if (autoHandshake)
                                sockets[index]->sendTextMessage(QStringLiteral("{}\x1e"));
                            if (!afterHandshake.isEmpty())
                                sockets[index]->sendTextMessage(QString::fromUtf8(afterHandshake));
                            continue;
                        }
                        received.append(*rec);
                    }
                };
                connect(s, &QWebSocket::textMessageReceived, this, [onData](const QString &t) { onData(t.toUtf8()); });
                connect(s, &QWebSocket::binaryMessageReceived, this, onData);
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/hub").arg(server.serverPort())); }
    QWebSocket *last() const { return sockets.isEmpty() ? nullptr : sockets.last(); }
    void sendText(const QByteArray &utf8) { last()->sendTextMessage(QString::fromUtf8(utf8)); }
    void sendBinary(const QByteArray &data) { last()->sendBinaryMessage(data); }
    QList<signalr::HubMessage> receivedMessages() const
    {
        QList<signalr::HubMessage> out;
        for (const QByteArray &r : received) {
            signalr::HubMessage m;
            QString e;
            if (signalr::HubProtocol::parse(r, &m, &e) == signalr::HubProtocol::ParseResult::Ok)
                out.append(m);
        }
        return out;
    }

    QWebSocketServer server;
    QList<QWebSocket *> sockets;
    QList<signalr::RecordReader> readers;
    QList<int> handshaken;
    QList<QByteArray> received;
    bool autoHandshake = true;
    QByteArray afterHandshake; // sent to every client right after its handshake
};
