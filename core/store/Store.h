#pragma once

#include "WatchdogEvent.h"
#include "WorkerConfig.h"
#include "WorkerVersion.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QUuid>

#include <chrono>
#include <functional>
#include <optional>

namespace se {

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

// The engine's memory: one SQLite file. Every write that matters is one
// transaction, so a crash at any point leaves the last committed state.
// A file that cannot be read is reported, kept as it is, never replaced.
class Store {
public:
    static constexpr int kSchemaVersion = 2;

    Store();
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // Opens (or creates) `path`; false and a clear `error` when the file is
    // not a usable StreamEngine database.
    bool open(const QString &path, const QString &programVersion, QString *error);
    void close();
    bool isOpen() const;
    QString path() const { return m_path; }

    // Told after every transaction (each write that matters is one) how long it
    // took from BEGIN to its COMMIT (fsync included) or ROLLBACK, on the thread
    // that wrote. For the metrics endpoint; an empty function: nobody is told.
    using WriteObserver = std::function<void(std::chrono::nanoseconds took, bool committed)>;
    void setWriteObserver(WriteObserver observer);

    EngineIdentity identity() const;
    bool setEngineNameAndDescription(const QString &name, const QString &description, QString *error = nullptr);

    QList<StoredWorker> workers(QString *error = nullptr) const;
    // Writes the worker, its "created" change-log row and its version 1, atomically.
    bool insertWorker(const WorkerConfig &config, const QString &changeDescription, QString *error = nullptr,
                      const VersionNote &note = {});
    // Writes the new configuration, one change-log row per changed field (after
    // the note's own row, if any) and the next version, atomically; `version`
    // gets its number. A worker keeps its newest kVersionsKept versions, the
    // last good one always among them; older ones go in the same transaction.
    static constexpr int kVersionsKept = 100;
    bool updateWorker(const WorkerConfig &config, const QList<FieldChange> &changes, QString *error = nullptr,
                      const VersionNote &note = {}, int *version = nullptr);
    // Also forgets the worker's pipeline-policy approval.
    bool deleteWorker(const QString &id, QString *error = nullptr);
    bool setWatchdogEventCount(const QString &id, int count, QString *error = nullptr);

    // A worker's versions, oldest first.
    QList<WorkerVersion> versions(const QString &workerId, QString *error = nullptr) const;
    // The worker ran on this version for the stable period (kept once set).
    bool markVersionGood(const QString &workerId, int number, QString *error = nullptr);
    // The per-worker automatic-rollback setting, with a change-log row, atomically.
    bool setAutoRollback(const QString &workerId, bool on, QString *error = nullptr);

    // Commands a trusted local operator let through the pipeline policy:
    // worker id → fingerprint of its streamer type and command.
    QHash<QString, QString> policyApprovals() const;
    // An empty fingerprint forgets the worker's approval.
    bool setPolicyApproval(const QString &workerId, const QString &fingerprint, QString *error = nullptr);

    QList<ChangeLogEntry> changeLog(const QString &workerId) const;
    // Stores the event with its log lines and the worker's new event count.
    // A worker keeps its newest kWatchdogEventsKept events; older ones go,
    // with their log lines, in the same transaction.
    static constexpr int kWatchdogEventsKept = 500;
    bool addWatchdogEvent(WatchdogEvent &event, int newCount, QString *error = nullptr);
    QList<WatchdogEvent> watchdogEvents(const QString &workerId, int limit = 200) const;

    QList<HubEntry> hubs() const;
    std::optional<HubEntry> addHub(const QString &url, const QString &apiKey, QString *error = nullptr);
    bool removeHub(const QString &url, QString *error = nullptr);

private:
    bool migrate(int from, QString *error);
    bool exec(const QString &sql, QString *error) const;
    QVariant scalar(const QString &sql, QString *error) const;
    QString meta(const QString &key) const;
    bool setMeta(const QString &key, const QString &value, QString *error) const;

    QString m_connection;
    QString m_path;
};

} // namespace se
