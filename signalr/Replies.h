#pragma once
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QString>
#include <memory>

namespace signalr {

class HubConnection;

// The answer to one invoke(). Signals are always emitted from the event loop,
// never from inside invoke(), so connecting right after invoke() is safe.
// The reply deletes itself (deleteLater) after done() unless setAutoDelete(false).
class InvocationReply : public QObject {
    Q_OBJECT
public:
    explicit InvocationReply(const QString &invocationId, QObject *parent = nullptr);

    QString invocationId() const { return m_id; }
    bool isFinished() const { return m_finished; }
    bool isError() const { return m_error.has_value(); }
    QJsonValue result() const { return m_result; }
    QString errorString() const { return m_error.value_or(QString()); }
    void setAutoDelete(bool on) { m_autoDelete = on; }

Q_SIGNALS:
    void finished(const QJsonValue &result);  // success (null for a void method)
    void errorOccurred(const QString &error); // hub error, timeout or lost connection
    void done();                              // after either

private:
    friend class HubConnection;
    void succeed(const QJsonValue &result);
    void fail(const QString &error);
    void finish();

    QString m_id;
    QJsonValue m_result;
    std::optional<QString> m_error;
    bool m_finished = false;
    bool m_autoDelete = true;
};

// A server-to-client stream started by stream(). Same lifetime rules as InvocationReply.
class StreamReply : public QObject {
    Q_OBJECT
public:
    StreamReply(HubConnection *connection, const QString &invocationId, QObject *parent = nullptr);

    QString invocationId() const { return m_id; }
    bool isFinished() const { return m_finished; }
    QString errorString() const { return m_error.value_or(QString()); }
    void setAutoDelete(bool on) { m_autoDelete = on; }
    // Asks the server to stop (CancelInvocation); the reply ends at once with done().
    void cancel();

Q_SIGNALS:
    void item(const QJsonValue &value);
    void completed(); // the server ended the stream
    void errorOccurred(const QString &error);
    void done(); // after completed, error or cancel

private:
    friend class HubConnection;
    void deliver(const QJsonValue &value);
    void complete();
    void fail(const QString &error);
    void finish();

    QPointer<HubConnection> m_connection;
    QString m_id;
    std::optional<QString> m_error;
    bool m_finished = false;
    bool m_autoDelete = true;
};

// How an on() handler answers a server invocation ("client result"), now or
// later. Copyable; the first answer wins. If every copy is dropped without an
// answer, the server gets an error Completion, so it is never left waiting.
// Safe to answer from any thread: the answer is sent on the connection's thread.
class ClientResult {
public:
    ClientResult() = default;
    // True when the server waits for an answer (the invocation had an invocationId).
    bool expectsResult() const;
    bool isAnswered() const;
    QString invocationId() const;

    void resolve(const QJsonValue &result) const;
    void resolveVoid() const;
    void reject(const QString &error) const;

private:
    friend class HubConnection;
    struct State;
    ClientResult(HubConnection *connection, const QString &invocationId, quint64 generation);
    std::shared_ptr<State> d;
};

} // namespace signalr
