#pragma once

#include "OpResult.h"
#include "RestartPolicy.h"
#include "Store.h"
#include "Worker.h"
#include "WorkerConfig.h"

#include <QHash>
#include <QList>
#include <QObject>

namespace se {

class StreamerFactory;

// A worker's description as the other layers show it.
struct WorkerSnapshot {
    WorkerConfig config;
    WorkerState state = WorkerState::Idle;
    QString lastError;
    QString statusText;
    int watchdogEventCount = 0;
};

// Owns every worker's life: create, edit, remove, enable/disable, start, stop,
// restart; keeps the store in step with every change before answering; and
// announces every change as a signal for the hub links and the dashboard.
class WorkerManager : public QObject {
    Q_OBJECT
public:
    WorkerManager(Store &store, StreamerFactory &factory, QObject *parent = nullptr);
    ~WorkerManager() override;

    // For the workers created or loaded after this call.
    void setRestartPolicy(const RestartPolicySettings &settings) { m_env.restartPolicy = settings; }

    // Loads the stored workers (they stay Idle until startEnabled()).
    bool load(QString *error);
    // Starts every enabled worker at once: each start returns immediately, so
    // all streamers come up side by side.
    void startEnabled();
    // Stops every worker; allStopped() follows once every worker is Idle.
    void stopAll();
    bool allIdle() const;

    enum class StartNow { IfEnabled, No };
    OpResult create(WorkerConfig config, StartNow startNow = StartNow::IfEnabled);
    // Enabling through an edit starts the worker; disabling stops it.
    OpResult edit(const QString &id, const WorkerPatch &patch);
    OpResult remove(const QString &id);
    OpResult start(const QString &id);
    OpResult stop(const QString &id);
    OpResult restart(const QString &id);
    OpResult setEnabled(const QString &id, bool enabled);
    OpResult resetWatchdogEventCount(const QString &id);

    QList<Worker *> workers() const { return m_order; }
    Worker *worker(const QString &id) const { return m_workers.value(id); }
    WorkerSnapshot snapshot(const Worker *worker) const;
    QStringList streamerTypes() const;

    QList<ChangeLogEntry> changeLog(const QString &id) const { return m_store.changeLog(id); }
    QList<WatchdogEvent> watchdogEvents(const QString &id) const { return m_store.watchdogEvents(id); }

Q_SIGNALS:
    void workerAdded(se::Worker *worker);
    // Configuration, state, error or watchdog count changed.
    void workerChanged(se::Worker *worker);
    // The worker is gone from the manager; `last` is how it was.
    void workerRemoved(const QString &id, const se::WorkerSnapshot &last);
    void workerPicture(se::Worker *worker);
    void workerLog(se::Worker *worker, const se::LogEntry &entry);
    void watchdogEvent(se::Worker *worker, const se::WatchdogEvent &event);
    void allStopped();

private:
    Worker *adopt(const WorkerConfig &config, int watchdogEventCount);
    OpResult validate(const WorkerConfig &config) const;
    OpResult unknown(const QString &id) const;

    Store &m_store;
    StreamerFactory &m_factory;
    WorkerEnvironment m_env;
    QHash<QString, Worker *> m_workers;
    QList<Worker *> m_order;
    QList<Worker *> m_leaving; // removed, still stopping
    bool m_stoppingAll = false;
};

} // namespace se

Q_DECLARE_METATYPE(se::WorkerSnapshot)
