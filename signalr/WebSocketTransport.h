#pragma once
// The production Transport: negotiate (Negotiation), then a QWebSocket with the
// options' headers and SSL configuration, incoming frames and messages bounded
// by maxRecordBytes, and a write timeout for a peer that stops reading.
#include "HubConnectionOptions.h"
#include "Transport.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QUrl>

class QWebSocket;

namespace signalr {

class Negotiation;

class WebSocketTransport : public Transport {
    Q_OBJECT
public:
    explicit WebSocketTransport(const HubConnectionOptions &options, QObject *parent = nullptr);
    ~WebSocketTransport() override;

    void start() override;
    void reattach() override;
    void send(const QByteArray &records) override;
    qint64 bufferedBytes() const override;
    void close() override;
    void abort() override;

private:
    void openSocket();
    void dropSocket();
    void lose(const QString &error); // drops the socket, then emits closed(error)
    void onConnected();
    void onDisconnected();
    void checkWriteProgress();

    const HubConnectionOptions m_options;
    Negotiation *m_negotiation = nullptr; // a child while it runs
    QWebSocket *m_socket = nullptr;
    QUrl m_url;                   // the connection's WebSocket URL (again for a re-attach)
    bool m_freshTokenDue = false; // a re-attach after an open link asks for a new access token
    QTimer m_writeWatch;
    QElapsedTimer m_clock;
    qint64 m_lastWriteProgressMs = 0;
    qint64 m_lastBytesToWrite = 0;
};

} // namespace signalr
