#include "VerifyResult.h"
#include "core/engine/Engine.h"
#include "core/store/Store.h"
#include "core/streamer/StreamerFactory.h"
#include "TestEnv.h"
#include "core/manager/WorkerManager.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

namespace {
WorkerConfig fake(const QString &command = QStringLiteral("fps=10"), const QString &id = {})
{
    WorkerConfig c;
    c.id = id;
    c.name = QStringLiteral("Cam");
    c.command = command;
    c.streamerType = QStringLiteral("FakeStreamer");
    c.imageWatchdog = {true, 2s, 2s};
    return c;
}
} // namespace

class TestManager : public QObject {
    Q_OBJECT
    StreamerFactory m_factory;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<WorkerManager> m_manager;

    void reopen()
    {
        m_manager.reset();
        m_store = std::make_unique<Store>();
        QVERIFY_OK(m_store->open(m_dir->filePath(QStringLiteral("se.db")), QStringLiteral("test")));
        m_manager = std::make_unique<WorkerManager>(*m_store, m_factory);
        QVERIFY_OK(m_manager->load());
    }

    bool allRunning() const
    {
        const QList<Worker *> all = m_manager->workers();
        return std::all_of(all.begin(), all.end(), [](Worker *w) { return w->state() == WorkerState::Running; });
    }

    void stopAll()
    {
        m_manager->stopAll();
        QTRY_VERIFY(m_manager->allIdle());
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_factory.loadPlugins({pluginDir()}) > 0); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        reopen();
    }

    void cleanup()
    {
        if (m_manager)
            stopAll();
        m_manager.reset();
        m_store.reset();
    }

    void createMakesAnIdStoresAndStarts()
    {
        QSignalSpy added(m_manager.get(), &WorkerManager::workerAdded);
        const Result<QString> r = m_manager->create(fake());
        QVERIFY2(r.ok, qPrintable(r.message));
        QVERIFY(!QUuid::fromString(r.value).isNull());
        QCOMPARE(added.size(), 1);
        QTRY_COMPARE(m_manager->worker(r.value)->state(), WorkerState::Running);
        QCOMPARE(m_store->workers().value.size(), 1);
        QCOMPARE(m_store->workers().value[0].config.id, r.value);
    }

    void badInputIsRefusedAndNothingIsStored_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("streamer");
        QTest::addColumn<int>("intervalMs");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty command") << "  " << "FakeStreamer" << 2000 << "command is empty";
        QTest::newRow("unknown streamer") << "fps=5" << "Nope" << 2000 << "unknown streamer type 'Nope'";
        QTest::newRow("interval too short") << "fps=5" << "FakeStreamer" << 500 << "from 1 s to 1 day";
        QTest::newRow("command too long") << "fps=5 " + QString(40000, QLatin1Char('x')) << "FakeStreamer" << 2000
                                          << "the command is 40006 characters long; at most 32768 are allowed";
    }
    void badInputIsRefusedAndNothingIsStored()
    {
        QFETCH(QString, command);
        QFETCH(QString, streamer);
        QFETCH(int, intervalMs);
        QFETCH(QString, expected);
        WorkerConfig c = fake(command);
        c.streamerType = streamer;
        c.imageWatchdog.interval = Millis(intervalMs);
        const Result<QString> r = m_manager->create(c);
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(expected), qPrintable(r.message));
        QVERIFY(m_manager->workers().isEmpty());
        QVERIFY(m_store->workers().value.isEmpty());
    }

    void overlongTextsAreRefusedOnEditToo()
    {
        QVERIFY(m_manager->create(fake(QStringLiteral("fps=5"))).ok);
        const QString id = m_manager->workers().first()->id();
        WorkerPatch p;
        p.name = QString(2000, QLatin1Char('n'));
        Result<> r = m_manager->edit(id, p);
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(QStringLiteral("the name is 2000 characters long")), qPrintable(r.message));
        p = {};
        p.description = QString(20000, QLatin1Char('d'));
        r = m_manager->edit(id, p);
        QVERIFY2(r.message.contains(QStringLiteral("the description")), qPrintable(r.message));
        QCOMPARE(m_store->workers().value.first().config.name, m_manager->workers().first()->config().name); // nothing stored
        QVERIFY(m_store->changeLog(id).size() <= 1);
    }

    void aDuplicateIdIsRefused()
    {
        QVERIFY(m_manager->create(fake(QStringLiteral("fps=5"), QStringLiteral("cam-1"))).ok);
        const Result<QString> r = m_manager->create(fake(QStringLiteral("fps=5"), QStringLiteral("cam-1")));
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(QStringLiteral("exists already")), qPrintable(r.message));
        QCOMPARE(m_store->workers().value.size(), 1);
    }

    void anEditRecordsEachChangedFieldFromTo()
    {
        const QString id = m_manager->create(fake()).value;
        QSignalSpy changed(m_manager.get(), &WorkerManager::workerChanged);
        WorkerPatch p;
        p.name = QStringLiteral("Cam North");
        p.imageWatchdogInterval = 4s;
        const Result<> r = m_manager->edit(id, p);
        QVERIFY2(r.ok, qPrintable(r.message));
        QVERIFY(changed.size() >= 1);
        const auto log = m_manager->changeLog(id);
        QCOMPARE(log.size(), 3); // created + two fields
        QCOMPARE(log[1].details, QStringLiteral("name: 'Cam' -> 'Cam North'"));
        QCOMPARE(log[2].details, QStringLiteral("imgWatchdogInterval: '2s' -> '4s'"));
        QCOMPARE(m_manager->worker(id)->config().name, QStringLiteral("Cam North"));

        const Result<> same = m_manager->edit(id, p);
        QVERIFY(same.ok);
        QCOMPARE(same.message, QStringLiteral("nothing changed"));

        WorkerPatch bad;
        bad.streamerType = QStringLiteral("Nope");
        QVERIFY(!m_manager->edit(id, bad).ok);
        QCOMPARE(m_store->workers().value[0].config.streamerType, QStringLiteral("FakeStreamer"));
    }

    void unknownAndRemovedWorkersAreRefusedEverywhere()
    {
        const QString id = m_manager->create(fake()).value;
        QVERIFY(m_manager->remove(id).ok);
        WorkerPatch p;
        p.name = QStringLiteral("x");
        for (const Result<> &r : {m_manager->edit(id, p), m_manager->start(id), m_manager->stop(id), m_manager->restart(id),
                                  m_manager->remove(id), m_manager->setEnabled(id, false), m_manager->resetWatchdogEventCount(id),
                                  m_manager->start(QStringLiteral("never-was"))}) {
            QVERIFY(!r.ok);
            QVERIFY2(r.message.startsWith(QStringLiteral("no worker with id")), qPrintable(r.message));
        }
    }

    void removeStopsDeletesAndReports()
    {
        const QString id = m_manager->create(fake(QStringLiteral("fps=10 stop-delay=0.3"))).value;
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Running);
        QPointer<Worker> w = m_manager->worker(id);
        QSignalSpy removed(m_manager.get(), &WorkerManager::workerRemoved);
        QVERIFY(m_manager->remove(id).ok);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed.first().first().toString(), id);
        QVERIFY(!m_manager->worker(id));
        QVERIFY(m_store->workers().value.isEmpty());
        QTRY_VERIFY(w.isNull()); // destroyed once its streamer stopped
        QVERIFY(m_manager->allIdle());
    }

    void disabledWorkersStopAndStayDownAtBoot()
    {
        const QString a = m_manager->create(fake()).value;
        const QString b = m_manager->create(fake()).value;
        QTRY_COMPARE(m_manager->worker(b)->state(), WorkerState::Running);
        const Result<> r = m_manager->setEnabled(b, false);
        QVERIFY2(r.ok, qPrintable(r.message));
        QTRY_COMPARE(m_manager->worker(b)->state(), WorkerState::Idle);
        const Result<> refused = m_manager->start(b);
        QVERIFY(!refused.ok);
        QVERIFY(refused.message.contains(QStringLiteral("disabled")));
        stopAll();

        reopen(); // the engine restarts
        m_manager->startEnabled();
        QCOMPARE(m_manager->worker(a)->state(), WorkerState::Starting);
        QCOMPARE(m_manager->worker(b)->state(), WorkerState::Idle);
        QVERIFY(!m_manager->worker(b)->config().enabled);
        QVERIFY(m_manager->setEnabled(b, true).ok);
        QTRY_COMPARE(m_manager->worker(b)->state(), WorkerState::Running);
    }

    void enablingThroughAnEditStartsAndDisablingStops()
    {
        WorkerConfig c = fake();
        c.enabled = false;
        const QString id = m_manager->create(c).value;
        QCOMPARE(m_manager->worker(id)->state(), WorkerState::Idle);
        WorkerPatch on;
        on.enabled = true;
        QVERIFY(m_manager->edit(id, on).ok);
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Running);
        WorkerPatch off;
        off.enabled = false;
        QVERIFY(m_manager->edit(id, off).ok);
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Idle);
        QVERIFY(!m_store->workers().value[0].config.enabled);
    }

    void bootStartsEveryEnabledWorkerSideBySide()
    {
        for (int i = 0; i < 50; ++i)
            QVERIFY(m_manager->create(fake(QStringLiteral("fps=5 start-delay=0.3")), WorkerManager::StartNow::No).ok);
        m_manager->startEnabled();
        // Every start returned at once: all are under way before any is up.
        for (Worker *w : m_manager->workers())
            QCOMPARE(w->state(), WorkerState::Starting);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(), 10000);
    }

    void watchdogEventsAreStoredWithTheirLogLines()
    {
        const QString id = m_manager->create(fake(QStringLiteral("fps=20 crash-after=0.2 log-every=0.05"))).value;
        QSignalSpy events(m_manager.get(), &WorkerManager::watchdogEvent);
        QTRY_VERIFY(events.size() >= 1);
        QVERIFY(m_manager->stop(id).ok);
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Idle);
        const auto stored = m_manager->watchdogEvents(id);
        QVERIFY(stored.size() >= 1);
        QVERIFY(stored[0].logs.size() >= 3);
        QVERIFY(stored[0].logs.size() <= 20);
        QVERIFY(stored[0].message.contains(QStringLiteral("crashed")));
        const int count = m_manager->worker(id)->watchdogEventCount();
        QVERIFY(count >= 1);

        reopen();
        QCOMPARE(m_manager->worker(id)->watchdogEventCount(), count);
        QVERIFY(m_manager->resetWatchdogEventCount(id).ok);
        reopen();
        QCOMPARE(m_manager->worker(id)->watchdogEventCount(), 0);
        QCOMPARE(m_manager->watchdogEvents(id).size(), stored.size()); // the history stays
    }

    // Issue 13: the watchdog's restarts by their finer cause (ctl show, /metrics).
    void restartsAreCountedByCause_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("cause");
        QTest::newRow("crash") << QStringLiteral("fps=20 crash-after=0.2") << int(RestartCause::Crash);
        QTest::newRow("error") << QStringLiteral("fps=20 fail-after=0.2") << int(RestartCause::Error);
        QTest::newRow("end of stream") << QStringLiteral("fps=20 end-after=0.2") << int(RestartCause::EndOfStream);
        QTest::newRow("picture stall") << QStringLiteral("fps=20 stall-after=0.2") << int(RestartCause::PictureStall);
        QTest::newRow("start failure") << QStringLiteral("fail-start") << int(RestartCause::StartFailure);
    }
    void restartsAreCountedByCause()
    {
        QFETCH(QString, command);
        QFETCH(int, cause);
        const QString id = m_manager->create(fake(command)).value;
        QSignalSpy events(m_manager.get(), &WorkerManager::watchdogEvent);
        QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 1, 10000);
        QVERIFY(m_manager->stop(id).ok);
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Idle);
        const RestartCounts counts = m_manager->restartCounts(id);
        QCOMPARE(counts.of(RestartCause(cause)), quint64(events.size()));
        quint64 all = 0;
        for (quint64 n : counts.byCause)
            all += n;
        QCOMPARE(all, counts.of(RestartCause(cause))); // no other cause
        QCOMPARE(events.first().at(1).value<WatchdogEvent>().restartCause, std::optional(RestartCause(cause)));
        // Counters only grow: not reset with the watchdog count, kept when the worker goes.
        QVERIFY(m_manager->resetWatchdogEventCount(id).ok);
        QVERIFY(m_manager->remove(id).ok);
        QCOMPARE(m_manager->restartCounts(id).byCause, counts.byCause);
    }

    void aRestartThatEndsInAHoldCountsAsBoth()
    {
        RestartPolicySettings quick;
        quick.firstBackoff = 10ms;
        quick.maxBackoff = 20ms;
        quick.maxRestartsInWindow = 2;
        m_manager->setRestartPolicy(quick);
        const QString id = m_manager->create(fake(QStringLiteral("fail-start"))).value;
        QTRY_VERIFY_WITH_TIMEOUT(m_manager->worker(id)->isOnHold(), 10000);
        const RestartCounts counts = m_manager->restartCounts(id);
        QCOMPARE(counts.holds, quint64(1));
        QCOMPARE(counts.of(RestartCause::StartFailure), quint64(3)); // two restarts, then the third failure is held
    }

    // Issue 12: the history is written on the store's writer thread; what is
    // announced can be read at once (GetWorkerEventsWithLogs, ctl show, the
    // dashboard reload on the announcement), with the id it is stored under.
    void anAnnouncedEventCanBeReadAtOnce()
    {
        const QString id = m_manager->create(fake(QStringLiteral("fps=20 crash-after=0.2 log-every=0.05"))).value;
        QList<qint64> announced;
        QStringList unseen;
        {
            QObject context;
            connect(m_manager.get(), &WorkerManager::watchdogEvent, &context, [&](Worker *w, const WatchdogEvent &e) {
                announced << e.id;
                const QList<WatchdogEvent> stored = m_manager->watchdogEvents(w->id());
                if (stored.isEmpty() || stored.last().id != e.id || stored.last().message != e.message || stored.last().logs.size() != e.logs.size())
                    unseen << e.message;
                if (m_store->workers().value.first().watchdogEventCount != w->watchdogEventCount())
                    unseen << QStringLiteral("count %1").arg(w->watchdogEventCount());
            });
            QTRY_VERIFY_WITH_TIMEOUT(announced.size() >= 3, 10000);
        }
        QVERIFY2(unseen.isEmpty(), qPrintable(unseen.join(QLatin1Char('\n'))));
        for (int i = 1; i < announced.size(); ++i)
            QVERIFY(announced[i] > announced[i - 1]);
        QVERIFY(announced.first() > 0);
        // A reset reads back at once, before and after the writer has it.
        QVERIFY(m_manager->resetWatchdogEventCount(id).ok);
        QCOMPARE(m_store->workers().value.first().watchdogEventCount, 0);
        QVERIFY(m_manager->stop(id).ok);
        QTRY_COMPARE(m_manager->worker(id)->state(), WorkerState::Idle);
        QVERIFY(m_store->flushHistory(10s));
        QCOMPARE(m_store->workers().value.first().watchdogEventCount, m_manager->worker(id)->watchdogEventCount());
    }

    // A clean stop: the engine says it is finished only once the history its
    // writer thread had queued is in the file.
    void theEngineWritesItsQueuedHistoryBeforeItFinishes()
    {
        QTemporaryDir dir;
        Engine engine;
        EngineOptions options;
        options.dataDir = dir.path();
        options.pluginDirs = {pluginDir()};
        QVERIFY_OK(engine.open(options));
        const QString id = engine.workers().create(fake(QStringLiteral("fps=20 crash-after=0.1 log-every=0.02"))).value;
        QTRY_VERIFY_WITH_TIMEOUT(engine.workers().worker(id)->watchdogEventCount() >= 3, 10000);
        QSignalSpy finished(&engine, &Engine::finished);
        engine.shutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        const int count = engine.workers().worker(id)->watchdogEventCount();
        QCOMPARE(engine.store().historyStats().waiting, 0);
        QCOMPARE(engine.store().historyStats().failed, quint64(0));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("drain-check"));
            db.setDatabaseName(dir.filePath(QStringLiteral("streamengine.db")));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT (SELECT count(*) FROM watchdog_events), watchdog_event_count FROM workers")) && q.next());
            QCOMPARE(q.value(0).toInt(), count);
            QCOMPARE(q.value(1).toInt(), count);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("drain-check"));
    }

    void stopAllEndsInAllStopped()
    {
        for (int i = 0; i < 5; ++i)
            QVERIFY(m_manager->create(fake(QStringLiteral("fps=10 stop-delay=0.1"))).ok);
        QTRY_VERIFY(allRunning());
        QSignalSpy done(m_manager.get(), &WorkerManager::allStopped);
        m_manager->stopAll();
        QTRY_COMPARE(done.size(), 1);
        QVERIFY(m_manager->allIdle());
    }
};

QTEST_GUILESS_MAIN(TestManager)
#include "tst_manager.moc"
