#include "MessageBuffer.h"

#include "HubProtocol.h"
#include "Logging.h"

namespace signalr {

MessageBuffer::MessageBuffer(qint64 maxBytes, int ackIntervalMs, QObject *parent)
    : QObject(parent), m_maxBytes(maxBytes), m_ackIntervalMs(ackIntervalMs)
{
    m_ackTimer.setSingleShot(true);
    connect(&m_ackTimer, &QTimer::timeout, this, [this] {
        if (m_lastProcessedSeq > m_lastAckedSent)
            sendAck();
    });
}

void MessageBuffer::reset()
{
    m_ackTimer.stop();
    m_records.clear();
    m_bytes = 0;
    m_overLimit = false;
    m_nextSendSeq = 1;
    m_nextRecvSeq = 1;
    m_lastProcessedSeq = 0;
    m_lastAckedSent = 0;
}

void MessageBuffer::push(const QByteArray &record)
{
    m_bytes += record.size();
    m_records.push_back({m_nextSendSeq++, record});
    if (m_bytes > m_maxBytes && !m_overLimit) {
        m_overLimit = true; // once per excursion, not at every message
        qCWarning(lcSignalR) << "stateful reconnect buffer holds" << m_bytes << "unacknowledged bytes, over its" << m_maxBytes;
    }
}

void MessageBuffer::acknowledge(qint64 sequenceId)
{
    while (!m_records.empty() && m_records.front().sequenceId <= sequenceId) {
        m_bytes -= m_records.front().bytes.size();
        m_records.pop_front();
    }
    if (m_overLimit && m_bytes <= m_maxBytes) {
        m_overLimit = false;
        qCInfo(lcSignalR) << "stateful reconnect buffer back to" << m_bytes << "unacknowledged bytes";
    }
}

QList<QByteArray> MessageBuffer::replay() const
{
    QList<QByteArray> out;
    out.reserve(qsizetype(m_records.size()) + 1);
    out.append(HubProtocol::write(HubMessage::sequence(m_records.empty() ? m_nextSendSeq : m_records.front().sequenceId)));
    for (const Record &r : m_records)
        out.append(r.bytes);
    return out;
}

bool MessageBuffer::accept()
{
    const qint64 id = m_nextRecvSeq++;
    if (id <= m_lastProcessedSeq)
        return false;
    m_lastProcessedSeq = id;
    if (m_lastProcessedSeq - m_lastAckedSent >= AckEvery)
        sendAck();
    else if (!m_ackTimer.isActive())
        m_ackTimer.start(m_ackIntervalMs);
    return true;
}

bool MessageBuffer::resetReceiveSequence(qint64 sequenceId)
{
    if (sequenceId > m_lastProcessedSeq + 1)
        return false;
    m_nextRecvSeq = sequenceId;
    return true;
}

void MessageBuffer::sendAck()
{
    m_lastAckedSent = m_lastProcessedSeq;
    Q_EMIT ackDue(m_lastProcessedSeq);
}

} // namespace signalr
