#include "core/worker/RestartPolicy.h"

#include <QtTest>

using namespace se;
using namespace std::chrono;
using namespace std::chrono_literals;

class TestRestartPolicy : public QObject {
    Q_OBJECT
    const TimePoint t0 = TimePoint{} + 1000h;

private Q_SLOTS:
    void firstRestartIsImmediate()
    {
        RestartPolicy p;
        const auto d = p.onFailure(t0, {}, 0.5);
        QCOMPARE(d.kind, RestartDecision::Kind::Restart);
        QCOMPARE(d.delay, 0ms);
        QCOMPARE(d.attempt, 1);
        QVERIFY(d.explanation.contains(QStringLiteral("restart 1 of 5")));
    }

    void laterRestartsBackOffDoubling()
    {
        RestartPolicySettings s;
        s.jitter = 0; // exact numbers
        s.maxRestartsInWindow = 100;
        RestartPolicy p(s);
        QList<milliseconds> delays;
        TimePoint now = t0;
        for (int i = 0; i < 9; ++i) {
            delays << p.onFailure(now, {}, 0.5).delay;
            now += 1s;
        }
        QCOMPARE(delays, (QList<milliseconds>{0ms, 500ms, 1000ms, 2000ms, 4000ms, 8000ms, 16000ms, 30000ms, 30000ms}));
    }

    void jitterStaysWithinBounds()
    {
        RestartPolicySettings s;
        s.maxRestartsInWindow = 100;
        for (double r : {0.0, 0.25, 0.999}) {
            RestartPolicy p(s);
            p.onFailure(t0, {}, r);
            const auto d = p.onFailure(t0 + 1s, {}, r).delay; // nominal 500 ms
            QVERIFY2(d >= 400ms && d <= 600ms, qPrintable(QString::number(d.count())));
        }
        // Two workers failing together do not come back together.
        RestartPolicy a(s), b(s);
        a.onFailure(t0, {}, 0.1);
        b.onFailure(t0, {}, 0.9);
        QVERIFY(a.onFailure(t0 + 1s, {}, 0.1).delay != b.onFailure(t0 + 1s, {}, 0.9).delay);
    }

    void aStableRunForgivesPastFailures()
    {
        RestartPolicySettings s;
        s.jitter = 0;
        RestartPolicy p(s);
        p.onFailure(t0, {}, 0.5);
        p.onFailure(t0 + 1s, {}, 0.5);
        QCOMPARE(p.onFailure(t0 + 2s, {}, 0.5).delay, 1000ms);
        // Running for a full minute since then: the next failure restarts at once.
        const TimePoint runningSince = t0 + 3s;
        QCOMPARE(p.onFailure(runningSince + 61s, runningSince, 0.5).delay, 0ms);
    }

    void tooManyRestartsInTheWindowEndInAHold()
    {
        RestartPolicySettings s;
        s.jitter = 0;
        RestartPolicy p(s);
        TimePoint now = t0;
        for (int i = 1; i <= 5; ++i) {
            const auto d = p.onFailure(now, {}, 0.5);
            QCOMPARE(d.kind, RestartDecision::Kind::Restart);
            QCOMPARE(d.attempt, i);
            now += 2s;
        }
        const auto hold = p.onFailure(now, {}, 0.5);
        QCOMPARE(hold.kind, RestartDecision::Kind::Hold);
        QCOMPARE(hold.delay, s.holdFor);
        QVERIFY2(hold.explanation.contains(QStringLiteral("gave up")), qPrintable(hold.explanation));
        // After the hold, a fresh budget, starting at once.
        const auto after = p.onFailure(now + s.holdFor, {}, 0.5);
        QCOMPARE(after.kind, RestartDecision::Kind::Restart);
        QCOMPARE(after.delay, 0ms);
        QCOMPARE(after.attempt, 1);
    }

    void failuresOutsideTheWindowDoNotCount()
    {
        RestartPolicySettings s;
        s.jitter = 0;
        s.maxBackoff = 1000ms;
        RestartPolicy p(s);
        TimePoint now = t0;
        for (int i = 0; i < 20; ++i) { // one failure every 13 s: never 5 within 60 s
            QCOMPARE(p.onFailure(now, {}, 0.5).kind, RestartDecision::Kind::Restart);
            now += 13s;
        }
    }

    void pictureDeadlineHonoursGraceAndInterval()
    {
        // No picture yet: grace, then interval.
        QCOMPARE(pictureDeadline(t0, {}, 10s, 5s), t0 + 15s);
        // A picture inside the grace time does not shorten the grace.
        QCOMPARE(pictureDeadline(t0, t0 + 1s, 10s, 5s), t0 + 15s);
        // After the grace: interval after the last picture.
        QCOMPARE(pictureDeadline(t0, t0 + 30s, 10s, 5s), t0 + 35s);
    }
};

QTEST_GUILESS_MAIN(TestRestartPolicy)
#include "tst_restartpolicy.moc"
