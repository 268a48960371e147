#include "core/log/LogBuffer.h"
#include "core/streamer/StreamerFactory.h"
#include "TestEnv.h"
#include "core/worker/Worker.h"

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

// A streamer the test drives in simulated time: pictures at the script's fps
// from the start, faults when the test says; its signals that the contract
// queues (stopped, a failed start) wait for the scheduler's next turn.
struct Script {
    double fps = 5;           // 0: never a picture
    bool failStart = false;
    int starts = 0;
    class ScriptedStreamer *current = nullptr;
};

class ScriptedStreamer : public Streamer {
    Q_OBJECT
public:
    ScriptedStreamer(std::shared_ptr<WorkerScheduler> clock, Script &script)
        : m_clock(std::move(clock)), m_script(script), m_pictures(m_clock.get()), m_queued(m_clock.get())
    {
    }
    ~ScriptedStreamer() override
    {
        if (m_script.current == this)
            m_script.current = nullptr;
    }

    void start(const StreamerConfig &) override
    {
        ++m_script.starts;
        m_script.current = this;
        if (m_script.failStart) {
            m_queued.start(m_clock->now(), [this] { Q_EMIT failed(QStringLiteral("could not start (scripted)"), FailureKind::StartFailure); });
            return;
        }
        if (m_script.fps > 0)
            m_pictures.start(m_clock->now(), [this] { nextPicture(); }); // the first picture on the next turn
    }
    void stop() override
    {
        m_pictures.stop();
        m_queued.start(m_clock->now(), [this] { Q_EMIT stopped(); });
    }
    // Alive, but no more pictures.
    void stall() { m_pictures.stop(); }
    void fail()
    {
        m_pictures.stop();
        Q_EMIT failed(QStringLiteral("broke (scripted)"), FailureKind::Error);
    }
    int pictures() const { return m_count; }

private:
    void nextPicture()
    {
        if (m_count++ == 0)
            Q_EMIT producing();
        Q_EMIT picture(QByteArrayLiteral("\xFF\xD8 scripted \xFF\xD9"));
        m_pictures.start(m_clock->now() + std::chrono::microseconds(qint64(1e6 / m_script.fps)), [this] { nextPicture(); });
    }

    std::shared_ptr<WorkerScheduler> m_clock;
    Script &m_script;
    ScheduledCall m_pictures;
    ScheduledCall m_queued;
    int m_count = 0;
};

class ScriptedPlugin : public StreamerPlugin {
public:
    QString typeName() const override { return QStringLiteral("Scripted"); }
    QString description() const override { return QStringLiteral("driven by the test, in simulated time"); }
    std::unique_ptr<Streamer> create() override { return std::make_unique<ScriptedStreamer>(clock, script); }
    std::shared_ptr<SimulatedScheduler> clock;
    Script script;
};

// Most of the watchdog's life runs in simulated time (a SimulatedScheduler
// and a ScriptedStreamer): minutes of grace, back-off and hold in
// milliseconds, with exact deadlines. A few tests run real FakeStreamers on
// the real clock, as the engine does.
class TestWorker : public QObject {
    Q_OBJECT
    StreamerFactory m_factory;
    ScriptedPlugin m_scripted;

    WorkerEnvironment env(RestartPolicySettings policy = {})
    {
        WorkerEnvironment e;
        e.factory = &m_factory;
        e.random01 = [] { return 0.5; };
        e.restartPolicy = policy;
        return e;
    }
    // The same, on the simulated clock that the scripted streamers share.
    WorkerEnvironment simulated(RestartPolicySettings policy = {})
    {
        WorkerEnvironment e = env(policy);
        e.scheduler = m_scripted.clock;
        return e;
    }
    SimulatedScheduler &clock() { return *m_scripted.clock; }
    static WorkerConfig scripted(ImageWatchdogSettings wd = {true, 200ms, 1000ms})
    {
        WorkerConfig c = fake(QString(), wd);
        c.streamerType = QStringLiteral("Scripted");
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_factory.loadPlugins({pluginDir()}) > 0, qPrintable(m_factory.loadErrors().join(QLatin1Char('\n'))));
        QVERIFY(m_factory.hasType(QStringLiteral("FakeStreamer")));
        m_factory.registerPlugin(&m_scripted);
    }

    void init()
    {
        m_scripted.clock = std::make_shared<SimulatedScheduler>();
        m_scripted.script = {};
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
        const Result<> r = w.start();
        QVERIFY(r.ok);
        QCOMPARE(w.state(), WorkerState::Starting);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QTRY_VERIFY(w.pictureSequence() >= 3);
        QVERIFY(isJpeg(w.lastPicture()));

        const Result<> again = w.start();
        QVERIFY(again.ok);
        QCOMPARE(again.message, QStringLiteral("already running"));

        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
        const Result<> idle = w.stop();
        QVERIFY(idle.ok);
        QCOMPARE(idle.message, QStringLiteral("already stopped"));
        QCOMPARE(states.first().first().value<WorkerState>(), WorkerState::Starting);
        QCOMPARE(w.watchdogEventCount(), 0);
    }

    void commandsDuringATransitionAnswerAtOnce()
    {
        Worker w(fake(QStringLiteral("fps=20 stop-delay=0.5")), env());
        QVERIFY(w.start().ok);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QVERIFY(w.stop().ok);
        QCOMPARE(w.state(), WorkerState::Stopping);
        const Result<> start = w.start(); // the stop still takes a while
        QVERIFY(start.ok);
        QVERIFY2(start.message.contains(QStringLiteral("once stopped")), qPrintable(start.message));
        QCOMPARE(w.state(), WorkerState::Stopping);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aCrashIsRestartedAtOnceAndRecorded()
    {
        Worker w(fake(QStringLiteral("fps=20 crash-after=0.3")), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
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
        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void anEndIsRestarted()
    {
        Worker w(fake(QStringLiteral("fps=20 end-after=0.3")), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        QTRY_VERIFY(events.size() >= 1);
        QCOMPARE(events.first().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Ended);
        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void aStallIsCaughtByThePictureWatchdog()
    {
        Worker w(fake(QStringLiteral("fps=20 stall-after=0.3"), {true, 0ms, 1000ms}), env());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        QTRY_VERIFY_WITH_TIMEOUT(events.size() >= 1, 10000);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Stalled);
        QVERIFY2(e.message.contains(QStringLiteral("no picture for")), qPrintable(e.message));
        QTRY_COMPARE(w.state(), WorkerState::Running); // restarted, pictures again
        QVERIFY(w.stop().ok);
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
        QVERIFY(w.start().ok);
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 4, 10000); // three restarts, then the hold
        QCOMPARE(events.last().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Hold);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
        QVERIFY(w.isOnHold());
        QVERIFY2(w.lastError().contains(QStringLiteral("fail-start")), qPrintable(w.lastError()));
        QVERIFY2(w.statusText().contains(QStringLiteral("gave up")), qPrintable(w.statusText()));
        QVERIFY(logHas(w, QStringLiteral("watchdog gave up")));
        QCOMPARE(w.watchdogEventCount(), 4);

        // The operator stops it: the pending retry is cancelled.
        const Result<> stop = w.stop();
        QVERIFY(stop.ok);
        QVERIFY(!w.isOnHold());
        QVERIFY(!w.wantsToRun());
    }

    void aNewCommandRestartsARunningWorker()
    {
        Worker w(fake(QStringLiteral("fps=20")), env());
        QVERIFY(w.start().ok);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QSignalSpy states(&w, &Worker::stateChanged);
        WorkerConfig c = w.config();
        c.command = QStringLiteral("fps=20 size=320x180");
        w.applyConfig(c);
        QTRY_COMPARE(w.state(), WorkerState::Running);
        QVERIFY(states.size() >= 2);
        QTRY_VERIFY(logHas(w, QStringLiteral("320x180")));
        QCOMPARE(w.watchdogEventCount(), 0); // an edit is no failure
        QVERIFY(w.stop().ok);
        QTRY_COMPARE(w.state(), WorkerState::Idle);
    }

    void anUnknownStreamerTypeFailsClearly()
    {
        WorkerConfig c = fake(QStringLiteral("fps=5"));
        c.streamerType = QStringLiteral("NoSuchStreamer");
        Worker w(c, env());
        const Result<> r = w.start();
        QVERIFY(!r.ok);
        QVERIFY2(r.message.contains(QStringLiteral("unknown streamer type 'NoSuchStreamer'")), qPrintable(r.message));
        QVERIFY(r.message.contains(QStringLiteral("FakeStreamer")));
        QCOMPARE(w.state(), WorkerState::Idle);
        QCOMPARE(w.lastError(), r.message);
    }

    // ---- The scheduler, and the watchdog's whole life in simulated time

    void theSchedulerRunsCallsInDeadlineOrderAndForgetsCancelledOnes()
    {
        SimulatedScheduler clock;
        const TimePoint t0 = clock.now();
        QStringList ran;
        clock.schedule(t0 + 30ms, [&] { ran << QStringLiteral("30"); });
        clock.schedule(t0 + 10ms, [&] { ran << QStringLiteral("10a"); });
        const auto cancelled = clock.schedule(t0 + 20ms, [&] { ran << QStringLiteral("20"); });
        clock.schedule(t0 + 10ms, [&] {
            ran << QStringLiteral("10b");
            // Scheduled from a call, due already: runs in the same advance, at its own time.
            clock.schedule(clock.now() + 5ms, [&] { ran << QStringLiteral("15@") + QString::number((clock.now() - t0) / 1ms); });
        });
        clock.cancel(cancelled);
        clock.cancel(cancelled); // twice is harmless
        clock.advance(25ms);
        QCOMPARE(ran, (QStringList{QStringLiteral("10a"), QStringLiteral("10b"), QStringLiteral("15@15")}));
        QVERIFY(clock.now() == t0 + 25ms);
        QCOMPARE(clock.pendingCount(), std::size_t(1));
        QVERIFY(clock.advanceToNext());
        QCOMPARE(ran.last(), QStringLiteral("30"));
        QVERIFY(!clock.advanceToNext());

        ScheduledCall call(&clock);
        int calls = 0;
        call.start(clock.now() + 1ms, [&] { ++calls; });
        call.start(clock.now() + 2ms, [&] { ++calls; }); // replaces the first
        QVERIFY(call.isActive());
        clock.advance(5ms);
        QCOMPARE(calls, 1);
        QVERIFY(!call.isActive());
    }

    void theEnginesSchedulerRunsCallsInOrderAndNeverEarly()
    {
        TimerScheduler scheduler;
        const TimePoint t0 = scheduler.now();
        QList<int> ran;
        bool early = false;
        for (int ms : {30, 10, 20, 0, 10}) {
            const TimePoint deadline = t0 + std::chrono::milliseconds(ms);
            scheduler.schedule(deadline, [&, ms, deadline] {
                early |= Clock::now() < deadline;
                ran << ms;
            });
        }
        scheduler.cancel(scheduler.schedule(t0 + 5ms, [&] { ran << -1; }));
        QTRY_COMPARE(ran.size(), 5);
        QCOMPARE(ran, (QList<int>{0, 10, 10, 20, 30}));
        QVERIFY(!early);
        QCOMPARE(scheduler.pendingCount(), std::size_t(0));
    }

    void graceThenIntervalWithoutAPictureIsAStall()
    {
        m_scripted.script.fps = 0; // starts, never a picture
        Worker w(scripted({true, 5000ms, 2000ms}), simulated());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        QCOMPARE(w.state(), WorkerState::Starting);
        clock().advance(6999ms); // the grace, and all but 1 ms of the interval after it
        QCOMPARE(events.size(), 0);
        QCOMPARE(w.state(), WorkerState::Starting);
        QVERIFY2(w.statusText().contains(QStringLiteral("starting for 7.0 s")), qPrintable(w.statusText()));
        clock().advance(1ms);
        QCOMPARE(events.size(), 1);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Stalled);
        QVERIFY2(e.message.contains(QStringLiteral("no picture within 7.0 s of the start")), qPrintable(e.message));
        QVERIFY2(e.message.contains(QStringLiteral("restart 1 of 5 within 60 s, now")), qPrintable(e.message));
        // The old streamer's stop (queued, due at once), then a new start.
        QCOMPARE(m_scripted.script.starts, 2);
        QCOMPARE(w.state(), WorkerState::Starting);
    }

    void aStallIsCaughtOneIntervalAfterTheLastPicture()
    {
        Worker w(scripted({true, 1000ms, 3000ms}), simulated());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        clock().advance(0ms);
        QCOMPARE(w.state(), WorkerState::Running);
        clock().advance(10s);
        QCOMPARE(w.state(), WorkerState::Running);
        QCOMPARE(w.statusText(), QStringLiteral("running"));
        QCOMPARE(events.size(), 0);
        m_scripted.script.current->stall();
        const TimePoint stalledAt = clock().now(); // the last picture came at 10 s
        clock().advance(2999ms);
        QCOMPARE(events.size(), 0);
        QVERIFY2(w.statusText().contains(QStringLiteral("alive but no picture for 3.0 s")), qPrintable(w.statusText()));
        clock().advance(1ms);
        QCOMPARE(events.size(), 1);
        QVERIFY(clock().now() - stalledAt == 3000ms);
        const auto e = events.first().first().value<WatchdogEvent>();
        QCOMPARE(e.cause, WatchdogEvent::Cause::Stalled);
        QVERIFY2(e.message.contains(QStringLiteral("no picture for 3.0 s")), qPrintable(e.message));
        clock().advance(0ms);
        QCOMPARE(w.state(), WorkerState::Running); // restarted at once, pictures again
        QCOMPARE(m_scripted.script.starts, 2);
    }

    void aPictureArmsNoTimer()
    {
        // The picture deadline is lazy: a picture only records its time; the
        // deadline, when it falls, looks at the last picture and arms again.
        Worker w(scripted({true, 0ms, 2000ms}), simulated());
        QVERIFY(w.start().ok);
        clock().advance(1s);
        const auto scheduledBefore = clock().scheduledCount();
        const int picturesBefore = m_scripted.script.current->pictures();
        clock().advance(60s);
        const int pictures = m_scripted.script.current->pictures() - picturesBefore;
        QCOMPARE(pictures, 300);
        // One call per picture is the streamer's own next picture; the worker's
        // share is its deadline falling about once an interval (every 1.8 s:
        // 2 s after the picture before the one due with it), never one per picture.
        const auto workers = clock().scheduledCount() - scheduledBefore - quint64(pictures);
        QVERIFY2(workers <= 60 * 10 / 18 + 1, qPrintable(QString::number(workers)));
        QVERIFY(clock().pendingCount() <= 3);
    }

    void restartsBackOffDoublingThenHoldThenTryAgain()
    {
        m_scripted.script.failStart = true;
        Worker w(scripted(), simulated());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        const TimePoint t0 = clock().now();
        QList<qint64> startsAt; // ms from t0
        connect(&w, &Worker::stateChanged, &w, [&](WorkerState s) {
            if (s == WorkerState::Starting)
                startsAt << (clock().now() - t0) / 1ms;
        });
        QVERIFY(w.start().ok);
        // Each start fails at once: restart now, then in 0.5, 1, 2, 4 s (jitter
        // at its middle); the sixth failure within 60 s is the hold.
        clock().advance(7499ms);
        QCOMPARE(events.size(), 5);
        QCOMPARE(w.state(), WorkerState::Restarting);
        QVERIFY2(w.statusText().contains(QStringLiteral("restart 5 of 5 within 60 s, in 4.0 s; next in 0.0 s")), qPrintable(w.statusText()));
        clock().advance(1ms);
        QCOMPARE(startsAt, (QList<qint64>{0, 0, 500, 1500, 3500, 7500}));
        QCOMPARE(events.size(), 6);
        const auto hold = events.last().first().value<WatchdogEvent>();
        QCOMPARE(hold.cause, WatchdogEvent::Cause::Hold);
        QVERIFY2(hold.message.contains(QStringLiteral("watchdog gave up: 5 restarts within 60 s; holding for 120 s")), qPrintable(hold.message));
        QCOMPARE(w.state(), WorkerState::Idle);
        QVERIFY(w.isOnHold());
        QVERIFY(w.wantsToRun());
        QVERIFY2(w.lastError().contains(QStringLiteral("could not start (scripted)")), qPrintable(w.lastError()));
        QVERIFY(logHas(w, QStringLiteral("watchdog gave up")));
        QCOMPARE(w.watchdogEventCount(), 6);
        clock().advance(60s);
        QVERIFY2(w.statusText().contains(QStringLiteral("gave up")) && w.statusText().contains(QStringLiteral("next try in 60 s")),
                 qPrintable(w.statusText()));

        // The hold ends in a new try, with a fresh budget.
        m_scripted.script.failStart = false;
        clock().advance(59999ms);
        QCOMPARE(m_scripted.script.starts, 6);
        clock().advance(1ms);
        QCOMPARE(m_scripted.script.starts, 7);
        QVERIFY(!w.isOnHold());
        clock().advance(0ms);
        QCOMPARE(w.state(), WorkerState::Running);
    }

    void theJitterSpreadsTheBackOff()
    {
        m_scripted.script.failStart = true;
        WorkerEnvironment e = simulated();
        e.random01 = [] { return 0.0; }; // the earliest the jitter allows: 20% sooner
        Worker w(scripted(), e);
        QVERIFY(w.start().ok);
        clock().advance(0ms); // failed, restarted now, failed again: next in 0.4 s
        QCOMPARE(m_scripted.script.starts, 2);
        clock().advance(399ms);
        QCOMPARE(m_scripted.script.starts, 2);
        clock().advance(1ms);
        QCOMPARE(m_scripted.script.starts, 3);
    }

    void anOperatorStopCancelsTheHoldsRetry()
    {
        m_scripted.script.failStart = true;
        RestartPolicySettings p;
        p.maxRestartsInWindow = 1;
        Worker w(scripted(), simulated(p));
        QVERIFY(w.start().ok);
        clock().advance(1s);
        QVERIFY(w.isOnHold());
        const Result<> stop = w.stop();
        QVERIFY(stop.ok);
        QCOMPARE(stop.message, QStringLiteral("stopped; the pending retry is cancelled"));
        QVERIFY(!w.isOnHold());
        QVERIFY(!w.wantsToRun());
        const int starts = m_scripted.script.starts;
        clock().advance(10min);
        QCOMPARE(m_scripted.script.starts, starts);
        QCOMPARE(w.state(), WorkerState::Idle);
    }

    void runningLongEnoughForgivesPastFailures()
    {
        Worker w(scripted(), simulated());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        auto failAfter = [&](std::chrono::milliseconds running) {
            clock().advance(0ms);
            if (w.state() != WorkerState::Running)
                return QStringLiteral("not running");
            clock().advance(running);
            m_scripted.script.current->fail();
            return events.last().first().value<WatchdogEvent>().message;
        };
        QVERIFY(failAfter(1s).contains(QStringLiteral("restart 1 of 5 within 60 s, now")));
        QVERIFY(failAfter(1s).contains(QStringLiteral("restart 2 of 5 within 60 s, in 0.5 s")));
        clock().advance(500ms);
        QVERIFY(failAfter(1s).contains(QStringLiteral("restart 3 of 5 within 60 s, in 1.0 s")));
        clock().advance(1s);
        // A minute of running (stableAfter) forgives: the next restart is at once again.
        const QString forgiven = failAfter(60s);
        QVERIFY2(forgiven.contains(QStringLiteral("restart 1 of 5 within 60 s, now")), qPrintable(forgiven));
        QCOMPARE(events.size(), 4);
    }

    void picturesAreAnnouncedAtMostPreviewFpsAndTheNewestIsNeverLost()
    {
        m_scripted.script.fps = 40;
        WorkerEnvironment e = simulated();
        e.previewFps = 2;
        Worker w(scripted(), e);
        QList<int> announced; // the picture sequence at each announcement
        QList<TimePoint> at;
        connect(&w, &Worker::pictureUpdated, &w, [&] {
            announced.append(w.pictureSequence());
            at.append(clock().now());
        });
        QVERIFY(w.start().ok);
        clock().advance(3s);
        QCOMPARE(w.pictureSequence(), 121);
        for (int i = 1; i < at.size(); ++i)
            QVERIFY(at[i] - at[i - 1] >= 500ms);
        QCOMPARE(announced.size(), 7); // at 0, 0.5, ... 3 s
        QVERIFY(w.stop().ok);
        clock().advance(0ms);
        QCOMPARE(w.state(), WorkerState::Idle);
        // The last picture is announced even though it came too soon.
        clock().advance(500ms);
        QCOMPARE(announced.last(), w.pictureSequence());
        QVERIFY(std::is_sorted(announced.cbegin(), announced.cend()));
    }

    void newWatchdogSettingsApplyAtOnce()
    {
        Worker w(scripted({false, 0ms, 1000ms}), simulated());
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        clock().advance(1s);
        m_scripted.script.current->stall();
        clock().advance(5s);
        // Stalled, watchdog off: alive, and it says so.
        QVERIFY2(w.statusText().contains(QStringLiteral("alive but no picture for 5.0 s")), qPrintable(w.statusText()));
        QCOMPARE(events.size(), 0);
        QCOMPARE(w.state(), WorkerState::Running);
        WorkerConfig c = w.config();
        c.imageWatchdog.enabled = true;
        w.applyConfig(c);
        clock().advance(0ms);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events.first().first().value<WatchdogEvent>().cause, WatchdogEvent::Cause::Stalled);
    }

    void aHundredWorkersShareOneScheduler()
    {
        std::vector<std::unique_ptr<Worker>> workers;
        for (int i = 0; i < 100; ++i) {
            WorkerConfig c = scripted({true, 1000ms, 2000ms});
            c.id = QStringLiteral("w%1").arg(i);
            workers.push_back(std::make_unique<Worker>(c, simulated()));
            QVERIFY(workers.back()->start().ok);
        }
        clock().advance(30s);
        for (const auto &w : workers) {
            QCOMPARE(w->state(), WorkerState::Running);
            QCOMPARE(w->watchdogEventCount(), 0);
        }
        // Their streamers' next pictures and their picture deadlines, nothing per picture.
        QVERIFY2(clock().pendingCount() <= 2 * workers.size() + 1, qPrintable(QString::number(clock().pendingCount())));
        for (const auto &w : workers)
            QVERIFY(w->stop().ok);
        clock().advance(0ms);
        for (const auto &w : workers)
            QCOMPARE(w->state(), WorkerState::Idle);
        QCOMPARE(clock().pendingCount(), std::size_t(0));
    }

    void aBadFakeCommandFailsWithItsReason()
    {
        RestartPolicySettings p;
        p.maxRestartsInWindow = 1;
        Worker w(fake(QStringLiteral("fps=5 wobble=3")), env(p));
        QSignalSpy events(&w, &Worker::watchdogTriggered);
        QVERIFY(w.start().ok);
        QTRY_VERIFY(w.isOnHold());
        QVERIFY2(w.lastError().contains(QStringLiteral("unknown word 'wobble=3'")), qPrintable(w.lastError()));
        QVERIFY(w.stop().ok);
    }
};

QTEST_GUILESS_MAIN(TestWorker)
#include "tst_worker.moc"
