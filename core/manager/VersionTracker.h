#pragma once

#include "core/worker/AutoRollbackPolicy.h"
#include "core/worker/WorkerScheduler.h"
#include "core/worker/WorkerVersion.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <map>
#include <memory>

namespace se {

class Store;
class Worker;

// Where each worker stands among its versions while the engine runs: which
// version is current, which is the last good one, whether automatic rollback
// is on. It marks the current version good once the worker has been Running
// on it for the stable period (the watchdog's forgiveness period), and feeds
// each worker's Running and watchdog actions to its AutoRollbackPolicy,
// announcing what that decides. Acting on it is the manager's.
class VersionTracker : public QObject {
    Q_OBJECT
public:
    explicit VersionTracker(Store &store, QObject *parent = nullptr);
    ~VersionTracker() override;

    // The workers' clock and timers (WorkerManager's, shared with its workers):
    // the stable period is a call on it, no Qt timer per worker.
    void setScheduler(std::shared_ptr<WorkerScheduler> scheduler) { m_scheduler = std::move(scheduler); }
    void setStableAfter(Millis period) { m_stableAfter = period; }
    Millis stableAfter() const { return m_stableAfter; }

    // `watch`: the current version was just made by an operator (a create).
    void track(Worker *worker, const VersionState &state, bool watch);
    void forget(const QString &workerId);
    VersionState state(const QString &workerId) const;

    // A create, edit or rollback made `number` current; `watch` unless it is
    // the engine's own rollback.
    void onNewVersion(Worker *worker, int number, bool watch);
    void setAutoRollback(const QString &workerId, bool on);

Q_SIGNALS:
    // The worker ran on version `number` for the stable period; stored.
    void versionGood(se::Worker *worker, int number);
    // The policy's answer for a version that used up its chances (queued:
    // never inside the worker's own signal).
    void rollbackDue(se::Worker *worker, const se::AutoRollbackDecision &decision);

private:
    struct Entry {
        QPointer<Worker> worker;
        VersionState state;
        AutoRollbackPolicy policy;
        std::unique_ptr<ScheduledCall> stable;
    };
    Entry *find(const QString &workerId) const;
    void onStateChanged(const QString &workerId);
    void onWatchdog(const QString &workerId, bool hold);
    void onStable(const QString &workerId);

    Store &m_store;
    std::shared_ptr<WorkerScheduler> m_scheduler; // outlives the entries' calls
    Millis m_stableAfter{60000};
    std::map<QString, std::unique_ptr<Entry>> m_entries;
};

} // namespace se
