#pragma once
// A SignalR client: JSON hub protocol over QWebSocket (ws:// and wss://).
//
//   auto *hub = signalr::HubConnectionBuilder().withUrl(url).withAutomaticReconnect().build(this);
//   hub->on("Notify", [](const QJsonArray &args) { ... });                 // no answer
//   hub->on("Compute", [](const QJsonArray &args, signalr::ClientResult r) // client result,
//           { QTimer::singleShot(300, [r] { r.resolve(42); }); });         //  now or later
//   connect(hub, &signalr::HubConnection::connected, ...);
//   hub->start();
//   auto *reply = hub->invoke("Add", {1, 2});
//   connect(reply, &signalr::InvocationReply::finished, ...);
//
// Everything is asynchronous; nothing blocks or spins an event loop.
#include "HubProtocol.h"
#include "Replies.h"
#include "RetryPolicy.h"
#include "UploadStream.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>
#include <deque>
#include <functional>
#include <optional>
#include <type_traits>

class QWebSocket;

namespace signalr {

class HttpPost;

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
};

class HubConnection : public QObject {
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting, Disconnecting };
    Q_ENUM(State)

    using Handler = std::function<void(const QJsonArray &arguments)>;
    using ResultHandler = std::function<void(const QJsonArray &arguments, ClientResult result)>;

    explicit HubConnection(HubConnectionOptions options, QObject *parent = nullptr);
    ~HubConnection() override;

    const HubConnectionOptions &options() const { return m_options; }
    State state() const { return m_state; }
    QString connectionId() const { return m_connectionId; }
    bool isStatefulReconnectActive() const { return m_stateful; }

    // Connects (negotiate, WebSocket, handshake). Emits connected() or startFailed(error).
    void start();
    // Closes; pending invocations fail; emits closed("") once Disconnected.
    void stop();

    // Hub method returning a result. timeoutMs > 0 fails the reply after that long
    // (and sends CancelInvocation). Never null.
    InvocationReply *invoke(const QString &method, const QJsonArray &args = {}, int timeoutMs = 0);
    // Fire and forget (no invocationId). False when not connected (nothing sent).
    bool send(const QString &method, const QJsonArray &args = {});
    // The same with the arguments already written as a JSON array (`[...]`), as
    // the caller vouches: for what goes to many hubs, written once.
    bool sendEncoded(const QString &method, const QByteArray &argumentsJson);
    // Server-to-client stream. Never null.
    StreamReply *stream(const QString &method, const QJsonArray &args = {});

    // Client-to-server streams: the same calls with upload streams, which follow
    // args as the hub method's stream parameters. A stream serves one call; an
    // invalid one (null, another connection's, already used) fails the call and
    // is left as it was; when not connected, the call fails and closes them.
    UploadStream *createUploadStream();
    InvocationReply *invoke(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads, int timeoutMs = 0);
    bool send(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads);
    StreamReply *stream(const QString &method, const QJsonArray &args, const QList<UploadStream *> &uploads);

    // Handlers for server invocations; one per method, the last on() wins.
    // Accepted shapes: void(const QJsonArray&), void(const QJsonArray&, ClientResult),
    // and QJsonValue(const QJsonArray&) (answered at once with the returned value).
    // A handler that throws answers with an error; an invocation of a method with
    // no handler is answered with an error when the server waits for a result.
    void onInvocation(const QString &method, ResultHandler handler);
    template <typename F>
    void on(const QString &method, F &&f)
    {
        if constexpr (std::is_invocable_v<F, const QJsonArray &, ClientResult>) {
            onInvocation(method, ResultHandler(std::forward<F>(f)));
        } else if constexpr (std::is_convertible_v<std::invoke_result_t<F, const QJsonArray &>, QJsonValue>) {
            onInvocation(method, [f = std::forward<F>(f)](const QJsonArray &a, ClientResult r) { r.resolve(f(a)); });
        } else {
            onInvocation(method, [f = std::forward<F>(f)](const QJsonArray &a, ClientResult r) {
                f(a);
                r.resolve(QJsonValue()); // a waiting server gets null
            });
        }
    }
    void off(const QString &method);

    // Bytes handed to the socket and not yet written: lets the layer above bound its queue.
    qint64 bufferedBytes() const;
    int pendingInvocations() const { return int(m_invocations.size()); }

    // Test hook: drops the transport as a network failure would (no close handshake).
    void abortTransport();

Q_SIGNALS:
    void stateChanged(signalr::HubConnection::State state);
    void connected();                              // start() succeeded
    void startFailed(const QString &error);        // start() failed (state back to Disconnected)
    void reconnecting(const QString &error);       // lost; retrying per the policy
    void reconnected(const QString &connectionId); // back, with a new connection id
    void closed(const QString &error);             // final; empty error after stop()
    void bytesWritten(qint64 bytes);               // socket wrote; bufferedBytes() went down

private:
    friend class ClientResult;
    friend class StreamReply;
    friend class UploadStream;

    enum class Phase { Idle, Negotiating, Opening, Handshaking, Open, Reattaching };
    struct Pending {
        QPointer<InvocationReply> reply;
        QPointer<StreamReply> stream;
        QTimer *timer = nullptr;
        QStringList uploads; // stream ids sent with the call
    };
    struct Buffered {
        qint64 sequenceId;
        QByteArray record;
    };

    void setState(State s);
    void beginAttempt();
    void negotiate(const QUrl &url, int redirects);
    void post(const QUrl &url, const QUrl &base, int redirects);
    void openWebSocket(const QUrl &url);
    void onSocketConnected();
    void onSocketDisconnected();
    void onText(const QString &text);
    void onBinary(const QByteArray &data);
    void onData(QByteArrayView data);
    void handleRecord(const QByteArray &record);
    void handleMessage(HubMessage &&m);
    void handleInvocation(const HubMessage &m);
    void attemptFailed(const QString &error);
    void transportLost(const QString &error, bool allowReconnect);
    void scheduleReconnect(const QString &error);
    void finishClose(const QString &error);
    void failAllPending(const QString &error);
    void teardownSocket();
    void sendMessage(const HubMessage &m);
    void writeRaw(const QByteArray &record, bool urgent = false);
    void flush();
    void sendFrame(const QByteArray &records);
    void answer(const QString &invocationId, quint64 generation, const HubMessage &completion);
    void cancelStream(const QString &invocationId);
    QString refusal(const QString &call, const QList<UploadStream *> &uploads);
    void sendCall(HubMessage call, const QList<UploadStream *> &uploads, Pending *pending);
    bool checkUploads(const QList<UploadStream *> &uploads, QString *error) const;
    void closeUploads(const QList<UploadStream *> &uploads, const QString &error);
    QStringList bindUploads(const QList<UploadStream *> &uploads);
    void endUploadsOf(const Pending &call);
    void writeUpload(const QString &streamId, const QJsonValue &item);
    void endUpload(const QString &streamId, const QString &error); // empty: completed
    void finishPending(const QString &id);
    void startStatefulReattach();
    void onAck(qint64 sequenceId);
    void trimBuffer();
    QString nextInvocationId() { return QString::number(++m_invocationCounter); }
    QUrl webSocketUrl(const QUrl &base) const;
    void resetKeepAlive();
    void resetServerTimeout();
    void checkWriteProgress();

    HubConnectionOptions m_options;
    State m_state = State::Disconnected;
    Phase m_phase = Phase::Idle;
    QPointer<HttpPost> m_negotiation;
    QWebSocket *m_socket = nullptr;
    RecordReader m_reader;
    QString m_connectionId;
    QString m_connectionToken;
    QString m_accessToken;
    QUrl m_wsUrl;             // the WebSocket URL of this connection (for a stateful re-attach)
    quint64 m_generation = 0; // bumps with every new connection (not with a re-attach)
    quint64 m_invocationCounter = 0;
    QHash<QString, Pending> m_invocations;
    QHash<QString, ResultHandler> m_handlers;
    QHash<QString, QPointer<UploadStream>> m_uploads; // bound and open
    QByteArray m_outBuffer;
    bool m_flushScheduled = false;

    QTimer m_keepAlive;
    QTimer m_serverTimeout;
    QTimer m_handshakeTimer;
    QTimer m_retryTimer;
    QTimer m_ackTimer;
    QTimer m_reattachTimer;
    QTimer m_writeWatch;
    QElapsedTimer m_lostAt;
    QElapsedTimer m_clock;
    qint64 m_lastSendMs = 0;
    qint64 m_lastReceiveMs = 0;
    qint64 m_lastWriteProgressMs = 0;
    qint64 m_lastBytesToWrite = 0;
    QElapsedTimer m_openedAt;      // the current connection's handshake
    QSet<QString> m_unhandledTold; // methods with no handler, told once each
    int m_retryCount = 0;
    int m_reattachAttempts = 0;
    QString m_lostReason;
    bool m_closeReceived = false;
    bool m_stopping = false;

    // Stateful reconnect.
    bool m_stateful = false;
    qint64 m_nextSendSeq = 1;
    qint64 m_nextRecvSeq = 1;
    qint64 m_lastProcessedSeq = 0;
    qint64 m_lastAckedSent = 0;
    std::deque<Buffered> m_replay;
    qint64 m_replayBytes = 0;
    bool m_replayOverLimit = false;
};

// Fluent construction, shaped like the official clients' builders.
class HubConnectionBuilder {
public:
    HubConnectionBuilder &withUrl(const QUrl &url)
    {
        o.url = url;
        return *this;
    }
    HubConnectionBuilder &withAccessTokenProvider(std::function<QString()> f)
    {
        o.accessTokenProvider = std::move(f);
        return *this;
    }
    HubConnectionBuilder &withHeader(const QByteArray &name, const QByteArray &value)
    {
        o.headers.append({name, value});
        return *this;
    }
    HubConnectionBuilder &skipNegotiation(bool on = true)
    {
        o.skipNegotiation = on;
        return *this;
    }
    HubConnectionBuilder &withAutomaticReconnect(RetryPolicy p = RetryPolicy::defaultPolicy())
    {
        o.retryPolicy = std::move(p);
        return *this;
    }
    HubConnectionBuilder &withKeepAliveInterval(int ms)
    {
        o.keepAliveIntervalMs = ms;
        return *this;
    }
    HubConnectionBuilder &withServerTimeout(int ms)
    {
        o.serverTimeoutMs = ms;
        return *this;
    }
    HubConnectionBuilder &withHandshakeTimeout(int ms)
    {
        o.handshakeTimeoutMs = ms;
        return *this;
    }
    HubConnectionBuilder &withStatefulReconnect(bool on = true)
    {
        o.statefulReconnect = on;
        return *this;
    }
    HubConnectionBuilder &withSslConfiguration(const QSslConfiguration &c)
    {
        o.sslConfiguration = c;
        return *this;
    }
    HubConnectionOptions options() const { return o; }
    HubConnection *build(QObject *parent = nullptr) const { return new HubConnection(o, parent); }

private:
    HubConnectionOptions o;
};

} // namespace signalr
