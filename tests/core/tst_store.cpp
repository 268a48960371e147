#include "Store.h"

#include <QCryptographicHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

static QByteArray fileHash(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

static WorkerConfig sampleWorker(const QString &id)
{
    WorkerConfig c;
    c.id = id;
    c.name = QStringLiteral("Cam ") + id;
    c.description = QStringLiteral("desc");
    c.command = QStringLiteral("fps=5");
    c.streamerType = QStringLiteral("FakeStreamer");
    c.imageWatchdog = {true, 7s, 3s};
    return c;
}

class TestStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const char *name) const { return m_dir.filePath(QLatin1StringView(name)); }

private Q_SLOTS:
    void theEngineIdIsMadeOnceAndKept()
    {
        QUuid id;
        QDateTime installed;
        {
            Store s;
            QString error;
            QVERIFY2(s.open(path("id.db"), QStringLiteral("1.0"), &error), qPrintable(error));
            id = s.identity().id;
            installed = s.identity().installDate;
            QVERIFY(!id.isNull());
            QVERIFY(installed.isValid());
            QVERIFY(s.setEngineNameAndDescription(QStringLiteral("Control Room 2"), QStringLiteral("rack 4")));
        }
        Store s;
        QString error;
        QVERIFY2(s.open(path("id.db"), QStringLiteral("1.1"), &error), qPrintable(error));
        QCOMPARE(s.identity().id, id);
        QCOMPARE(s.identity().installDate, installed);
        QCOMPARE(s.identity().name, QStringLiteral("Control Room 2"));
        QCOMPARE(s.identity().description, QStringLiteral("rack 4"));
        QCOMPARE(s.identity().version, QStringLiteral("1.1"));
    }

    void workersRoundTripWithChangesAndEvents()
    {
        Store s;
        QString error;
        QVERIFY(s.open(path("w.db"), QStringLiteral("1"), &error));
        QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created"), &error));
        QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("b")), QStringLiteral("created"), &error));
        QVERIFY(!s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created"), &error)); // duplicate id

        WorkerConfig changed = sampleWorker(QStringLiteral("a"));
        changed.command = QStringLiteral("fps=10");
        QVERIFY(s.updateWorker(changed, diff(sampleWorker(QStringLiteral("a")), changed), &error));
        QVERIFY(!s.updateWorker(sampleWorker(QStringLiteral("zz")), {}, &error));
        QVERIFY(error.contains(QStringLiteral("zz")));

        const auto workers = s.workers();
        QCOMPARE(workers.size(), 2);
        QCOMPARE(workers[0].config, changed); // kept in creation order
        QCOMPARE(workers[1].config, sampleWorker(QStringLiteral("b")));

        const auto log = s.changeLog(QStringLiteral("a"));
        QCOMPARE(log.size(), 2);
        QCOMPARE(log[0].description, QStringLiteral("created"));
        QCOMPARE(log[1].description, QStringLiteral("command changed"));
        QCOMPARE(log[1].details, QStringLiteral("command: 'fps=5' -> 'fps=10'"));

        WatchdogEvent e;
        e.workerId = QStringLiteral("a");
        e.timestamp = QDateTime::currentDateTimeUtc();
        e.cause = WatchdogEvent::Cause::Stalled;
        e.message = QStringLiteral("no picture for 5 s");
        for (int i = 1; i <= 20; ++i)
            e.logs.append({i, LogLevel::Warning, QDateTime::currentDateTimeUtc(), QStringLiteral("line %1").arg(i)});
        QVERIFY(s.addWatchdogEvent(e, 1, &error));
        QVERIFY(e.id > 0);
        const auto events = s.watchdogEvents(QStringLiteral("a"));
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].cause, WatchdogEvent::Cause::Stalled);
        QCOMPARE(events[0].logs.size(), 20);
        QCOMPARE(events[0].logs.last().message, QStringLiteral("line 20"));
        QCOMPARE(events[0].logs.last().level, LogLevel::Warning);
        QCOMPARE(s.workers()[0].watchdogEventCount, 1);

        QVERIFY(s.deleteWorker(QStringLiteral("a"), &error));
        QCOMPARE(s.workers().size(), 1);
        QVERIFY(s.changeLog(QStringLiteral("a")).isEmpty());
        QVERIFY(s.watchdogEvents(QStringLiteral("a")).isEmpty());
    }

    void watchdogHistoryIsBoundedPerWorker()
    {
        Store s;
        QString error;
        QVERIFY(s.open(path("bounded.db"), QStringLiteral("1"), &error));
        QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("flappy")), QStringLiteral("created"), &error));
        QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("calm")), QStringLiteral("created"), &error));
        auto event = [](const QString &worker, int n) {
            WatchdogEvent e;
            e.workerId = worker;
            e.timestamp = QDateTime::currentDateTimeUtc();
            e.message = QStringLiteral("event %1").arg(n);
            for (int i = 1; i <= 3; ++i)
                e.logs.append({i, LogLevel::Error, e.timestamp, QStringLiteral("line %1").arg(i)});
            return e;
        };
        WatchdogEvent calm = event(QStringLiteral("calm"), 0);
        QVERIFY(s.addWatchdogEvent(calm, 1, &error));
        const int total = Store::kWatchdogEventsKept + 20;
        for (int n = 1; n <= total; ++n) {
            WatchdogEvent e = event(QStringLiteral("flappy"), n);
            QVERIFY2(s.addWatchdogEvent(e, n, &error), qPrintable(error));
        }
        const auto kept = s.watchdogEvents(QStringLiteral("flappy"), 100000);
        QCOMPARE(kept.size(), Store::kWatchdogEventsKept);
        QCOMPARE(kept.first().message, QStringLiteral("event 21")); // the oldest went
        QCOMPARE(kept.last().message, QStringLiteral("event %1").arg(total));
        QCOMPARE(kept.last().logs.size(), 3);
        QCOMPARE(s.watchdogEvents(QStringLiteral("calm")).size(), 1); // other workers keep theirs
        QCOMPARE(s.workers()[0].watchdogEventCount, total); // the count still counts them all

        // Their log lines went with them (read through a connection of our own).
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bounded-check"));
            db.setDatabaseName(path("bounded.db"));
            QVERIFY(db.open());
            QSqlQuery q(QStringLiteral("SELECT COUNT(*) FROM watchdog_event_logs"), db);
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), (Store::kWatchdogEventsKept + 1) * 3);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bounded-check"));
    }

    void hubsAreKept()
    {
        Store s;
        QString error;
        QVERIFY(s.open(path("h.db"), QStringLiteral("1"), &error));
        QVERIFY(s.addHub(QStringLiteral("http://127.0.0.1:9000/streamhub"), QStringLiteral("k1")));
        QVERIFY(s.addHub(QStringLiteral("http://127.0.0.1:9001/streamhub"), QString()));
        QCOMPARE(s.hubs().size(), 2);
        QCOMPARE(s.hubs()[0].apiKey, QStringLiteral("k1"));
        QVERIFY(s.removeHub(QStringLiteral("http://127.0.0.1:9000/streamhub"), &error));
        QVERIFY(!s.removeHub(QStringLiteral("http://nowhere/streamhub"), &error));
        QCOMPARE(s.hubs().size(), 1);
    }

    void aCorruptFileIsRefusedAndKept()
    {
        const QString p = path("corrupt.db");
        {
            Store s;
            QString error;
            QVERIFY(s.open(p, QStringLiteral("1"), &error));
            QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created"), &error));
        }
        // Damage the middle of the file, as a disk fault would.
        {
            QFile f(p);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.size() > 4096);
            f.seek(4096); // page 2: a table's root
            f.write(QByteArray(200, '\xAB'));
        }
        const QByteArray before = fileHash(p);
        Store s;
        QString error;
        QVERIFY(!s.open(p, QStringLiteral("1"), &error));
        QVERIFY2(error.contains(p) && error.contains(QStringLiteral("kept")), qPrintable(error));
        QVERIFY(!s.isOpen());
        QCOMPARE(fileHash(p), before);
    }

    void aFileThatIsNoDatabaseIsRefusedAndKept()
    {
        const QString p = path("text.db");
        QFile f(p);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("this is not a database, but an operator's note\n").repeated(200));
        f.close();
        const QByteArray before = fileHash(p);
        Store s;
        QString error;
        QVERIFY(!s.open(p, QStringLiteral("1"), &error));
        QVERIFY2(error.contains(QStringLiteral("not an SQLite database")) || error.contains(QStringLiteral("damaged")), qPrintable(error));
        QCOMPARE(fileHash(p), before);
    }

    void aForeignOrNewerDatabaseIsRefused()
    {
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            db.setDatabaseName(path("foreign.db"));
            QVERIFY(db.open());
            QSqlQuery(db).exec(QStringLiteral("CREATE TABLE invoices (n INTEGER)"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        Store s;
        QString error;
        QVERIFY(!s.open(path("foreign.db"), QStringLiteral("1"), &error));
        QVERIFY2(error.contains(QStringLiteral("something else")), qPrintable(error));

        {
            Store s2;
            QVERIFY(s2.open(path("newer.db"), QStringLiteral("1"), &error));
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
            db.setDatabaseName(path("newer.db"));
            QVERIFY(db.open());
            QSqlQuery(db).exec(QStringLiteral("PRAGMA user_version=99"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("newer"));
        QVERIFY(!s.open(path("newer.db"), QStringLiteral("1"), &error));
        QVERIFY2(error.contains(QStringLiteral("newer StreamEngine")), qPrintable(error));
    }

    // Issue 15: every create and edit is a numbered version of the whole configuration.
    void everyCreateAndEditIsAVersion()
    {
        Store s;
        QString error;
        QVERIFY(s.open(path("versions.db"), QStringLiteral("1"), &error));
        const WorkerConfig first = sampleWorker(QStringLiteral("a"));
        QVERIFY(s.insertWorker(first, QStringLiteral("created"), &error, VersionNote{QStringLiteral("ctl"), {}, {}, 0}));
        WorkerConfig second = first;
        second.command = QStringLiteral("fps=10");
        second.name = QStringLiteral("Cam north");
        int number = 0;
        QVERIFY(s.updateWorker(second, diff(first, second), &error, VersionNote{QStringLiteral("hub http://hub/streamhub"), {}, {}, 0}, &number));
        QCOMPARE(number, 2);
        QVERIFY(!s.updateWorker(sampleWorker(QStringLiteral("zz")), {}, &error, VersionNote{QStringLiteral("ctl"), {}, {}, 0}));
        QVERIFY(s.versions(QStringLiteral("zz")).isEmpty()); // nothing of a refused edit stays

        auto versions = s.versions(QStringLiteral("a"));
        QCOMPARE(versions.size(), 2);
        QCOMPARE(versions[0].number, 1);
        QCOMPARE(versions[0].actor, QStringLiteral("ctl"));
        QCOMPARE(versions[0].changes, QStringLiteral("created"));
        QCOMPARE(versions[0].config, first);
        QCOMPARE(versions[1].number, 2);
        QCOMPARE(versions[1].actor, QStringLiteral("hub http://hub/streamhub"));
        QCOMPARE(versions[1].changes, QStringLiteral("name, command"));
        QCOMPARE(versions[1].config, second);
        QVERIFY(versions[1].timestamp.isValid());
        QVERIFY(!versions[0].isGood() && !versions[0].bad);

        QVERIFY(s.markVersionGood(QStringLiteral("a"), 1, &error));
        QVERIFY(s.setAutoRollback(QStringLiteral("a"), true, &error));
        const StoredWorker w = s.workers().first();
        QCOMPARE(w.versions.current, 2);
        QCOMPARE(w.versions.lastGood, 1);
        QVERIFY(w.versions.autoRollback);
        QVERIFY(s.versions(QStringLiteral("a"))[0].isGood());

        // A rollback: its own change-log row before the field rows, and the version it leaves marked bad.
        QVERIFY(s.updateWorker(first, diff(second, first), &error,
                               VersionNote{QStringLiteral("engine (automatic rollback to v1)"), QStringLiteral("Automatic rollback to version 1"),
                                           QStringLiteral("details"), 2}, &number));
        QCOMPARE(number, 3);
        versions = s.versions(QStringLiteral("a"));
        QVERIFY(versions[1].bad);
        QCOMPARE(versions[2].config, first);
        const auto log = s.changeLog(QStringLiteral("a"));
        QStringList descriptions;
        for (const ChangeLogEntry &c : log)
            descriptions << c.description;
        QCOMPARE(descriptions, (QStringList{QStringLiteral("created"), QStringLiteral("name changed"), QStringLiteral("command changed"),
                                            QStringLiteral("autoRollback changed"), QStringLiteral("Automatic rollback to version 1"),
                                            QStringLiteral("name changed"), QStringLiteral("command changed")}));

        // Removing the worker removes its versions.
        QVERIFY(s.deleteWorker(QStringLiteral("a"), &error));
        QVERIFY(s.versions(QStringLiteral("a")).isEmpty());
    }

    void versionsAreCappedAndTheLastGoodIsKept()
    {
        Store s;
        QString error;
        QVERIFY(s.open(path("capped.db"), QStringLiteral("1"), &error));
        WorkerConfig c = sampleWorker(QStringLiteral("busy"));
        QVERIFY(s.insertWorker(c, QStringLiteral("created"), &error));
        QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("calm")), QStringLiteral("created"), &error));
        QVERIFY(s.markVersionGood(QStringLiteral("busy"), 1, &error));
        const int edits = Store::kVersionsKept + 50;
        for (int i = 1; i <= edits; ++i) {
            WorkerConfig next = c;
            next.command = QStringLiteral("fps=5 quality=%1").arg(i);
            QVERIFY2(s.updateWorker(next, diff(c, next), &error), qPrintable(error));
            c = next;
        }
        auto kept = s.versions(QStringLiteral("busy"));
        QCOMPARE(kept.size(), Store::kVersionsKept);
        QCOMPARE(kept.first().number, 1); // the last good one stays, however old
        QVERIFY(kept.first().isGood());
        QCOMPARE(kept[1].number, edits + 1 - (Store::kVersionsKept - 2)); // then the newest 99
        QCOMPARE(kept.last().number, edits + 1);
        QCOMPARE(s.versions(QStringLiteral("calm")).size(), 1); // other workers keep theirs

        // A newer good version: the old one may go now.
        QVERIFY(s.markVersionGood(QStringLiteral("busy"), edits + 1, &error));
        WorkerConfig next = c;
        next.command = QStringLiteral("fps=6");
        QVERIFY(s.updateWorker(next, diff(c, next), &error));
        kept = s.versions(QStringLiteral("busy"));
        QCOMPARE(kept.size(), Store::kVersionsKept);
        QVERIFY(kept.first().number > 1);
        QCOMPARE(s.workers().first().versions.lastGood, edits + 1);
        QCOMPARE(s.workers().first().versions.current, edits + 2);
    }

    void anExistingDatabaseGetsVersionOneOfEachWorker()
    {
        const QString p = path("schema1.db");
        WorkerConfig edited = sampleWorker(QStringLiteral("old"));
        {
            Store s;
            QString error;
            QVERIFY(s.open(p, QStringLiteral("1"), &error));
            QVERIFY(s.insertWorker(sampleWorker(QStringLiteral("old")), QStringLiteral("created"), &error));
            edited.command = QStringLiteral("fps=12");
            QVERIFY(s.updateWorker(edited, diff(sampleWorker(QStringLiteral("old")), edited), &error));
        }
        // Back to the schema before versions, as an engine of before issue 15 left it.
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("downgrade"));
            db.setDatabaseName(p);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DROP TABLE worker_versions")));
            QVERIFY2(q.exec(QStringLiteral("ALTER TABLE workers DROP COLUMN auto_rollback")), qPrintable(q.lastError().text()));
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=1")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("downgrade"));
        Store s;
        QString error;
        QVERIFY2(s.open(p, QStringLiteral("2"), &error), qPrintable(error));
        const auto versions = s.versions(QStringLiteral("old"));
        QCOMPARE(versions.size(), 1);
        QCOMPARE(versions[0].number, 1);
        QCOMPARE(versions[0].config, edited); // its configuration as it is now
        QCOMPARE(versions[0].timestamp, s.changeLog(QStringLiteral("old")).last().timestamp); // dated by its last change
        QVERIFY(!versions[0].actor.isEmpty());
        const StoredWorker w = s.workers().first();
        QCOMPARE(w.versions.current, 1);
        QCOMPARE(w.versions.lastGood, 0);
        QVERIFY(!w.versions.autoRollback);
        // The next edit is version 2.
        WorkerConfig again = edited;
        again.command = QStringLiteral("fps=13");
        int number = 0;
        QVERIFY(s.updateWorker(again, diff(edited, again), &error, {}, &number));
        QCOMPARE(number, 2);
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
