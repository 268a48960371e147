#include "Store.h"

#include "HistoryWriter.h"
#include "StoreSql.h"

#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStringList>

#include <algorithm>
#include <atomic>

#include <fcntl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcStore, "se.store")

namespace se {

using storesql::fromIso;
using storesql::iso;
using storesql::run;
using storesql::Transaction;

namespace {
std::atomic<int> g_connectionCounter{0};

// A configuration's columns in their stored order (name, description,
// command, streamer, enabled, watchdog on, grace ms, interval ms) from `first` on.
void readConfigColumns(const QSqlQuery &q, int first, WorkerConfig *c)
{
    c->name = q.value(first).toString();
    c->description = q.value(first + 1).toString();
    c->command = q.value(first + 2).toString();
    c->streamerType = q.value(first + 3).toString();
    c->enabled = q.value(first + 4).toBool();
    c->imageWatchdog.enabled = q.value(first + 5).toBool();
    c->imageWatchdog.graceTime = Millis(q.value(first + 6).toLongLong());
    c->imageWatchdog.interval = Millis(q.value(first + 7).toLongLong());
}

// The history writer's connection beside the store's own.
QString historyConnection(const QString &connection) { return connection + QStringLiteral("-history"); }

bool begun(const Transaction &t, QString *error)
{
    if (t.begun())
        return true;
    if (error)
        *error = t.error();
    return false;
}

void bindWorker(QSqlQuery &q, const WorkerConfig &c)
{
    q.bindValue(QStringLiteral(":id"), c.id);
    q.bindValue(QStringLiteral(":name"), c.name);
    q.bindValue(QStringLiteral(":description"), c.description);
    q.bindValue(QStringLiteral(":command"), c.command);
    q.bindValue(QStringLiteral(":streamer"), c.streamerType);
    q.bindValue(QStringLiteral(":enabled"), c.enabled ? 1 : 0);
    q.bindValue(QStringLiteral(":wd_enabled"), c.imageWatchdog.enabled ? 1 : 0);
    q.bindValue(QStringLiteral(":wd_grace"), qint64(c.imageWatchdog.graceTime.count()));
    q.bindValue(QStringLiteral(":wd_interval"), qint64(c.imageWatchdog.interval.count()));
}
} // namespace

Store::Store(QObject *parent)
    : QObject(parent), m_connection(QStringLiteral("se-store-%1").arg(++g_connectionCounter))
{
}

Store::~Store()
{
    close();
    setWriteObserver({});
}

void Store::setWriteObserver(WriteObserver observer)
{
    storesql::setWriteObserver(historyConnection(m_connection), observer);
    storesql::setWriteObserver(m_connection, std::move(observer));
}

bool Store::isOpen() const
{
    return QSqlDatabase::contains(m_connection) && QSqlDatabase::database(m_connection, false).isOpen();
}

void Store::close()
{
    // The history still queued is written first (a clean stop loses none of it).
    if (m_writer) {
        m_writer->stop();
        m_localStats.addTotals(m_writer->stats());
        m_writer.reset();
    }
    if (!QSqlDatabase::contains(m_connection))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

QVariant Store::scalar(const QString &sql, QString *error) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (q.exec(sql) && q.next())
        return q.value(0);
    if (error)
        *error = q.lastError().text().isEmpty() ? QStringLiteral("no result") : q.lastError().text();
    return {};
}

bool Store::exec(const QString &sql, QString *error) const
{
    return storesql::exec(QSqlDatabase::database(m_connection, false), sql, error);
}

Result<> Store::open(const QString &path, const QString &programVersion)
{
    close();
    m_path = path;
    auto fail = [&](const QString &why) {
        close();
        return Result<>::failure(QStringLiteral("cannot use the database %1: %2. The file is kept as it is; "
                                                "move it away or repair it, then start again.")
                                     .arg(path, why));
    };
    const QFileInfo fi(path);
    if (fi.exists() && !fi.isReadable())
        return fail(QStringLiteral("the file is not readable"));
    const bool existed = fi.exists() && fi.size() > 0;
    if (!fi.exists()) {
        // Owner-only from the start (it holds the hub keys); SQLite gives its
        // -wal and -shm files the database's own mode.
        const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            ::close(fd);
    }

    QString why;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs));
        if (!db.open())
            why = db.lastError().text();
    }
    if (!why.isEmpty())
        return fail(why);

    // A corrupt or foreign file shows itself on the first real read.
    const QString integrity = scalar(QStringLiteral("PRAGMA quick_check"), &why).toString();
    if (!why.isEmpty())
        return fail(QStringLiteral("not an SQLite database (%1)").arg(why));
    if (integrity != QLatin1String("ok"))
        return fail(QStringLiteral("the database is damaged (%1)").arg(integrity));

    // A new file gives freed pages back (PRAGMA incremental_vacuum); only
    // possible before its first table, and before WAL writes its header.
    if (!existed && !exec(QStringLiteral("PRAGMA auto_vacuum=INCREMENTAL"), &why))
        return fail(why);
    if (!exec(QStringLiteral("PRAGMA journal_mode=WAL"), &why) || !exec(QStringLiteral("PRAGMA synchronous=FULL"), &why)
        || !exec(QStringLiteral("PRAGMA foreign_keys=ON"), &why)
        || !exec(QStringLiteral("PRAGMA journal_size_limit=%1").arg(kWalBytesKept), &why))
        return fail(why);

    const int version = scalar(QStringLiteral("PRAGMA user_version"), &why).toInt();
    if (!why.isEmpty())
        return fail(why);
    if (version > kSchemaVersion)
        return fail(QStringLiteral("it was written by a newer StreamEngine (schema %1, this one knows %2)").arg(version).arg(kSchemaVersion));
    if (existed && version == 0 && scalar(QStringLiteral("SELECT count(*) FROM sqlite_master"), &why).toInt() > 0)
        return fail(QStringLiteral("it is an SQLite file of something else, not a StreamEngine database"));
    if (version < kSchemaVersion && !migrate(version, &why))
        return fail(QStringLiteral("schema migration failed: %1").arg(why));

    if (meta(QStringLiteral("engine_id")).isEmpty()) {
        // The engine's identity is made once, here, and kept.
        bool made = false;
        {
            Transaction t(QSqlDatabase::database(m_connection, false));
            made = begun(t, &why) && setMeta(QStringLiteral("engine_id"), QUuid::createUuid().toString(QUuid::WithoutBraces), &why)
                && setMeta(QStringLiteral("engine_name"), QStringLiteral("StreamEngine"), &why)
                && setMeta(QStringLiteral("engine_description"), QString(), &why)
                && setMeta(QStringLiteral("install_date"), iso(QDateTime::currentDateTimeUtc()), &why) && t.commit();
            if (!made && why.isEmpty())
                why = t.error();
        }
        if (!made)
            return fail(why);
    }
    if (meta(QStringLiteral("version")) != programVersion)
        setMeta(QStringLiteral("version"), programVersion, nullptr);
    applyVacuumPolicy(!existed, existed ? fi.size() : 0);

    // Event ids are given when an event is queued (it is announced with its
    // id before it is written): on from the newest ever used, never reused.
    m_nextEventId = 1 + std::max(scalar(QStringLiteral("SELECT coalesce(max(id), 0) FROM watchdog_events"), nullptr).toLongLong(),
                                 scalar(QStringLiteral("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'watchdog_events'"),
                                        nullptr).toLongLong());
    m_failureKindsLogged.clear();
    m_historyFailing = false;
    if (m_historyWrites == HistoryWrites::WriterThread) {
        m_writer = std::make_unique<HistoryWriter>(path, historyConnection(m_connection), [this](const HistoryOutcome &o) {
            // On the writer thread: told on the store's.
            m_inbox.post([this, o] { onHistoryReport(o); });
        });
        if (const Result<> started = m_writer->start(); !started.ok) {
            qCWarning(lcStore).noquote() << "the history writer could not open the database (" << started.message
                                         << "); the history is written on the main thread";
            m_writer.reset();
        }
    }
    return Result<>::success();
}

// New files are made with auto_vacuum=INCREMENTAL. An older one (NONE) is
// vacuumed once, which switches it on, when it is small enough to do that at
// start; a bigger one is left as it is: SQLite reuses its free pages, so it
// does not grow past the size it had.
void Store::applyVacuumPolicy(bool created, qint64 fileBytes)
{
    QString why;
    if (created || scalar(QStringLiteral("PRAGMA auto_vacuum"), &why).toInt() == 2 || !why.isEmpty())
        return;
    if (fileBytes > kVacuumAtOpenBytes) {
        qCInfo(lcStore).noquote() << QStringLiteral("%1 (%2 MB) was made without incremental vacuum and is too big to convert at "
                                                    "start; its free pages are reused, so it does not grow past its size")
                                         .arg(m_path).arg(fileBytes / (1024 * 1024));
        return;
    }
    if (!exec(QStringLiteral("PRAGMA auto_vacuum=INCREMENTAL"), &why) || !exec(QStringLiteral("VACUUM"), &why)) {
        qCWarning(lcStore).noquote() << "could not switch" << m_path << "to incremental vacuum (it works on as it is):" << why;
        return;
    }
    qCInfo(lcStore).noquote() << "switched" << m_path << "to incremental vacuum (one VACUUM)";
}

bool Store::migrate(int from, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction t(db);
    if (!begun(t, error))
        return false;
    if (from < 1) {
        const char *statements[] = {
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
            "CREATE TABLE workers (id TEXT PRIMARY KEY, name TEXT, description TEXT, command TEXT NOT NULL,"
            " streamer_type TEXT NOT NULL, enabled INTEGER NOT NULL, wd_enabled INTEGER NOT NULL,"
            " wd_grace_ms INTEGER NOT NULL, wd_interval_ms INTEGER NOT NULL,"
            " watchdog_event_count INTEGER NOT NULL DEFAULT 0, position INTEGER NOT NULL, created_at TEXT NOT NULL)",
            "CREATE TABLE worker_changes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " worker_id TEXT NOT NULL REFERENCES workers(id) ON DELETE CASCADE,"
            " ts TEXT NOT NULL, description TEXT NOT NULL, details TEXT)",
            "CREATE INDEX worker_changes_worker ON worker_changes(worker_id)",
            "CREATE TABLE watchdog_events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " worker_id TEXT NOT NULL REFERENCES workers(id) ON DELETE CASCADE,"
            " ts TEXT NOT NULL, cause TEXT NOT NULL, message TEXT NOT NULL)",
            "CREATE INDEX watchdog_events_worker ON watchdog_events(worker_id)",
            "CREATE TABLE watchdog_event_logs (event_id INTEGER NOT NULL REFERENCES watchdog_events(id) ON DELETE CASCADE,"
            " seq INTEGER NOT NULL, ts TEXT NOT NULL, level INTEGER NOT NULL, message TEXT NOT NULL)",
            "CREATE INDEX watchdog_event_logs_event ON watchdog_event_logs(event_id)",
            "CREATE TABLE hubs (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, api_key TEXT NOT NULL DEFAULT '')",
        };
        for (const char *sql : statements)
            if (!exec(QString::fromLatin1(sql), error))
                return false;
    }
    if (from < 2) {
        // Versions: every create and edit makes one; the workers there are
        // now get a version 1 of their current configuration, dated by their
        // last change.
        const char *statements[] = {
            "CREATE TABLE worker_versions (worker_id TEXT NOT NULL REFERENCES workers(id) ON DELETE CASCADE,"
            " number INTEGER NOT NULL, ts TEXT NOT NULL, actor TEXT NOT NULL, changes TEXT NOT NULL,"
            " name TEXT, description TEXT, command TEXT NOT NULL, streamer_type TEXT NOT NULL, enabled INTEGER NOT NULL,"
            " wd_enabled INTEGER NOT NULL, wd_grace_ms INTEGER NOT NULL, wd_interval_ms INTEGER NOT NULL,"
            " good_at TEXT, bad INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (worker_id, number))",
            "ALTER TABLE workers ADD COLUMN auto_rollback INTEGER NOT NULL DEFAULT 0",
            "INSERT INTO worker_versions(worker_id, number, ts, actor, changes, name, description, command, streamer_type,"
            " enabled, wd_enabled, wd_grace_ms, wd_interval_ms)"
            " SELECT w.id, 1, coalesce((SELECT max(c.ts) FROM worker_changes c WHERE c.worker_id = w.id), w.created_at),"
            " 'engine (upgrade)', 'the configuration from before versions were kept', w.name, w.description, w.command,"
            " w.streamer_type, w.enabled, w.wd_enabled, w.wd_grace_ms, w.wd_interval_ms FROM workers w",
        };
        for (const char *sql : statements)
            if (!exec(QString::fromLatin1(sql), error))
                return false;
    }
    // Later schema versions add their steps here: if (from < 3) { ... }
    if (!exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion), error))
        return false;
    if (!t.commit()) {
        if (error) *error = t.error();
        return false;
    }
    return true;
}

QString Store::meta(const QString &key) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT value FROM meta WHERE key = ?"));
    q.addBindValue(key);
    if (q.exec() && q.next())
        return q.value(0).toString();
    return {};
}

bool Store::setMeta(const QString &key, const QString &value, QString *error) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    q.addBindValue(key);
    q.addBindValue(value);
    return run(q, error);
}

EngineIdentity Store::identity() const
{
    EngineIdentity e;
    e.id = QUuid::fromString(meta(QStringLiteral("engine_id")));
    e.name = meta(QStringLiteral("engine_name"));
    e.description = meta(QStringLiteral("engine_description"));
    e.installDate = fromIso(meta(QStringLiteral("install_date")));
    e.version = meta(QStringLiteral("version"));
    return e;
}

Result<> Store::setEngineNameAndDescription(const QString &name, const QString &description)
{
    QString why;
    Transaction t(QSqlDatabase::database(m_connection, false));
    if (!begun(t, &why) || !setMeta(QStringLiteral("engine_name"), name, &why)
        || !setMeta(QStringLiteral("engine_description"), description, &why))
        return Result<>::failure(why);
    if (!t.commit())
        return Result<>::failure(t.error());
    return Result<>::success();
}

Result<QList<StoredWorker>> Store::workers() const
{
    QList<StoredWorker> out;
    QString why;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT id, name, description, command, streamer_type, enabled, wd_enabled, wd_grace_ms,"
                             " wd_interval_ms, watchdog_event_count, auto_rollback,"
                             " (SELECT max(number) FROM worker_versions v WHERE v.worker_id = w.id),"
                             " (SELECT max(number) FROM worker_versions v WHERE v.worker_id = w.id AND v.good_at IS NOT NULL)"
                             " FROM workers w ORDER BY position"));
    if (!run(q, &why))
        return Result<QList<StoredWorker>>::failure(why);
    while (q.next()) {
        StoredWorker w;
        w.config.id = q.value(0).toString();
        readConfigColumns(q, 1, &w.config);
        w.watchdogEventCount = q.value(9).toInt();
        w.versions.autoRollback = q.value(10).toBool();
        w.versions.current = q.value(11).toInt();
        w.versions.lastGood = q.value(12).toInt();
        // What the history writer has not written yet.
        visitPending(w.config.id, [&w](const HistoryItem &i) {
            if (i.kind == HistoryItem::Kind::Event || i.kind == HistoryItem::Kind::Count)
                w.watchdogEventCount = i.value;
            else if (i.kind == HistoryItem::Kind::Good && i.value <= w.versions.current)
                w.versions.lastGood = std::max(w.versions.lastGood, i.value);
        });
        out.append(w);
    }
    return Result<QList<StoredWorker>>::success(out);
}

static bool addChange(QSqlDatabase db, const QString &workerId, const QString &description, const QString &details, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO worker_changes(worker_id, ts, description, details) VALUES(?, ?, ?, ?)"));
    q.addBindValue(workerId);
    q.addBindValue(iso(QDateTime::currentDateTimeUtc()));
    q.addBindValue(storesql::cutUtf8(description, Store::kChangeDescriptionBytes));
    q.addBindValue(details.isNull() ? QString() : storesql::cutUtf8(details, Store::kChangeDetailsBytes));
    return run(q, error);
}

// Keeps a worker's newest Store::kChangesKept change-log rows.
static bool pruneChanges(QSqlDatabase db, const QString &workerId, QString *error)
{
    QSqlQuery prune(db);
    prune.prepare(QStringLiteral("DELETE FROM worker_changes WHERE worker_id = ? AND id <= "
                                 "(SELECT id FROM worker_changes WHERE worker_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"));
    prune.addBindValue(workerId);
    prune.addBindValue(workerId);
    prune.addBindValue(Store::kChangesKept);
    return run(prune, error);
}

// The next version of a worker: its whole configuration, who made it and what
// changed; `number` gets its number.
static bool addVersion(QSqlDatabase db, const WorkerConfig &c, const QString &actor, const QString &changes, int *number,
                       QString *error)
{
    QSqlQuery next(db);
    next.prepare(QStringLiteral("SELECT coalesce(max(number), 0) + 1 FROM worker_versions WHERE worker_id = ?"));
    next.addBindValue(c.id);
    if (!run(next, error) || !next.next())
        return false;
    *number = next.value(0).toInt();
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO worker_versions(worker_id, number, ts, actor, changes, name, description, command, streamer_type, enabled,"
        " wd_enabled, wd_grace_ms, wd_interval_ms) VALUES(:id, :number, :ts, :actor, :changes, :name, :description, :command,"
        " :streamer, :enabled, :wd_enabled, :wd_grace, :wd_interval)"));
    bindWorker(q, c);
    q.bindValue(QStringLiteral(":number"), *number);
    q.bindValue(QStringLiteral(":ts"), iso(QDateTime::currentDateTimeUtc()));
    q.bindValue(QStringLiteral(":actor"), actor.isNull() ? QStringLiteral("") : actor); // a null QString binds as NULL
    q.bindValue(QStringLiteral(":changes"), changes.isNull() ? QStringLiteral("") : changes);
    return run(q, error);
}

// Keeps a worker's newest Store::kVersionsKept versions, its last good one always among them.
static bool pruneVersions(QSqlDatabase db, const QString &workerId, QString *error)
{
    QSqlQuery good(db);
    good.prepare(QStringLiteral("SELECT coalesce(max(number), 0) FROM worker_versions WHERE worker_id = ? AND good_at IS NOT NULL"));
    good.addBindValue(workerId);
    if (!run(good, error) || !good.next())
        return false;
    const int lastGood = good.value(0).toInt();
    QSqlQuery prune(db);
    prune.prepare(QStringLiteral("DELETE FROM worker_versions WHERE worker_id = ? AND number <> ? AND number NOT IN"
                                 " (SELECT number FROM worker_versions WHERE worker_id = ? AND number <> ? ORDER BY number DESC LIMIT ?)"));
    prune.addBindValue(workerId);
    prune.addBindValue(lastGood);
    prune.addBindValue(workerId);
    prune.addBindValue(lastGood);
    prune.addBindValue(lastGood > 0 ? Store::kVersionsKept - 1 : Store::kVersionsKept);
    return run(prune, error);
}

Result<> Store::insertWorker(const WorkerConfig &config, const QString &changeDescription, const VersionNote &note)
{
    QString why;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction t(db);
    if (!begun(t, &why))
        return Result<>::failure(why);
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO workers(id, name, description, command, streamer_type, enabled, wd_enabled, wd_grace_ms, wd_interval_ms,"
        " position, created_at) VALUES(:id, :name, :description, :command, :streamer, :enabled, :wd_enabled, :wd_grace,"
        " :wd_interval, (SELECT coalesce(max(position), 0) + 1 FROM workers), :created)"));
    bindWorker(q, config);
    q.bindValue(QStringLiteral(":created"), iso(QDateTime::currentDateTimeUtc()));
    int number = 0;
    if (!run(q, &why) || !addChange(db, config.id, changeDescription, QString(), &why)
        || !addVersion(db, config, note.actor, QStringLiteral("created"), &number, &why))
        return Result<>::failure(why);
    if (!t.commit()) {
        why = t.error();
        return Result<>::failure(why);
    }
    // History still queued for an earlier worker of this id is not this one's.
    m_createdAtItem.insert(config.id, m_nextItem);
    return Result<>::success();
}

Result<int> Store::updateWorker(const WorkerConfig &config, const QList<FieldChange> &changes, const VersionNote &note)
{
    QString why;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction t(db);
    if (!begun(t, &why))
        return Result<int>::failure(why);
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "UPDATE workers SET name = :name, description = :description, command = :command, streamer_type = :streamer,"
        " enabled = :enabled, wd_enabled = :wd_enabled, wd_grace_ms = :wd_grace, wd_interval_ms = :wd_interval WHERE id = :id"));
    bindWorker(q, config);
    if (!run(q, &why))
        return Result<int>::failure(why);
    if (q.numRowsAffected() != 1) {
        why = QStringLiteral("no worker with id %1").arg(config.id);
        return Result<int>::failure(why);
    }
    if (!note.changeDescription.isEmpty() && !addChange(db, config.id, note.changeDescription, note.changeDetails, &why))
        return Result<int>::failure(why);
    QStringList fields;
    for (const FieldChange &c : changes) {
        const QString description = QStringLiteral("%1 changed").arg(c.field);
        const QString details = QStringLiteral("%1: '%2' -> '%3'").arg(c.field, c.from, c.to);
        if (!addChange(db, config.id, description, details, &why))
            return Result<int>::failure(why);
        fields << c.field;
    }
    int number = 0;
    if (!addVersion(db, config, note.actor, fields.join(QStringLiteral(", ")), &number, &why))
        return Result<int>::failure(why);
    if (note.markBad > 0) {
        QSqlQuery bad(db);
        bad.prepare(QStringLiteral("UPDATE worker_versions SET bad = 1 WHERE worker_id = ? AND number = ?"));
        bad.addBindValue(config.id);
        bad.addBindValue(note.markBad);
        if (!run(bad, &why))
            return Result<int>::failure(why);
    }
    if (!pruneVersions(db, config.id, &why) || !pruneChanges(db, config.id, &why))
        return Result<int>::failure(why);
    if (!t.commit()) {
        why = t.error();
        return Result<int>::failure(why);
    }
    return Result<int>::success(number);
}

Result<QList<WorkerVersion>> Store::versions(const QString &workerId) const
{
    QList<WorkerVersion> out;
    QString why;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT number, ts, actor, changes, name, description, command, streamer_type, enabled, wd_enabled,"
                             " wd_grace_ms, wd_interval_ms, good_at, bad FROM worker_versions WHERE worker_id = ? ORDER BY number"));
    q.addBindValue(workerId);
    if (!run(q, &why))
        return Result<QList<WorkerVersion>>::failure(why);
    while (q.next()) {
        WorkerVersion v;
        v.number = q.value(0).toInt();
        v.timestamp = fromIso(q.value(1).toString());
        v.actor = q.value(2).toString();
        v.changes = q.value(3).toString();
        v.config.id = workerId;
        readConfigColumns(q, 4, &v.config);
        if (!q.value(12).isNull())
            v.goodAt = fromIso(q.value(12).toString());
        v.bad = q.value(13).toBool();
        out.append(v);
    }
    visitPending(workerId, [&out](const HistoryItem &i) {
        if (i.kind != HistoryItem::Kind::Good)
            return;
        for (WorkerVersion &v : out)
            if (v.number == i.value && !v.goodAt.isValid())
                v.goodAt = i.at;
    });
    return Result<QList<WorkerVersion>>::success(out);
}

void Store::queueVersionGood(const QString &workerId, int number)
{
    HistoryItem item;
    item.kind = HistoryItem::Kind::Good;
    item.workerId = workerId;
    item.value = number;
    item.at = QDateTime::currentDateTimeUtc();
    enqueue(std::move(item));
}

Result<> Store::markVersionGood(const QString &workerId, int number)
{
    QString why;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE worker_versions SET good_at = ? WHERE worker_id = ? AND number = ? AND good_at IS NULL"));
    q.addBindValue(iso(QDateTime::currentDateTimeUtc()));
    q.addBindValue(workerId);
    q.addBindValue(number);
    if (!run(q, &why))
        return Result<>::failure(why);
    return Result<>::success();
}

Result<> Store::setAutoRollback(const QString &workerId, bool on)
{
    QString why;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction t(db);
    if (!begun(t, &why))
        return Result<>::failure(why);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE workers SET auto_rollback = ? WHERE id = ? AND auto_rollback <> ?"));
    q.addBindValue(on ? 1 : 0);
    q.addBindValue(workerId);
    q.addBindValue(on ? 1 : 0);
    if (!run(q, &why))
        return Result<>::failure(why);
    if (q.numRowsAffected() == 0)
        return Result<>::success(); // already so (or no such worker: nothing to log)
    const auto text = [](bool b) { return b ? QStringLiteral("true") : QStringLiteral("false"); };
    if (!addChange(db, workerId, QStringLiteral("autoRollback changed"),
                   QStringLiteral("autoRollback: '%1' -> '%2'").arg(text(!on), text(on)), &why)
        || !pruneChanges(db, workerId, &why))
        return Result<>::failure(why);
    if (!t.commit()) {
        why = t.error();
        return Result<>::failure(why);
    }
    return Result<>::success();
}

Result<> Store::deleteWorker(const QString &id)
{
    QString why;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction t(db);
    if (!begun(t, &why))
        return Result<>::failure(why);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM workers WHERE id = ?"));
    q.addBindValue(id);
    if (!run(q, &why))
        return Result<>::failure(why);
    QSqlQuery approval(db);
    approval.prepare(QStringLiteral("DELETE FROM meta WHERE key = ?"));
    approval.addBindValue(QStringLiteral("policy_approval:") + id);
    if (!run(approval, &why))
        return Result<>::failure(why);
    if (!t.commit()) {
        why = t.error();
        return Result<>::failure(why);
    }
    // Its history still queued goes too. What the writer is writing now was
    // committed before this removal (the removal waited for its write lock)
    // and went with it; what it takes later finds no worker and is skipped.
    if (m_writer)
        m_writer->purge(id);
    m_createdAtItem.remove(id);
    // Its history's pages are free now: given back soon (incremental vacuum).
    HistoryItem vacuum;
    vacuum.kind = HistoryItem::Kind::Vacuum;
    enqueue(std::move(vacuum));
    return Result<>::success();
}

QHash<QString, QString> Store::policyApprovals() const
{
    QHash<QString, QString> out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT key, value FROM meta WHERE substr(key, 1, 16) = 'policy_approval:'"));
    if (!run(q, nullptr))
        return out;
    while (q.next())
        out.insert(q.value(0).toString().mid(16), q.value(1).toString());
    return out;
}

Result<> Store::setPolicyApproval(const QString &workerId, const QString &fingerprint)
{
    QString why;
    const QString key = QStringLiteral("policy_approval:") + workerId;
    if (!fingerprint.isEmpty()) {
        if (!setMeta(key, fingerprint, &why))
            return Result<>::failure(why);
        return Result<>::success();
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("DELETE FROM meta WHERE key = ?"));
    q.addBindValue(key);
    if (!run(q, &why))
        return Result<>::failure(why);
    return Result<>::success();
}

QList<ChangeLogEntry> Store::changeLog(const QString &workerId) const
{
    QList<ChangeLogEntry> out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT ts, description, details FROM worker_changes WHERE worker_id = ? ORDER BY id"));
    q.addBindValue(workerId);
    if (!run(q, nullptr))
        return out;
    while (q.next())
        out.append({fromIso(q.value(0).toString()), q.value(1).toString(), q.value(2).toString()});
    return out;
}

void Store::prepareEvent(WatchdogEvent &event)
{
    event.id = m_nextEventId++;
    event.message = storesql::cutUtf8(event.message, kLogLineBytes);
    if (event.logs.size() > kLogLinesPerEvent)
        event.logs = event.logs.mid(event.logs.size() - kLogLinesPerEvent);
    for (LogEntry &l : event.logs)
        l.message = storesql::cutUtf8(l.message, kLogLineBytes);
}

void Store::queueWatchdogEvent(WatchdogEvent &event, int newCount)
{
    prepareEvent(event);
    HistoryItem item;
    item.kind = HistoryItem::Kind::Event;
    item.workerId = event.workerId;
    item.event = event;
    item.value = newCount;
    enqueue(std::move(item));
}

Result<> Store::addWatchdogEvent(WatchdogEvent &event, int newCount)
{
    prepareEvent(event);
    HistoryItem item;
    item.kind = HistoryItem::Kind::Event;
    item.order = m_nextItem++;
    item.workerId = event.workerId;
    item.event = event;
    item.value = newCount;
    const HistoryOutcome out = writeHistory(QSqlDatabase::database(m_connection, false), {item});
    return out.failed == 0 ? Result<>::success() : Result<>::failure(out.error);
}

void Store::queueWatchdogEventCount(const QString &workerId, int count)
{
    HistoryItem item;
    item.kind = HistoryItem::Kind::Count;
    item.workerId = workerId;
    item.value = count;
    enqueue(std::move(item));
}

void Store::enqueue(HistoryItem item)
{
    item.order = m_nextItem++;
    if (m_writer) {
        if (m_writer->push(std::move(item)) > 0 && !m_failureKindsLogged.contains(QStringLiteral("queue full"))) {
            m_failureKindsLogged.insert(QStringLiteral("queue full"));
            qCWarning(lcStore).noquote() << QStringLiteral("the history writer is %1 items behind: the oldest waiting are dropped "
                                                           "(and counted) until it catches up").arg(HistoryWriter::kMaxQueued);
        }
        return;
    }
    if (!isOpen())
        return;
    // On the calling thread, one transaction per item: the engine before issue 12.
    const QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    const bool vacuum = item.kind == HistoryItem::Kind::Vacuum;
    HistoryOutcome out = writeHistory(db, {std::move(item)});
    if (vacuum)
        vacuumIfWorthIt(db);
    ++m_localStats.queued;
    m_localStats.written += quint64(out.written);
    m_localStats.failed += quint64(out.failed);
    m_localStats.transactions += quint64(out.transactions);
    if (out.failed > 0) {
        m_historyFailing = true;
        onHistoryReport(out);
    } else if (m_historyFailing) {
        m_historyFailing = false;
        out.recovered = true;
        onHistoryReport(out);
    }
}

void Store::onHistoryReport(const HistoryOutcome &o)
{
    if (o.recovered) {
        if (!m_failureKindsLogged.isEmpty())
            qCInfo(lcStore).noquote() << QStringLiteral("history writes work again (%1 history items lost so far)").arg(historyStats().failed);
        m_failureKindsLogged.clear();
        return;
    }
    if (o.kind.isEmpty())
        return;
    const HistoryStats stats = historyStats();
    if (!m_failureKindsLogged.contains(o.kind)) {
        m_failureKindsLogged.insert(o.kind);
        if (o.retrying)
            qCWarning(lcStore).noquote() << QStringLiteral("the history writer waits for the database (%1): %2; it tries again")
                                                .arg(o.kind, o.error);
        else
            qCWarning(lcStore).noquote() << QStringLiteral("could not write the history (%1): %2; %3 history items (watchdog events, "
                                                           "counts, good marks) lost so far. Further failures of this kind are counted, "
                                                           "not logged, until writes work again")
                                                .arg(o.kind, o.error).arg(stats.failed);
    }
    if (o.failed > 0)
        Q_EMIT historyWriteFailed(o.kind, o.error, stats.failed);
}

bool Store::flushHistory(std::chrono::milliseconds timeout)
{
    return !m_writer || m_writer->flush(timeout);
}

HistoryStats Store::historyStats() const
{
    HistoryStats s = m_localStats;
    if (m_writer) {
        const HistoryStats w = m_writer->stats();
        s.addTotals(w);
        s.waiting = w.waiting;
    }
    return s;
}

void Store::visitPending(const QString &workerId, const std::function<void(const HistoryItem &)> &visit) const
{
    if (!m_writer)
        return;
    const quint64 since = m_createdAtItem.value(workerId, 0);
    m_writer->visitPending([&](const HistoryItem &i) {
        if (i.workerId == workerId && i.order >= since)
            visit(i);
    });
}

QList<WatchdogEvent> Store::watchdogEvents(const QString &workerId, int limit) const
{
    // What is queued first, then the database: an event the writer commits
    // in between is in both (the same id), none is in neither.
    QList<WatchdogEvent> pending;
    visitPending(workerId, [&pending](const HistoryItem &i) {
        if (i.kind == HistoryItem::Kind::Event)
            pending.append(i.event);
    });
    QList<WatchdogEvent> out;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT id, ts, cause, message FROM watchdog_events WHERE worker_id = ? ORDER BY id DESC LIMIT ?"));
    q.addBindValue(workerId);
    q.addBindValue(limit);
    if (!run(q, nullptr))
        return pending.mid(std::max<qsizetype>(0, pending.size() - limit));
    QSqlQuery lines(db);
    lines.prepare(QStringLiteral("SELECT seq, ts, level, message FROM watchdog_event_logs WHERE event_id = ? ORDER BY rowid"));
    while (q.next()) {
        WatchdogEvent e;
        e.id = q.value(0).toLongLong();
        e.workerId = workerId;
        e.timestamp = fromIso(q.value(1).toString());
        e.cause = causeFromString(q.value(2).toString());
        e.message = q.value(3).toString();
        lines.addBindValue(e.id);
        if (run(lines, nullptr))
            while (lines.next())
                e.logs.append({lines.value(0).toInt(), LogLevel(lines.value(2).toInt()), fromIso(lines.value(1).toString()),
                               lines.value(3).toString()});
        out.prepend(e); // oldest first
    }
    if (pending.isEmpty())
        return out;
    QSet<qint64> stored;
    for (const WatchdogEvent &e : std::as_const(out))
        stored.insert(e.id);
    for (const WatchdogEvent &e : std::as_const(pending))
        if (!stored.contains(e.id))
            out.append(e);
    std::stable_sort(out.begin(), out.end(), [](const WatchdogEvent &a, const WatchdogEvent &b) { return a.id < b.id; });
    return out.mid(std::max<qsizetype>(0, out.size() - limit));
}

QList<HubEntry> Store::hubs() const
{
    QList<HubEntry> out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("SELECT id, url, api_key FROM hubs ORDER BY id")))
        return out;
    while (q.next())
        out.append({q.value(0).toInt(), q.value(1).toString(), q.value(2).toString()});
    return out;
}

Result<HubEntry> Store::addHub(const QString &url, const QString &apiKey)
{
    QString why;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO hubs(url, api_key) VALUES(?, ?) ON CONFLICT(url) DO UPDATE SET api_key = excluded.api_key"));
    q.addBindValue(url);
    q.addBindValue(apiKey.isNull() ? QStringLiteral("") : apiKey);
    if (!run(q, &why))
        return Result<HubEntry>::failure(why);
    for (const HubEntry &h : hubs())
        if (h.url == url)
            return Result<HubEntry>::success(h);
    return Result<HubEntry>::failure(QStringLiteral("the hub %1 was stored but cannot be read back").arg(url));
}

Result<> Store::removeHub(const QString &url)
{
    QString why;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("DELETE FROM hubs WHERE url = ?"));
    q.addBindValue(url);
    if (!run(q, &why))
        return Result<>::failure(why);
    if (q.numRowsAffected() == 0) {
        why = QStringLiteral("no hub %1").arg(url);
        return Result<>::failure(why);
    }
    return Result<>::success();
}

qint64 Store::sizeBound(int workers)
{
    // Per row: its texts at their caps (a configuration's texts at the
    // lengths WorkerManager allows, each UTF-16 unit at most 3 bytes of
    // UTF-8), its numbers and times, and ~40 bytes SQLite adds to a row or an
    // index entry (cell pointer, record header, varints).
    constexpr qint64 row = 40, ts = 24, number = 8;
    constexpr qint64 workerId = 256 * 3;
    constexpr qint64 config = (1024 + 16 * 1024 + 32 * 1024) * 3 + 256 + 4 * number; // name, description, command, type, flags
    constexpr qint64 eventRow = number + workerId + ts + 16 + kLogLineBytes + row + (workerId + number + row); // + its index entry
    constexpr qint64 lineRow = 2 * number + ts + 1 + kLogLineBytes + row + (2 * number + row);
    constexpr qint64 changeRow = number + workerId + ts + kChangeDescriptionBytes + kChangeDetailsBytes + row + (workerId + number + row);
    constexpr qint64 versionRow = workerId + number + ts + 1024 + 256 + config + row + 4096; // + a part-empty overflow page
    constexpr qint64 workerRow = workerId + config + ts + 3 * number + row + 4096 + (workerId + row);
    constexpr qint64 perWorker = qint64(kWatchdogEventsKept) * (eventRow + kLogLinesPerEvent * lineRow)
        + qint64(kChangesKept) * changeRow + qint64(kVersionsKept) * versionRow + workerRow;
    // B-tree pages are not full (about 2/3 when rows come in out of order):
    // half as much again. Plus what does not grow with the workers: the
    // schema, the meta rows and hubs, and the free pages the writer keeps
    // (4 MB) before it gives them back.
    constexpr qint64 fixed = 8 * 1024 * 1024;
    return qint64(workers) * perWorker * 3 / 2 + fixed;
}

} // namespace se
