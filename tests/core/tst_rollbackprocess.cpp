// Issue 15 on the real program: a broken edit undone with `streamengine ctl
// rollback`, the history as `ctl history` and `ctl show` tell it, and kept
// across an engine restart.
#include "TestEnv.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

QJsonObject show(const QString &dataDir, const QString &id)
{
    return ctl(dataDir, {QStringLiteral("show"), id, QStringLiteral("--json")}).data();
}

std::unique_ptr<QProcess> startEngine(const QString &dataDir)
{
    auto p = std::make_unique<QProcess>();
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir});
    if (!p->waitForStarted(5000))
        return nullptr;
    return p;
}

bool stopEngine(QProcess &engine)
{
    engine.terminate();
    return engine.waitForFinished(15000) && engine.exitCode() == 0;
}
} // namespace

class TestRollbackProcess : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aBrokenEditIsUndoneWithCtlRollback()
    {
        QTemporaryDir dir;
        const QString d = dir.path();
        auto engine = startEngine(d);
        QVERIFY(engine);
        QTRY_COMPARE_WITH_TIMEOUT(ctl(d, {QStringLiteral("engine")}).exitCode, 0, 10000);
        QCOMPARE(ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("cam"), QStringLiteral("--name"), QStringLiteral("Cam"),
                         QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=10"),
                         QStringLiteral("--grace"), QStringLiteral("2"), QStringLiteral("--interval"), QStringLiteral("2")})
                     .exitCode,
                 0);
        QTRY_COMPARE_WITH_TIMEOUT(show(d, QStringLiteral("cam")).value(QStringLiteral("state")).toInt(), 2, 10000);

        // The broken edit: the worker never runs again.
        QCOMPARE(ctl(d, {QStringLiteral("edit"), QStringLiteral("cam"), QStringLiteral("--command"), QStringLiteral("fps=10 fail-start")}).exitCode, 0);
        QTRY_VERIFY_WITH_TIMEOUT(show(d, QStringLiteral("cam")).value(QStringLiteral("watchdogEventCount")).toInt() >= 2, 10000);
        QVERIFY(show(d, QStringLiteral("cam")).value(QStringLiteral("state")).toInt() != 2);

        // What cannot be done is said clearly.
        CtlResult r = ctl(d, {QStringLiteral("rollback"), QStringLiteral("cam")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no good version"), r.err.constData()); // version 1 has not run for 60 s
        r = ctl(d, {QStringLiteral("rollback"), QStringLiteral("cam"), QStringLiteral("--to"), QStringLiteral("2")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("version 2 is the current version"), r.err.constData());
        r = ctl(d, {QStringLiteral("rollback"), QStringLiteral("cam"), QStringLiteral("--to"), QStringLiteral("9")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("has no version 9"), r.err.constData());
        r = ctl(d, {QStringLiteral("rollback"), QStringLiteral("cam"), QStringLiteral("--to"), QStringLiteral("latest")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--to takes a version number"), r.err.constData());

        // Back to version 1: the previous command, and pictures again.
        r = ctl(d, {QStringLiteral("rollback"), QStringLiteral("cam"), QStringLiteral("--to"), QStringLiteral("1")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("rolled back to version 1, now version 3"), r.out.constData());
        QCOMPARE(show(d, QStringLiteral("cam")).value(QStringLiteral("command")).toString(), QStringLiteral("fps=10"));
        QTRY_COMPARE_WITH_TIMEOUT(show(d, QStringLiteral("cam")).value(QStringLiteral("state")).toInt(), 2, 10000);

        // `ctl show`: which version runs and which is the last good one.
        const QJsonObject detail = show(d, QStringLiteral("cam"));
        QCOMPARE(detail.value(QStringLiteral("version")).toInt(), 3);
        QCOMPARE(detail.value(QStringLiteral("lastGoodVersion")).toInt(), 0);
        QCOMPARE(detail.value(QStringLiteral("autoRollback")).toBool(), false);
        const CtlResult text = ctl(d, {QStringLiteral("show"), QStringLiteral("cam")});
        QVERIFY2(text.out.contains("version:") && text.out.contains("lastGoodVersion:       none yet"), text.out.constData());

        // `ctl history`: number, when, by whom, what changed, the current one.
        const CtlResult table = ctl(d, {QStringLiteral("history"), QStringLiteral("cam")});
        QCOMPARE(table.exitCode, 0);
        const QList<QByteArray> lines = table.out.split('\n');
        QVERIFY2(table.out.contains("ctl (rollback to v1)"), table.out.constData());
        auto lineOf = [&](const char *version) {
            for (const QByteArray &l : lines)
                if (l.startsWith(version))
                    return l;
            return QByteArray();
        };
        QVERIFY2(lineOf("v3 ").contains("current") && lineOf("v3 ").contains("command"), table.out.constData());
        QVERIFY2(lineOf("v2 ").contains("ctl") && lineOf("v2 ").contains("command"), table.out.constData());
        QVERIFY2(lineOf("v1 ").contains("created"), table.out.constData());
        const QJsonObject history = ctl(d, {QStringLiteral("history"), QStringLiteral("cam"), QStringLiteral("--json")}).data();
        const QJsonArray versions = history.value(QStringLiteral("versions")).toArray();
        QCOMPARE(versions.size(), 3);
        QCOMPARE(versions[0][QStringLiteral("version")].toInt(), 3);
        QCOMPARE(versions[0][QStringLiteral("command")].toString(), QStringLiteral("fps=10"));
        QCOMPARE(versions[0][QStringLiteral("changeDetails")].toArray().first().toString(),
                 QStringLiteral("command: 'fps=10 fail-start' -> 'fps=10'"));
        QCOMPARE(versions[1][QStringLiteral("command")].toString(), QStringLiteral("fps=10 fail-start"));
        QCOMPARE(history.value(QStringLiteral("currentVersion")).toInt(), 3);

        // The per-worker setting, beside the fields.
        r = ctl(d, {QStringLiteral("edit"), QStringLiteral("cam"), QStringLiteral("--auto-rollback"), QStringLiteral("maybe")});
        QCOMPARE(r.exitCode, 2);
        r = ctl(d, {QStringLiteral("edit"), QStringLiteral("cam"), QStringLiteral("--auto-rollback"), QStringLiteral("yes")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(show(d, QStringLiteral("cam")).value(QStringLiteral("autoRollback")).toBool());
        QCOMPARE(show(d, QStringLiteral("cam")).value(QStringLiteral("version")).toInt(), 3); // not a version of its own

        // All of it survives a restart of the engine.
        QVERIFY(stopEngine(*engine));
        engine = startEngine(d);
        QVERIFY(engine);
        QTRY_COMPARE_WITH_TIMEOUT(ctl(d, {QStringLiteral("engine")}).exitCode, 0, 10000);
        const QJsonObject again = ctl(d, {QStringLiteral("history"), QStringLiteral("cam"), QStringLiteral("--json")}).data();
        QCOMPARE(again.value(QStringLiteral("versions")).toArray(), versions);
        QCOMPARE(again.value(QStringLiteral("autoRollback")).toBool(), true);
        QCOMPARE(again.value(QStringLiteral("currentVersion")).toInt(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(show(d, QStringLiteral("cam")).value(QStringLiteral("state")).toInt(), 2, 10000);
        QVERIFY(stopEngine(*engine));
    }
};

QTEST_GUILESS_MAIN(TestRollbackProcess)
#include "tst_rollbackprocess.moc"
