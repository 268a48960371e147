#include "VersionTracker.h"

#include "core/store/Store.h"
#include "core/worker/Worker.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcVersions, "se.versions")

namespace se {

VersionTracker::VersionTracker(Store &store, QObject *parent) : QObject(parent), m_store(store) {}

VersionTracker::~VersionTracker()
{
    for (auto &[id, e] : m_entries)
        if (e->worker)
            e->worker->disconnect(this);
}

VersionTracker::Entry *VersionTracker::find(const QString &workerId) const
{
    const auto it = m_entries.find(workerId);
    return it == m_entries.end() ? nullptr : it->second.get();
}

void VersionTracker::track(Worker *worker, const VersionState &state, bool watch)
{
    const QString id = worker->id();
    auto e = std::make_unique<Entry>();
    e->worker = worker;
    e->state = state;
    e->policy.onNewVersion(state.current, watch);
    if (!m_scheduler)
        m_scheduler = std::make_shared<TimerScheduler>();
    e->stable = std::make_unique<ScheduledCall>(m_scheduler.get());
    connect(worker, &Worker::stateChanged, this, [this, id] { onStateChanged(id); });
    connect(worker, &Worker::watchdogTriggered, this, [this, id](const WatchdogEvent &event) {
        onWatchdog(id, event.cause == WatchdogEvent::Cause::Hold);
    });
    m_entries[id] = std::move(e);
    onStateChanged(id);
}

void VersionTracker::forget(const QString &workerId)
{
    const auto it = m_entries.find(workerId);
    if (it == m_entries.end())
        return;
    if (Worker *w = it->second->worker)
        w->disconnect(this);
    m_entries.erase(it);
}

VersionState VersionTracker::state(const QString &workerId) const
{
    const Entry *e = find(workerId);
    return e ? e->state : VersionState{};
}

void VersionTracker::onNewVersion(Worker *worker, int number, bool watch)
{
    Entry *e = find(worker->id());
    if (!e)
        return;
    e->state.current = number;
    e->policy.onNewVersion(number, watch);
    e->stable->stop();
    onStateChanged(worker->id()); // an edit that needs no restart runs on at once
}

void VersionTracker::setAutoRollback(const QString &workerId, bool on)
{
    if (Entry *e = find(workerId))
        e->state.autoRollback = on;
}

void VersionTracker::onStateChanged(const QString &workerId)
{
    Entry *e = find(workerId);
    if (!e || !e->worker)
        return;
    if (e->worker->state() != WorkerState::Running) {
        e->stable->stop();
        return;
    }
    e->policy.onRunning();
    if (e->state.lastGood != e->state.current && !e->stable->isActive())
        e->stable->start(m_scheduler->now() + m_stableAfter, [this, id = workerId] { onStable(id); });
}

void VersionTracker::onStable(const QString &workerId)
{
    Entry *e = find(workerId);
    if (!e || !e->worker || e->worker->state() != WorkerState::Running || e->state.lastGood == e->state.current)
        return;
    // History: queued for the store's writer thread; reads see it at once.
    m_store.queueVersionGood(workerId, e->state.current);
    e->state.lastGood = e->state.current;
    Q_EMIT versionGood(e->worker, e->state.current);
}

void VersionTracker::onWatchdog(const QString &workerId, bool hold)
{
    Entry *e = find(workerId);
    if (!e || !e->worker || !e->policy.onFailure(hold) || !e->state.autoRollback)
        return;
    Worker *w = e->worker;
    const Result<QList<WorkerVersion>> versions = m_store.versions(workerId);
    if (!versions) {
        w->addLogLine(LogLevel::Warning, QStringLiteral("automatic rollback not considered: %1").arg(versions.message));
        return;
    }
    const AutoRollbackDecision d = e->policy.decide(e->state.autoRollback, w->lastError(), w->config(), versions.value);
    if (d.kind == AutoRollbackDecision::Kind::None)
        return;
    // Not inside the worker's own signal: the worker finishes its restart plan first.
    QMetaObject::invokeMethod(this, [this, worker = QPointer<Worker>(w), d] {
        if (worker)
            Q_EMIT rollbackDue(worker, d);
    }, Qt::QueuedConnection);
}

} // namespace se
