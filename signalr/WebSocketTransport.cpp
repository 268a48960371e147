#include "WebSocketTransport.h"

#include "Logging.h"
#include "Negotiation.h"

#include <QNetworkRequest>
#include <QUrlQuery>
#include <QWebSocket>
#include <utility>

namespace signalr {

WebSocketTransport::WebSocketTransport(const HubConnectionOptions &options, QObject *parent) : Transport(parent), m_options(options)
{
    m_clock.start();
    m_writeWatch.setSingleShot(true);
    connect(&m_writeWatch, &QTimer::timeout, this, &WebSocketTransport::checkWriteProgress);
}

WebSocketTransport::~WebSocketTransport() { abort(); }

void WebSocketTransport::start()
{
    abort();
    const QString accessToken = m_options.accessTokenProvider ? m_options.accessTokenProvider() : QString();
    if (m_options.skipNegotiation) {
        m_url = Negotiation::webSocketUrl(m_options.url, QString(), accessToken);
        Q_EMIT negotiated(QString(), false);
        openSocket();
        return;
    }
    m_negotiation = new Negotiation(m_options, accessToken, this);
    connect(m_negotiation, &Negotiation::finished, this, [this](const Negotiation::Result &r) {
        std::exchange(m_negotiation, nullptr)->deleteLater();
        if (!r.error.isEmpty()) {
            Q_EMIT closed(r.error);
            return;
        }
        m_url = r.webSocketUrl;
        Q_EMIT negotiated(r.connectionId, r.statefulReconnect);
        openSocket();
    });
    m_negotiation->start();
}

void WebSocketTransport::reattach()
{
    dropSocket();
    // The same connection token; a fresh access token if the provider has one.
    if (std::exchange(m_freshTokenDue, false) && m_options.accessTokenProvider) {
        QUrlQuery q(m_url);
        q.removeAllQueryItems(QStringLiteral("access_token"));
        const QString token = m_options.accessTokenProvider();
        if (!token.isEmpty())
            q.addQueryItem(QStringLiteral("access_token"), QString::fromLatin1(QUrl::toPercentEncoding(token)));
        m_url.setQuery(q);
    }
    openSocket();
}

void WebSocketTransport::openSocket()
{
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    // What the server sends is bounded before it is held: a frame at most one
    // record, a message that record and a little more.
    m_socket->setMaxAllowedIncomingFrameSize(quint64(m_options.maxRecordBytes));
    m_socket->setMaxAllowedIncomingMessageSize(quint64(m_options.maxRecordBytes + 64 * 1024));
    if (m_options.sslConfiguration)
        m_socket->setSslConfiguration(*m_options.sslConfiguration);
    connect(m_socket, &QWebSocket::connected, this, &WebSocketTransport::onConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &WebSocketTransport::onDisconnected);
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) { Q_EMIT received(text.toUtf8()); });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &Transport::received);
    connect(m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
        lose(QStringLiteral("WebSocket error: %1").arg(m_socket ? m_socket->errorString() : QString()));
    });
    connect(m_socket, &QWebSocket::bytesWritten, this, [this](qint64 n) {
        m_lastWriteProgressMs = m_clock.elapsed();
        Q_EMIT bytesWritten(n);
    });
    QNetworkRequest req(m_url);
    for (const auto &h : m_options.headers)
        req.setRawHeader(h.first, h.second);
    qCDebug(lcSignalR) << "open" << m_url.toString(QUrl::RemoveQuery);
    m_socket->open(req);
}

void WebSocketTransport::onConnected()
{
    // Small request/response records: no Nagle delay (the official clients do the same).
    if (auto *tcp = m_socket ? m_socket->findChild<QAbstractSocket *>() : nullptr)
        tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_freshTokenDue = true;
    Q_EMIT opened();
}

void WebSocketTransport::onDisconnected()
{
    QString reason = QStringLiteral("The WebSocket closed");
    if (m_socket) {
        const auto code = m_socket->closeCode();
        if (code == QWebSocketProtocol::CloseCodeTooMuchData) {
            lose(QStringLiteral("Protocol error: the server sent a message larger than %1 bytes (WebSocket close code 1009).")
                     .arg(m_options.maxRecordBytes));
            return;
        }
        reason += QStringLiteral(" (code %1%2)")
                      .arg(int(code))
                      .arg(m_socket->closeReason().isEmpty() ? QString() : QStringLiteral(": ") + m_socket->closeReason());
        if (m_socket->error() != QAbstractSocket::UnknownSocketError)
            reason += QStringLiteral(": ") + m_socket->errorString();
    }
    lose(reason);
}

void WebSocketTransport::send(const QByteArray &records)
{
    // A write that finds the server gone reports it from inside the write: the
    // socket is then dropped (lose()), so each step checks it still has this one.
    QWebSocket *const socket = m_socket;
    if (!socket)
        return;
    if (socket->bytesToWrite() == 0)
        m_lastWriteProgressMs = m_clock.elapsed(); // nothing was waiting: the wait starts now
    socket->sendTextMessage(QString::fromUtf8(records));
    if (m_socket != socket)
        return;
    socket->flush();
    if (m_socket != socket)
        return;
    if (m_options.writeTimeoutMs > 0 && !m_writeWatch.isActive() && socket->bytesToWrite() > 0)
        m_writeWatch.start(std::min(1000, m_options.writeTimeoutMs));
}

// Asked of the socket, not counted from bytesWritten: Qt does not emit that
// signal again for bytes written from inside its handler.
qint64 WebSocketTransport::bufferedBytes() const { return m_socket ? m_socket->bytesToWrite() : 0; }

// A server that reads nothing for writeTimeoutMs is as lost as one that says
// nothing for serverTimeoutMs; without this a client would queue for ever.
void WebSocketTransport::checkWriteProgress()
{
    if (!m_socket)
        return;
    const qint64 waiting = m_socket->bytesToWrite();
    if (waiting == 0)
        return; // re-armed by the next write that has to wait
    const qint64 now = m_clock.elapsed();
    if (waiting < m_lastBytesToWrite)
        m_lastWriteProgressMs = now;
    m_lastBytesToWrite = waiting;
    if (now - m_lastWriteProgressMs >= m_options.writeTimeoutMs) {
        lose(QStringLiteral("Write timeout: the server has read nothing for %1 ms (%2 bytes waiting).")
                 .arg(now - m_lastWriteProgressMs)
                 .arg(waiting));
        return;
    }
    m_writeWatch.start(std::min(1000, m_options.writeTimeoutMs));
}

void WebSocketTransport::close()
{
    if (m_socket)
        m_socket->close(QWebSocketProtocol::CloseCodeNormal);
}

void WebSocketTransport::abort()
{
    if (Negotiation *n = std::exchange(m_negotiation, nullptr)) {
        n->abort();
        n->deleteLater();
    }
    dropSocket();
}

void WebSocketTransport::dropSocket()
{
    m_writeWatch.stop();
    m_lastBytesToWrite = 0;
    if (QWebSocket *s = std::exchange(m_socket, nullptr)) {
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
}

void WebSocketTransport::lose(const QString &error)
{
    dropSocket();
    Q_EMIT closed(error);
}

} // namespace signalr
