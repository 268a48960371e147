#include "Replies.h"

#include "HubConnection.h"

#include <atomic>

namespace signalr {

InvocationReply::InvocationReply(const QString &invocationId, QObject *parent) : QObject(parent), m_id(invocationId) {}

void InvocationReply::succeed(const QJsonValue &result)
{
    if (m_finished)
        return;
    m_result = result;
    m_finished = true;
    Q_EMIT finished(result);
    finish();
}

void InvocationReply::fail(const QString &error)
{
    if (m_finished)
        return;
    m_error = error;
    m_finished = true;
    Q_EMIT errorOccurred(error);
    finish();
}

void InvocationReply::finish()
{
    Q_EMIT done();
    if (m_autoDelete)
        deleteLater();
}

StreamReply::StreamReply(HubConnection *connection, const QString &invocationId, QObject *parent)
    : QObject(parent), m_connection(connection), m_id(invocationId)
{
}

void StreamReply::cancel()
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_connection)
        m_connection->cancelStream(m_id);
    finish();
}

void StreamReply::deliver(const QJsonValue &value)
{
    if (!m_finished)
        Q_EMIT item(value);
}

void StreamReply::complete()
{
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT completed();
    finish();
}

void StreamReply::fail(const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    Q_EMIT errorOccurred(error);
    finish();
}

void StreamReply::finish()
{
    Q_EMIT done();
    if (m_autoDelete)
        deleteLater();
}

struct ClientResult::State {
    QPointer<HubConnection> connection;
    QString invocationId;
    quint64 generation = 0;
    std::atomic<bool> answered{false};

    void post(const HubMessage &completion)
    {
        if (invocationId.isEmpty() || answered.exchange(true))
            return;
        QPointer<HubConnection> c = connection;
        if (!c)
            return;
        const QString id = invocationId;
        const quint64 gen = generation;
        QMetaObject::invokeMethod(c.data(), [c, id, gen, completion] {
            if (c)
                c->answer(id, gen, completion);
        });
    }

    ~State()
    {
        if (!invocationId.isEmpty() && !answered.load())
            post(HubMessage::completionError(invocationId, QStringLiteral("The client handler did not answer.")));
    }
};

ClientResult::ClientResult(HubConnection *connection, const QString &invocationId, quint64 generation) : d(std::make_shared<State>())
{
    d->connection = connection;
    d->invocationId = invocationId;
    d->generation = generation;
}

bool ClientResult::expectsResult() const { return d && !d->invocationId.isEmpty(); }
bool ClientResult::isAnswered() const { return d && d->answered.load(); }
QString ClientResult::invocationId() const { return d ? d->invocationId : QString(); }

void ClientResult::resolve(const QJsonValue &result) const
{
    if (d)
        d->post(HubMessage::completionResult(d->invocationId, result));
}

void ClientResult::resolveVoid() const
{
    if (d)
        d->post(HubMessage::completionVoid(d->invocationId));
}

void ClientResult::reject(const QString &error) const
{
    if (d)
        d->post(HubMessage::completionError(d->invocationId, error));
}

} // namespace signalr
