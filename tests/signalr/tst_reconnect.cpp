// HubConnection's reconnect and stateful re-attach, driven over a FakeTransport:
// the test plays the server, drops the link when it likes, and reads every
// record the client sent.
#include "FakeTransport.h"
#include "TestUtil.h"

#include <memory>

using namespace signalr;

class TestReconnect : public QObject {
    Q_OBJECT

    FakeTransports m_fakes;

    std::unique_ptr<HubConnection> make(HubConnectionOptions o)
    {
        o.url = QUrl(QStringLiteral("http://fake.invalid/hub"));
        o.transportFactory = m_fakes.factory();
        return std::make_unique<HubConnection>(o);
    }
    static HubConnectionOptions withRetry(bool stateful = false)
    {
        HubConnectionOptions o;
        o.retryPolicy = RetryPolicy::delays({0, 0});
        o.statefulReconnect = stateful;
        return o;
    }
    // Negotiate, open and answer the handshake on the newest transport.
    static void accept(FakeTransport *t, const QString &connectionId, bool stateful)
    {
        t->negotiate(connectionId, stateful);
        t->open(true);
        t->deliverRaw("{}\x1e");
    }
    static QList<int> sinkValues(const QList<HubMessage> &sent)
    {
        QList<int> values;
        for (const HubMessage &m : sent)
            if (m.type == MessageType::Invocation && m.target == QLatin1String("Sink"))
                values.append(m.arguments.at(0).toInt());
        return values;
    }

private Q_SLOTS:
    void init() { m_fakes.made.clear(); }

    void aDroppedLinkReconnectsPerThePolicy()
    {
        auto c = make(withRetry());
        QSignalSpy connected(c.get(), &HubConnection::connected);
        QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
        QSignalSpy reconnected(c.get(), &HubConnection::reconnected);
        c->start();
        QCOMPARE(m_fakes.made.size(), 1);
        QCOMPARE(m_fakes.last()->starts, 1);
        accept(m_fakes.last(), QStringLiteral("first"), false);
        QCOMPARE(connected.size(), 1);
        QCOMPARE(m_fakes.last()->handshakeVersion, 1);
        QCOMPARE(c->connectionId(), QStringLiteral("first"));

        m_fakes.last()->drop(QStringLiteral("cable cut"));
        QCOMPARE(reconnecting.size(), 1);
        QVERIFY2(reconnecting.first().first().toString().contains("cable cut"), qPrintable(reconnecting.first().first().toString()));
        QCOMPARE(c->state(), HubConnection::State::Reconnecting);
        QTRY_COMPARE(m_fakes.made.size(), 2); // a new connection, not a re-attach
        QCOMPARE(m_fakes.made.first(), nullptr);
        QCOMPARE(m_fakes.last()->starts, 1);
        accept(m_fakes.last(), QStringLiteral("second"), false);
        QCOMPARE(reconnected.size(), 1);
        QCOMPARE(reconnected.first().first().toString(), QStringLiteral("second"));
        QCOMPARE(c->state(), HubConnection::State::Connected);
        QVERIFY(c->send(QStringLiteral("Sink"), {1}));
        QTRY_COMPARE(sinkValues(m_fakes.last()->sent), QList<int>{1});
        QCOMPARE(connected.size(), 1);
    }

    void aFailedAttemptTriesAgainThenGivesUp()
    {
        auto c = make(withRetry()); // two retries
        QSignalSpy closed(c.get(), &HubConnection::closed);
        c->start();
        accept(m_fakes.last(), QStringLiteral("first"), false);
        m_fakes.last()->drop();
        QTRY_COMPARE(m_fakes.made.size(), 2);
        m_fakes.last()->drop(QStringLiteral("Negotiate failed: HTTP 503"));
        QTRY_COMPARE(m_fakes.made.size(), 3);
        m_fakes.last()->drop(QStringLiteral("Negotiate failed: HTTP 503"));
        QTRY_COMPARE(closed.size(), 1);
        QCOMPARE(closed.first().first().toString(), QStringLiteral("Negotiate failed: HTTP 503"));
        QCOMPARE(c->state(), HubConnection::State::Disconnected);
        QCOMPARE(m_fakes.made.size(), 3);
    }

    void pendingInvocationsFailWhenTheLinkIsLost()
    {
        auto c = make(withRetry());
        c->start();
        accept(m_fakes.last(), QStringLiteral("first"), false);
        InvocationReply *call = c->invoke(QStringLiteral("Slow"));
        StreamReply *stream = c->stream(QStringLiteral("Counter"));
        UploadStream *upload = c->createUploadStream();
        c->send(QStringLiteral("Upload"), {}, {upload});
        QSignalSpy callFailed(call, &InvocationReply::errorOccurred);
        QSignalSpy streamFailed(stream, &StreamReply::errorOccurred);
        QSignalSpy uploadClosed(upload, &UploadStream::closed);
        QCOMPARE(c->pendingInvocations(), 2);
        m_fakes.last()->drop(QStringLiteral("cable cut"));
        QCOMPARE(callFailed.size(), 1); // at once, not at the reconnect
        QVERIFY2(callFailed.first().first().toString().contains("lost"), qPrintable(callFailed.first().first().toString()));
        QCOMPARE(streamFailed.size(), 1);
        QTRY_COMPARE(uploadClosed.size(), 1);
        QCOMPARE(c->pendingInvocations(), 0);

        // Without a retry policy the loss is final.
        auto once = make(HubConnectionOptions());
        QSignalSpy closed(once.get(), &HubConnection::closed);
        once->start();
        accept(m_fakes.last(), QStringLiteral("once"), false);
        QSignalSpy lastFailed(once->invoke(QStringLiteral("Slow")), &InvocationReply::errorOccurred);
        m_fakes.last()->drop(QStringLiteral("cable cut"));
        QCOMPARE(lastFailed.size(), 1);
        QCOMPARE(closed.size(), 1);
        QCOMPARE(closed.first().first().toString(), QStringLiteral("cable cut"));
        QCOMPARE(once->state(), HubConnection::State::Disconnected);
    }

    void aStatefulReattachReplaysWithNothingLostOrTwice()
    {
        HubConnectionOptions o = withRetry(true);
        o.ackIntervalMs = 10;
        auto c = make(o);
        QList<int> ticks;
        c->on(QStringLiteral("Tick"), [&](const QJsonArray &a) { ticks.append(a.at(0).toInt()); });
        QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
        QSignalSpy reconnected(c.get(), &HubConnection::reconnected);
        c->start();
        FakeTransport *t = m_fakes.last();
        accept(t, QStringLiteral("only"), true);
        QVERIFY(c->isStatefulReconnectActive());
        QCOMPARE(t->handshakeVersion, 2);

        // Server to client: 3 ticks, which the client acknowledges.
        for (int i = 1; i <= 3; ++i)
            t->deliver(HubMessage::invocation(QString(), QStringLiteral("Tick"), {i}));
        QTRY_VERIFY(std::any_of(t->sent.cbegin(), t->sent.cend(),
                                [](const HubMessage &m) { return m.type == MessageType::Ack && m.sequenceId == 3; }));
        // Client to server: 5, of which the server acknowledges 2.
        for (int i = 1; i <= 5; ++i)
            QVERIFY(c->send(QStringLiteral("Sink"), {i}));
        QTRY_COMPARE(sinkValues(t->sent).size(), 5);
        t->deliver(HubMessage::ack(2));

        t->drop(QStringLiteral("cable cut"));
        QCOMPARE(c->state(), HubConnection::State::Connected); // transparently
        for (int i = 6; i <= 8; ++i)                           // while the link is down: kept for the replay
            QVERIFY(c->send(QStringLiteral("Sink"), {i}));
        QTRY_COMPARE(t->reattaches, 1);
        QCOMPARE(m_fakes.made.size(), 1); // the same connection
        t->open(false);
        // Sequence 3, then 3..8: what the server has not acknowledged, in order, once.
        QTRY_COMPARE(sinkValues(t->sentNow), (QList<int>{3, 4, 5, 6, 7, 8}));
        QVERIFY(!t->sentNow.isEmpty());
        QCOMPARE(t->sentNow.first().type, MessageType::Sequence);
        QCOMPARE(t->sentNow.first().sequenceId, 3);
        QCOMPARE(std::count_if(t->sentNow.cbegin(), t->sentNow.cend(), [](const HubMessage &m) { return m.type == MessageType::Sequence; }),
                 1);

        // The server replays from 2 (it missed the client's Ack for 3): 2 and 3 are dropped.
        t->deliver(HubMessage::sequence(2));
        for (int i = 2; i <= 5; ++i)
            t->deliver(HubMessage::invocation(QString(), QStringLiteral("Tick"), {i}));
        QCOMPARE(ticks, (QList<int>{1, 2, 3, 4, 5}));
        QCOMPARE(reconnecting.size(), 0);
        QCOMPARE(reconnected.size(), 0);
        QCOMPARE(c->connectionId(), QStringLiteral("only"));
    }

    void aReattachThatFailsFallsBackToAFullReconnect()
    {
        HubConnectionOptions o = withRetry(true);
        o.statefulReconnectTimeoutMs = 300;
        auto c = make(o);
        QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
        QSignalSpy reconnected(c.get(), &HubConnection::reconnected);
        c->start();
        FakeTransport *t = m_fakes.last();
        accept(t, QStringLiteral("first"), true);
        InvocationReply *call = c->invoke(QStringLiteral("Slow"));
        QSignalSpy callFailed(call, &InvocationReply::errorOccurred);

        t->drop(QStringLiteral("cable cut"));
        QTRY_COMPARE(t->reattaches, 1);
        t->drop(QStringLiteral("HTTP 409")); // the server has not yet let go of the old link
        QTRY_COMPARE(t->reattaches, 2);      // tried again, within the window
        QCOMPARE(callFailed.size(), 0);
        QCOMPARE(reconnecting.size(), 0);
        // No link opens within the window: a full reconnect, said with the first reason.
        QTRY_COMPARE(reconnecting.size(), 1);
        QVERIFY2(reconnecting.first().first().toString().contains("cable cut"), qPrintable(reconnecting.first().first().toString()));
        QCOMPARE(callFailed.size(), 1);
        QTRY_COMPARE(m_fakes.made.size(), 2);
        QCOMPARE(m_fakes.last()->starts, 1);
        accept(m_fakes.last(), QStringLiteral("second"), true);
        QCOMPARE(reconnected.size(), 1);
        QCOMPARE(c->connectionId(), QStringLiteral("second"));
        QVERIFY(c->send(QStringLiteral("Sink"), {1}));
        QTRY_COMPARE(sinkValues(m_fakes.last()->sent), QList<int>{1}); // nothing of the old connection replayed
    }

    void stopClosesTheTransport()
    {
        auto c = make(withRetry());
        QSignalSpy closed(c.get(), &HubConnection::closed);
        c->start();
        accept(m_fakes.last(), QStringLiteral("first"), false);
        c->stop();
        QCOMPARE(c->state(), HubConnection::State::Disconnecting);
        QCOMPARE(m_fakes.last()->closes, 1);
        QTRY_COMPARE(closed.size(), 1);
        QCOMPARE(closed.first().first().toString(), QString());
        QCOMPARE(m_fakes.made.size(), 1); // no reconnect after stop()
    }
};

QTEST_GUILESS_MAIN(TestReconnect)
#include "tst_reconnect.moc"
