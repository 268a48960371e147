// The automatic-rollback decision on its own: no clock, no store, no worker.
#include "core/worker/AutoRollbackPolicy.h"

#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

namespace {
WorkerConfig config(const QString &command)
{
    WorkerConfig c;
    c.id = QStringLiteral("cam");
    c.name = QStringLiteral("Cam");
    c.command = command;
    c.streamerType = QStringLiteral("FakeStreamer");
    return c;
}

WorkerVersion version(int number, const QString &command, bool good, bool bad = false)
{
    WorkerVersion v;
    v.number = number;
    v.config = config(command);
    if (good)
        v.goodAt = QDateTime::currentDateTimeUtc();
    v.bad = bad;
    return v;
}

constexpr int kLimit = AutoRollbackPolicy::kRestartsBeforeRollback;
} // namespace

class TestAutoRollbackPolicy : public QObject {
    Q_OBJECT

    // Fails a watched version until its chances are used up; true if they were exactly then.
    static bool useUp(AutoRollbackPolicy &p)
    {
        for (int i = 0; i < kLimit; ++i)
            if (p.onFailure(false))
                return false;
        return p.onFailure(false);
    }

private Q_SLOTS:
    void theFirstStartAndThreeRestartsComeFirst()
    {
        static_assert(AutoRollbackPolicy::kRestartsBeforeRollback == 3);
        AutoRollbackPolicy p;
        p.onNewVersion(3, true);
        QVERIFY(useUp(p));
        QCOMPARE(p.failures(), kLimit + 1);
        const QList<WorkerVersion> versions{version(1, QStringLiteral("fps=5"), true), version(2, QStringLiteral("fps=6"), true),
                                            version(3, QStringLiteral("broken"), false)};
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("unknown word 'broken'"), config(QStringLiteral("broken")), versions);
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::RollBack);
        QCOMPARE(d.to, 2); // the newest good one
        QCOMPARE(d.from, 3);
        QCOMPARE(d.explanation, QStringLiteral("Automatic rollback to version 2: version 3 never ran (unknown word 'broken')"));
        // One answer per version: it is not watched any more.
        QVERIFY(!p.watching());
        QVERIFY(!p.onFailure(false));
        QCOMPARE(p.decide(true, {}, config(QStringLiteral("broken")), versions).kind, AutoRollbackDecision::Kind::None);
    }

    void aHoldUsesUpTheChancesAtOnce()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        QVERIFY(!p.onFailure(false));
        QVERIFY(p.onFailure(true));
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("x"), config(QStringLiteral("b")),
                                                {version(1, QStringLiteral("a"), true), version(2, QStringLiteral("b"), false)});
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::RollBack);
        QCOMPARE(d.to, 1);
    }

    void aVersionThatRanIsNotRolledBack()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        QVERIFY(!p.onFailure(false));
        p.onRunning(); // it ran: later failures are the watchdog's business only
        for (int i = 0; i < 10; ++i)
            QVERIFY(!p.onFailure(false));
        QCOMPARE(p.decide(true, {}, config(QStringLiteral("b")), {version(1, QStringLiteral("a"), true)}).kind,
                 AutoRollbackDecision::Kind::None);
    }

    void theEnginesOwnRollbackIsNotWatched()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(4, false);
        for (int i = 0; i < 10; ++i)
            QVERIFY(!p.onFailure(false));
        QVERIFY(!p.watching());
    }

    void aNewEditStartsAfresh()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        for (int i = 0; i < kLimit; ++i)
            QVERIFY(!p.onFailure(false));
        p.onNewVersion(3, true);
        QCOMPARE(p.failures(), 0);
        QVERIFY(useUp(p));
        QCOMPARE(p.version(), 3);
    }

    void offMeansNothingAndKeepsWatching()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        QVERIFY(useUp(p));
        const QList<WorkerVersion> versions{version(1, QStringLiteral("a"), true), version(2, QStringLiteral("b"), false)};
        QCOMPARE(p.decide(false, {}, config(QStringLiteral("b")), versions).kind, AutoRollbackDecision::Kind::None);
        QVERIFY(p.watching());
        // Turned on while it still fails: the next failure decides.
        QVERIFY(p.onFailure(false));
        QCOMPARE(p.decide(true, {}, config(QStringLiteral("b")), versions).to, 1);
    }

    void badVersionsAreNeverTheTarget()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(5, true);
        QVERIFY(useUp(p));
        // v4 was left by an earlier automatic rollback (bad); v3 is good but bad too cannot be;
        // v2 is the newest good, not bad one.
        const QList<WorkerVersion> versions{version(1, QStringLiteral("a"), true), version(2, QStringLiteral("b"), true),
                                            version(3, QStringLiteral("c"), false), version(4, QStringLiteral("d"), true, true),
                                            version(5, QStringLiteral("e"), false)};
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("boom"), config(QStringLiteral("e")), versions);
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::RollBack);
        QCOMPARE(d.to, 2);
    }

    void noGoodVersionGivesUpOnce()
    {
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        QVERIFY(useUp(p));
        const QList<WorkerVersion> versions{version(1, QStringLiteral("a"), false), version(2, QStringLiteral("b"), false)};
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("boom"), config(QStringLiteral("b")), versions);
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::GiveUp);
        QVERIFY2(d.explanation.contains(QStringLiteral("version 2 never ran (boom)")), qPrintable(d.explanation));
        // Said once: nothing more for this version.
        QVERIFY(!p.onFailure(false));
        QCOMPARE(p.decide(true, QStringLiteral("boom"), config(QStringLiteral("b")), versions).kind, AutoRollbackDecision::Kind::None);
    }

    void aFormThatRanWellBeforeIsNotTheEditsFault()
    {
        // v3 only renamed the worker; it fails because the source is down, not because of the edit.
        AutoRollbackPolicy p;
        p.onNewVersion(3, true);
        QVERIFY(useUp(p));
        WorkerVersion renamed = version(3, QStringLiteral("fps=5"), false);
        renamed.config.name = QStringLiteral("Cam (north)");
        const QList<WorkerVersion> versions{version(1, QStringLiteral("fps=4"), true), version(2, QStringLiteral("fps=5"), true), renamed};
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("no picture"), renamed.config, versions);
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::GiveUp);
        QVERIFY2(d.explanation.contains(QStringLiteral("version 2")), qPrintable(d.explanation));
    }

    void aGoodVersionInTheSameFormIsNeverTheTarget()
    {
        // The last good version differs only in its watchdog: its run differs, so it is a target;
        // one that differs only in its name would not be.
        AutoRollbackPolicy p;
        p.onNewVersion(2, true);
        QVERIFY(useUp(p));
        WorkerVersion v1 = version(1, QStringLiteral("fps=5"), true);
        WorkerVersion v2 = version(2, QStringLiteral("fps=5"), false);
        v2.config.imageWatchdog.graceTime = 100ms;
        const AutoRollbackDecision d = p.decide(true, QStringLiteral("no picture"), v2.config, {v1, v2});
        QCOMPARE(d.kind, AutoRollbackDecision::Kind::RollBack);
        QCOMPARE(d.to, 1);
    }
};

QTEST_GUILESS_MAIN(TestAutoRollbackPolicy)
#include "tst_autorollbackpolicy.moc"
