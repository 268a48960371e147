#pragma once

#include "common/Result.h"
#include "core/streamer/PipelinePolicy.h"
#include "core/worker/RestartPolicy.h"
#include "core/store/Store.h"
#include "VersionTracker.h"
#include "core/worker/Worker.h"
#include "core/worker/WorkerConfig.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <optional>

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
// restart; keeps the store in step with every change before answering (an
// edit is durable when it is acknowledged); hands the history (watchdog
// events, counts, good marks) to the store's writer thread; and announces
// every change as a signal for the hub links and the dashboard.
class WorkerManager : public QObject {
    Q_OBJECT
public:
    WorkerManager(Store &store, StreamerFactory &factory, QObject *parent = nullptr);
    ~WorkerManager() override;

    // For the workers created or loaded after this call.
    // Its forgiveness period (stableAfter) is also how long a worker runs on
    // a version before that version counts as good, for every worker.
    void setRestartPolicy(const RestartPolicySettings &settings)
    {
        m_env.restartPolicy = settings;
        m_versions.setStableAfter(settings.stableAfter);
    }

    // Loads the stored workers (they stay Idle until startEnabled()).
    Result<> load();
    // Starts every enabled worker at once: each start returns immediately, so
    // all streamers come up side by side.
    void startEnabled();
    // Stops every worker; allStopped() follows once every worker is Idle.
    void stopAll();
    bool allIdle() const;

    // Who asks for a create or an edit: a hub (always held to the pipeline
    // policy) or a local operator (ctl, dashboard), whom the policy may trust.
    enum class Origin { Hub, LocalOperator };
    // Who asks, as the version history names them: the origin (what the
    // pipeline policy trusts) and a name ("hub https://…", "ctl", "dashboard").
    struct Actor {
        Origin origin = Origin::Hub;
        QString name; // empty: "hub" or "local operator"
        Actor(Origin o = Origin::Hub, QString n = {}) : origin(o), name(std::move(n)) {} // NOLINT: an Origin is an Actor
        QString text() const;
    };

    // The pipeline policy (default: the built-in one, media beside the
    // database). Every command is checked against it before it is stored and
    // before every start. Set it before load().
    void setPipelinePolicy(PipelinePolicy policy) { m_policy = std::move(policy); }
    const PipelinePolicy &pipelinePolicy() const { return m_policy; }
    // The policy's verdict on a configuration's command, whoever asks: empty
    // when allowed, else "refused by the pipeline policy: …". `checked` gets
    // what was looked at.
    QString policyRefusal(const WorkerConfig &config, QStringList *checked = nullptr) const;

    enum class StartNow { IfEnabled, No };
    // A command the pipeline policy refuses is not stored (unless a trusted
    // local operator asks).
    Result<QString> create(WorkerConfig config, StartNow startNow = StartNow::IfEnabled, const Actor &actor = {});
    // Enabling through an edit starts the worker; disabling stops it. A new
    // command or streamer type the pipeline policy refuses changes nothing.
    // Every create and edit that changes something makes a new version, stored
    // in the same transaction.
    Result<> edit(const QString &id, const WorkerPatch &patch, const Actor &actor = {});
    Result<> remove(const QString &id);
    Result<> start(const QString &id);
    Result<> stop(const QString &id);
    Result<> restart(const QString &id);
    Result<> setEnabled(const QString &id, bool enabled, const Actor &actor = {});

    // Goes back to version `to` (default: the newest good version before the
    // current one): the whole configuration of that version, through the
    // same checks as an edit, as a new version; hubs see an ordinary edit.
    Result<> rollback(const QString &id, std::optional<int> to, const Actor &actor);
    // Opt-in per worker, not part of a version: when an edit never runs (its
    // first start and AutoRollbackPolicy::kRestartsBeforeRollback restarts),
    // the engine restores the last good version by itself.
    Result<> setAutoRollback(const QString &id, bool on);
    Result<QList<WorkerVersion>> versions(const QString &id) const { return m_store.versions(id); }
    VersionState versionState(const QString &id) const { return m_versions.state(id); }
    // The count is history: queued behind the worker's events for the
    // store's writer thread, not waited for.
    Result<> resetWatchdogEventCount(const QString &id);

    QList<Worker *> workers() const { return m_order; }
    Worker *worker(const QString &id) const { return m_workers.value(id); }
    WorkerSnapshot snapshot(const Worker *worker) const;
    QStringList streamerTypes() const;

    // The watchdog's restarts of worker `id` by cause since the engine started.
    // Kept when a worker is removed (a worker made again with the same id
    // counts on), never reset: counters for `ctl show` and /metrics.
    RestartCounts restartCounts(const QString &id) const { return m_restartCounts.value(id); }

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
    Result<> validate(const WorkerConfig &config) const;
    // The pipeline policy on a create or edit from `origin`: a failure, or
    // success with `approve` set when a trusted operator overrides a refusal.
    Result<> checkPolicy(const WorkerConfig &config, Origin origin, bool *approve) const;
    // An edit, a rollback or an automatic rollback: `note` names who and why
    // for the version it makes (`version` gets its number). The auto-rollback
    // policy watches every version but the engine's own rollbacks.
    enum class ChangeKind { Edit, Rollback, AutomaticRollback };
    Result<> change(const QString &id, const WorkerPatch &patch, Origin origin, const VersionNote &note, ChangeKind kind,
                    int *version = nullptr);
    void onRollbackDue(Worker *worker, const AutoRollbackDecision &decision);
    void recordEngineEvent(Worker *worker, WatchdogEvent::Cause cause, const QString &message);
    bool storeApproval(const WorkerConfig &config, bool approve);
    // Before every start: the policy's refusal unless a trusted operator approved this command.
    QString admit(const WorkerConfig &config) const;
    static QString fingerprint(const WorkerConfig &config);
    Result<> unknown(const QString &id) const;

    Store &m_store;
    StreamerFactory &m_factory;
    WorkerEnvironment m_env;
    PipelinePolicy m_policy;
    QHash<QString, QString> m_approvals; // worker id → fingerprint a trusted operator let through
    QHash<QString, Worker *> m_workers;
    QList<Worker *> m_order;
    QList<Worker *> m_leaving; // removed, still stopping
    QHash<QString, RestartCounts> m_restartCounts;
    bool m_stoppingAll = false;
    VersionTracker m_versions{m_store};
};

} // namespace se

Q_DECLARE_METATYPE(se::WorkerSnapshot)
