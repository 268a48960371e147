// Strict input: the texts and times an operator gives a worker, by hub, ctl or
// dashboard, meet one set of rules, and ctl reads its words exactly.
#include "core/store/Store.h"
#include "core/streamer/StreamerFactory.h"
#include "TestEnv.h"
#include "VerifyResult.h"
#include "core/manager/WorkerManager.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(se::WorkerConfig)

namespace {
WorkerConfig valid()
{
    WorkerConfig c;
    c.id = QStringLiteral("cam-1");
    c.name = QStringLiteral("Cam 1 — Nord");
    c.description = QStringLiteral("two lines:\n\tthe second indented");
    c.command = QStringLiteral("fps=5");
    c.streamerType = QStringLiteral("FakeStreamer");
    c.imageWatchdog = {true, 0s, 1s};
    return c;
}

} // namespace

class TestInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void workerTextsAndTimesFollowOneSetOfRules_data()
    {
        QTest::addColumn<WorkerConfig>("config");
        QTest::addColumn<QString>("refusal"); // a part of the message; empty: accepted
        const WorkerConfig ok = valid();
        auto with = [&](auto change) {
            WorkerConfig c = ok;
            change(c);
            return c;
        };
        QTest::newRow("valid") << ok << QString();
        QTest::newRow("terminal escape in a name") << with([](WorkerConfig &c) { c.name = QStringLiteral("\x1b[2J\x1b[31mred"); })
                                                   << QStringLiteral("the name holds a character that is not allowed (U+001B)");
        QTest::newRow("control character in an id") << with([](WorkerConfig &c) { c.id = QStringLiteral("a\rb"); })
                                                     << QStringLiteral("the worker id holds a character that is not allowed (U+000D)");
        QTest::newRow("line break in a name") << with([](WorkerConfig &c) { c.name = QStringLiteral("a\nb"); })
                                              << QStringLiteral("(U+000A)");
        QTest::newRow("C1 control in a description") << with([](WorkerConfig &c) { c.description = QString(QChar(0x9B)) + QStringLiteral("31m"); })
                                                     << QStringLiteral("the description holds a character that is not allowed (U+009B)");
        QTest::newRow("bidirectional override") << with([](WorkerConfig &c) { c.name = QStringLiteral("abc") + QChar(0x202E) + QStringLiteral("fdp.exe"); })
                                                << QStringLiteral("(U+202E)");
        QTest::newRow("invalid UTF-8") << with([](WorkerConfig &c) { c.name = QString::fromUtf8("caf\xc3\x28 cam"); })
                                       << QStringLiteral("(U+FFFD)");
        QTest::newRow("lone surrogate") << with([](WorkerConfig &c) { c.id = QStringLiteral("x") + QChar(0xD800); })
                                        << QStringLiteral("a lone surrogate");
        QTest::newRow("empty name") << with([](WorkerConfig &c) { c.name = QStringLiteral("   "); }) << QStringLiteral("a worker needs a name");
        QTest::newRow("interval of 1e9 s") << with([](WorkerConfig &c) { c.imageWatchdog.interval = Millis(1000000000000LL); })
                                           << QStringLiteral("interval must be from 1 s to 1 day (86400 s); 1e+09 s was given");
        QTest::newRow("interval under 1 s") << with([](WorkerConfig &c) { c.imageWatchdog.interval = 500ms; })
                                            << QStringLiteral("interval must be from 1 s to 1 day");
        QTest::newRow("a day of grace") << with([](WorkerConfig &c) { c.imageWatchdog.graceTime = 24h; }) << QString();
        QTest::newRow("grace over a day") << with([](WorkerConfig &c) { c.imageWatchdog.graceTime = 24h + 1s; })
                                          << QStringLiteral("grace time must be from 0 s to 1 day");
        QTest::newRow("negative grace") << with([](WorkerConfig &c) { c.imageWatchdog.graceTime = -1s; })
                                        << QStringLiteral("grace time must be from 0 s to 1 day (86400 s); -1 s was given");
    }
    void workerTextsAndTimesFollowOneSetOfRules()
    {
        QFETCH(WorkerConfig, config);
        QFETCH(QString, refusal);
        const QString said = textAndTimeRefusal(config);
        if (refusal.isEmpty())
            QVERIFY2(said.isEmpty(), qPrintable(said));
        else
            QVERIFY2(said.contains(refusal), qPrintable(said));
    }

    void aRefusedWorkerIsNotStored()
    {
        QTemporaryDir dir;
        StreamerFactory factory;
        factory.loadPlugins({pluginDir()});
        Store store;
        QVERIFY_OK(store.open(dir.filePath(QStringLiteral("se.db")), QStringLiteral("test")));
        WorkerManager manager(store, factory);
        QVERIFY_OK(manager.load());
        WorkerConfig bad = valid();
        bad.name = QStringLiteral("\x1b]0;owned\x07");
        const Result<QString> r = manager.create(bad, WorkerManager::StartNow::No);
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(QStringLiteral("U+001B")), qPrintable(r.message));
        QVERIFY(!manager.worker(bad.id));
        QVERIFY(store.workers().value.isEmpty());
        // An edit to a bad value leaves the worker as it was.
        QVERIFY(manager.create(valid(), WorkerManager::StartNow::No).ok);
        WorkerPatch patch;
        patch.imageWatchdogInterval = Millis(1000000000000LL);
        QVERIFY(!manager.edit(valid().id, patch).ok);
        QCOMPARE(manager.worker(valid().id)->config(), valid());
    }

    void ctlReadsItsWordsExactlyAndTheEngineStatesTheRange()
    {
        QTemporaryDir dir;
        {
            // A worker stored before names were checked, with a terminal escape in it.
            Store store;
                QVERIFY_OK(store.open(dir.filePath(QStringLiteral("streamengine.db")), QStringLiteral("test")));
            WorkerConfig old = valid();
            old.id = QStringLiteral("old");
            old.name = QStringLiteral("\x1b[2Jwiped");
            old.enabled = false;
            QVERIFY_OK(store.insertWorker(old, QStringLiteral("created")));
        }
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedChannels);
        engine.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--plugin-dir"), pluginDir()});
        QVERIFY(engine.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(ctl(dir.path(), {QStringLiteral("list")}).exitCode, 0, 15000);

        const QStringList create{QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("c1"), QStringLiteral("--name"),
                                 QStringLiteral("Cam"), QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"),
                                 QStringLiteral("--command"), QStringLiteral("fps=5")};
        CtlResult r = ctl(dir.path(), create + QStringList{QStringLiteral("--enabled"), QStringLiteral("maybe")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--enabled takes yes or no, not 'maybe'"), r.err.constData());
        r = ctl(dir.path(), create + QStringList{QStringLiteral("--watchdog"), QStringLiteral("of")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--watchdog takes on or off, not 'of'"), r.err.constData());
        r = ctl(dir.path(), create + QStringList{QStringLiteral("--grace"), QStringLiteral("nan")});
        QCOMPARE(r.exitCode, 2);
        r = ctl(dir.path(), create + QStringList{QStringLiteral("--grace"), QStringLiteral("1e300")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("grace time must be from 0 s to 1 day"), r.err.constData());
        r = ctl(dir.path(), create + QStringList{QStringLiteral("--interval"), QStringLiteral("1e9")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("interval must be from 1 s to 1 day (86400 s); 1e+09 s was given"), r.err.constData());
        r = ctl(dir.path(), {QStringLiteral("create"), QStringLiteral("--name"), QStringLiteral("\x1b[31mred"), QStringLiteral("--streamer"),
                             QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=5")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("U+001B") && !r.err.contains('\x1b'), r.err.constData());
        // Nothing of the refused ones was created; a good one is.
        r = ctl(dir.path(), create + QStringList{QStringLiteral("--enabled"), QStringLiteral("no"), QStringLiteral("--watchdog"),
                                                 QStringLiteral("off"), QStringLiteral("--grace"), QStringLiteral("86400")});
        QVERIFY2(r.exitCode == 0, r.err.constData());

        // What is already stored reaches the terminal as escapes, never obeyed.
        r = ctl(dir.path(), {QStringLiteral("list")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(!r.out.contains('\x1b'), r.out.constData());
        QVERIFY2(r.out.contains("\\u001b[2Jwiped"), r.out.constData());
        QVERIFY(r.out.contains("c1"));
        QCOMPARE(r.out.count('\n'), 3); // the header and two workers

        engine.terminate();
        QVERIFY(engine.waitForFinished(15000));
    }
};

QTEST_MAIN(TestInput)
#include "tst_input.moc"
