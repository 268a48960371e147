// The eleven hub-to-engine methods against a real Engine (SQLite file,
// FakeStreamer plugin), with good and bad arguments.
#include "TestEngine.h"
#include "VerifyResult.h"
#include "core/engine/Engine.h"
#include "core/hub/HubCommands.h"
#include "HubMessages.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QJsonDocument>
#include <QtTest>

using namespace se;

class TestHubCommands : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<HubCommands> m_commands;
    QStringList m_removedHubs;

    QJsonObject call(const QString &method, const QJsonValue &argument)
    {
        return m_commands->handle(method, QJsonArray{argument});
    }
    static bool ok(const QJsonObject &r) { return r.value(QStringLiteral("success")).toBool(); }
    static QString message(const QJsonObject &r) { return r.value(QStringLiteral("message")).toString(); }

private Q_SLOTS:
    void initTestCase()
    {
        auto opened = openTestEngine(m_dir.path());
        QVERIFY_OK(opened);
        m_engine = std::move(opened.value);
        m_commands = std::make_unique<HubCommands>(*m_engine, [this](const QString &url) {
            m_removedHubs << url;
            return url.startsWith(QStringLiteral("http://"));
        });
    }

    void cleanupTestCase()
    {
        m_engine->shutdown();
        QTRY_VERIFY(m_engine->workers().allIdle());
    }

    void createStartsAndRefusesADuplicate()
    {
        const QJsonObject r = call(QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("cam-1")));
        QVERIFY2(ok(r), qPrintable(message(r)));
        Worker *w = m_engine->workers().worker(QStringLiteral("cam-1"));
        QVERIFY(w);
        QCOMPARE(w->config().imageWatchdog.interval, Millis(2000));
        QTRY_COMPARE(w->state(), WorkerState::Running);
        const QJsonObject dup = call(QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("cam-1")));
        QVERIFY(!ok(dup));
        QVERIFY(message(dup).contains(QStringLiteral("exists already")));

        const QJsonObject fresh = call(QStringLiteral("CreateWorker"), workerCreateAndEdit(QString()));
        QVERIFY(ok(fresh));
        const QString madeId = fresh.value(QStringLiteral("data"))[QStringLiteral("workerId")].toString();
        QVERIFY(!QUuid::fromString(madeId).isNull());
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), workerOperation(madeId))));
    }

    void startAndStopSaySoWhenThereIsNothingToDo()
    {
        const QJsonObject again = call(QStringLiteral("StartWorker"), workerOperation(QStringLiteral("cam-1")));
        QVERIFY(ok(again));
        QCOMPARE(message(again), QStringLiteral("already running"));
        QVERIFY(ok(call(QStringLiteral("StopWorker"), workerOperation(QStringLiteral("cam-1")))));
        QTRY_COMPARE(m_engine->workers().worker(QStringLiteral("cam-1"))->state(), WorkerState::Idle);
        const QJsonObject idle = call(QStringLiteral("StopWorker"), workerOperation(QStringLiteral("cam-1")));
        QVERIFY(ok(idle));
        QCOMPARE(message(idle), QStringLiteral("already stopped"));
        QVERIFY(ok(call(QStringLiteral("StartWorker"), workerOperation(QStringLiteral("cam-1")))));
    }

    void editRecordsChangesAndTheLogsComeBack()
    {
        QJsonObject edit = workerCreateAndEdit(QStringLiteral("cam-1"), QStringLiteral("fps=10 size=320x180"));
        edit.insert(QStringLiteral("name"), QStringLiteral("Cam East"));
        const QJsonObject r = call(QStringLiteral("EditWorker"), edit);
        QVERIFY2(ok(r), qPrintable(message(r)));
        const QJsonObject logs = call(QStringLiteral("GetWorkerChangeLogs"), workerOperation(QStringLiteral("cam-1")));
        QVERIFY(ok(logs));
        const QJsonArray changes = logs.value(QStringLiteral("data"))[QStringLiteral("changes")].toArray();
        QCOMPARE(logs.value(QStringLiteral("data"))[QStringLiteral("workerId")].toString(), QStringLiteral("cam-1"));
        QCOMPARE(changes.size(), 3); // created, name, command
        QVERIFY(changes[1][QStringLiteral("changeDetails")].toString().contains(QStringLiteral("'Cam' -> 'Cam East'")));
        QVERIFY(changes[0][QStringLiteral("changeTimestamp")].toString().endsWith(QLatin1Char('Z')));
    }

    void watchdogEventsComeBackWithTheirLogLines()
    {
        QVERIFY(ok(call(QStringLiteral("CreateWorker"), workerCreateAndEdit(QStringLiteral("crashy"), QStringLiteral("fps=20 crash-after=0.2")))));
        Worker *w = m_engine->workers().worker(QStringLiteral("crashy"));
        QTRY_VERIFY(w->watchdogEventCount() >= 1);
        const QJsonObject r = call(QStringLiteral("GetWorkerEventsWithLogs"), workerOperation(QStringLiteral("crashy")));
        QVERIFY(ok(r));
        const QJsonArray events = r.value(QStringLiteral("data"))[QStringLiteral("events")].toArray();
        QVERIFY(events.size() >= 1);
        QVERIFY(events[0][QStringLiteral("eventMessage")].toString().contains(QStringLiteral("crashed")));
        const QJsonArray lines = events[0][QStringLiteral("logs")].toArray();
        QVERIFY(!lines.isEmpty());
        QVERIFY(lines.last()[QStringLiteral("logLevel")].isDouble());
        QVERIFY(ok(call(QStringLiteral("ResetWatchdogEventCount"), workerOperation(QStringLiteral("crashy")))));
        QVERIFY(ok(call(QStringLiteral("EnableDisableWorker"), QJsonObject{{QStringLiteral("workerId"), QStringLiteral("crashy")}, {QStringLiteral("enable"), false}})));
        QTRY_COMPARE(w->state(), WorkerState::Idle);
        QCOMPARE(w->watchdogEventCount(), 0);
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), workerOperation(QStringLiteral("crashy")))));
        QVERIFY(!m_engine->workers().worker(QStringLiteral("crashy")));
    }

    void engineNameAndHubRemoval()
    {
        QSignalSpy changed(m_engine.get(), &Engine::identityChanged);
        QVERIFY(ok(call(QStringLiteral("EngineEditName"), QJsonObject{{QStringLiteral("workerId"), QString()},
                                                                      {QStringLiteral("engineName"), QStringLiteral("Rack 7")},
                                                                      {QStringLiteral("engineDescription"), QStringLiteral("MCR")}})));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(m_engine->identity().name, QStringLiteral("Rack 7"));
        QVERIFY(ok(call(QStringLiteral("RemoveHubConnection"), QStringLiteral("http://hub-a/streamhub"))));
        QVERIFY(!ok(call(QStringLiteral("RemoveHubConnection"), QStringLiteral("nope"))));
        QCOMPARE(m_removedHubs.size(), 2);
    }

    void aHubMayInvokeExactlyTheContractsMethods()
    {
        // StreamHub's eleven engine methods (the contract), each answered by a
        // command of its own: none falls through to another's answer.
        QStringList expected{QStringLiteral("CreateWorker"), QStringLiteral("EditWorker"), QStringLiteral("RemoveWorker"),
                             QStringLiteral("StartWorker"), QStringLiteral("StopWorker"), QStringLiteral("EnableDisableWorker"),
                             QStringLiteral("ResetWatchdogEventCount"), QStringLiteral("GetWorkerChangeLogs"),
                             QStringLiteral("GetWorkerEventsWithLogs"), QStringLiteral("EngineEditName"),
                             QStringLiteral("RemoveHubConnection")};
        QStringList methods = se::HubCommands::methods();
        methods.sort();
        expected.sort();
        QCOMPARE(methods, expected);
    }

    void badInputGetsAClearAnswer_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QJsonArray>("arguments");
        QTest::addColumn<QString>("expected");
        const QJsonObject noCommand = [] { QJsonObject o = workerCreateAndEdit(QStringLiteral("x")); o.remove(QStringLiteral("command")); return o; }();
        const QJsonObject badSpan = [] { QJsonObject o = workerCreateAndEdit(QStringLiteral("x")); o.insert(QStringLiteral("imgWatchdogInterval"), QStringLiteral("often")); return o; }();
        const QJsonObject badType = [] { QJsonObject o = workerCreateAndEdit(QStringLiteral("x")); o.insert(QStringLiteral("streamerType"), QStringLiteral("Betamax")); return o; }();
        QTest::newRow("unknown method") << "FormatDisk" << QJsonArray{QJsonObject{}} << "unknown method 'FormatDisk'";
        QTest::newRow("no argument") << "StartWorker" << QJsonArray{} << "takes one argument";
        QTest::newRow("two arguments") << "StartWorker" << QJsonArray{workerOperation(QStringLiteral("a")), 1} << "takes one argument";
        QTest::newRow("not an object") << "StartWorker" << QJsonArray{42} << "takes an object";
        QTest::newRow("no worker id") << "StopWorker" << QJsonArray{QJsonObject{}} << "missing field 'workerId'";
        QTest::newRow("unknown worker") << "StartWorker" << QJsonArray{workerOperation(QStringLiteral("ghost"))} << "no worker with id 'ghost'";
        QTest::newRow("unknown worker logs") << "GetWorkerChangeLogs" << QJsonArray{workerOperation(QStringLiteral("ghost"))} << "no worker with id 'ghost'";
        QTest::newRow("unknown worker events") << "GetWorkerEventsWithLogs" << QJsonArray{workerOperation(QStringLiteral("ghost"))} << "no worker with id 'ghost'";
        QTest::newRow("unknown worker reset") << "ResetWatchdogEventCount" << QJsonArray{workerOperation(QStringLiteral("ghost"))} << "no worker with id 'ghost'";
        QTest::newRow("create without command") << "CreateWorker" << QJsonArray{noCommand} << "missing field 'command'";
        QTest::newRow("bad TimeSpan") << "CreateWorker" << QJsonArray{badSpan} << "imgWatchdogInterval";
        QTest::newRow("unknown streamer") << "CreateWorker" << QJsonArray{badType} << "unknown streamer type 'Betamax'";
        auto createWith = [](const char *field, const QJsonValue &value) {
            QJsonObject o = workerCreateAndEdit(QStringLiteral("x"));
            o.insert(QLatin1String(field), value);
            return QJsonArray{o};
        };
        QTest::newRow("terminal escape in a name") << "CreateWorker" << createWith("name", QStringLiteral("\x1b[2Jgone")) << "(U+001B)";
        QTest::newRow("control character in an id") << "CreateWorker" << createWith("workerId", QStringLiteral("a\x07" "b")) << "(U+0007)";
        // Invalid UTF-8 as a decoder leaves it, and a lone surrogate as JSON can escape it.
        QTest::newRow("invalid UTF-8") << "CreateWorker" << createWith("description", QStringLiteral("caf") + QChar(0xFFFD)) << "(U+FFFD)";
        const QJsonObject escaped = QJsonDocument::fromJson(QByteArray(R"({"name":"cam\ud800"})")).object();
        QVERIFY(!escaped.isEmpty());
        QTest::newRow("lone surrogate") << "CreateWorker" << createWith("name", escaped.value(QStringLiteral("name"))) << "not allowed";
        QTest::newRow("empty name") << "CreateWorker" << createWith("name", QString()) << "a worker needs a name";
        QTest::newRow("interval of a year") << "CreateWorker" << createWith("imgWatchdogInterval", QStringLiteral("365.00:00:00"))
                                            << "interval must be from 1 s to 1 day";
        QTest::newRow("interval as 1e300 s") << "CreateWorker" << createWith("imgWatchdogInterval", 1e300) << "interval must be from 1 s to 1 day";
        QTest::newRow("enable not bool") << "EnableDisableWorker" << QJsonArray{workerOperation(QStringLiteral("cam-1"))} << "missing field 'enable'";
        QTest::newRow("no engine name") << "EngineEditName" << QJsonArray{QJsonObject{}} << "missing field 'engineName'";
        QTest::newRow("hub url not string") << "RemoveHubConnection" << QJsonArray{QJsonObject{}} << "hub URL as a string";
    }
    void badInputGetsAClearAnswer()
    {
        QFETCH(QString, method);
        QFETCH(QJsonArray, arguments);
        QFETCH(QString, expected);
        const QJsonObject r = m_commands->handle(method, arguments);
        QVERIFY(!ok(r));
        QVERIFY2(message(r).contains(expected), qPrintable(message(r)));
        QVERIFY(r.contains(QStringLiteral("data")));
    }
};

QTEST_GUILESS_MAIN(TestHubCommands)
#include "tst_hubcommands.moc"
