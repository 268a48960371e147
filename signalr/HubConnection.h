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
#include "HubConnectionOptions.h"
#include "HubProtocol.h"
#include "MessageBuffer.h"
#include "Replies.h"
#include "RetryPolicy.h"
#include "Transport.h"
#include "UploadStream.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <functional>
#include <optional>
#include <type_traits>

namespace signalr {

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

    void setState(State s);
    void beginAttempt();
    void onNegotiated(const QString &connectionId, bool statefulReconnect);
    void onTransportOpened();
    void onData(const QByteArray &data);
    void handleRecord(const QByteArray &record);
    void handleMessage(HubMessage &&m);
    void handleInvocation(const HubMessage &m);
    void attemptFailed(const QString &error);
    void transportLost(const QString &error, bool allowReconnect);
    void scheduleReconnect(const QString &error);
    void finishClose(const QString &error);
    void failAllPending(const QString &error);
    void closeLink();
    void dropTransport();
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
    void reattachSoon(int delayMs);
    QString nextInvocationId() { return QString::number(++m_invocationCounter); }
    void resetKeepAlive();
    void resetServerTimeout();

    HubConnectionOptions m_options;
    State m_state = State::Disconnected;
    Phase m_phase = Phase::Idle;
    Transport *m_transport = nullptr; // a child; one per connection, re-attaches included
    quint64 m_link = 0;               // the current link: bumps as one opens or closes
    RecordReader m_reader;
    QString m_connectionId;
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
    QTimer m_reattachTimer;
    QElapsedTimer m_lostAt;
    QElapsedTimer m_clock;
    qint64 m_lastSendMs = 0;
    qint64 m_lastReceiveMs = 0;
    QElapsedTimer m_openedAt;      // the current connection's handshake
    QSet<QString> m_unhandledTold; // methods with no handler, told once each
    int m_retryCount = 0;
    int m_reattachAttempts = 0;
    QString m_lostReason;
    bool m_closeReceived = false;
    bool m_stopping = false;

    bool m_stateful = false; // stateful reconnect, as negotiated
    MessageBuffer m_buffer;
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
    HubConnectionBuilder &withTransportFactory(std::function<std::unique_ptr<Transport>(const HubConnectionOptions &)> f)
    {
        o.transportFactory = std::move(f);
        return *this;
    }
    HubConnectionOptions options() const { return o; }
    HubConnection *build(QObject *parent = nullptr) const { return new HubConnection(o, parent); }

private:
    HubConnectionOptions o;
};

} // namespace signalr
