// Issue 15 as StreamHubs see it: the real engine connected to two StreamHub
// stand-ins. A rollback made by ctl reaches both hubs' views as an ordinary
// edit; with automatic rollback on, a broken edit from a hub is undone and the
// hubs end on the restored configuration.
#include "HubMessages.h"
#include "StreamHubClient.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

namespace {
const QString kGood = QStringLiteral("fps=5 size=64x36");
const QString kBroken = QStringLiteral("fps=5 size=64x36 fail-start");

bool resultOk(const QJsonObject &invoked)
{
    return invoked[QStringLiteral("ok")].toBool() && invoked[QStringLiteral("result")][QStringLiteral("success")].toBool();
}

// The worker as a hub's view holds it (its last applied WorkerChangeEvent).
QJsonObject viewed(StreamHubClient &hub, const QString &engineId, const QString &workerId)
{
    for (const QJsonValue &w : hub.view(engineId)[QStringLiteral("workers")].toArray())
        if (w[QStringLiteral("workerId")].toString() == workerId)
            return w.toObject();
    return {};
}

bool shows(StreamHubClient &hub, const QString &engineId, const QString &command, int state)
{
    const QJsonObject w = viewed(hub, engineId, QStringLiteral("cam"));
    return w[QStringLiteral("command")].toString() == command && w[QStringLiteral("state")].toInt() == state;
}

QStringList changeDescriptions(StreamHubClient &hub, const QString &engineId)
{
    const QJsonObject r = hub.invoke(engineId, QStringLiteral("GetWorkerChangeLogs"), workerOperation(QStringLiteral("cam")));
    QStringList out;
    for (const QJsonValue &c : r[QStringLiteral("result")][QStringLiteral("data")][QStringLiteral("changes")].toArray())
        out << c[QStringLiteral("changeDescription")].toString();
    return out;
}
} // namespace

class TestHubRollback : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { SE_REQUIRE_TESTHUB_OR_SKIP(); }

    void aRollbackByOneActorReachesEveryHub()
    {
        TestHubProcess hubA, hubB;
        QVERIFY2(hubA.start(), qPrintable(hubA.errorString()));
        QVERIFY2(hubB.start(), qPrintable(hubB.errorString()));
        StreamHubClient a(hubA), b(hubB);
        QTemporaryDir dir;
        const QString d = dir.path();
        auto engine = startEngine(d, {QStringLiteral("--hub"), hubA.url(QStringLiteral("/streamhub")).toString(), QStringLiteral("--hub"),
                                      hubB.url(QStringLiteral("/streamhub")).toString()});
        QVERIFY(QTest::qWaitFor([&] { return !a.engines().isEmpty() && !b.engines().isEmpty(); }, 30000));
        const QString e = a.engines().first();
        QCOMPARE(b.engines().first(), e);

        // Hub A creates the worker; both hubs see it run.
        QVERIFY(resultOk(a.invoke(e, QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("cam"), kGood))));
        QTRY_VERIFY_WITH_TIMEOUT(shows(a, e, kGood, 2) && shows(b, e, kGood, 2), 15000);

        // A broken edit from ctl, then `ctl rollback`: both hubs end on the restored command, running.
        QCOMPARE(ctlJson(d, {QStringLiteral("edit"), QStringLiteral("cam"), QStringLiteral("--command"), kBroken})[QStringLiteral("success")].toBool(), true);
        QTRY_VERIFY_WITH_TIMEOUT(viewed(a, e, QStringLiteral("cam"))[QStringLiteral("command")].toString() == kBroken
                                     && viewed(b, e, QStringLiteral("cam"))[QStringLiteral("command")].toString() == kBroken,
                                 15000);
        const QJsonObject rolled = ctlJson(d, {QStringLiteral("rollback"), QStringLiteral("cam"), QStringLiteral("--to"), QStringLiteral("1")});
        QVERIFY2(rolled[QStringLiteral("success")].toBool(), qPrintable(rolled[QStringLiteral("message")].toString()));
        QTRY_VERIFY_WITH_TIMEOUT(shows(a, e, kGood, 2) && shows(b, e, kGood, 2), 15000);
        for (StreamHubClient *hub : {&a, &b}) {
            const QStringList changes = changeDescriptions(*hub, e);
            QVERIFY2(changes.contains(QStringLiteral("Rolled back to version 1")), qPrintable(changes.join(QLatin1Char('|'))));
            QCOMPARE(changes.last(), QStringLiteral("command changed")); // as for any edit
        }
        QVERIFY(a.view(e)[QStringLiteral("discarded")].toInt() == 0);

        // Automatic rollback on (ctl); it is not a contract field, and a hub's EditWorker keeps it.
        QVERIFY(ctlJson(d, {QStringLiteral("edit"), QStringLiteral("cam"), QStringLiteral("--auto-rollback"), QStringLiteral("yes")})
                    [QStringLiteral("success")].toBool());
        // Version 3 (the rollback) becomes good after the watchdog's forgiveness period (60 s) of Running.
        QTRY_COMPARE_WITH_TIMEOUT(ctlJson(d, {QStringLiteral("show"), QStringLiteral("cam")})[QStringLiteral("data")][QStringLiteral("lastGoodVersion")].toInt(),
                                  3, 120000);

        // Hub A sends a broken edit; the engine undoes it by itself, and both hubs end on the good command.
        QElapsedTimer t;
        t.start();
        QVERIFY(resultOk(a.invoke(e, QStringLiteral("EditWorker"), workerCreateAndEdit(QStringLiteral("cam"), kBroken))));
        QCOMPARE(ctlJson(d, {QStringLiteral("show"), QStringLiteral("cam")})[QStringLiteral("data")][QStringLiteral("autoRollback")].toBool(), true);
        QTRY_VERIFY_WITH_TIMEOUT(shows(a, e, kGood, 2) && shows(b, e, kGood, 2), 60000);
        qInfo("FIGURE hub EditWorker with a command that fails at start, to both hubs showing the restored command Running: %lld ms",
              qint64(t.elapsed()));
        const QJsonObject shown = viewed(b, e, QStringLiteral("cam"));
        QCOMPARE(shown[QStringLiteral("name")].toString(), QStringLiteral("Cam"));
        QCOMPARE(shown[QStringLiteral("imgWatchdogGraceTime")].toString(), QStringLiteral("00:00:05"));
        QVERIFY(shown[QStringLiteral("watchdogEventCount")].toInt() > 0);

        const QJsonObject history = ctlJson(d, {QStringLiteral("history"), QStringLiteral("cam")})[QStringLiteral("data")].toObject();
        const QJsonArray versions = history[QStringLiteral("versions")].toArray();
        QCOMPARE(versions[0][QStringLiteral("actor")].toString(), QStringLiteral("engine (automatic rollback to v3)"));
        QVERIFY(versions[1][QStringLiteral("bad")].toBool());
        QVERIFY2(versions[1][QStringLiteral("actor")].toString().startsWith(QStringLiteral("hub http://127.0.0.1:")),
                 qPrintable(versions[1][QStringLiteral("actor")].toString()));
        for (StreamHubClient *hub : {&a, &b}) {
            const QStringList changes = changeDescriptions(*hub, e);
            bool said = false;
            for (const QString &c : changes)
                said |= c.startsWith(QStringLiteral("Automatic rollback to version 3: version 4 never ran ("));
            QVERIFY2(said, qPrintable(changes.join(QLatin1Char('|'))));
        }

        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
    }
};

QTEST_MAIN(TestHubRollback)
#include "tst_hubrollback.moc"
