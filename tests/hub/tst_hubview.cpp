// The hub's view of the engine, end to end: the real streamengine process
// against the StreamHub stand-in, which applies StreamHub's own rules (a worker
// message not newer than the last one applied is discarded; UpdateMetric-{id}
// broadcast to every client every 2 s) and can stall or turn hostile.
#include "HubMessages.h"
#include "HubView.h"
#include "StreamHubClient.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

namespace {

struct ProcStatus {
    qint64 rssKb = 0;
    qint64 peakRssKb = 0;
};
ProcStatus procStatus(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    ProcStatus s;
    if (!f.open(QIODevice::ReadOnly))
        return s;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QByteArray value = line.mid(line.indexOf(':') + 1).trimmed().split(' ').first();
        if (line.startsWith("VmRSS:"))
            s.rssKb = value.toLongLong();
        else if (line.startsWith("VmHWM:"))
            s.peakRssKb = value.toLongLong();
    }
    return s;
}

// CPU seconds the process has used (user + system).
double cpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return double(fields.value(11).toLongLong() + fields.value(12).toLongLong()) / double(sysconf(_SC_CLK_TCK));
}

// The engine, its output (stdout and stderr) kept for the test to read.
struct Engine {
    QProcess process;
    QByteArray output;
    qint64 pid() const { return process.processId(); }
    int linesMentioning(const QByteArray &text)
    {
        output += process.readAll();
        int n = 0;
        for (const QByteArray &line : output.split('\n'))
            n += line.contains(text) ? 1 : 0;
        return n;
    }
};

std::unique_ptr<Engine> startEngineWithHubs(const QString &dataDir, const QStringList &hubs, const QStringList &extra = {})
{
    auto e = std::make_unique<Engine>();
    e->process.setProcessChannelMode(QProcess::MergedChannels);
    QStringList args{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir};
    for (const QString &h : hubs)
        args << QStringLiteral("--hub") << h;
    e->process.start(buildDir() + QStringLiteral("/bin/streamengine"), args + extra);
    e->process.waitForStarted(5000);
    return e;
}

} // namespace

class TestHubView : public QObject {
    Q_OBJECT
    std::unique_ptr<TestHubProcess> m_hub;
    std::unique_ptr<StreamHubClient> m_client;

    void startHub()
    {
        m_hub = std::make_unique<TestHubProcess>();
        QVERIFY2(m_hub->start(), qPrintable(m_hub->errorString()));
        m_client = std::make_unique<StreamHubClient>(*m_hub);
    }
    QString url(const QString &path) const { return m_hub->url(path).toString(); }

    // The engine connected to the stand-in: its id there.
    QString waitForEngine()
    {
        if (!QTest::qWaitFor([&] { return !m_client->engines().isEmpty(); }, 30000))
            return {};
        return m_client->engines().first();
    }

    void create(const QString &engineId, const QString &id, const QString &command)
    {
        const QJsonObject r = m_client->invoke(engineId, QStringLiteral("CreateWorker"), workerCreateAndEdit(id, command));
        QVERIFY2(resultOk(r), qPrintable(QJsonDocument(r).toJson()));
    }

    QHash<QString, QString> engineView(const QString &dataDir)
    {
        return shownById(ctlJson(dataDir, {QStringLiteral("list")})[QStringLiteral("data")].toArray());
    }
    QHash<QString, QString> hubView(const QString &engineId)
    {
        return shownById(m_client->view(engineId)[QStringLiteral("workers")].toArray());
    }

private Q_SLOTS:
    void init() { SE_REQUIRE_TESTHUB_OR_SKIP(); }
    void cleanup()
    {
        m_client.reset();
        m_hub.reset();
    }

    void theHubShowsWhatTheEngineShowsThroughBurstsOfCommands()
    {
        startHub();
        QTemporaryDir dir;
        auto engine = startEngineWithHubs(dir.path(), {url(QStringLiteral("/streamhub"))});
        const QString e = waitForEngine();
        QVERIFY(!e.isEmpty());

        // 20 workers: 16 healthy, 4 that crash every few seconds (watchdog restarts).
        QStringList ids;
        for (int i = 0; i < 20; ++i) {
            ids << QStringLiteral("w%1").arg(i, 2, 10, QLatin1Char('0'));
            create(e, ids.last(), i < 16 ? QStringLiteral("fps=5 size=64x36") : QStringLiteral("fps=5 size=64x36 crash-after=1.5"));
        }

        // Bursts of commands, and between bursts a sample of both views. A
        // worker disagrees when its engine state matches neither the hub's view
        // just before nor just after it (a change in between is not a lag).
        const QStringList methods{QStringLiteral("StartWorker"), QStringLiteral("StopWorker"),
                                  QStringLiteral("EnableDisableWorker"), QStringLiteral("ResetWatchdogEventCount")};
        QRandomGenerator random(20261202);
        QHash<QString, QDateTime> disagreeingSince;
        qint64 longestMs = 0;
        int samples = 0, mismatched = 0, commands = 0;
        QString longestWhat;
        for (int burst = 0; burst < 12; ++burst) {
            for (int i = 0; i < 25; ++i, ++commands) {
                const QString id = ids[random.bounded(int(ids.size()))];
                const QString method = methods[random.bounded(int(methods.size()))];
                QJsonObject argument = workerOperation(id);
                if (method == QLatin1String("EnableDisableWorker"))
                    argument.insert(QStringLiteral("enable"), random.bounded(3) != 0);
                const QJsonObject r = m_client->invoke(e, method, argument);
                QVERIFY2(r[QStringLiteral("ok")].toBool(), qPrintable(QJsonDocument(r).toJson()));
            }
            if (burst % 3 == 2)
                ctlJson(dir.path(), {QStringLiteral("restart"), ids[random.bounded(int(ids.size()))]});
            for (int s = 0; s < 4; ++s) {
                const auto before = hubView(e);
                const auto engineNow = engineView(dir.path());
                const auto after = hubView(e);
                const QDateTime now = QDateTime::currentDateTimeUtc();
                ++samples;
                bool any = false;
                for (auto it = engineNow.begin(); it != engineNow.end(); ++it) {
                    const bool agrees = before.value(it.key()) == it.value() || after.value(it.key()) == it.value();
                    if (agrees) {
                        disagreeingSince.remove(it.key());
                        continue;
                    }
                    any = true;
                    const QDateTime since = disagreeingSince.value(it.key(), now);
                    disagreeingSince.insert(it.key(), since);
                    if (since.msecsTo(now) > longestMs) {
                        longestMs = since.msecsTo(now);
                        longestWhat = differences({{it.key(), it.value()}}, {{it.key(), after.value(it.key())}}).join(QString());
                    }
                }
                mismatched += any ? 1 : 0;
                QTest::qWait(50); // the sampling period, not a wait for something
            }
        }

        qInfo("%d commands; %d of %d samples had a worker the hub showed otherwise; longest disagreement %lld ms%s", commands,
              mismatched, samples, longestMs, longestMs ? qPrintable(QStringLiteral(" (") + longestWhat + QLatin1Char(')')) : "");

        // At rest (the crashing workers stopped), every worker agrees.
        for (int i = 16; i < 20; ++i)
            QVERIFY(resultOk(m_client->invoke(e, QStringLiteral("StopWorker"), workerOperation(ids[i]))));
        QTRY_VERIFY_WITH_TIMEOUT(engineView(dir.path()) == hubView(e), 15000);
        const auto atRest = engineView(dir.path());
        QCOMPARE(atRest.size(), 20);
        QVERIFY2(differences(atRest, hubView(e)).isEmpty(), qPrintable(differences(atRest, hubView(e)).join(QLatin1Char('\n'))));

        const QJsonObject view = m_client->view(e);
        qInfo("worker messages the hub discarded as not newer: %lld", qint64(view[QStringLiteral("discarded")].toDouble()));
        // Every worker message was newer than the last: the hub discarded none.
        QVERIFY2(view[QStringLiteral("discarded")].toInt() == 0, qPrintable(QJsonDocument(view[QStringLiteral("discards")].toArray()).toJson()));
        QVERIFY2(longestMs <= 1000, qPrintable(longestWhat));

        // No event repeats what the hub already shows of a worker.
        QHash<QString, QString> lastShown;
        int events = 0;
        for (const Received &r : m_client->received(QStringLiteral("ReceiveWorkerEvent"))) {
            const QString id = r.payload[QStringLiteral("workerId")].toString();
            const QString now = shown(r.payload) + QString::number(r.payload[QStringLiteral("changeEventType")].toInt());
            QVERIFY2(lastShown.value(id) != now, qPrintable(QStringLiteral("%1 sent twice: %2").arg(id, now)));
            lastShown.insert(id, now);
            ++events;
        }
        qInfo("%d worker events, none repeating what the hub showed", events);

        // StreamHub's broadcasts reached the engine all along, and it kept them
        // to itself: no warning, and nothing of them sent back as a log line.
        QVERIFY(m_client->broadcasts() > 0);
        QCOMPARE(engine->linesMentioning("UpdateMetric"), 0);
        for (const Received &r : m_client->received(QStringLiteral("ReceiveEngineLog")))
            QVERIFY2(!r.payload[QStringLiteral("message")].toString().contains(QStringLiteral("UpdateMetric")),
                     qPrintable(r.payload[QStringLiteral("message")].toString()));

        engine->process.terminate();
        QVERIFY(engine->process.waitForFinished(15000));
    }

    void aHubThatStopsReadingGetsEverythingAgainAfterwards()
    {
        startHub();
        m_client->post(QStringLiteral("/streamhub-test/record-streams/false"));
        QTemporaryDir dir;
        auto engine = startEngineWithHubs(dir.path(), {url(QStringLiteral("/streamhub"))});
        const QString e = waitForEngine();
        QVERIFY(!e.isEmpty());
        // Large pictures and chatty logs: a stalled hub leaves megabytes unsent.
        QStringList ids;
        for (int i = 0; i < 16; ++i) {
            ids << QStringLiteral("load%1").arg(i);
            create(e, ids.last(), QStringLiteral("fps=5 size=480x270 pattern=noise quality=75 log-every=0.05"));
        }
        // Pictures flow when every worker's newest at the hub is recent (a
        // stalled link leaves them all growing old).
        double worstAgeMs = 0;
        auto allFresh = [&] {
            const QJsonObject f = QJsonDocument::fromJson(m_client->http("GET", QStringLiteral("/streamhub-test/freshness?maxAgeMs=3000"))).object();
            worstAgeMs = std::max(worstAgeMs, f[QStringLiteral("maxAgeMs")].toDouble());
            return f[QStringLiteral("workers")].toInt() == ids.size() && f[QStringLiteral("fresh")].toInt() == ids.size();
        };
        QTRY_VERIFY_WITH_TIMEOUT(allFresh(), 20000);

        for (int stall = 0; stall < 2; ++stall) {
            m_client->stopReadingFor(5000);
            // Changes while the hub is not reading: it must see their outcome.
            for (int i = 0; i < 4; ++i)
                m_client->invoke(e, QStringLiteral("StopWorker"), workerOperation(ids[stall * 4 + i]));
            for (int i = 0; i < 4; ++i)
                m_client->invoke(e, QStringLiteral("StartWorker"), workerOperation(ids[stall * 4 + i]));
            QTRY_VERIFY_WITH_TIMEOUT(allFresh(), 30000);
        }
        // Pictures flow for 30 s: every worker's newest is recent at every look.
        worstAgeMs = 0;
        QDeadlineTimer flow(30000);
        int looks = 0;
        while (!flow.hasExpired()) {
            QVERIFY2(allFresh(), qPrintable(m_client->http("GET", QStringLiteral("/streamhub-test/freshness?maxAgeMs=3000"))));
            ++looks;
            QTest::qWait(1000); // the sampling period
        }
        QTRY_VERIFY_WITH_TIMEOUT(engineView(dir.path()) == hubView(e), 15000);
        qInfo("pictures flowing at all %d looks over 30 s after two 5 s stalls; the oldest newest picture was %.0f ms old", looks,
              worstAgeMs);

        engine->process.terminate();
        QVERIFY(engine->process.waitForFinished(15000));
    }

    void aHubThatSendsGarbageIsRetriedWithBackoff()
    {
        startHub();
        QTemporaryDir dir;
        const QString garbage = url(QStringLiteral("/hostile/garbage"));
        auto engine = startEngineWithHubs(dir.path(), {garbage, url(QStringLiteral("/streamhub"))});
        const QString e = waitForEngine();
        QVERIFY(!e.isEmpty());
        create(e, QStringLiteral("cam"), QStringLiteral("fps=5 size=64x36"));
        const double cpuBefore = cpuSeconds(engine->pid());
        QElapsedTimer clock;
        clock.start();

        auto attempts = [&] {
            QList<QDateTime> times;
            for (const QJsonValue &t : m_client->hostile(QStringLiteral("garbage"))[QStringLiteral("webSocketTimes")].toArray())
                times << QDateTime::fromString(t.toString(), Qt::ISODateWithMs);
            return times;
        };
        QTRY_VERIFY_WITH_TIMEOUT(attempts().size() >= 5, 60000);
        const QList<QDateTime> times = attempts();
        const double cpuShare = (cpuSeconds(engine->pid()) - cpuBefore) / (double(clock.elapsed()) / 1000.0);
        QStringList gaps;
        for (qsizetype i = 1; i < times.size(); ++i)
            gaps << QString::number(times[i - 1].msecsTo(times[i]));
        qInfo("connections to the garbage hub: %lld in %.1f s, gaps (ms): %s; engine CPU %.1f %% of a core",
              qint64(times.size()), double(times.first().msecsTo(times.last())) / 1000.0, qPrintable(gaps.join(QLatin1Char(' '))),
              cpuShare * 100.0);
        // Each wait longer than the one before (doubling, with 20 % jitter).
        for (qsizetype i = 2; i < times.size() && i < 5; ++i)
            QVERIFY2(times[i - 1].msecsTo(times[i]) > times[i - 2].msecsTo(times[i - 1]), qPrintable(gaps.join(QLatin1Char(' '))));
        QVERIFY2(cpuShare < 0.10, qPrintable(QString::number(cpuShare)));
        // Told once (and the other hub kept): one line for the whole outage.
        QVERIFY2(engine->linesMentioning("/hostile/garbage") <= 2, engine->output.constData());
        QVERIFY(hubView(e).contains(QStringLiteral("cam")));

        engine->process.terminate();
        QVERIFY(engine->process.waitForFinished(15000));
    }

    void oversizedAnswersAreRefusedWithinABoundAndTheOtherHubIsKept()
    {
        startHub();
        QTemporaryDir dir;
        const QString hugeNegotiate = url(QStringLiteral("/hostile/huge-negotiate/300"));
        const QString hugeFrame = url(QStringLiteral("/hostile/huge-frame/256"));
        auto engine = startEngineWithHubs(dir.path(), {hugeNegotiate, hugeFrame, url(QStringLiteral("/streamhub"))});
        const QString e = waitForEngine();
        QVERIFY(!e.isEmpty());
        create(e, QStringLiteral("cam"), QStringLiteral("fps=5 size=64x36"));

        // Each hostile hub tried at least twice: the engine survived the first.
        QTRY_VERIFY_WITH_TIMEOUT(m_client->hostile(QStringLiteral("huge-negotiate"))[QStringLiteral("negotiates")].toInt() >= 2, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(m_client->hostile(QStringLiteral("huge-frame"))[QStringLiteral("webSockets")].toInt() >= 2, 30000);
        // Each says why (a loaded hub may take a while to build its 256 MB frame).
        auto lastError = [&](const QString &hubUrl) {
            for (const QJsonValue &h : ctlJson(dir.path(), {QStringLiteral("hub"), QStringLiteral("list")})[QStringLiteral("data")].toArray())
                if (h[QStringLiteral("hubUrl")].toString() == hubUrl)
                    return h[QStringLiteral("lastError")].toString();
            return QString();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(lastError(hugeNegotiate).contains(QStringLiteral("larger than")), qPrintable(lastError(hugeNegotiate)), 60000);
        QTRY_VERIFY2_WITH_TIMEOUT(lastError(hugeFrame).contains(QStringLiteral("larger than")), qPrintable(lastError(hugeFrame)), 60000);

        // The engine never held what it was sent: its peak RSS stays bounded.
        const ProcStatus status = procStatus(engine->pid());
        qInfo("engine RSS %lld KB, peak %lld KB, after a 300 MB negotiate answer and a 256 MB frame (twice each)",
              status.rssKb, status.peakRssKb);
        QVERIFY2(status.peakRssKb < 96 * 1024, qPrintable(QString::number(status.peakRssKb)));

        // The good hub was not slowed: it sees the worker and its pictures.
        QTRY_VERIFY_WITH_TIMEOUT(hubView(e).contains(QStringLiteral("cam")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(engineView(dir.path()) == hubView(e), 10000);

        engine->process.terminate();
        QVERIFY(engine->process.waitForFinished(15000));
    }
};

QTEST_MAIN(TestHubView)
#include "tst_hubview.moc"
