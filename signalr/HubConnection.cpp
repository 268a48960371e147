#include "HubConnection.h"

#include "Logging.h"
#include "WebSocketTransport.h"

#include <QMetaEnum>
#include <exception>
#include <utility>

namespace signalr {

HubConnection::HubConnection(HubConnectionOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_reader(m_options.maxRecordBytes),
      m_buffer(m_options.statefulReconnectBufferBytes, m_options.ackIntervalMs)
{
    m_keepAlive.setSingleShot(true);
    m_serverTimeout.setSingleShot(true);
    m_handshakeTimer.setSingleShot(true);
    m_retryTimer.setSingleShot(true);
    m_reattachTimer.setSingleShot(true);
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
    connect(&m_buffer, &MessageBuffer::ackDue, this, [this](qint64 sequenceId) { sendMessage(HubMessage::ack(sequenceId)); });
}

HubConnection::~HubConnection()
{
    m_stopping = true;
    m_phase = Phase::Idle;
    dropTransport();
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
    if (m_transport && (m_phase == Phase::Open || m_phase == Phase::Handshaking)) {
        setState(State::Disconnecting);
        failAllPending(QStringLiteral("The connection was stopped."));
        flush();
        if (m_transport) // the flush may have lost it
            m_transport->close();
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
    dropTransport();
    m_closeReceived = false;
    m_stateful = false;
    m_buffer.reset();
    m_connectionId.clear();
    std::unique_ptr<Transport> transport =
        m_options.transportFactory ? m_options.transportFactory(m_options) : std::make_unique<WebSocketTransport>(m_options);
    m_transport = transport.release();
    m_transport->setParent(this);
    connect(m_transport, &Transport::negotiated, this, &HubConnection::onNegotiated);
    connect(m_transport, &Transport::opened, this, &HubConnection::onTransportOpened);
    connect(m_transport, &Transport::received, this, &HubConnection::onData);
    connect(m_transport, &Transport::closed, this, [this](const QString &error) { transportLost(error, true); });
    connect(m_transport, &Transport::bytesWritten, this, &HubConnection::bytesWritten);
    m_phase = Phase::Negotiating;
    ++m_link;
    m_transport->start();
}

void HubConnection::onNegotiated(const QString &connectionId, bool statefulReconnect)
{
    if (m_phase != Phase::Negotiating)
        return;
    m_connectionId = connectionId;
    m_stateful = statefulReconnect;
    m_phase = Phase::Opening;
    m_handshakeTimer.start(m_options.handshakeTimeoutMs);
}

void HubConnection::onTransportOpened()
{
    if (m_phase == Phase::Reattaching) {
        // Same logical connection: no handshake; tell the server where our sequence
        // restarts, then replay what it has not acknowledged.
        m_reattachTimer.stop();
        m_phase = Phase::Open;
        const QList<QByteArray> replay = m_buffer.replay();
        qCInfo(lcSignalR) << "stateful reconnect: re-attached; replaying" << (replay.size() - 1) << "messages";
        // A write can lose the link (and a full reconnect clear the buffer):
        // replay only while the link is this one.
        const quint64 link = m_link;
        for (qsizetype i = 0; i < replay.size() && m_link == link; ++i)
            writeRaw(replay[i]);
        if (m_link == link)
            resetServerTimeout();
        return;
    }
    if (m_phase != Phase::Opening)
        return;
    m_phase = Phase::Handshaking;
    writeRaw(HubProtocol::handshakeRequest(m_stateful ? 2 : 1));
}

void HubConnection::onData(const QByteArray &data)
{
    resetServerTimeout();
    m_reader.append(data);
    QPointer<HubConnection> self(this);
    const quint64 link = m_link;
    while (self && m_link == link) {
        std::optional<QByteArray> record = m_reader.next();
        if (!record)
            break;
        handleRecord(*record);
    }
    if (self && m_link == link && m_reader.overflowed())
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
    if (m_stateful && m.isTrackable() && !m_buffer.accept())
        return; // replayed duplicate
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
    case MessageType::Ack: m_buffer.acknowledge(m.sequenceId); return;
    case MessageType::Sequence:
        if (!m_buffer.resetReceiveSequence(m.sequenceId))
            transportLost(QStringLiteral("Protocol error: Sequence %1 beyond the %2 messages received.")
                              .arg(m.sequenceId)
                              .arg(m_buffer.lastReceivedSequenceId()),
                          true);
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
    const QByteArray record = HubProtocol::write(m);
    if (m_stateful && m.isTrackable())
        m_buffer.push(record);
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
    if (!m_transport)
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
    if (!m_transport || m_outBuffer.isEmpty())
        return;
    sendFrame(std::exchange(m_outBuffer, QByteArray()));
}

void HubConnection::sendFrame(const QByteArray &records) { m_transport->send(records); }

qint64 HubConnection::bufferedBytes() const { return m_outBuffer.size() + (m_transport ? m_transport->bufferedBytes() : 0); }

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

// The link goes, its timers and what was gathered for it with it; the transport
// stays for a re-attach.
void HubConnection::closeLink()
{
    m_keepAlive.stop();
    m_serverTimeout.stop();
    m_handshakeTimer.stop();
    m_buffer.pauseAcks();
    ++m_link;
    if (m_transport)
        m_transport->abort();
    m_outBuffer.clear();
    m_reader.clear();
}

void HubConnection::dropTransport()
{
    if (Transport *t = std::exchange(m_transport, nullptr)) {
        t->disconnect(this);
        t->abort();
        t->deleteLater();
    }
    closeLink();
}

void HubConnection::reattachSoon(int delayMs)
{
    QTimer::singleShot(delayMs, this, [this, gen = m_generation, link = m_link] {
        if (m_phase == Phase::Reattaching && m_generation == gen && m_link == link && m_transport) {
            ++m_link;
            m_transport->reattach();
        }
    });
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
            closeLink();
            const int delay = std::min(250, 10 << std::min(m_reattachAttempts++, 5));
            qCDebug(lcSignalR) << "stateful re-attach failed:" << error << "; again in" << delay << "ms";
            reattachSoon(delay);
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
    dropTransport();
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
    closeLink();
    reattachSoon(0);
}

void HubConnection::attemptFailed(const QString &error)
{
    qCDebug(lcSignalR) << "connect attempt failed:" << error; // the caller hears it: startFailed or the next retry
    dropTransport();
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
    dropTransport();
    m_retryTimer.stop();
    m_reattachTimer.stop();
    m_phase = Phase::Idle;
    m_stateful = false;
    m_buffer.reset();
    failAllPending(error.isEmpty() ? QStringLiteral("The connection was closed.") : error);
    const bool wasStarted = m_state != State::Disconnected;
    setState(State::Disconnected);
    m_stopping = false;
    if (wasStarted)
        Q_EMIT closed(error);
}

} // namespace signalr
