#include "WorkerManager.h"

#include "core/streamer/StreamerFactory.h"
#include "core/log/WorkerLogScope.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QUuid>

Q_LOGGING_CATEGORY(lcManager, "se.manager")

namespace se {

WorkerManager::WorkerManager(Store &store, StreamerFactory &factory, QObject *parent)
    : QObject(parent), m_store(store), m_factory(factory)
{
    qRegisterMetaType<se::WorkerSnapshot>();
    qRegisterMetaType<se::WatchdogEvent>();
    qRegisterMetaType<se::LogEntry>();
    m_env.factory = &m_factory;
    // One clock and one timer for every worker's deadlines (issue 16).
    m_env.scheduler = std::make_shared<TimerScheduler>();
    m_versions.setScheduler(m_env.scheduler);
    m_env.admit = [this](const WorkerConfig &c) { return admit(c); };
    m_policy = PipelinePolicy::builtInDefault(QFileInfo(m_store.path()).absolutePath());
    m_versions.setStableAfter(m_env.restartPolicy.stableAfter);
    connect(&m_versions, &VersionTracker::rollbackDue, this, &WorkerManager::onRollbackDue);
    connect(&m_versions, &VersionTracker::versionGood, this, [this](Worker *w, int number) {
        w->addLogLine(LogLevel::Information, QStringLiteral("version %1 has run for %2 s: it is the last good version")
                                                 .arg(number).arg(double(m_versions.stableAfter().count()) / 1000.0));
        Q_EMIT workerChanged(w);
    });
}

QString WorkerManager::Actor::text() const
{
    if (!name.isEmpty())
        return name;
    return origin == Origin::Hub ? QStringLiteral("hub") : QStringLiteral("local operator");
}

WorkerManager::~WorkerManager()
{
    for (Worker *w : m_order)
        w->disconnect(this);
    for (Worker *w : m_leaving)
        w->disconnect(this);
}

Result<> WorkerManager::load()
{
    const Result<QList<StoredWorker>> read = m_store.workers();
    if (!read)
        return Result<>::failure(read.message);
    const QList<StoredWorker> &stored = read.value;
    m_approvals = m_store.policyApprovals();
    for (const StoredWorker &s : stored)
        if (!m_workers.contains(s.config.id))
            m_versions.track(adopt(s.config, s.watchdogEventCount), s.versions, false);
    qCInfo(lcManager) << "loaded" << stored.size() << "workers";
    return Result<>::success();
}

void WorkerManager::startEnabled()
{
    int started = 0, refused = 0;
    for (Worker *w : std::as_const(m_order))
        if (w->config().enabled && w->state() == WorkerState::Idle)
            ++(w->start().ok ? started : refused);
    qCInfo(lcManager) << "started" << started << "enabled workers";
    if (refused)
        qCWarning(lcManager) << refused << "enabled workers did not start (their last error says why)";
}

void WorkerManager::stopAll()
{
    m_stoppingAll = true;
    for (Worker *w : std::as_const(m_order))
        (void)w->stop(); // stopping whatever state it is in; allIdle() says when all are
    if (allIdle())
        QMetaObject::invokeMethod(this, &WorkerManager::allStopped, Qt::QueuedConnection);
}

bool WorkerManager::allIdle() const
{
    for (Worker *w : m_order)
        if (w->state() != WorkerState::Idle)
            return false;
    return m_leaving.isEmpty();
}

Worker *WorkerManager::adopt(const WorkerConfig &config, int watchdogEventCount)
{
    auto *w = new Worker(config, m_env, this);
    w->setWatchdogEventCount(watchdogEventCount);
    m_workers.insert(config.id, w);
    m_order.append(w);
    connect(w, &Worker::stateChanged, this, [this, w](WorkerState s) {
        Q_EMIT workerChanged(w);
        if (m_stoppingAll && s == WorkerState::Idle && allIdle())
            Q_EMIT allStopped();
    });
    connect(w, &Worker::statusChanged, this, [this, w] { Q_EMIT workerChanged(w); });
    connect(w, &Worker::watchdogEventCountChanged, this, [this, w] { Q_EMIT workerChanged(w); });
    connect(w, &Worker::pictureUpdated, this, [this, w] { Q_EMIT workerPicture(w); });
    connect(w, &Worker::logAppended, this, [this, w](const LogEntry &e) { Q_EMIT workerLog(w, e); });
    connect(w, &Worker::watchdogTriggered, this, [this, w](const WatchdogEvent &e) {
        if (e.restartCause) {
            RestartCounts &counts = m_restartCounts[w->id()];
            ++counts.byCause[size_t(*e.restartCause)];
            if (e.cause == WatchdogEvent::Cause::Hold)
                ++counts.holds;
        }
        // Queued for the store's history writer (a write error is the store's
        // to report); announced with its id, as it will be stored.
        WatchdogEvent stored = e;
        m_store.queueWatchdogEvent(stored, w->watchdogEventCount());
        Q_EMIT watchdogEvent(w, stored);
    });
    return w;
}

Result<> WorkerManager::validate(const WorkerConfig &c) const
{
    if (c.command.trimmed().isEmpty())
        return Result<>::failure(QStringLiteral("the command is empty"));
    // Bounds that keep one worker's description well inside one hub message.
    const struct { const QString &text; qsizetype max; const char *what; } bounds[] = {
        {c.id, 256, "the worker id"}, {c.name, 1024, "the name"},
        {c.description, 16 * 1024, "the description"}, {c.command, 32 * 1024, "the command"}};
    for (const auto &b : bounds)
        if (b.text.size() > b.max)
            return Result<>::failure(QStringLiteral("%1 is %2 characters long; at most %3 are allowed")
                                         .arg(QLatin1String(b.what)).arg(b.text.size()).arg(b.max));
    if (const QString refused = textAndTimeRefusal(c); !refused.isEmpty())
        return Result<>::failure(refused);
    if (!m_factory.hasType(c.streamerType))
        return Result<>::failure(QStringLiteral("unknown streamer type '%1' (this engine has: %2)")
                                     .arg(c.streamerType, m_factory.types().join(QStringLiteral(", "))));
    return Result<>::success();
}

QString WorkerManager::policyRefusal(const WorkerConfig &config, QStringList *checked) const
{
    if (!m_factory.hasType(config.streamerType))
        return {}; // validate() and the start say what is wrong with it
    const QString why = m_factory.refusal(config.streamerType, config.command, m_policy, checked);
    return why.isEmpty() ? QString() : QStringLiteral("refused by the pipeline policy: %1").arg(why);
}

Result<> WorkerManager::checkPolicy(const WorkerConfig &config, Origin origin, bool *approve) const
{
    *approve = false;
    const QString refused = policyRefusal(config);
    if (refused.isEmpty())
        return Result<>::success();
    const WorkerLogScope scope(config.id);
    if (origin == Origin::LocalOperator && m_policy.trustLocalOperators) {
        *approve = true;
        qCWarning(lcManager).noquote() << "worker" << config.id << "let through by a trusted local operator:" << refused;
        return Result<>::success();
    }
    qCWarning(lcManager).noquote() << "worker" << config.id << refused;
    return Result<>::failure(refused);
}

bool WorkerManager::storeApproval(const WorkerConfig &config, bool approve)
{
    const QString print = approve ? fingerprint(config) : QString();
    if (m_approvals.value(config.id) == print)
        return true;
    if (const Result<> stored = m_store.setPolicyApproval(config.id, print); !stored.ok) {
        const WorkerLogScope scope(config.id);
        qCWarning(lcManager) << "could not store the pipeline-policy approval of" << config.id << ":" << stored.message;
        return false;
    }
    if (approve)
        m_approvals.insert(config.id, print);
    else
        m_approvals.remove(config.id);
    return true;
}

QString WorkerManager::admit(const WorkerConfig &config) const
{
    const QString refused = policyRefusal(config);
    if (refused.isEmpty())
        return {};
    if (m_policy.trustLocalOperators && m_approvals.value(config.id) == fingerprint(config))
        return {};
    return refused;
}

QString WorkerManager::fingerprint(const WorkerConfig &config)
{
    const QByteArray text = config.streamerType.toUtf8() + '\0' + config.command.toUtf8();
    return QString::fromLatin1(QCryptographicHash::hash(text, QCryptographicHash::Sha256).toHex());
}

Result<> WorkerManager::unknown(const QString &id) const
{
    return Result<>::failure(QStringLiteral("no worker with id '%1'").arg(id));
}

Result<QString> WorkerManager::create(WorkerConfig config, StartNow startNow, const Actor &actor)
{
    config.id = config.id.trimmed();
    if (config.id.isEmpty())
        config.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (m_workers.contains(config.id))
        return Result<QString>::failure(QStringLiteral("a worker with id '%1' exists already").arg(config.id));
    if (Result<> v = validate(config); !v.ok)
        return Result<QString>::failure(v.message);
    bool approve = false;
    if (Result<> p = checkPolicy(config, actor.origin, &approve); !p.ok)
        return Result<QString>::failure(p.message);
    if (const Result<> stored = m_store.insertWorker(config, QStringLiteral("created"), VersionNote{actor.text(), {}, {}, 0}); !stored.ok)
        return Result<QString>::failure(QStringLiteral("could not store the worker: %1").arg(stored.message));
    storeApproval(config, approve);
    Worker *w = adopt(config, 0);
    m_versions.track(w, VersionState{1, 0, false}, true);
    Q_EMIT workerAdded(w);
    if (!config.enabled)
        return Result<QString>::success(config.id, QStringLiteral("created (disabled, not started)"));
    if (startNow == StartNow::No)
        return Result<QString>::success(config.id, QStringLiteral("created"));
    const Result<> started = w->start();
    // Made either way: a start that failed still names the worker it made.
    return Result<QString>{started.ok,
                           started.ok ? QStringLiteral("created; %1").arg(started.message)
                                      : QStringLiteral("created, but it did not start: %1").arg(started.message),
                           config.id};
}

Result<> WorkerManager::edit(const QString &id, const WorkerPatch &patch, const Actor &actor)
{
    return change(id, patch, actor.origin, VersionNote{actor.text(), {}, {}, 0}, ChangeKind::Edit);
}

Result<> WorkerManager::change(const QString &id, const WorkerPatch &patch, Origin origin, const VersionNote &note, ChangeKind kind,
                               int *version)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    const WorkerConfig before = w->config();
    const WorkerConfig after = patch.appliedTo(before);
    if (Result<> v = validate(after); !v.ok)
        return v;
    // The pipeline policy: for a new command or streamer type; a trusted
    // operator who names the command again approves it as it is.
    const bool pipelineChanged = after.command != before.command || after.streamerType != before.streamerType;
    bool approve = false;
    if (pipelineChanged) {
        if (Result<> p = checkPolicy(after, origin, &approve); !p.ok)
            return p;
    } else if ((patch.command || patch.streamerType) && origin == Origin::LocalOperator && m_policy.trustLocalOperators) {
        approve = m_approvals.value(id) == fingerprint(after) || !policyRefusal(after).isEmpty();
    } else {
        approve = m_approvals.contains(id);
    }
    const QList<FieldChange> changes = diff(before, after);
    if (changes.isEmpty()) {
        if (approve && !m_approvals.contains(id)) {
            storeApproval(after, true);
            return Result<>::success(QStringLiteral("nothing changed; its command is approved by a trusted local operator"));
        }
        return Result<>::success(QStringLiteral("nothing changed"));
    }
    const Result<int> stored = m_store.updateWorker(after, changes, note);
    if (!stored.ok)
        return Result<>::failure(QStringLiteral("could not store the change: %1").arg(stored.message));
    if (version)
        *version = stored.value;
    storeApproval(after, approve);
    w->applyConfig(after);
    QString notStarted;
    if (before.enabled && !after.enabled) {
        (void)w->stop(); // the answer is the edit's; its state shows the stop
    } else if (!before.enabled && after.enabled) {
        if (const Result<> started = w->start(); !started.ok)
            notStarted = started.message;
    } else if (kind != ChangeKind::Edit && after.enabled && w->wantsToRun()
               && (w->state() == WorkerState::Restarting || w->isOnHold())) {
        // The restored version starts now, not after the back-off of the one it
        // replaces; a failure is in its state and log, as the watchdog's starts.
        (void)w->start();
    }
    m_versions.onNewVersion(w, stored.value, kind != ChangeKind::AutomaticRollback);
    Q_EMIT workerChanged(w);
    QStringList fields;
    for (const FieldChange &c : changes)
        fields << c.field;
    QString message = QStringLiteral("changed: %1").arg(fields.join(QStringLiteral(", ")));
    if (!notStarted.isEmpty())
        message += QStringLiteral("; it did not start: %1").arg(notStarted);
    return Result<>::success(message);
}

Result<> WorkerManager::remove(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (const Result<> deleted = m_store.deleteWorker(id); !deleted.ok)
        return Result<>::failure(QStringLiteral("could not delete the worker: %1").arg(deleted.message));
    const WorkerSnapshot last = snapshot(w);
    m_approvals.remove(id); // the store forgot it with the worker, and its versions
    m_versions.forget(id);
    m_workers.remove(id);
    m_order.removeOne(w);
    w->disconnect(this);
    (void)w->stop(); // going: it is deleted once idle
    if (w->state() == WorkerState::Idle) {
        w->deleteLater();
    } else {
        m_leaving.append(w);
        connect(w, &Worker::stateChanged, this, [this, w](WorkerState s) {
            if (s != WorkerState::Idle)
                return;
            m_leaving.removeOne(w);
            w->deleteLater();
            if (m_stoppingAll && allIdle())
                Q_EMIT allStopped();
        });
    }
    Q_EMIT workerRemoved(id, last);
    return Result<>::success(QStringLiteral("removed"));
}

Result<> WorkerManager::start(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (!w->config().enabled)
        return Result<>::failure(QStringLiteral("the worker is disabled; enable it to start it"));
    m_stoppingAll = false;
    return w->start();
}

Result<> WorkerManager::stop(const QString &id)
{
    Worker *w = worker(id);
    return w ? w->stop() : unknown(id);
}

Result<> WorkerManager::restart(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (!w->config().enabled)
        return Result<>::failure(QStringLiteral("the worker is disabled; enable it to start it"));
    return w->restart();
}

Result<> WorkerManager::setEnabled(const QString &id, bool enabled, const Actor &actor)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (w->config().enabled == enabled)
        return Result<>::success(enabled ? QStringLiteral("already enabled") : QStringLiteral("already disabled"));
    WorkerPatch p;
    p.enabled = enabled;
    const Result<> r = edit(id, p, actor); // enabling starts it, disabling stops it
    if (!r.ok)
        return r;
    return Result<>::success(enabled ? QStringLiteral("enabled; %1").arg(stateName(w->state()).toLower())
                                     : QStringLiteral("disabled and stopped"));
}

Result<> WorkerManager::resetWatchdogEventCount(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    // History, like the events it counts: queued behind them, written by the
    // store's writer thread (so a hub's reset never waits for a disk).
    m_store.queueWatchdogEventCount(id, 0);
    w->setWatchdogEventCount(0);
    return Result<>::success(QStringLiteral("watchdog event count reset"));
}

namespace {
// The whole configuration as an edit: every field set.
WorkerPatch wholeConfiguration(const WorkerConfig &c)
{
    WorkerPatch p;
    p.name = c.name;
    p.description = c.description;
    p.command = c.command;
    p.streamerType = c.streamerType;
    p.enabled = c.enabled;
    p.imageWatchdogEnabled = c.imageWatchdog.enabled;
    p.imageWatchdogGraceTime = c.imageWatchdog.graceTime;
    p.imageWatchdogInterval = c.imageWatchdog.interval;
    return p;
}
} // namespace

Result<> WorkerManager::rollback(const QString &id, std::optional<int> to, const Actor &actor)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    const VersionState state = m_versions.state(id);
    const Result<QList<WorkerVersion>> read = m_store.versions(id);
    if (!read)
        return Result<>::failure(QStringLiteral("could not read the versions of worker '%1': %2").arg(id, read.message));
    const QList<WorkerVersion> &all = read.value;
    const QString seeHistory = QStringLiteral("streamengine ctl history %1").arg(id);
    const WorkerVersion *target = nullptr;
    if (to) {
        if (*to == state.current)
            return Result<>::failure(QStringLiteral("version %1 is the current version of worker '%2'; name an earlier one (%3)")
                                         .arg(*to).arg(id, seeHistory));
        for (const WorkerVersion &v : all)
            if (v.number == *to)
                target = &v;
        if (!target)
            return Result<>::failure(QStringLiteral("worker '%1' has no version %2 (%3 lists the versions it keeps)")
                                         .arg(id).arg(*to).arg(seeHistory));
    } else {
        for (auto it = all.crbegin(); it != all.crend() && !target; ++it)
            if (it->number < state.current && it->isGood())
                target = &*it;
        if (!target)
            return Result<>::failure(QStringLiteral("worker '%1' has no good version to go back to: none before its current "
                                                    "version %2 has run for %3 s; name one with --to N (%4)")
                                         .arg(id).arg(state.current).arg(double(m_versions.stableAfter().count()) / 1000.0)
                                         .arg(seeHistory));
    }
    WorkerConfig restored = target->config;
    restored.id = id;
    if (restored == w->config())
        return Result<>::failure(QStringLiteral("version %1 is the configuration worker '%2' has now (version %3): nothing to "
                                                "roll back").arg(target->number).arg(id).arg(state.current));
    const int from = target->number;
    const QString by = actor.text();
    const VersionNote note{QStringLiteral("%1 (rollback to v%2)").arg(by).arg(from), QStringLiteral("Rolled back to version %1").arg(from),
                           QStringLiteral("by %1, from version %2").arg(by).arg(state.current), 0};
    int made = 0;
    const Result<> r = change(id, wholeConfiguration(restored), actor.origin, note, ChangeKind::Rollback, &made);
    if (!r.ok)
        return r;
    qCInfo(lcManager).noquote() << "worker" << id << "rolled back to version" << from << "by" << by;
    return Result<>::success(QStringLiteral("rolled back to version %1, now version %2; %3").arg(from).arg(made).arg(r.message));
}

Result<> WorkerManager::setAutoRollback(const QString &id, bool on)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (m_versions.state(id).autoRollback == on)
        return Result<>::success(on ? QStringLiteral("automatic rollback is on already") : QStringLiteral("automatic rollback is off already"));
    if (const Result<> stored = m_store.setAutoRollback(id, on); !stored.ok)
        return Result<>::failure(QStringLiteral("could not store the setting: %1").arg(stored.message));
    m_versions.setAutoRollback(id, on);
    const QString message = on ? QStringLiteral("automatic rollback on: an edit that never runs is undone") : QStringLiteral("automatic rollback off");
    w->addLogLine(LogLevel::Information, message);
    Q_EMIT workerChanged(w);
    return Result<>::success(message);
}

void WorkerManager::onRollbackDue(Worker *w, const AutoRollbackDecision &d)
{
    if (worker(w->id()) != w)
        return; // removed meanwhile
    const QString id = w->id();
    if (d.kind == AutoRollbackDecision::Kind::GiveUp) {
        w->addLogLine(LogLevel::Warning, d.explanation);
        qCWarning(lcManager).noquote() << "worker" << id << ":" << d.explanation;
        return;
    }
    if (d.kind != AutoRollbackDecision::Kind::RollBack || m_versions.state(id).current != d.from)
        return; // an operator changed it meanwhile
    const Result<QList<WorkerVersion>> versions = m_store.versions(id);
    std::optional<WorkerConfig> restored;
    for (const WorkerVersion &v : versions.value)
        if (v.number == d.to)
            restored = v.config;
    if (!restored) {
        if (!versions)
            w->addLogLine(LogLevel::Warning, QStringLiteral("automatic rollback not done: %1").arg(versions.message));
        return;
    }
    restored->id = id;
    w->addLogLine(LogLevel::Warning, d.explanation);
    qCWarning(lcManager).noquote() << "worker" << id << ":" << d.explanation;
    // Held to the pipeline policy as a hub would be: the engine trusts nobody on an operator's behalf.
    const VersionNote note{QStringLiteral("engine (automatic rollback to v%1)").arg(d.to), d.explanation,
                           QStringLiteral("version %1 is marked bad: never the target of an automatic rollback").arg(d.from), d.from};
    int made = 0;
    const Result<> r = change(id, wholeConfiguration(*restored), Origin::Hub, note, ChangeKind::AutomaticRollback, &made);
    if (!r.ok) {
        const QString failed = QStringLiteral("automatic rollback to version %1 failed: %2").arg(d.to).arg(r.message);
        w->addLogLine(LogLevel::Error, failed);
        qCWarning(lcManager).noquote() << "worker" << id << ":" << failed;
        return;
    }
    recordEngineEvent(w, WatchdogEvent::Cause::Rollback, QStringLiteral("%1; now version %2").arg(d.explanation).arg(made));
}

void WorkerManager::recordEngineEvent(Worker *w, WatchdogEvent::Cause cause, const QString &message)
{
    WatchdogEvent e;
    e.workerId = w->id();
    e.timestamp = QDateTime::currentDateTimeUtc();
    e.cause = cause;
    e.message = message;
    e.logs = w->log().last(m_env.logLinesPerEvent);
    const int count = w->watchdogEventCount() + 1;
    m_store.queueWatchdogEvent(e, count);
    w->setWatchdogEventCount(count);
    Q_EMIT watchdogEvent(w, e);
}

WorkerSnapshot WorkerManager::snapshot(const Worker *w) const
{
    return WorkerSnapshot{w->config(), w->state(), w->lastError(), w->statusText(), w->watchdogEventCount()};
}

QStringList WorkerManager::streamerTypes() const
{
    return m_factory.types();
}

} // namespace se
