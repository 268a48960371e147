// The real streamengine process against a real ASP.NET Core hub shaped like
// StreamHub (C# DTOs with `required` members: a message that lacks a field of
// the contract is refused by the hub's own deserializer and never recorded).
#include "VerifyResult.h"
#include "HubMessages.h"
#include "StreamHubClient.h"

#include "core/store/Store.h"

#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

namespace {
bool resultOk(const QJsonObject &invoked) { return invoked[QStringLiteral("ok")].toBool() && invoked[QStringLiteral("result")][QStringLiteral("success")].toBool(); }
QString resultMessage(const QJsonObject &invoked) { return invoked[QStringLiteral("result")][QStringLiteral("message")].toString(); }

QSet<QString> ids(const QJsonArray &workers)
{
    QSet<QString> out;
    for (const QJsonValue &w : workers)
        out.insert(w[QStringLiteral("workerId")].toString());
    return out;
}

// A stopped FakeStreamer worker, as a test writes it into an engine's database
// before the engine starts.
se::WorkerConfig storedWorker(const QString &id, const QString &command)
{
    se::WorkerConfig w;
    w.id = id;
    w.command = command;
    w.streamerType = QStringLiteral("FakeStreamer");
    w.enabled = false;
    return w;
}

qint64 rssKb(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    f.open(QIODevice::ReadOnly);
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}
} // namespace

class TestStreamHub : public QObject {
    Q_OBJECT
    std::unique_ptr<TestHubProcess> m_hub;

    void startHub(int port = 0)
    {
        m_hub = std::make_unique<TestHubProcess>();
        QVERIFY2(m_hub->start(port), qPrintable(m_hub->errorString()));
    }
    QString hubUrl() const { return m_hub->url(QStringLiteral("/streamhub")).toString(); }

private Q_SLOTS:
    void init() { SE_REQUIRE_TESTHUB_OR_SKIP(); }
    void cleanup() { m_hub.reset(); }

    void registersSynchronisesAndStreamsEveryKindOfMessage()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {QStringLiteral("--demo"), QStringLiteral("--hub"), hubUrl()});
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 1, 60000);
        const QString engineId = hub.engines().first();

        const auto registration = hub.received(QStringLiteral("RegisterEngineConnection"));
        QCOMPARE(registration.size(), 1);
        const QJsonValue info = registration[0].payload;
        QCOMPARE(info[QStringLiteral("engineId")].toString(), engineId);
        QVERIFY(info[QStringLiteral("streamers")].toArray().contains(QStringLiteral("FakeStreamer")));
        QCOMPARE(info[QStringLiteral("hubUrls")].toArray().size(), 1);

        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 10000);
        const QJsonValue sync = hub.received(QStringLiteral("SynchronizeWorkers"))[0].payload;
        QCOMPARE(sync[QStringLiteral("engineId")].toString(), engineId);
        QCOMPARE(ids(sync[QStringLiteral("workers")].toArray()), ids(ctlJson(dir.path(), {QStringLiteral("list")})[QStringLiteral("data")].toArray()));
        QVERIFY(!hub.received(QStringLiteral("ReceiveEngineSystemInfo")).isEmpty());

        // Then the stream: state changes, pictures, logs, metrics.
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveImage")).isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveWorkerEvent")).isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveWorkerLog")).isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveMetric")).isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveEngineLog")).isEmpty(), 10000);

        const QJsonValue image = hub.received(QStringLiteral("ReceiveImage")).last().payload;
        const QByteArray jpeg = QByteArray::fromBase64(image[QStringLiteral("imageBytes")].toString().toLatin1());
        QVERIFY(jpeg.startsWith("\xFF\xD8"));
        QVERIFY(jpeg.endsWith("\xFF\xD9"));
        QVERIFY(ids(sync[QStringLiteral("workers")].toArray()).contains(image[QStringLiteral("workerId")].toString()));
        const QJsonValue metric = hub.received(QStringLiteral("ReceiveMetric")).last().payload;
        QVERIFY(metric[QStringLiteral("totalMemory")].toDouble() > 0);
        QVERIFY(!metric[QStringLiteral("perCoreCpuUsage")].toArray().isEmpty());

        // Sequence numbers increase per engine across every kind of message.
        int last = -1;
        for (const Received &r : hub.received()) {
            if (r.method == QLatin1String("SynchronizeWorkers") || r.method == QLatin1String("ReceiveDeadLetter"))
                continue;
            const int seq = r.payload[QStringLiteral("sequenceNumber")].toInt();
            QVERIFY2(seq > last, qPrintable(QStringLiteral("%1 after %2 (%3)").arg(seq).arg(last).arg(r.method)));
            last = seq;
            QCOMPARE(r.payload[QStringLiteral("engineId")].toString(), engineId);
        }

        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
        QCOMPARE(engine->exitCode(), 0);
    }

    void everyCommandIsAnsweredAndSeenAsEvents()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl()});
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 1, 60000);
        const QString e = hub.engines().first();
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 10000);

        QJsonObject r = hub.invoke(e, QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("hub-1")));
        QVERIFY2(resultOk(r), qPrintable(QJsonDocument(r).toJson()));
        auto eventsFor = [&](const QString &id, int type) {
            int n = 0;
            for (const Received &x : hub.received(QStringLiteral("ReceiveWorkerEvent")))
                if (x.payload[QStringLiteral("workerId")].toString() == id && x.payload[QStringLiteral("changeEventType")].toInt() == type)
                    ++n;
            return n;
        };
        QTRY_VERIFY_WITH_TIMEOUT(eventsFor(QStringLiteral("hub-1"), 0) == 1, 10000);
        // The worker comes up: an Updated event that says Running.
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (const Received &x : hub.received(QStringLiteral("ReceiveWorkerEvent")))
                if (x.payload[QStringLiteral("workerId")].toString() == QLatin1String("hub-1") && x.payload[QStringLiteral("state")].toInt() == 2)
                    return true;
            return false;
        }(), 10000);

        QVERIFY(!resultOk(hub.invoke(e, QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("hub-1")))));

        QJsonObject edit = workerCreateAndEdit(QStringLiteral("hub-1"), QStringLiteral("fps=5 size=320x180"));
        edit[QStringLiteral("name")] = QStringLiteral("Hub cam 2");
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("EditWorker"), edit)));
        QJsonObject again = hub.invoke(e, QStringLiteral("StartWorker"), workerOperation(QStringLiteral("hub-1")));
        QVERIFY(again[QStringLiteral("ok")].toBool());
        QVERIFY(hub.invoke(e, QStringLiteral("StopWorker"), workerOperation(QStringLiteral("hub-1")))[QStringLiteral("ok")].toBool());
        QTRY_VERIFY_WITH_TIMEOUT(resultMessage(hub.invoke(e, QStringLiteral("StopWorker"), workerOperation(QStringLiteral("hub-1")))) == QLatin1String("already stopped"), 10000);
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("StartWorker"), workerOperation(QStringLiteral("hub-1")))));
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("ResetWatchdogEventCount"), workerOperation(QStringLiteral("hub-1")))));

        const QJsonObject changes = hub.invoke(e, QStringLiteral("GetWorkerChangeLogs"), workerOperation(QStringLiteral("hub-1")));
        QVERIFY(resultOk(changes));
        QVERIFY(changes[QStringLiteral("result")][QStringLiteral("data")][QStringLiteral("changes")].toArray().size() >= 3);
        const QJsonObject events = hub.invoke(e, QStringLiteral("GetWorkerEventsWithLogs"), workerOperation(QStringLiteral("hub-1")));
        QVERIFY(resultOk(events));
        QVERIFY(events[QStringLiteral("result")][QStringLiteral("data")][QStringLiteral("events")].isArray());

        QJsonObject disable = workerOperation(QStringLiteral("hub-1"));
        disable[QStringLiteral("enable")] = false;
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("EnableDisableWorker"), disable)));

        QJsonObject rename = workerOperation(QString());
        rename[QStringLiteral("engineName")] = QStringLiteral("Rack 9");
        rename[QStringLiteral("engineDescription")] = QStringLiteral("MCR B");
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("EngineEditName"), rename)));
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            for (const Received &x : hub.received(QStringLiteral("ReceiveEngineEvent")))
                if (x.payload[QStringLiteral("engineName")].toString() == QLatin1String("Rack 9"))
                    return true;
            return false;
        }(), 10000);

        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("RemoveWorker"), workerOperation(QStringLiteral("hub-1")))));
        QTRY_VERIFY_WITH_TIMEOUT(eventsFor(QStringLiteral("hub-1"), 2) == 1, 10000);

        // Bad input: a clear answer, never silence.
        const QJsonObject unknownWorker = hub.invoke(e, QStringLiteral("StartWorker"), workerOperation(QStringLiteral("ghost")));
        QVERIFY(unknownWorker[QStringLiteral("ok")].toBool());
        QVERIFY(!resultOk(unknownWorker));
        QVERIFY(resultMessage(unknownWorker).contains(QStringLiteral("ghost")));
        const QJsonObject malformed = hub.invoke(e, QStringLiteral("StartWorker"), QJsonObject{{QStringLiteral("nothing"), 1}});
        QVERIFY(malformed[QStringLiteral("ok")].toBool());
        QVERIFY(!resultOk(malformed));
        QVERIFY(resultMessage(malformed).contains(QStringLiteral("workerId")));
        const QJsonObject unknownMethod = hub.invoke(e, QStringLiteral("FormatDisk"), workerOperation(QStringLiteral("x")));
        QVERIFY(!unknownMethod[QStringLiteral("ok")].toBool()); // an error completion
        QVERIFY(!unknownMethod[QStringLiteral("error")].toString().isEmpty());
        for (const QString &method : {QStringLiteral("StartWorker"), QStringLiteral("GetWorkerChangeLogs")})
            QVERIFY(hub.invoke(e, method, workerOperation(QStringLiteral("ghost")))[QStringLiteral("elapsedMs")].toDouble() < 5000);

        // The hub takes itself off the engine's list.
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("RemoveHubConnection"), hubUrl())));
        QTRY_VERIFY_WITH_TIMEOUT(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")].toArray().isEmpty(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 0, 10000);
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void answersTooBigForOneHubMessageAreCutToFit()
    {
        // A worker that flapped for days, with long log lines, and was edited
        // many times: more history than one 256 KB hub message holds. Seeded
        // straight into the engine's SQLite file before the engine starts.
        QTemporaryDir dir;
        const QString id = QStringLiteral("flappy");
        {
            se::Store store;
                QVERIFY_OK(store.open(dir.filePath(QStringLiteral("streamengine.db")), QStringLiteral("test")));
            se::WorkerConfig w = storedWorker(id, QStringLiteral("fps=5"));
            QVERIFY_OK(store.insertWorker(w, QStringLiteral("created")));
            const QString longLine = QStringLiteral("x").repeated(2000);
            for (int i = 0; i < 250; ++i) {
                se::WatchdogEvent e;
                e.workerId = id;
                e.timestamp = QDateTime::currentDateTimeUtc().addSecs(i - 250);
                e.message = QStringLiteral("event %1").arg(i);
                for (int l = 0; l < 20; ++l)
                    e.logs.append({l, se::LogLevel::Error, e.timestamp, longLine});
                QVERIFY_OK(store.addWatchdogEvent(e, i + 1));
            }
            for (int i = 0; i < 300; ++i) {
                const se::WorkerConfig before = w;
                w.command = QStringLiteral("fps=5 note=%1%2").arg(i).arg(longLine);
                QVERIFY_OK(store.updateWorker(w, se::diff(before, w)));
            }
        }
        startHub();
        StreamHubClient hub(*m_hub);
        auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl()});
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 1, 60000);
        const QString e = hub.engines().first();

        const QJsonObject events = hub.invoke(e, QStringLiteral("GetWorkerEventsWithLogs"), workerOperation(id));
        QVERIFY2(resultOk(events), qPrintable(QJsonDocument(events).toJson()));
        const QJsonArray eventList = events[QStringLiteral("result")][QStringLiteral("data")][QStringLiteral("events")].toArray();
        QVERIFY(!eventList.isEmpty());
        QVERIFY(eventList.size() < 200);
        QCOMPARE(eventList.last()[QStringLiteral("eventMessage")].toString(), QStringLiteral("event 249")); // ends with the newest
        QVERIFY2(resultMessage(events).contains(QStringLiteral("newest %1 of").arg(eventList.size())), qPrintable(resultMessage(events)));

        const QJsonObject changes = hub.invoke(e, QStringLiteral("GetWorkerChangeLogs"), workerOperation(id));
        QVERIFY2(resultOk(changes), qPrintable(QJsonDocument(changes).toJson()));
        const QJsonArray changeList = changes[QStringLiteral("result")][QStringLiteral("data")][QStringLiteral("changes")].toArray();
        QVERIFY(!changeList.isEmpty());
        QVERIFY(changeList.size() < 301);
        QVERIFY(changeList.last()[QStringLiteral("changeDetails")].toString().contains(QStringLiteral("note=299"))); // ends with the newest
        QVERIFY2(resultMessage(changes).contains(QStringLiteral("newest %1 of 301").arg(changeList.size())), qPrintable(resultMessage(changes)));

        // The link never dropped: the same engine answers on.
        QCOMPARE(hub.engines(), QStringList{e});
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("ResetWatchdogEventCount"), workerOperation(id))));
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void aWorkerListTooBigForOneHubMessageStillReachesTheHub()
    {
        // 200 workers with long pipelines: as one SynchronizeWorkers message the
        // list is over the hub's 256 KB, which would make it drop the engine.
        QTemporaryDir dir;
        QSet<QString> seeded;
        {
            se::Store store;
                QVERIFY_OK(store.open(dir.filePath(QStringLiteral("streamengine.db")), QStringLiteral("test")));
            for (int i = 0; i < 200; ++i) {
                const se::WorkerConfig w = storedWorker(QStringLiteral("big-%1").arg(i), QStringLiteral("fps=5 ") + QString(1500, QLatin1Char('p')));
                QVERIFY_OK(store.insertWorker(w, QStringLiteral("created")));
                seeded.insert(w.id);
            }
        }
        startHub();
        StreamHubClient hub(*m_hub);
        auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl()});
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 1, 60000);
        const QString e = hub.engines().first();
        auto heard = [&] {
            QSet<QString> ids;
            for (const Received &x : hub.received(QStringLiteral("ReceiveWorkerEvent")))
                ids.insert(x.payload[QStringLiteral("workerId")].toString());
            return ids;
        };
        QTRY_COMPARE_WITH_TIMEOUT(heard(), seeded, 20000);
        QVERIFY(hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty());
        // The link stayed up.
        QVERIFY(resultOk(hub.invoke(e, QStringLiteral("GetWorkerChangeLogs"), workerOperation(QStringLiteral("big-7")))));
        QCOMPARE(hub.engines(), QStringList{e});
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void aRestartedHubGetsTheWholePictureAgain()
    {
        startHub();
        const int port = m_hub->port();
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {QStringLiteral("--demo"), QStringLiteral("--hub"), hubUrl()});
        {
            StreamHubClient hub(*m_hub);
            QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 20000);
        }
        m_hub->kill(); // mid-stream
        // While it is away, the engine changes.
        QJsonObject created = ctlJson(dir.path(), {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("while-away"), QStringLiteral("--name"), QStringLiteral("Away"),
                                               QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"), QStringLiteral("--command"),
                                               QStringLiteral("fps=5")});
        QVERIFY(created[QStringLiteral("success")].toBool());
        m_hub = std::make_unique<TestHubProcess>();
        QVERIFY2(m_hub->start(port), qPrintable(m_hub->errorString()));
        StreamHubClient hub(*m_hub);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 40000);
        const QJsonArray synced = hub.received(QStringLiteral("SynchronizeWorkers")).last().payload[QStringLiteral("workers")].toArray();
        const QJsonArray engineView = ctlJson(dir.path(), {QStringLiteral("list")})[QStringLiteral("data")].toArray();
        QCOMPARE(ids(synced), ids(engineView));
        QVERIFY(ids(synced).contains(QStringLiteral("while-away")));
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void aDeadHubDoesNotHoldUpTheOther()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        QTemporaryDir dir;
        const QString dead = QStringLiteral("http://127.0.0.1:9/streamhub"); // nothing listens on the discard port
        auto engine = startEngine(dir.path(), {QStringLiteral("--demo"), QStringLiteral("--hub"), dead, QStringLiteral("--hub"), hubUrl()});
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("ReceiveImage")).isEmpty(), 10000);
        const QJsonArray hubs = ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")].toArray();
        QCOMPARE(hubs.size(), 2);
        for (const QJsonValue &h : hubs) {
            if (h[QStringLiteral("hubUrl")].toString() == dead) {
                QVERIFY(h[QStringLiteral("state")].toString() != QLatin1String("Connected"));
                QVERIFY(!h[QStringLiteral("lastError")].toString().isEmpty());
            } else {
                QCOMPARE(h[QStringLiteral("state")].toString(), QStringLiteral("Connected"));
            }
        }
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
        QCOMPARE(engine->exitCode(), 0);
    }

    void aRefusedRegistrationIsRetriedAndSaysWhy()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        hub.post(QStringLiteral("/streamhub-test/refuse/true"));
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl()});
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("RegisterEngineConnection")).isEmpty(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0]
                                         [QStringLiteral("state")].toString() == QLatin1String("Refused"), 10000);
        const QString why = ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0][QStringLiteral("lastError")].toString();
        QVERIFY2(why.contains(QStringLiteral("refused")), qPrintable(why));
        QVERIFY(hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty());
        hub.post(QStringLiteral("/streamhub-test/refuse/false"));
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 30000);
        QVERIFY(hub.received(QStringLiteral("RegisterEngineConnection")).size() >= 2);
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void hubsAddedByCtlAreStoredAndComeBackAfterARestart()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {});
        QTRY_VERIFY_WITH_TIMEOUT(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("success")].toBool(), 10000);
        const QJsonObject bad = ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("add"), QStringLiteral("not a url")});
        QVERIFY(!bad[QStringLiteral("success")].toBool());
        QVERIFY(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("add"), hubUrl(), QStringLiteral("--api-key"), QStringLiteral("s3cret")})
                    [QStringLiteral("success")].toBool());
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 20000);
        // The hub list in the engine's description never carries a key.
        const QJsonValue info = hub.received(QStringLiteral("RegisterEngineConnection")).last().payload;
        QVERIFY(!QJsonDocument(info.toObject()).toJson().contains("s3cret"));
        QCOMPARE(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0][QStringLiteral("state")].toString(),
                 QStringLiteral("Connected"));
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));

        hub.post(QStringLiteral("/streamhub-test/reset"));
        engine = startEngine(dir.path(), {}); // no --hub: the stored one
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 20000);
        QVERIFY(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("remove"), hubUrl()})[QStringLiteral("success")].toBool());
        QTRY_COMPARE_WITH_TIMEOUT(hub.engines().size(), 0, 10000);
        QVERIFY(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")].toArray().isEmpty());
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }

    void aHubThatStopsReadingCostsBoundedMemory()
    {
        startHub();
        StreamHubClient hub(*m_hub);
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl()});
        QTRY_VERIFY_WITH_TIMEOUT(!hub.received(QStringLiteral("SynchronizeWorkers")).isEmpty(), 20000);
        for (int i = 0; i < 20; ++i)
            QVERIFY(ctlJson(dir.path(), {QStringLiteral("create"), QStringLiteral("--name"), QStringLiteral("Load"), QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"),
                                     QStringLiteral("--command"), QStringLiteral("fps=25 size=320x180 pattern=noise quality=90 log-every=0.01")})
                        [QStringLiteral("success")].toBool());
        hub.post(QStringLiteral("/streamhub-test/stop-reading"));
        // Let the backlog build until the engine has had to drop: by then every
        // buffer between it and the hub is full.
        QTRY_VERIFY_WITH_TIMEOUT(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0]
                                         [QStringLiteral("dropped")].toDouble() > 5000, 60000);
        const qint64 full = rssKb(engine->processId());
        const double droppedBefore = ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0][QStringLiteral("dropped")].toDouble();
        QTRY_VERIFY_WITH_TIMEOUT(ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")][0]
                                         [QStringLiteral("dropped")].toDouble() > droppedBefore + 20000, 60000);
        const qint64 later = rssKb(engine->processId());
        QVERIFY2(later - full < 30 * 1024, qPrintable(QStringLiteral("RSS grew from %1 kB to %2 kB").arg(full).arg(later)));
        hub.post(QStringLiteral("/streamhub-test/resume-reading"));
        const int before = int(hub.received(QStringLiteral("ReceiveImage")).size());
        QTRY_VERIFY_WITH_TIMEOUT(hub.received(QStringLiteral("ReceiveImage")).size() > before + 20, 30000);
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }
};

QTEST_MAIN(TestStreamHub)
#include "tst_streamhub.moc"
