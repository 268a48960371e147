// The one command table (core/control/Commands) as ctl and hubs reach it,
// against a real Engine (SQLite file, FakeStreamer plugin): which names each
// caller may give, that a command both give is answered alike, and ctl's bad
// requests.
#include "TestEngine.h"
#include "VerifyResult.h"
#include "core/control/Commands.h"
#include "core/engine/Engine.h"
#include "TestEnv.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

using namespace se;

class TestCommands : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Commands> m_commands;

    CommandResult ctl(const QJsonObject &request)
    {
        return m_commands->run(Commands::Caller::Ctl, request.value(QStringLiteral("verb")).toString(), request, QStringLiteral("ctl"));
    }
    CommandResult hub(const QString &method, const QJsonValue &argument)
    {
        return m_commands->run(Commands::Caller::Hub, method, argument, QStringLiteral("hub test"));
    }
    static QJsonObject onWorker(const char *verb, const QString &id)
    {
        return {{QStringLiteral("verb"), QLatin1String(verb)}, {QStringLiteral("workerId"), id}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto opened = openTestEngine(m_dir.path());
        QVERIFY_OK(opened);
        m_engine = std::move(opened.value);
        m_commands = std::make_unique<Commands>(*m_engine);
    }

    void cleanupTestCase()
    {
        m_engine->shutdown();
        QTRY_VERIFY(m_engine->workers().allIdle());
    }

    void ctlMayGiveExactlyItsVerbs()
    {
        // What `streamengine ctl --help` lists.
        QStringList expected{
            QStringLiteral("list"),     QStringLiteral("show"),           QStringLiteral("start"),    QStringLiteral("stop"),
            QStringLiteral("restart"),  QStringLiteral("enable"),         QStringLiteral("disable"),  QStringLiteral("remove"),
            QStringLiteral("create"),   QStringLiteral("reset-watchdog"), QStringLiteral("edit"),     QStringLiteral("history"),
            QStringLiteral("rollback"), QStringLiteral("engine"),         QStringLiteral("shutdown"), QStringLiteral("hub"),
            QStringLiteral("policy")};
        QStringList verbs = Commands::names(Commands::Caller::Ctl);
        QCOMPARE(QSet<QString>(verbs.begin(), verbs.end()).size(), verbs.size()); // each a row of its own
        verbs.sort();
        expected.sort();
        QCOMPARE(verbs, expected);
    }

    void aHubCannotGiveAVerbNorCtlAMethod()
    {
        const CommandResult asHub = hub(QStringLiteral("shutdown"), QJsonObject{});
        QVERIFY(!asHub.ok);
        QCOMPARE(asHub.message, QStringLiteral("unknown method 'shutdown'"));
        const CommandResult asCtl = ctl({{QStringLiteral("verb"), QStringLiteral("GetWorkerEventsWithLogs")}});
        QVERIFY(!asCtl.ok);
        QCOMPARE(asCtl.message, QStringLiteral("unknown verb 'GetWorkerEventsWithLogs'"));
    }

    void aCommandBothGiveIsAnsweredAlike()
    {
        const CommandResult made =
            ctl({{QStringLiteral("verb"), QStringLiteral("create")},
                 {QStringLiteral("workerId"), QStringLiteral("cam-1")},
                 {QStringLiteral("fields"), QJsonObject{{QStringLiteral("name"), QStringLiteral("Cam 1")},
                                                        {QStringLiteral("command"), QStringLiteral("fps=5")},
                                                        {QStringLiteral("streamerType"), QStringLiteral("FakeStreamer")}}}});
        QVERIFY2(made.ok, qPrintable(made.message));
        QCOMPARE(made.value[QStringLiteral("workerId")].toString(), QStringLiteral("cam-1"));
        QTRY_COMPARE(m_engine->workers().worker(QStringLiteral("cam-1"))->state(), WorkerState::Running);

        const QJsonObject operation{{QStringLiteral("workerId"), QStringLiteral("cam-1")}};
        for (const auto &[method, verb] : {std::pair{"StartWorker", "start"}, std::pair{"ResetWatchdogEventCount", "reset-watchdog"}}) {
            const CommandResult fromHub = hub(QLatin1String(method), operation);
            const CommandResult fromCtl = ctl(onWorker(verb, QStringLiteral("cam-1")));
            QVERIFY2(fromHub.ok, qPrintable(fromHub.message));
            QCOMPARE(fromCtl.ok, fromHub.ok);
            QCOMPARE(fromCtl.message, fromHub.message);
            QCOMPARE(Commands::toJson(fromCtl), Commands::toJson(fromHub));
        }
        const CommandResult ghostHub =
            hub(QStringLiteral("StopWorker"), QJsonObject{{QStringLiteral("workerId"), QStringLiteral("ghost")}});
        const CommandResult ghostCtl = ctl(onWorker("stop", QStringLiteral("ghost")));
        QVERIFY(!ghostHub.ok);
        QCOMPARE(ghostCtl.message, ghostHub.message);
        QCOMPARE(ghostHub.message, QStringLiteral("no worker with id 'ghost'"));
    }

    void ctlsBadRequestsGetAClearAnswer_data()
    {
        QTest::addColumn<QJsonObject>("request");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no verb") << QJsonObject{} << "no verb given";
        QTest::newRow("verb not a string") << QJsonObject{{QStringLiteral("verb"), 7}} << "no verb given";
        QTest::newRow("unknown verb") << QJsonObject{{QStringLiteral("verb"), QStringLiteral("format")}} << "unknown verb 'format'";
        QTest::newRow("worker verb without id")
            << QJsonObject{{QStringLiteral("verb"), QStringLiteral("restart")}} << "missing field 'workerId'";
        QTest::newRow("id not a string") << QJsonObject{{QStringLiteral("verb"), QStringLiteral("show")}, {QStringLiteral("workerId"), 3}}
                                         << "missing field 'workerId'";
        QTest::newRow("unknown worker") << onWorker("history", QStringLiteral("ghost")) << "no worker with id 'ghost'";
        QJsonObject rollbackTo = onWorker("rollback", QStringLiteral("cam-1"));
        rollbackTo.insert(QStringLiteral("toVersion"), QStringLiteral("two"));
        QTest::newRow("rollback to a word") << rollbackTo << "'toVersion' must be a version number";
        QJsonObject editRollback = onWorker("edit", QStringLiteral("cam-1"));
        editRollback.insert(QStringLiteral("autoRollback"), QStringLiteral("yes"));
        QTest::newRow("autoRollback not a flag") << editRollback << "'autoRollback' must be true or false";
        QTest::newRow("hub action") << QJsonObject{{QStringLiteral("verb"), QStringLiteral("hub")},
                                                   {QStringLiteral("action"), QStringLiteral("x")}}
                                    << "this engine has no hub links";
        QTest::newRow("policy action") << QJsonObject{{QStringLiteral("verb"), QStringLiteral("policy")},
                                                      {QStringLiteral("action"), QStringLiteral("x")}}
                                       << "policy takes show or check";
    }
    void ctlsBadRequestsGetAClearAnswer()
    {
        QFETCH(QJsonObject, request);
        QFETCH(QString, expected);
        const CommandResult r = ctl(request);
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(expected), qPrintable(r.message));
        QVERIFY(Commands::toJson(r).contains(QStringLiteral("data")));
    }
};

QTEST_GUILESS_MAIN(TestCommands)
#include "tst_commands.moc"
