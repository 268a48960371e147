#pragma once
// Stateful reconnect's bookkeeping, both ways, with no network: the records
// sent and not yet acknowledged (numbered from 1, kept for replay), and the
// count of records received (to drop what the peer replays twice and to
// acknowledge what was processed).
#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <deque>

namespace signalr {

class MessageBuffer : public QObject {
    Q_OBJECT
public:
    // Over maxBytes unacknowledged, records are still kept (none may be lost)
    // and it is said once per excursion. An Ack is due ackIntervalMs after a
    // record arrived, or at once every AckEvery records.
    static constexpr qint64 AckEvery = 64;
    explicit MessageBuffer(qint64 maxBytes, int ackIntervalMs, QObject *parent = nullptr);

    // A new connection: numbering starts again at 1 both ways, nothing is kept.
    void reset();

    // Sending: a trackable record as it leaves (or waits for a re-attach).
    void push(const QByteArray &record);
    // The peer's Ack: records up to sequenceId need no replay.
    void acknowledge(qint64 sequenceId);
    // What a re-attached link sends first: a Sequence record naming the first
    // unacknowledged record, then those records.
    QList<QByteArray> replay() const;

    // Receiving: a trackable record arrived. False: a replayed duplicate, to be dropped.
    bool accept();
    // The peer's Sequence after a re-attach: what it sends next is numbered
    // sequenceId. False when that is beyond what was received (a protocol error).
    bool resetReceiveSequence(qint64 sequenceId);
    // The link is down: no Ack until records arrive again.
    void pauseAcks() { m_ackTimer.stop(); }

    qint64 unacknowledgedBytes() const { return m_bytes; }
    qsizetype unacknowledgedCount() const { return qsizetype(m_records.size()); }
    bool isOverLimit() const { return m_overLimit; }
    qint64 nextSendSequenceId() const { return m_nextSendSeq; }
    qint64 lastReceivedSequenceId() const { return m_lastProcessedSeq; }

Q_SIGNALS:
    // Send an Ack for sequenceId now.
    void ackDue(qint64 sequenceId);

private:
    struct Record {
        qint64 sequenceId;
        QByteArray bytes;
    };
    void sendAck();

    const qint64 m_maxBytes;
    const int m_ackIntervalMs;
    QTimer m_ackTimer;
    std::deque<Record> m_records;
    qint64 m_bytes = 0;
    bool m_overLimit = false;
    qint64 m_nextSendSeq = 1;
    qint64 m_nextRecvSeq = 1;
    qint64 m_lastProcessedSeq = 0;
    qint64 m_lastAckedSent = 0;
};

} // namespace signalr
