// Stateful reconnect's MessageBuffer on its own: numbering, acknowledgements
// both ways, the byte limit, and what a re-attach replays and drops.
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "signalr/HubProtocol.h"
#include "signalr/MessageBuffer.h"

using namespace signalr;

class TestMessageBuffer : public QObject {
    Q_OBJECT

    static QByteArray record(int i) { return HubProtocol::write(HubMessage::invocation(QString(), QStringLiteral("Sink"), {i})); }
    static qint64 sequenceOf(const QByteArray &record)
    {
        HubMessage m;
        QString error;
        if (HubProtocol::parse(QByteArrayView(record).chopped(1), &m, &error) != HubProtocol::ParseResult::Ok
            || m.type != MessageType::Sequence)
            return -1;
        return m.sequenceId;
    }

private Q_SLOTS:
    void sendsAreNumberedFromOne()
    {
        MessageBuffer b(1 << 20, 1000);
        QCOMPARE(b.nextSendSequenceId(), 1);
        QCOMPARE(b.replay().size(), 1); // the Sequence alone
        QCOMPARE(sequenceOf(b.replay().first()), 1);
        for (int i = 1; i <= 3; ++i)
            b.push(record(i));
        QCOMPARE(b.nextSendSequenceId(), 4);
        QCOMPARE(b.unacknowledgedCount(), 3);
        QCOMPARE(b.unacknowledgedBytes(), record(1).size() + record(2).size() + record(3).size());
        const QList<QByteArray> replay = b.replay();
        QCOMPARE(replay.size(), 4);
        QCOMPARE(sequenceOf(replay[0]), 1);
        QCOMPARE(replay.mid(1), (QList<QByteArray>{record(1), record(2), record(3)}));
    }

    void acksTrimTheReplay()
    {
        MessageBuffer b(1 << 20, 1000);
        for (int i = 1; i <= 3; ++i)
            b.push(record(i));
        b.acknowledge(2);
        QCOMPARE(b.unacknowledgedCount(), 1);
        QCOMPARE(b.unacknowledgedBytes(), record(3).size());
        QCOMPARE(b.replay(), (QList<QByteArray>{HubProtocol::write(HubMessage::sequence(3)), record(3)}));
        b.acknowledge(1); // an old one changes nothing
        QCOMPARE(b.unacknowledgedCount(), 1);
        b.acknowledge(99);
        QCOMPARE(b.unacknowledgedCount(), 0);
        QCOMPARE(b.unacknowledgedBytes(), 0);
        QCOMPARE(sequenceOf(b.replay().first()), 4); // the next one to be sent
        b.push(record(4));
        QCOMPARE(b.replay().size(), 2);
        QCOMPARE(sequenceOf(b.replay().first()), 4);
    }

    void overItsByteLimitItKeepsEverythingAndSaysSoOnce()
    {
        const qint64 size = record(1).size();
        MessageBuffer b(2 * size, 1000);
        b.push(record(1));
        b.push(record(2));
        QVERIFY(!b.isOverLimit());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("buffer holds %1 unacknowledged bytes").arg(3 * size)));
        b.push(record(3));
        QVERIFY(b.isOverLimit());
        QTest::failOnWarning(QRegularExpression(QStringLiteral("stateful reconnect buffer holds")));
        for (int i = 4; i <= 10; ++i)
            b.push(record(i));
        QCOMPARE(b.unacknowledgedCount(), 10); // nothing dropped
        b.acknowledge(7);
        QVERIFY(b.isOverLimit()); // 3 left
        b.acknowledge(9);
        QVERIFY(!b.isOverLimit());
        QCOMPARE(b.unacknowledgedBytes(), record(10).size());
    }

    void replayedDuplicatesAreDropped()
    {
        MessageBuffer b(1 << 20, 60000);
        for (int i = 1; i <= 3; ++i)
            QVERIFY(b.accept());
        QCOMPARE(b.lastReceivedSequenceId(), 3);
        // The peer re-attaches and replays from 2: 2 and 3 were had already.
        QVERIFY(b.resetReceiveSequence(2));
        QVERIFY(!b.accept());
        QVERIFY(!b.accept());
        QVERIFY(b.accept());
        QCOMPARE(b.lastReceivedSequenceId(), 4);
    }

    void aSequenceBeyondWhatWasReceivedIsRefused()
    {
        MessageBuffer b(1 << 20, 60000);
        QVERIFY(b.accept());
        QVERIFY(b.accept());
        QVERIFY(!b.resetReceiveSequence(4)); // 3 would be lost
        QVERIFY(b.resetReceiveSequence(3));  // nothing lost, nothing replayed
        QVERIFY(b.accept());
        QCOMPARE(b.lastReceivedSequenceId(), 3);
    }

    void acksAreSentAfterTheIntervalOrEverySoMany()
    {
        MessageBuffer timed(1 << 20, 20);
        QSignalSpy timedAcks(&timed, &MessageBuffer::ackDue);
        QVERIFY(timed.accept());
        QVERIFY(timed.accept());
        QVERIFY(timedAcks.isEmpty()); // not at once
        QVERIFY(timedAcks.wait(5000));
        QCOMPARE(timedAcks.size(), 1);
        QCOMPARE(timedAcks.first().first().toLongLong(), 2);

        MessageBuffer counted(1 << 20, 3600 * 1000);
        QSignalSpy countedAcks(&counted, &MessageBuffer::ackDue);
        for (qint64 i = 1; i < MessageBuffer::AckEvery; ++i)
            QVERIFY(counted.accept());
        QVERIFY(countedAcks.isEmpty());
        QVERIFY(counted.accept());
        QCOMPARE(countedAcks.size(), 1);
        QCOMPARE(countedAcks.first().first().toLongLong(), MessageBuffer::AckEvery);
    }

    void resetStartsAgain()
    {
        MessageBuffer b(1 << 20, 60000);
        b.push(record(1));
        QVERIFY(b.accept());
        b.reset();
        QCOMPARE(b.unacknowledgedCount(), 0);
        QCOMPARE(b.unacknowledgedBytes(), 0);
        QCOMPARE(b.nextSendSequenceId(), 1);
        QCOMPARE(b.lastReceivedSequenceId(), 0);
        QVERIFY(b.accept());
        QCOMPARE(b.lastReceivedSequenceId(), 1);
    }
};

QTEST_GUILESS_MAIN(TestMessageBuffer)
#include "tst_messagebuffer.moc"
