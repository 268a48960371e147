#include "VerifyResult.h"
#include "core/store/Store.h"

#include <QCryptographicHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <mutex>
#include <set>

using namespace se;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(se::Store::HistoryWrites)

namespace {
// A connection of the test's own to a store's file, for what Store does not show.
class RawDb {
public:
    explicit RawDb(const QString &path)
        : m_name(QStringLiteral("raw-%1").arg(++counter()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        db.open();
    }
    ~RawDb()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    QVariant value(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (q.exec(sql))
            return true;
        qWarning() << sql << q.lastError().text();
        return false;
    }
    qint64 count(const QString &table, const QString &where = {}) const
    {
        return value(QStringLiteral("SELECT count(*) FROM %1%2").arg(table, where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where))
            .toLongLong();
    }

private:
    static int &counter()
    {
        static int n = 0;
        return n;
    }
    QString m_name;
};

WatchdogEvent flapEvent(const QString &worker, int n, int lines, const QString &lineText = {})
{
    WatchdogEvent e;
    e.workerId = worker;
    e.timestamp = QDateTime::currentDateTimeUtc();
    e.cause = WatchdogEvent::Cause::Failed;
    e.message = QStringLiteral("event %1").arg(n);
    for (int i = 1; i <= lines; ++i)
        e.logs.append({i, LogLevel::Error, e.timestamp, lineText.isEmpty() ? QStringLiteral("line %1").arg(i) : lineText});
    return e;
}

// Counts the warnings of one logging category whose text holds `needle`.
struct WarningCounter {
    static inline std::atomic<int> count{0};
    static inline QString needle;
    static inline QtMessageHandler previous = nullptr;
    explicit WarningCounter(const QString &text)
    {
        needle = text;
        count = 0;
        previous = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &context, const QString &message) {
            if (type == QtWarningMsg && message.contains(needle))
                ++count;
            if (previous)
                previous(type, context, message);
        });
    }
    ~WarningCounter() { qInstallMessageHandler(previous); }
};
} // namespace

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
            QVERIFY_OK(s.open(path("id.db"), QStringLiteral("1.0")));
            id = s.identity().id;
            installed = s.identity().installDate;
            QVERIFY(!id.isNull());
            QVERIFY(installed.isValid());
            QVERIFY(s.setEngineNameAndDescription(QStringLiteral("Control Room 2"), QStringLiteral("rack 4")));
        }
        Store s;
        QString error;
        QVERIFY_OK(s.open(path("id.db"), QStringLiteral("1.1")));
        QCOMPARE(s.identity().id, id);
        QCOMPARE(s.identity().installDate, installed);
        QCOMPARE(s.identity().name, QStringLiteral("Control Room 2"));
        QCOMPARE(s.identity().description, QStringLiteral("rack 4"));
        QCOMPARE(s.identity().version, QStringLiteral("1.1"));
    }

    void workersRoundTripWithChangesAndEvents()
    {
        Store s;
        QVERIFY_OK(s.open(path("w.db"), QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("b")), QStringLiteral("created")));
        QVERIFY(!s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created"))); // duplicate id

        WorkerConfig changed = sampleWorker(QStringLiteral("a"));
        changed.command = QStringLiteral("fps=10");
        QVERIFY_OK(s.updateWorker(changed, diff(sampleWorker(QStringLiteral("a")), changed)));
        const Result<int> unknown = s.updateWorker(sampleWorker(QStringLiteral("zz")), {});
        QVERIFY(!unknown);
        QVERIFY(unknown.message.contains(QStringLiteral("zz")));

        const auto workers = s.workers().value;
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
        QVERIFY_OK(s.addWatchdogEvent(e, 1));
        QVERIFY(e.id > 0);
        const auto events = s.watchdogEvents(QStringLiteral("a"));
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].cause, WatchdogEvent::Cause::Stalled);
        QCOMPARE(events[0].logs.size(), 20);
        QCOMPARE(events[0].logs.last().message, QStringLiteral("line 20"));
        QCOMPARE(events[0].logs.last().level, LogLevel::Warning);
        QCOMPARE(s.workers().value[0].watchdogEventCount, 1);

        QVERIFY_OK(s.deleteWorker(QStringLiteral("a")));
        QCOMPARE(s.workers().value.size(), 1);
        QVERIFY(s.changeLog(QStringLiteral("a")).isEmpty());
        QVERIFY(s.watchdogEvents(QStringLiteral("a")).isEmpty());
    }

    void watchdogHistoryIsBoundedPerWorker()
    {
        Store s;
        QVERIFY_OK(s.open(path("bounded.db"), QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("flappy")), QStringLiteral("created")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("calm")), QStringLiteral("created")));
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
        QVERIFY_OK(s.addWatchdogEvent(calm, 1));
        const int total = Store::kWatchdogEventsKept + 20;
        for (int n = 1; n <= total; ++n) {
            WatchdogEvent e = event(QStringLiteral("flappy"), n);
            QVERIFY_OK(s.addWatchdogEvent(e, n));
        }
        const auto kept = s.watchdogEvents(QStringLiteral("flappy"), 100000);
        QCOMPARE(kept.size(), Store::kWatchdogEventsKept);
        QCOMPARE(kept.first().message, QStringLiteral("event 21")); // the oldest went
        QCOMPARE(kept.last().message, QStringLiteral("event %1").arg(total));
        QCOMPARE(kept.last().logs.size(), 3);
        QCOMPARE(s.watchdogEvents(QStringLiteral("calm")).size(), 1); // other workers keep theirs
        QCOMPARE(s.workers().value[0].watchdogEventCount, total); // the count still counts them all

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
        QVERIFY_OK(s.open(path("h.db"), QStringLiteral("1")));
        QVERIFY(s.addHub(QStringLiteral("http://127.0.0.1:9000/streamhub"), QStringLiteral("k1")));
        QVERIFY(s.addHub(QStringLiteral("http://127.0.0.1:9001/streamhub"), QString()));
        QCOMPARE(s.hubs().size(), 2);
        QCOMPARE(s.hubs()[0].apiKey, QStringLiteral("k1"));
        QVERIFY_OK(s.removeHub(QStringLiteral("http://127.0.0.1:9000/streamhub")));
        QVERIFY(!s.removeHub(QStringLiteral("http://nowhere/streamhub")));
        QCOMPARE(s.hubs().size(), 1);
    }

    void aCorruptFileIsRefusedAndKept()
    {
        const QString p = path("corrupt.db");
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
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
        const Result<> refused = s.open(p, QStringLiteral("1"));
        QVERIFY(!refused);
        const QString &error = refused.message;
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
        const Result<> refused = s.open(p, QStringLiteral("1"));
        QVERIFY(!refused);
        const QString &error = refused.message;
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
        const Result<> refused = s.open(path("foreign.db"), QStringLiteral("1"));
        QVERIFY(!refused);
        const QString &error = refused.message;
        QVERIFY2(error.contains(QStringLiteral("something else")), qPrintable(error));

        {
            Store s2;
            QVERIFY_OK(s2.open(path("newer.db"), QStringLiteral("1")));
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
            db.setDatabaseName(path("newer.db"));
            QVERIFY(db.open());
            QSqlQuery(db).exec(QStringLiteral("PRAGMA user_version=99"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("newer"));
        const Result<> newer = s.open(path("newer.db"), QStringLiteral("1"));
        QVERIFY(!newer);
        QVERIFY2(newer.message.contains(QStringLiteral("newer StreamEngine")), qPrintable(newer.message));
    }

    // Issue 15: every create and edit is a numbered version of the whole configuration.
    void aReadThatFailsSaysSoInsteadOfLookingEmpty()
    {
        // A table gone under the engine (another process, a damaged file): the
        // reads fail with SQLite's reason, not as "no workers" or "no versions".
        Store s;
        QVERIFY_OK(s.open(path("gone.db"), QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("vandal"));
            db.setDatabaseName(path("gone.db"));
            QVERIFY(db.open());
            QVERIFY(QSqlQuery(db).exec(QStringLiteral("DROP TABLE worker_versions")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("vandal"));
        const auto versions = s.versions(QStringLiteral("a"));
        QVERIFY(!versions);
        QVERIFY2(versions.message.contains(QStringLiteral("worker_versions")), qPrintable(versions.message));
        const auto workers = s.workers(); // it reads the versions' numbers too
        QVERIFY(!workers);
        QVERIFY2(!workers.message.isEmpty(), "a failed read says why");
    }

    void everyCreateAndEditIsAVersion()
    {
        Store s;
        QVERIFY_OK(s.open(path("versions.db"), QStringLiteral("1")));
        const WorkerConfig first = sampleWorker(QStringLiteral("a"));
        QVERIFY(s.insertWorker(first, QStringLiteral("created"), VersionNote{QStringLiteral("ctl"), {}, {}, 0}));
        WorkerConfig second = first;
        second.command = QStringLiteral("fps=10");
        second.name = QStringLiteral("Cam north");
        const Result<int> made = s.updateWorker(second, diff(first, second), VersionNote{QStringLiteral("hub http://hub/streamhub"), {}, {}, 0});
        QVERIFY_OK(made);
        QCOMPARE(made.value, 2);
        QVERIFY(!s.updateWorker(sampleWorker(QStringLiteral("zz")), {}, VersionNote{QStringLiteral("ctl"), {}, {}, 0}));
        QVERIFY(s.versions(QStringLiteral("zz")).value.isEmpty()); // nothing of a refused edit stays

        auto versions = s.versions(QStringLiteral("a")).value;
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

        QVERIFY_OK(s.markVersionGood(QStringLiteral("a"), 1));
        QVERIFY_OK(s.setAutoRollback(QStringLiteral("a"), true));
        const StoredWorker w = s.workers().value.first();
        QCOMPARE(w.versions.current, 2);
        QCOMPARE(w.versions.lastGood, 1);
        QVERIFY(w.versions.autoRollback);
        QVERIFY(s.versions(QStringLiteral("a")).value[0].isGood());

        // A rollback: its own change-log row before the field rows, and the version it leaves marked bad.
        const Result<int> rolledBack =
            s.updateWorker(first, diff(second, first),
                           VersionNote{QStringLiteral("engine (automatic rollback to v1)"), QStringLiteral("Automatic rollback to version 1"),
                                       QStringLiteral("details"), 2});
        QVERIFY_OK(rolledBack);
        const int number = rolledBack.value;
        QCOMPARE(number, 3);
        versions = s.versions(QStringLiteral("a")).value;
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
        QVERIFY_OK(s.deleteWorker(QStringLiteral("a")));
        QVERIFY(s.versions(QStringLiteral("a")).value.isEmpty());
    }

    void versionsAreCappedAndTheLastGoodIsKept()
    {
        Store s;
        QVERIFY_OK(s.open(path("capped.db"), QStringLiteral("1")));
        WorkerConfig c = sampleWorker(QStringLiteral("busy"));
        QVERIFY_OK(s.insertWorker(c, QStringLiteral("created")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("calm")), QStringLiteral("created")));
        QVERIFY_OK(s.markVersionGood(QStringLiteral("busy"), 1));
        const int edits = Store::kVersionsKept + 50;
        for (int i = 1; i <= edits; ++i) {
            WorkerConfig next = c;
            next.command = QStringLiteral("fps=5 quality=%1").arg(i);
            QVERIFY_OK(s.updateWorker(next, diff(c, next)));
            c = next;
        }
        auto kept = s.versions(QStringLiteral("busy")).value;
        QCOMPARE(kept.size(), Store::kVersionsKept);
        QCOMPARE(kept.first().number, 1); // the last good one stays, however old
        QVERIFY(kept.first().isGood());
        QCOMPARE(kept[1].number, edits + 1 - (Store::kVersionsKept - 2)); // then the newest 99
        QCOMPARE(kept.last().number, edits + 1);
        QCOMPARE(s.versions(QStringLiteral("calm")).value.size(), 1); // other workers keep theirs

        // A newer good version: the old one may go now.
        QVERIFY_OK(s.markVersionGood(QStringLiteral("busy"), edits + 1));
        WorkerConfig next = c;
        next.command = QStringLiteral("fps=6");
        QVERIFY_OK(s.updateWorker(next, diff(c, next)));
        kept = s.versions(QStringLiteral("busy")).value;
        QCOMPARE(kept.size(), Store::kVersionsKept);
        QVERIFY(kept.first().number > 1);
        QCOMPARE(s.workers().value.first().versions.lastGood, edits + 1);
        QCOMPARE(s.workers().value.first().versions.current, edits + 2);
    }

    void anExistingDatabaseGetsVersionOneOfEachWorker()
    {
        const QString p = path("schema1.db");
        WorkerConfig edited = sampleWorker(QStringLiteral("old"));
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("old")), QStringLiteral("created")));
            edited.command = QStringLiteral("fps=12");
            QVERIFY_OK(s.updateWorker(edited, diff(sampleWorker(QStringLiteral("old")), edited)));
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
        QVERIFY_OK(s.open(p, QStringLiteral("2")));
        const auto versions = s.versions(QStringLiteral("old")).value;
        QCOMPARE(versions.size(), 1);
        QCOMPARE(versions[0].number, 1);
        QCOMPARE(versions[0].config, edited); // its configuration as it is now
        QCOMPARE(versions[0].timestamp, s.changeLog(QStringLiteral("old")).last().timestamp); // dated by its last change
        QVERIFY(!versions[0].actor.isEmpty());
        const StoredWorker w = s.workers().value.first();
        QCOMPARE(w.versions.current, 1);
        QCOMPARE(w.versions.lastGood, 0);
        QVERIFY(!w.versions.autoRollback);
        // The next edit is version 2.
        WorkerConfig again = edited;
        again.command = QStringLiteral("fps=13");
        const Result<int> made = s.updateWorker(again, diff(edited, again));
        QVERIFY_OK(made);
        QCOMPARE(made.value, 2);
    }

    // Issue 12: the history (watchdog events, counts, good marks) goes to the
    // store's writer thread; reads see it at once, and it is written in order.
    void historyIsReadAtOnceAndWrittenInOrder_data()
    {
        QTest::addColumn<Store::HistoryWrites>("how");
        QTest::newRow("writer thread") << Store::HistoryWrites::WriterThread;
        QTest::newRow("calling thread (before issue 12)") << Store::HistoryWrites::CallingThread;
    }
    void historyIsReadAtOnceAndWrittenInOrder()
    {
        QFETCH(Store::HistoryWrites, how);
        const QString p = m_dir.filePath(QStringLiteral("order-%1.db").arg(int(how)));
        Store s;
        s.setHistoryWrites(how);
        QVERIFY_OK(s.open(p, QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        QList<qint64> ids;
        for (int n = 1; n <= 31; ++n) {
            if (n == 31)
                s.queueWatchdogEventCount(QStringLiteral("a"), 0); // an operator's reset between two events
            WatchdogEvent e = flapEvent(QStringLiteral("a"), n, 25);
            s.queueWatchdogEvent(e, n == 31 ? 1 : n);
            // Its id is given when it is queued (it is announced with it), in order.
            QVERIFY(e.id > 0);
            if (!ids.isEmpty())
                QCOMPARE(e.id, ids.last() + 1);
            ids << e.id;
            QCOMPARE(e.logs.size(), Store::kLogLinesPerEvent); // the newest 20 of 25
            QCOMPARE(e.logs.first().sequence, 6);
        }
        s.queueVersionGood(QStringLiteral("a"), 1);

        // Read right after: what the writer has not written yet is read from the queue.
        const QList<WatchdogEvent> events = s.watchdogEvents(QStringLiteral("a"), 1000);
        QCOMPARE(events.size(), 31);
        for (int i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].id, ids[i]);
        QCOMPARE(events.last().message, QStringLiteral("event 31"));
        QCOMPARE(events.last().logs.size(), Store::kLogLinesPerEvent);
        QCOMPARE(s.watchdogEvents(QStringLiteral("a"), 5).size(), 5);
        QCOMPARE(s.watchdogEvents(QStringLiteral("a"), 5).last().id, ids.last());
        QCOMPARE(s.workers().value.first().watchdogEventCount, 1);
        QCOMPARE(s.workers().value.first().versions.lastGood, 1);
        QVERIFY(s.versions(QStringLiteral("a")).value.first().isGood());

        QVERIFY(s.flushHistory(10s));
        const HistoryStats stats = s.historyStats();
        QCOMPARE(stats.queued, quint64(33));
        QCOMPARE(stats.written, quint64(33));
        QCOMPARE(stats.failed, quint64(0));
        QCOMPARE(stats.waiting, 0);
        if (how == Store::HistoryWrites::CallingThread)
            QCOMPARE(stats.transactions, quint64(33)); // one each, as before
        else
            QVERIFY(stats.transactions >= 1 && stats.transactions <= 33);
        qInfo("%d history items in %llu transactions", 33, stats.transactions);
        const RawDb raw(p);
        QCOMPARE(raw.count(QStringLiteral("watchdog_events")), 31);
        QCOMPARE(raw.value(QStringLiteral("SELECT max(id) FROM watchdog_events")).toLongLong(), ids.last());
        QCOMPARE(raw.count(QStringLiteral("watchdog_event_logs")), 31 * Store::kLogLinesPerEvent);
        QCOMPARE(raw.value(QStringLiteral("SELECT watchdog_event_count FROM workers WHERE id = 'a'")).toInt(), 1); // the reset came before event 31
        QVERIFY(!raw.value(QStringLiteral("SELECT good_at FROM worker_versions WHERE worker_id = 'a' AND number = 1")).isNull());
        QCOMPARE(s.watchdogEvents(QStringLiteral("a"), 1000).size(), 31); // the same, now from the file
    }

    // An event queued before a removal never comes back after it, nor onto a
    // new worker made with the same id.
    void aRemovalTakesItsQueuedHistoryWithIt_data() { historyIsReadAtOnceAndWrittenInOrder_data(); }
    void aRemovalTakesItsQueuedHistoryWithIt()
    {
        QFETCH(Store::HistoryWrites, how);
        const QString p = m_dir.filePath(QStringLiteral("removal-%1.db").arg(int(how)));
        Store s;
        s.setHistoryWrites(how);
        QVERIFY_OK(s.open(p, QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("keep")), QStringLiteral("created")));
        const QString id = QStringLiteral("gone");
        const int rounds = 25;
        for (int round = 1; round <= rounds; ++round) {
            QVERIFY_OK(s.insertWorker(sampleWorker(id), QStringLiteral("created")));
            for (int n = 1; n <= 40; ++n) {
                WatchdogEvent e = flapEvent(id, n, 3);
                s.queueWatchdogEvent(e, n);
            }
            s.queueVersionGood(id, 1);
            WatchdogEvent kept = flapEvent(QStringLiteral("keep"), round, 2);
            s.queueWatchdogEvent(kept, round);
            if (round % 5 == 0)
                QThread::msleep(5); // let the writer be in the middle of it, sometimes
            QVERIFY_OK(s.deleteWorker(id));
            // Made again at once: nothing of the old one is its.
            QVERIFY_OK(s.insertWorker(sampleWorker(id), QStringLiteral("created again")));
            QVERIFY(s.watchdogEvents(id).isEmpty());
            QCOMPARE(s.workers().value.last().watchdogEventCount, 0);
            QVERIFY(!s.versions(id).value.first().isGood());
            WatchdogEvent fresh = flapEvent(id, 1000 + round, 1);
            s.queueWatchdogEvent(fresh, 1);
            QCOMPARE(s.watchdogEvents(id).size(), 1);
            if (round < rounds)
                QVERIFY_OK(s.deleteWorker(id));
        }
        QVERIFY(s.flushHistory(10s));
        const RawDb raw(p);
        QCOMPARE(raw.count(QStringLiteral("watchdog_events"), QStringLiteral("worker_id = 'gone'")), 1);
        QCOMPARE(raw.value(QStringLiteral("SELECT message FROM watchdog_events WHERE worker_id = 'gone'")).toString(),
                 QStringLiteral("event %1").arg(1000 + rounds));
        QCOMPARE(raw.value(QStringLiteral("SELECT watchdog_event_count FROM workers WHERE id = 'gone'")).toInt(), 1);
        QCOMPARE(raw.count(QStringLiteral("worker_versions"), QStringLiteral("worker_id = 'gone' AND good_at IS NOT NULL")), 0);
        QCOMPARE(raw.count(QStringLiteral("watchdog_events"), QStringLiteral("worker_id = 'keep'")), rounds);
        QCOMPARE(raw.value(QStringLiteral("SELECT watchdog_event_count FROM workers WHERE id = 'keep'")).toInt(), rounds);
        QCOMPARE(raw.count(QStringLiteral("watchdog_event_logs")), rounds * 2 + 1);
    }

    // A clean stop (the store closing) writes everything queued; ids go on
    // from the newest after a restart.
    void closingWritesEverythingQueued()
    {
        const QString p = path("drain.db");
        const int workers = 4, events = Store::kWatchdogEventsKept + 150;
        qint64 lastId = 0;
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            for (int w = 0; w < workers; ++w)
                QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("w%1").arg(w)), QStringLiteral("created")));
            for (int n = 1; n <= events; ++n)
                for (int w = 0; w < workers; ++w) {
                    WatchdogEvent e = flapEvent(QStringLiteral("w%1").arg(w), n, 3);
                    s.queueWatchdogEvent(e, n);
                    lastId = e.id;
                }
        } // no flush: the store's close() drains the writer's queue
        {
            const RawDb raw(p);
            for (int w = 0; w < workers; ++w) {
                const QString where = QStringLiteral("worker_id = 'w%1'").arg(w);
                QCOMPARE(raw.count(QStringLiteral("watchdog_events"), where), Store::kWatchdogEventsKept);
                QCOMPARE(raw.value(QStringLiteral("SELECT max(id) FROM watchdog_events WHERE %1").arg(where)).toLongLong(),
                         lastId - (workers - 1 - w));
                QCOMPARE(raw.value(QStringLiteral("SELECT watchdog_event_count FROM workers WHERE id = 'w%1'").arg(w)).toInt(), events);
            }
            QCOMPARE(raw.count(QStringLiteral("watchdog_event_logs")), workers * Store::kWatchdogEventsKept * 3);
        }
        Store s;
        QString error;
        QVERIFY_OK(s.open(p, QStringLiteral("1")));
        WatchdogEvent e = flapEvent(QStringLiteral("w0"), 0, 1);
        s.queueWatchdogEvent(e, events + 1);
        QCOMPARE(e.id, lastId + 1);
    }

    // A write that fails on the writer (disk full, here a trigger that says
    // so) never crashes anything: it is counted, told (historyWriteFailed)
    // and logged once per kind; the failed event is gone whole (no row
    // without its lines), and writes go on when they can.
    void aHistoryWriteErrorIsCountedToldAndLoggedOnce_data() { historyIsReadAtOnceAndWrittenInOrder_data(); }
    void aHistoryWriteErrorIsCountedToldAndLoggedOnce()
    {
        QFETCH(Store::HistoryWrites, how);
        const QString p = m_dir.filePath(QStringLiteral("failing-%1.db").arg(int(how)));
        Store s;
        s.setHistoryWrites(how);
        QVERIFY_OK(s.open(p, QStringLiteral("1")));
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        QSignalSpy failed(&s, &Store::historyWriteFailed);
        const RawDb raw(p);
        QVERIFY(raw.exec(QStringLiteral("CREATE TRIGGER no_room BEFORE INSERT ON watchdog_event_logs "
                                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END")));
        const WarningCounter warnings(QStringLiteral("could not write the history"));
        for (int n = 1; n <= 5; ++n) {
            WatchdogEvent e = flapEvent(QStringLiteral("a"), n, 2);
            s.queueWatchdogEvent(e, n);
            QVERIFY(s.flushHistory(10s));
        }
        QTRY_COMPARE(failed.size(), 5);
        QCOMPARE(failed.last().at(0).toString(), QStringLiteral("constraint"));
        QVERIFY2(failed.last().at(1).toString().contains(QStringLiteral("simulated")), qPrintable(failed.last().at(1).toString()));
        QCOMPARE(failed.last().at(2).toULongLong(), quint64(5));
        QCOMPARE(WarningCounter::count.load(), 1);
        QCOMPARE(s.historyStats().failed, quint64(5));
        QCOMPARE(raw.count(QStringLiteral("watchdog_events")), 0);
        QVERIFY(s.watchdogEvents(QStringLiteral("a")).isEmpty());

        // Room again: the history goes on; a new failure is logged again.
        QVERIFY(raw.exec(QStringLiteral("DROP TRIGGER no_room")));
        WatchdogEvent e = flapEvent(QStringLiteral("a"), 6, 2);
        s.queueWatchdogEvent(e, 6);
        QVERIFY(s.flushHistory(10s));
        QCOMPARE(raw.count(QStringLiteral("watchdog_events")), 1);
        QCOMPARE(raw.count(QStringLiteral("watchdog_event_logs")), 2);
        QCOMPARE(s.watchdogEvents(QStringLiteral("a")).size(), 1);
        QVERIFY(raw.exec(QStringLiteral("CREATE TRIGGER no_room BEFORE INSERT ON watchdog_event_logs "
                                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END")));
        QTest::qWait(50); // the recovery's report comes first
        WatchdogEvent again = flapEvent(QStringLiteral("a"), 7, 2);
        s.queueWatchdogEvent(again, 7);
        QVERIFY(s.flushHistory(10s));
        QTRY_COMPARE(failed.size(), 6);
        QCOMPARE(WarningCounter::count.load(), 2);
    }

    // The metrics endpoint times every transaction through the write
    // observer: on the main connection and on the writer's, from its thread.
    void theWriteObserverIsToldOnBothConnections()
    {
        std::mutex mutex;
        std::set<Qt::HANDLE> threads;
        int told = 0;
        Store s;
        QVERIFY_OK(s.open(path("observer.db"), QStringLiteral("1")));
        s.setWriteObserver([&](std::chrono::nanoseconds took, bool committed) {
            const std::lock_guard<std::mutex> lock(mutex);
            threads.insert(QThread::currentThreadId());
            told += committed && took.count() > 0 ? 1 : 0;
        });
        QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        WatchdogEvent e = flapEvent(QStringLiteral("a"), 1, 2);
        s.queueWatchdogEvent(e, 1);
        QVERIFY(s.flushHistory(10s));
        s.setWriteObserver({});
        const std::lock_guard<std::mutex> lock(mutex);
        QCOMPARE(told, 2);
        QCOMPARE(int(threads.size()), 2);
        QVERIFY(threads.count(QThread::currentThreadId()));
    }

    // Issue 12, item 5: the database has a size. Workers that flap far past
    // every cap, with every text past its cap (in 1-, 2- and 3-byte
    // characters): the rows stay at the caps and the file under
    // Store::sizeBound(N); removing a worker gives its pages back.
    void theDatabaseStaysWithinItsBound()
    {
        const QString p = path("bound.db");
        const int workers = 3;
        const int events = Store::kWatchdogEventsKept + 100;
        const int edits = Store::kVersionsKept + 10;
        const int changesPerEdit = 10; // edits * 10 > kChangesKept
        const QString longText = QStringLiteral("x\u00e9\u20ac").repeated(1000); // 3000 characters, 6000 bytes of UTF-8
        const QString wideDescription = QString(16 * 1024 - 8, QLatin1Char('d'));
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            QCOMPARE(RawDb(p).value(QStringLiteral("PRAGMA auto_vacuum")).toInt(), 2); // incremental, from the start
            QList<WorkerConfig> configs;
            for (int w = 0; w < workers; ++w) {
                WorkerConfig c = sampleWorker(QStringLiteral("flap-%1").arg(w));
                c.description = wideDescription;
                QVERIFY_OK(s.insertWorker(c, QStringLiteral("created")));
                configs << c;
            }
            for (int n = 1; n <= events; ++n) {
                for (int w = 0; w < workers; ++w) {
                    WatchdogEvent e = flapEvent(configs[w].id, n, Store::kLogLinesPerEvent, longText);
                    e.message = longText;
                    s.queueWatchdogEvent(e, n);
                    if (n == 1 && w == 0) { // each text cut to its bytes, at a character, with a marker
                        for (const QString &t : {e.message, e.logs.first().message}) {
                            QVERIFY2(t.toUtf8().size() <= Store::kLogLineBytes, qPrintable(QString::number(t.toUtf8().size())));
                            QVERIFY(t.toUtf8().size() > Store::kLogLineBytes - 8);
                            QVERIFY2(t.endsWith(QStringLiteral("[cut: 6000 bytes]")), qPrintable(t.right(40)));
                            QVERIFY(!t.contains(QChar::ReplacementCharacter));
                        }
                    }
                }
            }
            QVERIFY(s.flushHistory(120s));
            for (int i = 1; i <= edits; ++i) {
                for (int w = 0; w < workers; ++w) {
                    WorkerConfig next = configs[w];
                    next.description = wideDescription + QString::number(i);
                    QList<FieldChange> changes;
                    for (int c = 0; c < changesPerEdit; ++c)
                        changes.append({QStringLiteral("description"), longText, longText + QString::number(i)});
                    QVERIFY_OK(s.updateWorker(next, changes));
                    configs[w] = next;
                }
            }
            for (int w = 0; w < workers; ++w) {
                const QList<ChangeLogEntry> log = s.changeLog(configs[w].id);
                QCOMPARE(log.size(), Store::kChangesKept);
                QVERIFY(log.last().details.endsWith(QStringLiteral(" bytes]")));
                QVERIFY(log.last().details.toUtf8().size() <= Store::kChangeDetailsBytes);
                QCOMPARE(s.versions(configs[w].id).value.size(), Store::kVersionsKept);
                QCOMPARE(s.watchdogEvents(configs[w].id, 100000).size(), Store::kWatchdogEventsKept);
            }
            const RawDb raw(p);
            QCOMPARE(raw.count(QStringLiteral("watchdog_events")), workers * Store::kWatchdogEventsKept);
            QCOMPARE(raw.count(QStringLiteral("watchdog_event_logs")), workers * Store::kWatchdogEventsKept * Store::kLogLinesPerEvent);
            QCOMPARE(raw.count(QStringLiteral("worker_changes")), workers * Store::kChangesKept);
            QCOMPARE(raw.count(QStringLiteral("worker_versions")), workers * Store::kVersionsKept);
            QCOMPARE(raw.value(QStringLiteral("SELECT max(length(CAST(message AS BLOB))) FROM watchdog_event_logs")).toInt(), Store::kLogLineBytes);
        }
        const qint64 size = QFileInfo(p).size();
        const qint64 bound = Store::sizeBound(workers);
        qInfo("%d workers past every cap: %.1f MB of file, bound %.1f MB (%.0f%% of it); %.1f MB per worker",
              workers, double(size) / 1048576, double(bound) / 1048576, 100.0 * double(size) / double(bound),
              double(size) / 1048576 / workers);
        QVERIFY2(size <= bound, qPrintable(QStringLiteral("%1 bytes > bound %2").arg(size).arg(bound)));

        // A removed worker's pages go back to the file system (incremental vacuum).
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            QVERIFY_OK(s.deleteWorker(QStringLiteral("flap-0")));
            QVERIFY(s.flushHistory(60s));
            QVERIFY(RawDb(p).value(QStringLiteral("PRAGMA freelist_count")).toInt() <= 1024);
        }
        const qint64 after = QFileInfo(p).size();
        qInfo("after removing one worker: %.1f MB", double(after) / 1048576);
        QVERIFY2(after < size - size / (2 * workers), qPrintable(QStringLiteral("%1 -> %2").arg(size).arg(after)));
    }

    // A database made before incremental vacuum is switched once at open
    // (a VACUUM) when it is small; the engine keeps its data.
    void anOlderSmallDatabaseIsSwitchedToIncrementalVacuum()
    {
        const QString p = path("older.db");
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(p, QStringLiteral("1")));
            QVERIFY_OK(s.insertWorker(sampleWorker(QStringLiteral("a")), QStringLiteral("created")));
        }
        {
            const RawDb raw(p);
            QVERIFY(raw.exec(QStringLiteral("PRAGMA auto_vacuum=NONE")));
            QVERIFY(raw.exec(QStringLiteral("VACUUM")));
            QCOMPARE(raw.value(QStringLiteral("PRAGMA auto_vacuum")).toInt(), 0);
        }
        Store s;
        QString error;
        QVERIFY_OK(s.open(p, QStringLiteral("1")));
        QCOMPARE(s.workers().value.size(), 1);
        QCOMPARE(RawDb(p).value(QStringLiteral("PRAGMA auto_vacuum")).toInt(), 2);
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
