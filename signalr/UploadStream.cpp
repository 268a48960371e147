#include "UploadStream.h"

#include "HubConnection.h"

namespace signalr {

UploadStream::UploadStream(HubConnection *connection, const QString &streamId)
    : QObject(connection), m_connection(connection), m_id(streamId)
{
}

UploadStream::~UploadStream()
{
    if (m_state == State::Bound && m_connection)
        m_connection->endUpload(m_id, QString());
}

bool UploadStream::write(const QJsonValue &item)
{
    switch (m_state) {
    case State::Unbound:
        if (m_waitingEnd)
            return false;
        m_waiting.append(item);
        return true;
    case State::Bound:
        if (!m_connection)
            return false;
        m_connection->writeUpload(m_id, item);
        return true;
    case State::Closed: return false;
    }
    return false;
}

void UploadStream::complete() { end(QString()); }

void UploadStream::fail(const QString &error) { end(error.isEmpty() ? QStringLiteral("The stream failed.") : error); }

void UploadStream::end(const QString &error)
{
    if (m_state == State::Unbound) {
        if (!m_waitingEnd)
            m_waitingEnd = error;
        return;
    }
    if (m_state != State::Bound)
        return;
    if (m_connection)
        m_connection->endUpload(m_id, error);
    close(error);
}

void UploadStream::bind()
{
    if (m_state != State::Unbound)
        return;
    m_state = State::Bound;
    for (const QJsonValue &item : std::exchange(m_waiting, {}))
        m_connection->writeUpload(m_id, item);
    if (m_waitingEnd)
        end(*m_waitingEnd);
}

void UploadStream::abandon(const QString &error)
{
    m_waiting.clear();
    close(error);
}

void UploadStream::close(const QString &error)
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_error = error;
    QMetaObject::invokeMethod(
        this, [this, error] { Q_EMIT closed(error); }, Qt::QueuedConnection);
}

} // namespace signalr
