#include "LogBuffer.h"
#include "StreamerFactory.h"
#include "TestEnv.h"
#include "Worker.h"

#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

namespace {
WorkerConfig fake(const QString &command, ImageWatchdogSettings wd = {true, 200ms, 1000ms})
{
    WorkerConfig c;
    c.id = QStringLiteral("w1");
    c.name = QStringLiteral("Test");
    c.command = command;
    c.streamerType = QStringLiteral("FakeStreamer");
    c.imageWatchdog = wd;
    return c;
}

bool isJpeg(const QByteArray &b)
{
    return b.size() > 100 && b.startsWith("\xFF\xD8") && b.endsWith("\xFF\xD9");
}

bool logHas(const Worker &w, const QString &text)
{
    for (const LogEntry &e : w.log().last(500))
        if (e.message.contains(text))
            return true;
    return false;
}
} // namespace

class TestWorker : public QObject {
    Q_OBJECT
    StreamerFactory m_factory;

    WorkerEnvironment env(RestartPolicySettings policy = {})
    {
        WorkerEnvironment e;
        e.factory = &m_factory;
        e.random01 = [] { return 0.5; };
        e.restartPolicy = policy;
        return e;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_factory.loadPlugins({pluginDir()}) > 0, qPrintable(m_factory.loadErrors().join(QLatin1Char('\n'))));
        QVERIFY(m_factory.hasType(QStringLiteral("FakeStreamer")));
    }

    void logBufferKeepsTheNewestLinesNumbered()
    {
        LogBuffer log(3);
        for (int i = 1; i <= 5; ++i)
            log.append(LogLevel::Information, QString::number(i));
        QCOMPARE(log.size(), 3);
        const auto lines = log.last(10);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.first().sequence, 3);
        QCOMPARE(lines.last().message, QStringLiteral("5"));
        QCOMPARE(log.since(4).size(), 1);
        QCOMPARE(log.lastSequence(), 5);
    }

    void startsRunsWithPicturesAndStops()
    {
        Worker w(fake(QStringLiteral("fps=20")), env());
        QSignalSpy states(&w, &Worker::stateChanged);
        const OpResult r = w.start();
        QVERIFY(r.ok);
        QCOMPARE(w.state(), WorkerState::Starting);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QTRY_VERIFY(w.pictureSequence() >= 3);
        QVERIFY(isJpeg(w.lastPicture()));

        const OpResult again = w.start();
        QVERIFY(again.ok);
        QCOMPARE(again.message, QStringLiteral("already running"));

        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
        const OpResult idle = w.stop();
        QVERIFY(idle.ok);
        QCOMPARE(idle.message, QStringLiteral("already stopped"));
        QCOMPARE(states.first().first().value<WorkerState>(), WorkerState::Starting);
        QCOMPARE(w.watchdogEventCount(), 0);
    }

    void picturesAreAnnouncedAtMostPreviewFpsAndTheNewestIsNeverLost()
    {
        WorkerEnvironment e = env();
        e.previewFps = 2;
        Worker w(fake(QStringLiteral("fps=40")), e);
        QList<int> announced; // the picture sequence at each announcement
        connect(&w, &Worker::pictureUpdated, &w, [&] { announced.append(w.pictureSequence()); });
        w.start();
        QTRY_VERIFY_WITH_TIMEOUT(w.pictureSequence() >= 60, 10000);
        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
        // The last picture is announced even though it came too soon.
        QTRY_COMPARE(announced.last(), w.pictureSequence());
        QVERIFY2(announced.size() * 3 < w.pictureSequence(), qPrintable(QStringLiteral("%1 announcements for %2 pictures")
                                                                            .arg(announced.size()).arg(w.pictureSequence())));
        QVERIFY(announced.size() >= 2);
        QVERIFY(std::is_sorted(announced.cbegin(), announced.cend()));
    }

    void commandsDuringATransitionAnswerAtOnce()
    {
        Worker w(fake(QStringLiteral("fps=20 stop-delay=0.5")), env());
        w.start();
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QVERIFY(w.stop().ok);
        QCOMPARE(w.state(), WorkerState::Stopping);
        const OpResult start = w.start(); // the stop still takes a while
        QVERIFY(start.ok);
        QVERIFY2(start.message.contains(QStringLiteral("once stopped")), qPrintable(start.message));
        QCOMPARE(w.state(), WorkerState::Stopping);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aCrashIsRestartedAtOnceAndRecorded()
    {
        Worker w(fake(QStringLiteral("fps=20 crash-after=0.3")), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_VERIFY(events.size() >= 1);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Failed);
        QVERIFY2(e.message.contains(QStringLiteral("crashed")), qPrintable(e.message));
        QVERIFY2(e.message.contains(QStringLiteral("restart 1 of 5")), qPrintable(e.message));
        bool sawCrashLine = false;
        for (const LogEntry &l : e.logs)
            sawCrashLine |= l.message.contains(QStringLiteral("SIGSEGV"));
        QVERIFY(sawCrashLine);
        QVERIFY(w.watchdogEventCount() >= 1);
        QTRY_COMPARE(w.state(), WorkerState::Running); // back with pictures
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void anEndIsRestarted()
    {
        Worker w(fake(QStringLiteral("fps=20 end-after=0.3")), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_VERIFY(events.size() >= 1);
        QCOMPARE(events.first().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Ended);
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aStallIsCaughtByThePictureWatchdog()
    {
        Worker w(fake(QStringLiteral("fps=20 stall-after=0.3"), {true, 0ms, 1000ms}), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 1, 10000);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Stalled);
        QVERIFY2(e.message.contains(QStringLiteral("no picture for")), qPrintable(e.message));
        QTRY_COMPARE(w.state(), WorkerState::Running); // restarted, pictures again
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aStreamerThatNeverStartsIsCaught()
    {
        Worker w(fake(QStringLiteral("never-start"), {true, 200ms, 1000ms}), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QCOMPARE(w.state(), WorkerState::Starting);
        QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 1, 10000);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Stalled);
        QVERIFY2(e.message.contains(QStringLiteral("no picture within")), qPrintable(e.message));
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void newWatchdogSettingsApplyAtOnce()
    {
        Worker w(fake(QStringLiteral("fps=20 stall-after=0.2"), {false, 0ms, 1000ms}), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_COMPARE(w.state(), WorkerState::Running);
        // Stalled, watchdog off: alive, and it says so.
        QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(QStringLiteral("no picture for")), 10000);
        QCOMPARE(events.size(), 0);
        QCOMPARE(w.state(), WorkerState::Running);
        WorkerConfig c = w.config();
        c.imageWatchdog.enabled = true;
        w.applyConfig(c);
        QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 1, 5000);
        QCOMPARE(events.first().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Stalled);
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aBrokenStartBacksOffThenHoldsVisibly()
    {
        RestartPolicySettings p;
        p.firstBackoff = 50ms;
        p.maxRestartsInWindow = 3;
        p.holdFor = 60s;
        Worker w(fake(QStringLiteral("fail-start")), env(p));
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 4, 10000); // three restarts, then the hold
        QCOMPARE(events.last().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Hold);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
        QVERIFY(w.isOnHold());
        QVERIFY2(w.lastError().contains(QStringLiteral("fail-start")), qPrintable(w.lastError()));
        QVERIFY2(w.statusText().contains(QStringLiteral("gave up")), qPrintable(w.statusText()));
        QVERIFY(logHas(w, QStringLiteral("watchdog gave up")));
        QCOMPARE(w.watchdogEventCount(), 4);

        // The operator stops it: the pending retry is cancelled.
        const OpResult stop = w.stop();
        QVERIFY(stop.ok);
        QVERIFY(!w.isOnHold());
        QVERIFY(!w.wantsToRun());
    }

    void aNewCommandRestartsARunningWorker()
    {
        Worker w(fake(QStringLiteral("fps=20")), env());
        w.start();
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QSignalSpy states(&w, &Worker::stateChanged);
        WorkerConfig c = w.config();
        c.command = QStringLiteral("fps=20 size=320x180");
        w.applyConfig(c);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QVERIFY(states.size() >= 2);
        QTRY_VERIFY(logHas(w, QStringLiteral("320x180")));
        QCOMPARE(w.watchdogEventCount(), 0); // an edit is no failure
        w.stop();
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void anUnknownStreamerTypeFailsClearly()
    {
        WorkerConfig c = fake(QStringLiteral("fps=5"));
        c.streamerType = QStringLiteral("NoSuchStreamer");
        Worker w(c, env());
        const OpResult r = w.start();
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(QStringLiteral("unknown streamer type 'NoSuchStreamer'")), qPrintable(r.message));
        QVERIFY(r.message.contains(QStringLiteral("FakeStreamer")));
        QCOMPARE(w.state(), WorkerState::Idle);
        QCOMPARE(w.lastError(), r.message);
    }

    void aBadFakeCommandFailsWithItsReason()
    {
        RestartPolicySettings p;
        p.maxRestartsInWindow = 1;
        Worker w(fake(QStringLiteral("fps=5 wobble=3")), env(p));
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        w.start();
        QTRY_VERIFY(w.isOnHold());
        QVERIFY2(w.lastError().contains(QStringLiteral("unknown word 'wobble=3'")), qPrintable(w.lastError()));
        w.stop();
    }
};

QTEST_GUILESS_MAIN(TestWorker)
#include "tst_worker.moc"
