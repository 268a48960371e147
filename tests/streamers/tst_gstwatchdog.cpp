// The GStreamer streamers under core's WorkerManager and its watchdog, with
// the plugins found by StreamerFactory as the engine finds them: a killed
// GstStreamer child is restarted and shows pictures again, an ended stream is
// restarted, and a broken command backs off into a hold instead of spinning.

#include "VerifyResult.h"
#include "core/streamer/StreamerFactory.h"
#include "StreamerTestKit.h"
#include "core/store/Store.h"
#include "core/manager/WorkerManager.h"

#include <QGuiApplication>
#include <QTemporaryDir>

#include <csignal>

using namespace se;
using namespace se::test;
using namespace std::chrono_literals;

class TestGstWatchdog : public QObject {
    Q_OBJECT
    StreamerFactory m_factory;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<WorkerManager> m_manager;
    QList<WatchdogEvent> m_events;

    static WorkerConfig worker(const QString &type, const QString &command)
    {
        WorkerConfig c;
        c.name = QStringLiteral("cam");
        c.command = command;
        c.streamerType = type;
        c.imageWatchdog = {true, 10s, 5s};
        return c;
    }
    static void addTypes()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("GstStreamer") << QStringLiteral("GstStreamer");
        QTest::newRow("GstInProcess") << QStringLiteral("GstInProcess");
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_factory.loadPlugins({pluginDir()});
        // The factory lists both, so the engine offers both to StreamHub.
        QVERIFY2(m_factory.hasType(QStringLiteral("GstStreamer")), qPrintable(m_factory.loadErrors().join(QLatin1Char('\n'))));
        QVERIFY(m_factory.hasType(QStringLiteral("GstInProcess")));
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_store = std::make_unique<Store>();
        QVERIFY_OK(m_store->open(m_dir->filePath(QStringLiteral("se.db")), QStringLiteral("test")));
        m_manager = std::make_unique<WorkerManager>(*m_store, m_factory);
        RestartPolicySettings policy;
        policy.firstBackoff = 200ms;
        policy.maxBackoff = 1s;
        policy.maxRestartsInWindow = 3;
        policy.window = 60s;
        policy.holdFor = 60s;
        m_manager->setRestartPolicy(policy);
        QVERIFY_OK(m_manager->load());
        m_events.clear();
        connect(m_manager.get(), &WorkerManager::watchdogEvent, this,
                [this](Worker *, const WatchdogEvent &e) { m_events << e; });
    }

    void cleanup()
    {
        m_manager->stopAll();
        QTRY_VERIFY_WITH_TIMEOUT(m_manager->allIdle(), kWait);
        m_manager.reset();
        m_store.reset();
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
    }

    void sigkilledChildIsRestartedAndShowsPicturesAgain()
    {
        const Result<QString> r = m_manager->create(worker(QStringLiteral("GstStreamer"), kLight));
        QVERIFY2(r.ok, qPrintable(r.message));
        Worker *w = m_manager->worker(r.value);
        QTRY_VERIFY_WITH_TIMEOUT(w->state() == WorkerState::Running && w->pictureSequence() > 0, kWait);
        const QList<int> kids = childProcesses();
        QCOMPARE(kids.size(), 1);
        QCOMPARE(::kill(kids.first(), SIGKILL), 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 1, kWait);
        QCOMPARE(m_events.first().cause, WatchdogEvent::Cause::Failed);
        QVERIFY2(m_events.first().message.contains(QLatin1String("SIGKILL")), qPrintable(m_events.first().message));
        QCOMPARE(m_events.first().restartCause, std::optional(RestartCause::Crash)); // as ctl show and /metrics count it
        QCOMPARE(m_manager->restartCounts(r.value).of(RestartCause::Crash), quint64(1));
        const int before = w->pictureSequence();
        QTRY_VERIFY_WITH_TIMEOUT(w->state() == WorkerState::Running && w->pictureSequence() > before + 1, kWait);
        QCOMPARE(childProcesses().size(), 1);
        QVERIFY(childProcesses().first() != kids.first());
    }

    void endOfStreamIsRestarted_data() { addTypes(); }
    void endOfStreamIsRestarted()
    {
        QFETCH(QString, type);
        const Result<QString> r = m_manager->create(worker(
            type, QStringLiteral("videotestsrc is-live=true num-buffers=15 ! video/x-raw,width=160,height=120,framerate=25/1 ! "
                                 "jpegenc ! fdsink fd=2")));
        QVERIFY2(r.ok, qPrintable(r.message));
        Worker *w = m_manager->worker(r.value);
        QTRY_VERIFY_WITH_TIMEOUT(!m_events.isEmpty(), kWait);
        QCOMPARE(m_events.first().cause, WatchdogEvent::Cause::Ended);
        QCOMPARE(m_events.first().restartCause, std::optional(RestartCause::EndOfStream));
        // Restarted: it plays and shows pictures again.
        const int before = w->pictureSequence();
        QTRY_VERIFY_WITH_TIMEOUT(w->pictureSequence() > before, kWait);
    }

    void brokenCommandBacksOffIntoAHold_data() { addTypes(); }
    void brokenCommandBacksOffIntoAHold()
    {
        QFETCH(QString, type);
        const Result<QString> r = m_manager->create(worker(type, QStringLiteral("videotestsrc ! nosuchelement ! fakesink")));
        QVERIFY2(r.ok, qPrintable(r.message));
        Worker *w = m_manager->worker(r.value);
        QTRY_VERIFY_WITH_TIMEOUT(w->isOnHold(), kWait);
        // Three restarts, then the hold: the watchdog did not spin.
        QCOMPARE(m_events.size(), 4);
        QCOMPARE(m_events.last().cause, WatchdogEvent::Cause::Hold);
        for (const WatchdogEvent &e : std::as_const(m_events)) {
            QVERIFY2(e.message.contains(QLatin1String("no element \"nosuchelement\"")), qPrintable(e.message));
            QCOMPARE(e.restartCause, std::optional(RestartCause::StartFailure)); // the hold's too: what led to it
        }
        const RestartCounts counts = m_manager->restartCounts(r.value);
        QCOMPARE(counts.of(RestartCause::StartFailure), quint64(4));
        QCOMPARE(counts.holds, quint64(1));
        QVERIFY2(w->lastError().contains(QLatin1String("no element")), qPrintable(w->lastError()));
        QVERIFY(w->state() == WorkerState::Idle || w->state() == WorkerState::Restarting);
        QCOMPARE(childProcesses().size(), 0);
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    TestGstWatchdog t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_gstwatchdog.moc"
