#pragma once
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <optional>

namespace signalr {

class HubConnection;

// A client-to-server stream (the hub method takes a ChannelReader<T> or an
// IAsyncEnumerable<T>). Made by HubConnection::createUploadStream() and handed to
// one invoke(), send() or stream() call with that call's other arguments; then
// write() items and end it with complete() or fail(). Items written before the
// call is sent wait and follow it.
//
// It belongs to its connection (its QObject parent) and is used on that
// connection's thread: delete it when done, or let the connection do it.
// Deleting an open stream completes it.
class UploadStream : public QObject {
    Q_OBJECT
public:
    ~UploadStream() override;

    QString streamId() const { return m_id; }
    // Not yet completed, failed, ended with its call, or lost with the connection.
    bool isOpen() const { return m_state != State::Closed; }
    QString errorString() const { return m_error; }

    // Queues one item for the server. False (nothing sent) once closed.
    bool write(const QJsonValue &item);
    // Ends the stream normally; the hub method sees the end of its reader.
    void complete();
    // Ends the stream with an error; the hub method's reader throws it.
    void fail(const QString &error);

Q_SIGNALS:
    // Emitted once, from the event loop: error empty after complete(), else why
    // (fail(), the call could not be made, it ended, or the connection was lost).
    void closed(const QString &error);

private:
    friend class HubConnection;
    enum class State { Unbound, Bound, Closed };

    UploadStream(HubConnection *connection, const QString &streamId);
    // The call that carries it was sent: flush what waited.
    void bind();
    // Closed from the connection's side; nothing more goes to the server.
    void abandon(const QString &error);
    void end(const QString &error); // empty: completed
    void close(const QString &error);

    QPointer<HubConnection> m_connection;
    QString m_id;
    State m_state = State::Unbound;
    QList<QJsonValue> m_waiting;         // written before bind()
    std::optional<QString> m_waitingEnd; // complete() ("") or fail() before bind()
    QString m_error;
};

} // namespace signalr
