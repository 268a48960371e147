#pragma once

#include "core/streamer/ThreadInbox.h"
#include "core/worker/WatchdogEvent.h"
#include "common/Result.h"
#include "core/worker/WorkerConfig.h"
#include "core/worker/WorkerVersion.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QSqlDatabase>
#include <QString>
#include <QUuid>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace se {

class HistoryWriter;
struct HistoryItem;
struct HistoryOutcome;

struct EngineIdentity {
    QUuid id;
    QString name;
    QString description;
    QDateTime installDate;
    QString version; // of the program that last opened the store
};

struct StoredWorker {
    WorkerConfig config;
    int watchdogEventCount = 0;
    VersionState versions; // its current version, its last good one, its automatic-rollback setting
};

// How a create or an edit came about, for the version it makes.
struct VersionNote {
    QString actor; // who: "hub https://…", "ctl", "dashboard", "ctl (rollback to v3)"
    // A rollback's own change-log row, written before the per-field rows
    // (empty: an ordinary edit).
    QString changeDescription;
    QString changeDetails;
    int markBad = 0; // an automatic rollback: the version it leaves, marked bad
};

struct ChangeLogEntry {
    QDateTime timestamp;
    QString description;
    QString details;
};

struct HubEntry {
    int id = 0;
    QString url;
    QString apiKey;
};

// The history writer's counts since the store opened.
struct HistoryStats {
    quint64 queued = 0;       // items handed to the writer
    quint64 written = 0;      // stored (or rightly not: their worker was removed)
    quint64 failed = 0;       // lost to a write error (disk full, I/O error …)
    quint64 dropped = 0;      // dropped because too many were waiting
    quint64 transactions = 0; // commits
    int waiting = 0;          // queued or being written now
    int maxWaiting = 0;

    // Adds another writer's totals to these (the counts, the highest waiting).
    void addTotals(const HistoryStats &other)
    {
        queued += other.queued;
        written += other.written;
        failed += other.failed;
        dropped += other.dropped;
        transactions += other.transactions;
        maxWaiting = std::max(maxWaiting, other.maxWaiting);
    }
};

// The engine's memory: one SQLite file. Every write that matters is one
// transaction, so a crash at any point leaves the last committed state.
// A file that cannot be read is reported, kept as it is, never replaced.
//
// Two connections to the file. The caller's (the main thread's) makes every
// edit (create, edit, remove, rollback, hubs, names) synchronously: it is
// durable when the call returns. The history (watchdog events with their log
// lines and the prune, watchdog counts, "version is good" marks) is queued
// and written by a writer thread on a connection of its own, everything
// queued when it wakes in one transaction; reads see what is still queued;
// close() writes what is queued before it returns. Per worker, the order of
// history and edits holds: a removal drops its worker's queued history.
class Store : public QObject {
    Q_OBJECT
public:
    static constexpr int kSchemaVersion = 2;

    explicit Store(QObject *parent = nullptr);
    ~Store() override;
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // Where the history is written: on the writer thread (the default), or
    // at once on the calling thread, one transaction per item, as before
    // issue 12 (bench_store's peer; not a user-facing setting). Before open().
    enum class HistoryWrites { WriterThread, CallingThread };
    void setHistoryWrites(HistoryWrites how) { m_historyWrites = how; }
    HistoryWrites historyWrites() const { return m_historyWrites; }

    // Both connections wait this long for the other's write lock.
    static constexpr int kBusyTimeoutMs = 5000;
    // The -wal file is cut back to this after a checkpoint.
    static constexpr int kWalBytesKept = 8 * 1024 * 1024;
    // An existing database without incremental auto-vacuum is vacuumed once
    // at open (which switches it on) when it is at most this big.
    static constexpr qint64 kVacuumAtOpenBytes = 64 * 1024 * 1024;

    // Opens (or creates) `path`; fails, saying why, when the file is not a
    // usable StreamEngine database.
    Result<> open(const QString &path, const QString &programVersion);
    void close();
    bool isOpen() const;
    QString path() const { return m_path; }

    // Told after every transaction (each write that matters is one) how long it
    // took from BEGIN to its COMMIT (fsync included) or ROLLBACK, on the thread
    // that wrote: the caller's, or the history writer's (so it must be
    // thread-safe). For the metrics endpoint; an empty function: nobody is told.
    using WriteObserver = std::function<void(std::chrono::nanoseconds took, bool committed)>;
    void setWriteObserver(WriteObserver observer);

    EngineIdentity identity() const;
    Result<> setEngineNameAndDescription(const QString &name, const QString &description);

    Result<QList<StoredWorker>> workers() const;
    // The bounds that give the database a size (docs/architecture.md, "Data").
    // A worker keeps its newest kChangesKept change-log rows; older ones go in
    // the transaction that adds one. A change's description and details are
    // cut (UTF-8 bytes, with a marker); the whole configurations are in the versions.
    static constexpr int kChangesKept = 1000;
    static constexpr int kChangeDescriptionBytes = 1024;
    static constexpr int kChangeDetailsBytes = 4096;
    // Writes the worker, its "created" change-log row and its version 1, atomically.
    Result<> insertWorker(const WorkerConfig &config, const QString &changeDescription, const VersionNote &note = {});
    // Writes the new configuration, one change-log row per changed field (after
    // the note's own row, if any) and the next version, atomically; the value
    // is the version's number. A worker keeps its newest kVersionsKept versions, the
    // last good one always among them; older ones go in the same transaction.
    static constexpr int kVersionsKept = 100;
    Result<int> updateWorker(const WorkerConfig &config, const QList<FieldChange> &changes, const VersionNote &note = {});
    // Also forgets the worker's pipeline-policy approval, and its history
    // still queued; the free pages are given back soon after.
    Result<> deleteWorker(const QString &id);

    // A worker's versions, oldest first (a "good" mark still queued included).
    Result<QList<WorkerVersion>> versions(const QString &workerId) const;
    // The worker ran on this version for the stable period (kept once set):
    // queued for the history writer.
    void queueVersionGood(const QString &workerId, int number);
    // The same, written at once on the calling thread (tests).
    Result<> markVersionGood(const QString &workerId, int number);
    // The per-worker automatic-rollback setting, with a change-log row, atomically.
    Result<> setAutoRollback(const QString &workerId, bool on);

    // Commands a trusted local operator let through the pipeline policy:
    // worker id → fingerprint of its streamer type and command.
    QHash<QString, QString> policyApprovals() const;
    // An empty fingerprint forgets the worker's approval.
    Result<> setPolicyApproval(const QString &workerId, const QString &fingerprint);

    // Oldest first; at most kChangesKept rows.
    QList<ChangeLogEntry> changeLog(const QString &workerId) const;

    // The event with its log lines and the worker's new event count, in one
    // transaction. A worker keeps its newest kWatchdogEventsKept events; older
    // ones go, with their log lines, in the same transaction. An event keeps
    // its newest kLogLinesPerEvent lines; its message and each line are cut to
    // kLogLineBytes of UTF-8 (with a marker).
    static constexpr int kWatchdogEventsKept = 500;
    static constexpr int kLogLinesPerEvent = 20;
    static constexpr int kLogLineBytes = 1024;
    // Queued for the history writer. `event` gets its id (given here, in
    // order, from the newest id at open) and its cut texts: what is announced
    // is what is stored. A write error comes later, as historyWriteFailed().
    void queueWatchdogEvent(WatchdogEvent &event, int newCount);
    // The same, written at once on the calling thread (tests, seeding a file).
    Result<> addWatchdogEvent(WatchdogEvent &event, int newCount);
    // A new watchdog count (a reset to 0), queued behind the worker's events.
    void queueWatchdogEventCount(const QString &workerId, int count);
    // The newest `limit` events, oldest first, those still queued included.
    QList<WatchdogEvent> watchdogEvents(const QString &workerId, int limit = 200) const;

    // Waits until every history item queued so far is written (or given up
    // after a write error); false when `timeout` passed first.
    bool flushHistory(std::chrono::milliseconds timeout);
    HistoryStats historyStats() const;

    // The most the database holds for `workers` workers that flap for ever,
    // in bytes of file: see docs/architecture.md, "Data".
    static qint64 sizeBound(int workers);

    QList<HubEntry> hubs() const;
    Result<HubEntry> addHub(const QString &url, const QString &apiKey);
    Result<> removeHub(const QString &url);

Q_SIGNALS:
    // A history write failed (on the writer thread; told on the store's
    // thread): `kind` ("disk full", "I/O error" …), SQLite's message, and how
    // many history items were lost so far. Each kind is also logged once
    // (again after writes have worked in between).
    void historyWriteFailed(const QString &kind, const QString &error, quint64 lost);

private:
    bool migrate(int from, QString *error);
    void applyVacuumPolicy(bool created, qint64 fileBytes);
    bool exec(const QString &sql, QString *error) const;
    QVariant scalar(const QString &sql, QString *error) const;
    QString meta(const QString &key) const;
    bool setMeta(const QString &key, const QString &value, QString *error) const;
    // Hands an item to the writer, or writes it at once (CallingThread, or no writer).
    void enqueue(HistoryItem item);
    // On the store's thread: a write failure or a recovery, logged once per kind.
    void onHistoryReport(const HistoryOutcome &outcome);
    // Every history item of `workerId` not yet committed, oldest first.
    void visitPending(const QString &workerId, const std::function<void(const HistoryItem &)> &visit) const;
    void prepareEvent(WatchdogEvent &event);

    QString m_connection;
    QString m_path;
    HistoryWrites m_historyWrites = HistoryWrites::WriterThread;
    ThreadInbox m_inbox{this}; // the writer's reports; outlives the writer
    std::unique_ptr<HistoryWriter> m_writer;
    qint64 m_nextEventId = 1;
    quint64 m_nextItem = 1; // the order of history items
    // Items queued before a worker of this id was created belong to an
    // earlier worker of the same id: reads do not show them.
    QHash<QString, quint64> m_createdAtItem;
    HistoryStats m_localStats; // history written on the calling thread
    QSet<QString> m_failureKindsLogged;
    bool m_historyFailing = false;
};

} // namespace se
