#include "core/hub/OutgoingQueue.h"

#include <QtTest>

using namespace se;
using Kind = OutgoingMessage::Kind;

static OutgoingMessage msg(Kind kind, const QString &method, qint64 created = 0, const QString &key = {})
{
    OutgoingMessage m;
    m.kind = kind;
    m.method = method;
    m.key = key;
    m.created = created;
    m.arguments = QJsonArray{QString::number(created)};
    return m;
}

class TestOutgoingQueue : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void onlyTheNewestPicturePerWorkerWaits()
    {
        OutgoingQueue q;
        for (int i = 0; i < 100; ++i) {
            q.push(msg(Kind::Image, QStringLiteral("ReceiveImage"), i, QStringLiteral("a")));
            q.push(msg(Kind::Image, QStringLiteral("ReceiveImage"), 1000 + i, QStringLiteral("b")));
        }
        QCOMPARE(q.size(), 2);
        const auto first = q.pop();
        QCOMPARE(first->key, QStringLiteral("a")); // a was first in line
        QCOMPARE(first->created, 99);
        QCOMPARE(q.pop()->created, 1099);
        QVERIFY(!q.pop());
        QCOMPARE(q.droppedTotal().images, 198);
    }

    void onlyTheNewestMetricWaits()
    {
        OutgoingQueue q;
        q.push(msg(Kind::Metric, QStringLiteral("ReceiveMetric"), 1));
        q.push(msg(Kind::Metric, QStringLiteral("ReceiveMetric"), 2));
        QCOMPARE(q.size(), 1);
        QCOMPARE(q.pop()->created, 2);
    }

    void logsAndEventsAreBoundedAndTheDropsCounted()
    {
        OutgoingQueue q({10, 5});
        for (int i = 0; i < 25; ++i) {
            q.push(msg(Kind::WorkerEvent, QStringLiteral("ReceiveWorkerEvent"), i));
            q.push(msg(Kind::Log, QStringLiteral("ReceiveWorkerLog"), i));
        }
        QCOMPARE(q.size(), 15);
        const auto dropped = q.takeDropped();
        QCOMPARE(dropped.events, 15);
        QCOMPARE(dropped.logs, 20);
        QVERIFY(!q.takeDropped().any()); // reported once
        QCOMPARE(q.pop()->created, 15);  // the oldest kept
    }

    void controlGoesFirstThenEventsThenPicturesThenLogs()
    {
        OutgoingQueue q;
        q.push(msg(Kind::Log, QStringLiteral("log")));
        q.push(msg(Kind::Image, QStringLiteral("image"), 0, QStringLiteral("a")));
        q.push(msg(Kind::Metric, QStringLiteral("metric")));
        q.push(msg(Kind::WorkerEvent, QStringLiteral("event")));
        q.push(msg(Kind::Control, QStringLiteral("control")));
        QStringList order;
        while (auto m = q.pop())
            order << m->method;
        QCOMPARE(order, (QStringList{QStringLiteral("control"), QStringLiteral("event"), QStringLiteral("metric"),
                                     QStringLiteral("image"), QStringLiteral("log")}));
    }

    void eventsMadeBeforeASynchronisationAreStale()
    {
        OutgoingQueue q;
        for (int i = 0; i < 10; ++i)
            q.push(msg(Kind::WorkerEvent, QStringLiteral("ReceiveWorkerEvent"), i));
        q.push(msg(Kind::EngineEvent, QStringLiteral("ReceiveEngineEvent"), 3));
        q.push(msg(Kind::Log, QStringLiteral("ReceiveWorkerLog"), 2));
        q.dropWorkerEventsBefore(7);
        QList<qint64> events;
        QStringList methods;
        while (auto m = q.pop()) {
            methods << m->method;
            if (m->kind == Kind::WorkerEvent)
                events << m->created;
        }
        QCOMPARE(events, (QList<qint64>{7, 8, 9}));
        QVERIFY(methods.contains(QStringLiteral("ReceiveEngineEvent")));
        QVERIFY(methods.contains(QStringLiteral("ReceiveWorkerLog")));
    }
};

QTEST_GUILESS_MAIN(TestOutgoingQueue)
#include "tst_outgoingqueue.moc"
