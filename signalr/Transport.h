#pragma once
// What a HubConnection talks to: one logical connection to a hub (negotiate and
// a link that carries text messages of records). WebSocketTransport is the real
// one; tests drive a HubConnection over a fake.
#include <QByteArray>
#include <QObject>
#include <QString>

namespace signalr {

class Transport : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // A new connection: negotiate (unless skipped), then open the link. Emits
    // negotiated(), then opened(), or closed(error) at any point.
    virtual void start() = 0;
    // After the link dropped under stateful reconnect: a new link to the same
    // connection (no negotiate). Emits opened() or closed(error).
    virtual void reattach() = 0;
    // One text message (one or more records). Nothing while no link is open. A
    // write that finds the peer gone may emit closed() before it returns.
    virtual void send(const QByteArray &records) = 0;
    // Bytes handed to the link and not yet written.
    virtual qint64 bufferedBytes() const = 0;
    // Orderly close: closed() follows once the peer answered.
    virtual void close() = 0;
    // Drops the link and any negotiate at once; emits nothing.
    virtual void abort() = 0;

Q_SIGNALS:
    // Negotiate is done (or skipped) and the link is being opened.
    void negotiated(const QString &connectionId, bool statefulReconnect);
    void opened();
    void received(const QByteArray &data);
    // The link is gone (error says why; may be empty after close()); reattach() may follow.
    void closed(const QString &error);
    void bytesWritten(qint64 bytes);
};

} // namespace signalr
