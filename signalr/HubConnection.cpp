#include "HubConnection.h"

#include "HttpPost.h"
#include "Logging.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QNetworkRequest>
#include <QUrlQuery>
#include <QWebSocket>
#include <exception>

#include <sys/socket.h>

namespace signalr {

namespace {

constexpr int MaxRedirects = 100;

QUrl withPathSuffix(QUrl url, const QString &suffix)
{
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    url.setPath(path + suffix);
    return url;
}

} // namespace

HubConnection::HubConnection(HubConnectionOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_reader(m_options.maxRecordBytes)
{
    m_keepAlive.setSingleShot(true);
    m_serverTimeout.setSingleShot(true);
    m_handshakeTimer.setSingleShot(true);
    m_retryTimer.setSingleShot(true);
    m_reattachTimer.setSingleShot(true);
    m_ackTimer.setSingleShot(true);
    m_writeWatch.setSingleShot(true);
    connect(&m_writeWatch, &QTimer::timeout, this, &HubConnection::checkWriteProgress);
    // The two liveness timers are not restarted per message (that costs a timer
    // re-registration each time); they fire, look at the clock, and re-arm.
    m_clock.start();
    connect(&m_keepAlive, &QTimer::timeout, this, [this] {
        if (m_phase != Phase::Open)
            return;
        const qint64 idle = m_clock.elapsed() - m_lastSendMs;
        if (idle >= m_options.keepAliveIntervalMs) {
            sendMessage(HubMessage::ping());
            m_keepAlive.start(m_options.keepAliveIntervalMs);
        } else {
            m_keepAlive.start(int(m_options.keepAliveIntervalMs - idle));
        }
    });
    connect(&m_serverTimeout, &QTimer::timeout, this, [this] {
        if (m_phase != Phase::Open)
            return;
        const qint64 silent = m_clock.elapsed() - m_lastReceiveMs;
        if (silent < m_options.serverTimeoutMs) {
            m_serverTimeout.start(int(m_options.serverTimeoutMs - silent));
            return;
        }
        transportLost(
            QStringLiteral("Server timeout elapsed (%1 ms) without receiving a message from the server.").arg(m_options.serverTimeoutMs),
            true);
    });
    connect(&m_handshakeTimer, &QTimer::timeout, this, [this] {
        if (m_phase == Phase::Opening || m_phase == Phase::Handshaking)
            attemptFailed(QStringLiteral("Handshake timed out after %1 ms.").arg(m_options.handshakeTimeoutMs));
    });
    connect(&m_reattachTimer, &QTimer::timeout, this, [this] {
        if (m_phase == Phase::Reattaching)
            transportLost(QStringLiteral("Stateful reconnect did not succeed within %1 ms.").arg(m_options.statefulReconnectTimeoutMs), true);
    });
    connect(&m_retryTimer, &QTimer::timeout, this, &HubConnection::beginAttempt);
    connect(&m_ackTimer, &QTimer::timeout, this, [this] {
        if (m_phase == Phase::Open && m_stateful && m_lastProcessedSeq > m_lastAckedSent) {
            m_lastAckedSent = m_lastProcessedSeq;
            sendMessage(HubMessage::ack(m_lastProcessedSeq));
        }
    });
}

HubConnection::~HubConnection()
{
    m_stopping = true;
    m_phase = Phase::Idle;
    teardownSocket();
    delete m_negotiation;
}

void HubConnection::setState(State s)
{
    if (m_state == s)
        return;
    qCDebug(lcSignalR) << "state" << m_state << "->" << s;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void HubConnection::start()
{
    if (m_state != State::Disconnected) {
        qCWarning(lcSignalR) << "start() ignored in state" << m_state;
        return;
    }
    if (!m_options.url.isValid()) {
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT startFailed(QStringLiteral("Invalid hub URL.")); }, Qt::QueuedConnection);
        return;
    }
    m_stopping = false;
    m_retryCount = 0;
    m_lostAt.invalidate();
    setState(State::Connecting);
    beginAttempt();
}

void HubConnection::stop()
{
    if (m_state == State::Disconnected || m_state == State::Disconnecting)
        return;
    m_stopping = true;
    m_retryTimer.stop();
    if (m_socket && (m_phase == Phase::Open || m_phase == Phase::Handshaking)) {
        setState(State::Disconnecting);
        failAllPending(QStringLiteral("The connection was stopped."));
        flush();
        m_socket->close(QWebSocketProtocol::CloseCodeNormal);
        // A peer that never answers the close frame does not hold us.
        QTimer::singleShot(2000, this, [this, gen = m_generation] {
            if (m_state == State::Disconnecting && m_generation == gen)
                finishClose(QString());
        });
        return;
    }
    finishClose(QString());
}

void HubConnection::beginAttempt()
{
    teardownSocket();
    m_reader.clear();
    m_closeReceived = false;
    m_stateful = false;
    m_nextSendSeq = 1;
    m_nextRecvSeq = 1;
    m_lastProcessedSeq = 0;
    m_lastAckedSent = 0;
    m_replay.clear();
    m_replayBytes = 0;
    m_replayOverLimit = false;
    m_connectionId.clear();
    m_connectionToken.clear();
    m_accessToken = m_options.accessTokenProvider ? m_options.accessTokenProvider() : QString();
    if (m_options.skipNegotiation) {
        openWebSocket(webSocketUrl(m_options.url));
        return;
    }
    negotiate(m_options.url, 0);
}

void HubConnection::negotiate(const QUrl &base, int redirects)
{
    QUrl url = withPathSuffix(base, QStringLiteral("/negotiate"));
    if (url.scheme() == QLatin1String("ws"))
        url.setScheme(QStringLiteral("http"));
    else if (url.scheme() == QLatin1String("wss"))
        url.setScheme(QStringLiteral("https"));
    QUrlQuery q(url);
    q.removeAllQueryItems(QStringLiteral("negotiateVersion"));
    q.addQueryItem(QStringLiteral("negotiateVersion"), QStringLiteral("1"));
    if (m_options.statefulReconnect)
        q.addQueryItem(QStringLiteral("useStatefulReconnect"), QStringLiteral("true"));
    url.setQuery(q);
    post(url, base, redirects);
}

// One negotiate request; an HTTP redirect is followed (never from https to http).
void HubConnection::post(const QUrl &url, const QUrl &base, int redirects)
{
    m_phase = Phase::Negotiating;
    HttpPost::Request request;
    request.url = url;
    request.headers = {{"Content-Type", "text/plain;charset=UTF-8"}, {"X-Requested-With", "XMLHttpRequest"}};
    request.headers += m_options.headers;
    if (!m_accessToken.isEmpty())
        request.headers.append({"Authorization", "Bearer " + m_accessToken.toUtf8()});
    request.sslConfiguration = m_options.sslConfiguration;
    request.maxBodyBytes = m_options.maxNegotiateBytes;
    request.timeoutMs = m_options.negotiateTimeoutMs;
    qCDebug(lcSignalR) << "negotiate" << url;
    auto *negotiation = new HttpPost(request, this);
    m_negotiation = negotiation;
    connect(negotiation, &HttpPost::finished, this, [this, negotiation, url, base, redirects](const HttpPost::Answer &answer) {
        negotiation->deleteLater();
        if (negotiation != m_negotiation)
            return;
        m_negotiation = nullptr;
        if (m_phase != Phase::Negotiating)
            return;
        if (!answer.error.isEmpty()) {
            attemptFailed(QStringLiteral("Negotiate failed: %1").arg(answer.error));
            return;
        }
        if (answer.status >= 300 && answer.status < 400 && !answer.location.isEmpty()) {
            const QUrl next = url.resolved(QUrl::fromEncoded(answer.location));
            if (redirects >= MaxRedirects || (url.scheme() == QLatin1String("https") && next.scheme() != QLatin1String("https"))) {
                attemptFailed(QStringLiteral("Negotiate failed: HTTP %1 to %2 not followed (too many redirects, or less safe).")
                                  .arg(answer.status)
                                  .arg(next.toString(QUrl::RemoveQuery)));
                return;
            }
            post(next, base, redirects + 1);
            return;
        }
        if (answer.status != 200) {
            attemptFailed(QStringLiteral("Negotiate failed: HTTP %1").arg(answer.status));
            return;
        }
        const QByteArray &body = answer.body;
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(body, &pe).object();
        if (pe.error != QJsonParseError::NoError) {
            attemptFailed(QStringLiteral("Negotiate failed: invalid JSON (%1)").arg(pe.errorString()));
            return;
        }
        if (o.contains(QLatin1String("error"))) {
            attemptFailed(QStringLiteral("Negotiate failed: %1").arg(o.value(QLatin1String("error")).toString()));
            return;
        }
        if (o.contains(QLatin1String("url"))) {
            if (redirects >= MaxRedirects) {
                attemptFailed(QStringLiteral("Negotiate failed: more than %1 redirects.").arg(MaxRedirects));
                return;
            }
            const QUrl next = base.resolved(QUrl(o.value(QLatin1String("url")).toString()));
            if (o.contains(QLatin1String("accessToken")))
                m_accessToken = o.value(QLatin1String("accessToken")).toString();
            qCDebug(lcSignalR) << "negotiate redirect to" << next;
            negotiate(next, redirects + 1);
            return;
        }
        bool webSockets = false;
        for (const QJsonValue &t : o.value(QLatin1String("availableTransports")).toArray()) {
            const QJsonObject tr = t.toObject();
            if (tr.value(QLatin1String("transport")).toString() == QLatin1String("WebSockets")
                && tr.value(QLatin1String("transferFormats")).toArray().contains(QStringLiteral("Text")))
                webSockets = true;
        }
        if (!webSockets) {
            attemptFailed(QStringLiteral("Negotiate failed: the server does not offer WebSockets with text frames."));
            return;
        }
        const int version = o.value(QLatin1String("negotiateVersion")).toInt();
        m_connectionId = o.value(QLatin1String("connectionId")).toString();
        m_connectionToken = version >= 1 ? o.value(QLatin1String("connectionToken")).toString() : m_connectionId;
        m_stateful = m_options.statefulReconnect && o.value(QLatin1String("useStatefulReconnect")).toBool();
        openWebSocket(webSocketUrl(base));
    });
    negotiation->start();
}

QUrl HubConnection::webSocketUrl(const QUrl &base) const
{
    QUrl url = base;
    if (url.scheme() == QLatin1String("http"))
        url.setScheme(QStringLiteral("ws"));
    else if (url.scheme() == QLatin1String("https"))
        url.setScheme(QStringLiteral("wss"));
    QUrlQuery q(url);
    if (!m_connectionToken.isEmpty())
        q.addQueryItem(QStringLiteral("id"), m_connectionToken);
    if (!m_accessToken.isEmpty())
        q.addQueryItem(QStringLiteral("access_token"), QString::fromLatin1(QUrl::toPercentEncoding(m_accessToken)));
    url.setQuery(q);
    return url;
}

void HubConnection::openWebSocket(const QUrl &url)
{
    teardownSocket();
    if (m_phase != Phase::Reattaching) {
        m_phase = Phase::Opening;
        m_handshakeTimer.start(m_options.handshakeTimeoutMs);
    }
    m_wsUrl = url;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    // What the server sends is bounded before it is held: a frame at most one
    // record, a message that record and a little more.
    m_socket->setMaxAllowedIncomingFrameSize(quint64(m_options.maxRecordBytes));
    m_socket->setMaxAllowedIncomingMessageSize(quint64(m_options.maxRecordBytes + 64 * 1024));
    if (m_options.sslConfiguration)
        m_socket->setSslConfiguration(*m_options.sslConfiguration);
    connect(m_socket, &QWebSocket::connected, this, &HubConnection::onSocketConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &HubConnection::onSocketDisconnected);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &HubConnection::onText);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &HubConnection::onBinary);
    connect(m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
        const QString e = m_socket ? m_socket->errorString() : QString();
        transportLost(QStringLiteral("WebSocket error: %1").arg(e), true);
    });
    connect(m_socket, &QWebSocket::bytesWritten, this, [this](qint64 n) {
        m_lastWriteProgressMs = m_clock.elapsed();
        Q_EMIT bytesWritten(n);
    });
    QNetworkRequest req(url);
    for (const auto &h : m_options.headers)
        req.setRawHeader(h.first, h.second);
    qCDebug(lcSignalR) << "open" << url.toString(QUrl::RemoveQuery);
    m_socket->open(req);
}

void HubConnection::onSocketConnected()
{
    // Small request/response records: no Nagle delay (the official clients do the same).
    if (auto *tcp = m_socket ? m_socket->findChild<QAbstractSocket *>() : nullptr)
        tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (m_phase == Phase::Reattaching) {
        // Same logical connection: no handshake; tell the server where our sequence
        // restarts, then replay what it has not acknowledged.
        m_reattachTimer.stop();
        m_phase = Phase::Open;
        const qint64 first = m_replay.empty() ? m_nextSendSeq : m_replay.front().sequenceId;
        qCInfo(lcSignalR) << "stateful reconnect: re-attached; replaying" << m_replay.size() << "messages from" << first;
        // A write can lose the connection (sendFrame), which may clear the
        // buffer: replay by index, and only while the socket is this one.
        QWebSocket *const socket = m_socket;
        writeRaw(HubProtocol::write(HubMessage::sequence(first)));
        for (size_t i = 0; i < m_replay.size() && m_socket == socket; ++i)
            writeRaw(m_replay[i].record);
        if (m_socket == socket)
            resetServerTimeout();
        return;
    }
    if (m_phase != Phase::Opening)
        return;
    m_phase = Phase::Handshaking;
    writeRaw(HubProtocol::handshakeRequest(m_stateful ? 2 : 1));
}

void HubConnection::onSocketDisconnected()
{
    QString reason = QStringLiteral("The WebSocket closed");
    if (m_socket) {
        const auto code = m_socket->closeCode();
        if (code == QWebSocketProtocol::CloseCodeTooMuchData) {
            transportLost(QStringLiteral("Protocol error: the server sent a message larger than %1 bytes (WebSocket close code 1009).")
                              .arg(m_options.maxRecordBytes),
                          true);
            return;
        }
        reason += QStringLiteral(" (code %1%2)")
                      .arg(int(code))
                      .arg(m_socket->closeReason().isEmpty() ? QString() : QStringLiteral(": ") + m_socket->closeReason());
        if (m_socket->error() != QAbstractSocket::UnknownSocketError)
            reason += QStringLiteral(": ") + m_socket->errorString();
    }
    transportLost(reason, true);
}

void HubConnection::onText(const QString &text) { onData(text.toUtf8()); }
void HubConnection::onBinary(const QByteArray &data) { onData(data); }

void HubConnection::onData(QByteArrayView data)
{
    resetServerTimeout();
    m_reader.append(data);
    QPointer<HubConnection> self(this);
    const QWebSocket *socket = m_socket;
    while (self && m_socket == socket && socket) {
        std::optional<QByteArray> record = m_reader.next();
        if (!record)
            break;
        handleRecord(*record);
    }
    if (self && m_socket == socket && socket && m_reader.overflowed())
        transportLost(QStringLiteral("Protocol error: a record exceeds %1 bytes.").arg(m_options.maxRecordBytes), true);
}

void HubConnection::handleRecord(const QByteArray &record)
{
    if (m_phase == Phase::Handshaking) {
        std::optional<QString> error;
        QString parseError;
        if (!HubProtocol::parseHandshakeResponse(record, &error, &parseError)) {
            attemptFailed(QStringLiteral("Invalid handshake response: %1").arg(parseError));
            return;
        }
        if (error) {
            attemptFailed(QStringLiteral("Handshake failed: %1").arg(*error));
            return;
        }
        m_handshakeTimer.stop();
        m_phase = Phase::Open;
        m_openedAt.start();
        ++m_generation;
        resetKeepAlive();
        const bool reconnect = m_state == State::Reconnecting;
        qCDebug(lcSignalR) << (reconnect ? "reconnected" : "connected") << m_options.url.toString(QUrl::RemoveQuery) << "id"
                           << m_connectionId << (m_stateful ? "(stateful reconnect)" : "");
        setState(State::Connected);
        if (reconnect)
            Q_EMIT reconnected(m_connectionId);
        else
            Q_EMIT connected();
        return;
    }
    if (m_phase != Phase::Open)
        return;
    HubMessage m;
    QString error;
    switch (HubProtocol::parse(record, &m, &error)) {
    case HubProtocol::ParseResult::Ok: handleMessage(std::move(m)); return;
    case HubProtocol::ParseResult::UnknownType: qCDebug(lcSignalR) << "ignored:" << error; return;
    case HubProtocol::ParseResult::Invalid:
        // The caller hears it with the loss of the connection.
        qCDebug(lcSignalR) << "protocol error:" << error;
        transportLost(QStringLiteral("Protocol error: %1").arg(error), true);
        return;
    }
}

void HubConnection::handleMessage(HubMessage &&m)
{
    if (m_stateful && m.isTrackable()) {
        const qint64 id = m_nextRecvSeq++;
        if (id <= m_lastProcessedSeq)
            return; // replayed duplicate
        m_lastProcessedSeq = id;
        if (m_lastProcessedSeq - m_lastAckedSent >= 64) {
            m_lastAckedSent = m_lastProcessedSeq;
            sendMessage(HubMessage::ack(m_lastProcessedSeq));
        } else if (!m_ackTimer.isActive()) {
            m_ackTimer.start(m_options.ackIntervalMs);
        }
    }
    switch (m.type) {
    case MessageType::Invocation: handleInvocation(m); return;
    case MessageType::StreamInvocation:
        sendMessage(HubMessage::completionError(m.invocationId, QStringLiteral("Client does not support streaming methods.")));
        return;
    case MessageType::StreamItem: {
        const auto it = m_invocations.constFind(m.invocationId);
        if (it != m_invocations.constEnd() && it->stream)
            it->stream->deliver(m.item);
        return;
    }
    case MessageType::Completion: {
        const auto it = m_invocations.find(m.invocationId);
        if (it == m_invocations.end())
            return; // timed out, canceled or unknown
        Pending p = *it;
        m_invocations.erase(it);
        delete p.timer;
        endUploadsOf(p);
        if (p.reply) {
            if (m.error)
                p.reply->fail(*m.error);
            else
                p.reply->succeed(m.hasResult ? m.result : QJsonValue());
        }
        if (p.stream) {
            if (m.error)
                p.stream->fail(*m.error);
            else
                p.stream->complete();
        }
        return;
    }
    case MessageType::CancelInvocation: return; // client-result handlers are not cancellable
    case MessageType::Ping: return;
    case MessageType::Close:
        m_closeReceived = true;
        qCInfo(lcSignalR) << "server closed the connection" << m.error.value_or(QString()) << "allowReconnect" << m.allowReconnect;
        transportLost(m.error ? QStringLiteral("Server closed the connection with an error: %1").arg(*m.error) : QString(), m.allowReconnect);
        return;
    case MessageType::Ack: onAck(m.sequenceId); return;
    case MessageType::Sequence:
        if (m.sequenceId > m_lastProcessedSeq + 1) {
            transportLost(
                QStringLiteral("Protocol error: Sequence %1 beyond the %2 messages received.").arg(m.sequenceId).arg(m_lastProcessedSeq),
                true);
            return;
        }
        m_nextRecvSeq = m.sequenceId;
        return;
    }
}

void HubConnection::handleInvocation(const HubMessage &m)
{
    const auto it = m_handlers.constFind(m.target);
    if (it == m_handlers.constEnd()) {
        // Servers send some messages to all their clients: not every client
        // handles them all. Told once per method (and for a bounded number of them).
        if (m_unhandledTold.size() < 256 && !m_unhandledTold.contains(m.target)) {
            m_unhandledTold.insert(m.target);
            qCDebug(lcSignalR) << "no handler for" << m.target << "(ignored; not told again)";
        }
        if (!m.invocationId.isEmpty())
            sendMessage(HubMessage::completionError(m.invocationId,
                                                    QStringLiteral("Client didn't provide a result: no handler for '%1'.").arg(m.target)));
        return;
    }
    const ResultHandler handler = *it; // the handler may call off()
    ClientResult result(this, m.invocationId, m_generation);
    try {
        handler(m.arguments, result);
    } catch (const std::exception &e) {
        qCWarning(lcSignalR) << "handler for" << m.target << "threw:" << e.what();
        result.reject(QStringLiteral("Client handler for '%1' failed: %2").arg(m.target, QString::fromUtf8(e.what())));
    } catch (...) {
        qCWarning(lcSignalR) << "handler for" << m.target << "threw";
        result.reject(QStringLiteral("Client handler for '%1' failed.").arg(m.target));
    }
}

void HubConnection::answer(const QString &invocationId, quint64 generation, const HubMessage &completion)
{
    if (generation != m_generation || m_state != State::Connected) {
        qCInfo(lcSignalR) << "dropped the answer to" << invocationId << ": its connection is gone";
        return;
    }
    sendMessage(completion);
}

void HubConnection::onInvocation(const QString &method, ResultHandler handler) { m_handlers.insert(method, std::move(handler)); }
void HubConnection::off(const QString &method) { m_handlers.remove(method); }

InvocationReply *HubConnection::invoke(const QString &method, const QJsonArray &args, int timeoutMs)
{
    return invoke(method, args, {}, timeoutMs);
}

InvocationReply *HubConnection::invoke(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads, int timeoutMs)
{
    const QString id = nextInvocationId();
    auto *reply = new InvocationReply(id, this);
    if (const QString error = refusal(QStringLiteral("invoke '%1'").arg(method), uploads); !error.isEmpty()) {
        QMetaObject::invokeMethod(
            reply, [reply, error] { reply->fail(error); }, Qt::QueuedConnection);
        return reply;
    }
    Pending p;
    p.reply = reply;
    if (timeoutMs > 0) {
        p.timer = new QTimer(reply);
        p.timer->setSingleShot(true);
        connect(p.timer, &QTimer::timeout, this, [this, id, method, timeoutMs] {
            const auto it = m_invocations.find(id);
            if (it == m_invocations.end())
                return;
            Pending pending = *it;
            m_invocations.erase(it);
            if (m_state == State::Connected)
                sendMessage(HubMessage::cancelInvocation(id));
            endUploadsOf(pending);
            if (pending.reply)
                pending.reply->fail(QStringLiteral("Invocation of '%1' timed out after %2 ms.").arg(method).arg(timeoutMs));
        });
        p.timer->start(timeoutMs);
    }
    sendCall(HubMessage::invocation(id, method, args), uploads, &p);
    return reply;
}

bool HubConnection::send(const QString &method, const QJsonArray &args)
{
    if (m_state != State::Connected)
        return false;
    sendMessage(HubMessage::invocation(QString(), method, args));
    return true;
}

bool HubConnection::sendEncoded(const QString &method, const QByteArray &argumentsJson)
{
    if (m_state != State::Connected)
        return false;
    HubMessage m = HubMessage::invocation(QString(), method, {});
    m.encodedArguments = argumentsJson;
    sendMessage(m);
    return true;
}

bool HubConnection::send(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads)
{
    if (const QString error = refusal(QStringLiteral("send '%1'").arg(method), uploads); !error.isEmpty()) {
        qCWarning(lcSignalR) << "not sent:" << error;
        return false;
    }
    sendCall(HubMessage::invocation(QString(), method, args), uploads, nullptr);
    return true;
}

StreamReply *HubConnection::stream(const QString &method, const QJsonArray &args) { return stream(method, args, {}); }

StreamReply *HubConnection::stream(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads)
{
    const QString id = nextInvocationId();
    auto *reply = new StreamReply(this, id, this);
    if (const QString error = refusal(QStringLiteral("stream '%1'").arg(method), uploads); !error.isEmpty()) {
        QMetaObject::invokeMethod(
            reply, [reply, error] { reply->fail(error); }, Qt::QueuedConnection);
        return reply;
    }
    Pending p;
    p.stream = reply;
    sendCall(HubMessage::streamInvocation(id, method, args), uploads, &p);
    return reply;
}

// Why a call cannot be made now (empty: it can). The streams of a call refused
// for want of a connection close with it; invalid ones are left as they were.
QString HubConnection::refusal(const QString &call, const QList<UploadStream *> &uploads)
{
    QString error;
    if (!checkUploads(uploads, &error))
        return error;
    if (m_state == State::Connected)
        return {};
    error = QStringLiteral("Cannot %1: the connection is not connected (%2).")
                .arg(call, QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(m_state))));
    closeUploads(uploads, error);
    return error;
}

// Sends a call with its streams' ids (pending: one that expects an answer),
// then lets the streams flow.
void HubConnection::sendCall(HubMessage call, const QList<UploadStream *> &uploads, Pending *pending)
{
    call.streamIds = bindUploads(uploads);
    if (pending) {
        pending->uploads = call.streamIds;
        m_invocations.insert(call.invocationId, *pending);
    }
    sendMessage(call);
    for (UploadStream *u : uploads)
        u->bind();
}

UploadStream *HubConnection::createUploadStream() { return new UploadStream(this, nextInvocationId()); }

bool HubConnection::checkUploads(const QList<UploadStream *> &uploads, QString *error) const
{
    for (qsizetype i = 0; i < uploads.size(); ++i) {
        const UploadStream *u = uploads[i];
        if (!u)
            *error = QStringLiteral("Upload stream %1 is null.").arg(i + 1);
        else if (u->m_connection != this)
            *error = QStringLiteral("Upload stream %1 belongs to another connection.").arg(u->streamId());
        else if (u->m_state != UploadStream::State::Unbound || uploads.indexOf(u) != i)
            *error = QStringLiteral("Upload stream %1 already serves a call.").arg(u->streamId());
        else
            continue;
        return false;
    }
    return true;
}

void HubConnection::closeUploads(const QList<UploadStream *> &uploads, const QString &error)
{
    for (UploadStream *u : uploads)
        u->abandon(error);
}

QStringList HubConnection::bindUploads(const QList<UploadStream *> &uploads)
{
    QStringList ids;
    ids.reserve(uploads.size());
    for (UploadStream *u : uploads) {
        ids.append(u->streamId());
        m_uploads.insert(u->streamId(), u);
    }
    return ids;
}

// The server is done with the call: its streams are of no more use.
void HubConnection::endUploadsOf(const Pending &call)
{
    for (const QString &streamId : call.uploads)
        if (const QPointer<UploadStream> u = m_uploads.take(streamId))
            u->abandon(QStringLiteral("The call ended before its stream was completed."));
}

void HubConnection::writeUpload(const QString &streamId, const QJsonValue &item)
{
    if (m_state == State::Connected)
        sendMessage(HubMessage::streamItem(streamId, item));
}

void HubConnection::endUpload(const QString &streamId, const QString &error)
{
    m_uploads.remove(streamId);
    if (m_state == State::Connected)
        sendMessage(error.isEmpty() ? HubMessage::completionVoid(streamId) : HubMessage::completionError(streamId, error));
}

void HubConnection::cancelStream(const QString &invocationId)
{
    const auto it = m_invocations.find(invocationId);
    if (it == m_invocations.end())
        return;
    const Pending p = *it;
    m_invocations.erase(it);
    if (m_state == State::Connected)
        sendMessage(HubMessage::cancelInvocation(invocationId));
    endUploadsOf(p);
}

void HubConnection::sendMessage(const HubMessage &m)
{
    QByteArray record = HubProtocol::write(m);
    if (m_stateful && m.isTrackable()) {
        const qint64 seq = m_nextSendSeq++;
        m_replayBytes += record.size();
        m_replay.push_back({seq, record});
        if (m_replayBytes > m_options.statefulReconnectBufferBytes && !m_replayOverLimit) {
            m_replayOverLimit = true; // once per excursion, not at every message
            qCWarning(lcSignalR) << "stateful reconnect buffer holds" << m_replayBytes << "unacknowledged bytes, over its"
                                 << m_options.statefulReconnectBufferBytes;
        }
    }
    // Answers and calls that wait for one leave at once, not at the end of the
    // turn: the peer is waiting on them, and the turn may go on with other work.
    const bool urgent = m.type == MessageType::Completion || m.type == MessageType::CancelInvocation
                        || ((m.type == MessageType::Invocation || m.type == MessageType::StreamInvocation) && !m.invocationId.isEmpty());
    if (m_phase == Phase::Open)
        writeRaw(record, urgent);
    // Reattaching: trackable messages wait in the replay buffer; the rest is moot.
}

// The first record of an event-loop turn leaves at once (latency); the records
// that follow it in the same turn leave together as one WebSocket message at the
// end of the turn (throughput: the protocol allows several records per message).
// An urgent record leaves at once with those gathered before it (order kept).
void HubConnection::writeRaw(const QByteArray &record, bool urgent)
{
    if (!m_socket)
        return;
    resetKeepAlive();
    if (urgent && m_flushScheduled) {
        m_outBuffer += record;
        sendFrame(std::exchange(m_outBuffer, QByteArray()));
        return;
    }
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QMetaObject::invokeMethod(this, &HubConnection::flush, Qt::QueuedConnection);
        sendFrame(record);
        return;
    }
    m_outBuffer += record;
    if (m_outBuffer.size() >= 64 * 1024)
        sendFrame(std::exchange(m_outBuffer, QByteArray()));
}

void HubConnection::flush()
{
    m_flushScheduled = false;
    if (!m_socket || m_outBuffer.isEmpty())
        return;
    sendFrame(std::exchange(m_outBuffer, QByteArray()));
}

void HubConnection::sendFrame(const QByteArray &records)
{
    // A write that finds the server gone reports it from inside the write:
    // transportLost() has then torn this socket down (and may have started a
    // new one), so each step checks that it still writes to the same socket.
    QWebSocket *const socket = m_socket;
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
qint64 HubConnection::bufferedBytes() const { return m_outBuffer.size() + (m_socket ? m_socket->bytesToWrite() : 0); }

// A server that reads nothing for writeTimeoutMs is as lost as one that says
// nothing for serverTimeoutMs; without this a client would queue for ever.
void HubConnection::checkWriteProgress()
{
    if (!m_socket || m_phase != Phase::Open)
        return;
    const qint64 waiting = m_socket->bytesToWrite();
    if (waiting == 0)
        return; // re-armed by the next write that has to wait
    const qint64 now = m_clock.elapsed();
    if (waiting < m_lastBytesToWrite)
        m_lastWriteProgressMs = now;
    m_lastBytesToWrite = waiting;
    if (now - m_lastWriteProgressMs >= m_options.writeTimeoutMs) {
        transportLost(QStringLiteral("Write timeout: the server has read nothing for %1 ms (%2 bytes waiting).")
                          .arg(now - m_lastWriteProgressMs)
                          .arg(waiting),
                      true);
        return;
    }
    m_writeWatch.start(std::min(1000, m_options.writeTimeoutMs));
}

void HubConnection::onAck(qint64 sequenceId)
{
    while (!m_replay.empty() && m_replay.front().sequenceId <= sequenceId) {
        m_replayBytes -= m_replay.front().record.size();
        m_replay.pop_front();
    }
    if (m_replayOverLimit && m_replayBytes <= m_options.statefulReconnectBufferBytes) {
        m_replayOverLimit = false;
        qCInfo(lcSignalR) << "stateful reconnect buffer back to" << m_replayBytes << "unacknowledged bytes";
    }
}

void HubConnection::resetKeepAlive()
{
    m_lastSendMs = m_clock.elapsed();
    if (m_phase == Phase::Open && m_options.keepAliveIntervalMs > 0 && !m_keepAlive.isActive())
        m_keepAlive.start(m_options.keepAliveIntervalMs);
}

void HubConnection::resetServerTimeout()
{
    m_lastReceiveMs = m_clock.elapsed();
    if (m_options.serverTimeoutMs > 0 && !m_serverTimeout.isActive())
        m_serverTimeout.start(m_options.serverTimeoutMs);
}

void HubConnection::abortTransport()
{
    if (!m_socket)
        return;
    // Reset the TCP connection (SO_LINGER 0: RST, not FIN), as a network failure
    // or a middlebox would; a FIN looks to the server like the client leaving.
    auto *tcp = m_socket->findChild<QAbstractSocket *>();
    if (tcp) {
        const qintptr fd = tcp->socketDescriptor();
        if (fd >= 0) {
            const linger l{1, 0};
            ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
    }
    m_socket->abort();
}

void HubConnection::teardownSocket()
{
    m_keepAlive.stop();
    m_serverTimeout.stop();
    m_handshakeTimer.stop();
    m_ackTimer.stop();
    m_writeWatch.stop();
    m_lastBytesToWrite = 0;
    if (m_socket) {
        QWebSocket *s = m_socket;
        m_socket = nullptr;
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    m_outBuffer.clear();
    m_reader.clear();
}

void HubConnection::transportLost(const QString &error, bool allowReconnect)
{
    switch (m_phase) {
    case Phase::Idle: return;
    case Phase::Negotiating:
    case Phase::Opening:
    case Phase::Handshaking:
        if (m_stopping) {
            finishClose(QString());
            return;
        }
        attemptFailed(error.isEmpty() ? QStringLiteral("The server closed the connection during the handshake.") : error);
        return;
    case Phase::Reattaching:
        if (m_stopping) {
            finishClose(QString());
            return;
        }
        if (m_reattachTimer.isActive()) {
            // Typically 409 Conflict: the server has not yet noticed that the old
            // WebSocket is gone. Try again shortly, within the re-attach window.
            teardownSocket();
            const int delay = std::min(250, 10 << std::min(m_reattachAttempts++, 5));
            qCDebug(lcSignalR) << "stateful re-attach failed:" << error << "; again in" << delay << "ms";
            QTimer::singleShot(delay, this, [this, gen = m_generation] {
                if (m_phase == Phase::Reattaching && m_generation == gen && !m_socket)
                    openWebSocket(m_wsUrl);
            });
            return;
        }
        qCInfo(lcSignalR) << "stateful reconnect failed:" << error;
        break;
    case Phase::Open:
        if (m_stopping) {
            finishClose(QString());
            return;
        }
        if (m_stateful && !m_closeReceived) {
            m_lostReason = error;
            startStatefulReattach();
            return;
        }
        break;
    }
    const QString reason = m_phase == Phase::Reattaching ? m_lostReason : error;
    teardownSocket();
    m_phase = Phase::Idle;
    failAllPending(QStringLiteral("The connection was lost: %1").arg(reason.isEmpty() ? QStringLiteral("closed by the server") : reason));
    if ((m_closeReceived && !allowReconnect) || !m_options.retryPolicy.enabled()) {
        finishClose(reason);
        return;
    }
    // A connection lost soon after it opened (a server that accepts, then fails
    // at once) continues the episode it ended: its back-off goes on growing.
    const bool shortLived = m_openedAt.isValid() && m_openedAt.elapsed() < m_options.stableConnectionMs;
    if (shortLived && m_lostAt.isValid()) {
        ++m_retryCount;
    } else {
        m_retryCount = 0;
        m_lostAt.start();
    }
    m_openedAt.invalidate();
    m_lostReason = reason;
    setState(State::Reconnecting);
    qCDebug(lcSignalR) << "connection lost, reconnecting:" << reason;
    Q_EMIT reconnecting(reason);
    scheduleReconnect(reason);
}

void HubConnection::startStatefulReattach()
{
    qCInfo(lcSignalR) << "transport lost, re-attaching (stateful reconnect):" << m_lostReason;
    m_phase = Phase::Reattaching;
    m_reattachAttempts = 0;
    m_reattachTimer.start(m_options.statefulReconnectTimeoutMs);
    // The same connection token; a fresh access token if the provider has one.
    QUrl url = m_wsUrl;
    teardownSocket();
    if (m_options.accessTokenProvider) {
        QUrlQuery q(url);
        q.removeAllQueryItems(QStringLiteral("access_token"));
        const QString token = m_options.accessTokenProvider();
        if (!token.isEmpty())
            q.addQueryItem(QStringLiteral("access_token"), QString::fromLatin1(QUrl::toPercentEncoding(token)));
        url.setQuery(q);
    }
    m_wsUrl = url;
    QTimer::singleShot(0, this, [this, gen = m_generation] {
        if (m_phase == Phase::Reattaching && m_generation == gen && !m_socket)
            openWebSocket(m_wsUrl);
    });
}

void HubConnection::attemptFailed(const QString &error)
{
    qCDebug(lcSignalR) << "connect attempt failed:" << error; // the caller hears it: startFailed or the next retry
    teardownSocket();
    if (m_negotiation) {
        m_negotiation->abort();
        m_negotiation->deleteLater();
        m_negotiation = nullptr;
    }
    m_phase = Phase::Idle;
    if (m_stopping || m_state == State::Disconnecting) {
        finishClose(QString());
        return;
    }
    if (m_state == State::Connecting) {
        setState(State::Disconnected);
        Q_EMIT startFailed(error);
        return;
    }
    if (m_state == State::Reconnecting) {
        ++m_retryCount;
        scheduleReconnect(error);
    }
}

void HubConnection::scheduleReconnect(const QString &error)
{
    RetryContext c;
    c.previousRetryCount = m_retryCount;
    c.elapsedMs = m_lostAt.isValid() ? m_lostAt.elapsed() : 0;
    c.retryReason = error;
    const std::optional<int> delay = m_options.retryPolicy.nextDelayMs(c);
    if (!delay) {
        qCInfo(lcSignalR) << "giving up reconnecting after" << m_retryCount << "attempts";
        finishClose(error);
        return;
    }
    qCDebug(lcSignalR) << "reconnect attempt" << (m_retryCount + 1) << "in" << *delay << "ms";
    m_retryTimer.start(std::max(0, *delay));
}

void HubConnection::failAllPending(const QString &error)
{
    for (const QPointer<UploadStream> &u : std::exchange(m_uploads, {}))
        if (u)
            u->abandon(error);
    const auto pending = std::exchange(m_invocations, {});
    for (const Pending &p : pending) {
        delete p.timer;
        if (p.reply)
            p.reply->fail(error);
        if (p.stream)
            p.stream->fail(error);
    }
}

void HubConnection::finishClose(const QString &error)
{
    teardownSocket();
    m_retryTimer.stop();
    m_reattachTimer.stop();
    if (m_negotiation) {
        m_negotiation->abort();
        m_negotiation->deleteLater();
        m_negotiation = nullptr;
    }
    m_phase = Phase::Idle;
    m_stateful = false;
    m_replay.clear();
    m_replayBytes = 0;
    m_replayOverLimit = false;
    failAllPending(error.isEmpty() ? QStringLiteral("The connection was closed.") : error);
    const bool wasStarted = m_state != State::Disconnected;
    setState(State::Disconnected);
    m_stopping = false;
    if (wasStarted)
        Q_EMIT closed(error);
}

} // namespace signalr
