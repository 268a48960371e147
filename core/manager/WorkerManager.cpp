#include "WorkerManager.h"

#include "StreamerFactory.h"

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
}

WorkerManager::~WorkerManager()
{
    for (Worker *w : m_order)
        w->disconnect(this);
    for (Worker *w : m_leaving)
        w->disconnect(this);
}

bool WorkerManager::load(QString *error)
{
    QString why;
    const auto stored = m_store.workers(&why);
    if (!why.isEmpty()) {
        if (error) *error = why;
        return false;
    }
    for (const StoredWorker &s : stored)
        if (!m_workers.contains(s.config.id))
            adopt(s.config, s.watchdogEventCount);
    qCInfo(lcManager) << "loaded" << stored.size() << "workers";
    return true;
}

void WorkerManager::startEnabled()
{
    int started = 0;
    for (Worker *w : std::as_const(m_order))
        if (w->config().enabled && w->state() == WorkerState::Idle) {
            w->start();
            ++started;
        }
    qCInfo(lcManager) << "started" << started << "enabled workers";
}

void WorkerManager::stopAll()
{
    m_stoppingAll = true;
    for (Worker *w : std::as_const(m_order))
        w->stop();
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
        WatchdogEvent stored = e;
        QString why;
        if (!m_store.addWatchdogEvent(stored, w->watchdogEventCount(), &why))
            qCWarning(lcManager) << "could not store a watchdog event of" << w->id() << ":" << why;
        Q_EMIT watchdogEvent(w, stored);
    });
    return w;
}

OpResult WorkerManager::validate(const WorkerConfig &c) const
{
    if (c.command.trimmed().isEmpty())
        return OpResult::failure(QStringLiteral("the command is empty"), c.id);
    // Bounds that keep one worker's description well inside one hub message.
    const struct { const QString &text; qsizetype max; const char *what; } bounds[] = {
        {c.id, 256, "the worker id"}, {c.name, 1024, "the name"},
        {c.description, 16 * 1024, "the description"}, {c.command, 32 * 1024, "the command"}};
    for (const auto &b : bounds)
        if (b.text.size() > b.max)
            return OpResult::failure(QStringLiteral("%1 is %2 characters long; at most %3 are allowed")
                                         .arg(QLatin1String(b.what)).arg(b.text.size()).arg(b.max), c.id);
    if (const QString refused = textAndTimeRefusal(c); !refused.isEmpty())
        return OpResult::failure(refused, c.id);
    if (!m_factory.hasType(c.streamerType))
        return OpResult::failure(QStringLiteral("unknown streamer type '%1' (this engine has: %2)")
                                     .arg(c.streamerType, m_factory.types().join(QStringLiteral(", "))), c.id);
    return OpResult::success({}, c.id);
}

OpResult WorkerManager::unknown(const QString &id) const
{
    return OpResult::failure(QStringLiteral("no worker with id '%1'").arg(id), id);
}

OpResult WorkerManager::create(WorkerConfig config, StartNow startNow)
{
    config.id = config.id.trimmed();
    if (config.id.isEmpty())
        config.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (m_workers.contains(config.id))
        return OpResult::failure(QStringLiteral("a worker with id '%1' exists already").arg(config.id), config.id);
    if (OpResult v = validate(config); !v.ok)
        return v;
    QString why;
    if (!m_store.insertWorker(config, QStringLiteral("created"), &why))
        return OpResult::failure(QStringLiteral("could not store the worker: %1").arg(why), config.id);
    Worker *w = adopt(config, 0);
    Q_EMIT workerAdded(w);
    if (!config.enabled)
        return OpResult::success(QStringLiteral("created (disabled, not started)"), config.id);
    if (startNow == StartNow::No)
        return OpResult::success(QStringLiteral("created"), config.id);
    const OpResult started = w->start();
    return OpResult{started.ok, started.ok ? QStringLiteral("created; %1").arg(started.message)
                                           : QStringLiteral("created, but it did not start: %1").arg(started.message),
                    config.id};
}

OpResult WorkerManager::edit(const QString &id, const WorkerPatch &patch)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    const WorkerConfig before = w->config();
    const WorkerConfig after = patch.appliedTo(before);
    if (OpResult v = validate(after); !v.ok)
        return v;
    const QList<FieldChange> changes = diff(before, after);
    if (changes.isEmpty())
        return OpResult::success(QStringLiteral("nothing changed"), id);
    QString why;
    if (!m_store.updateWorker(after, changes, &why))
        return OpResult::failure(QStringLiteral("could not store the change: %1").arg(why), id);
    w->applyConfig(after);
    if (before.enabled && !after.enabled)
        w->stop();
    else if (!before.enabled && after.enabled)
        w->start();
    Q_EMIT workerChanged(w);
    QStringList fields;
    for (const FieldChange &c : changes)
        fields << c.field;
    return OpResult::success(QStringLiteral("changed: %1").arg(fields.join(QStringLiteral(", "))), id);
}

OpResult WorkerManager::remove(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    QString why;
    if (!m_store.deleteWorker(id, &why))
        return OpResult::failure(QStringLiteral("could not delete the worker: %1").arg(why), id);
    const WorkerSnapshot last = snapshot(w);
    m_workers.remove(id);
    m_order.removeOne(w);
    w->disconnect(this);
    w->stop();
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
    return OpResult::success(QStringLiteral("removed"), id);
}

OpResult WorkerManager::start(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (!w->config().enabled)
        return OpResult::failure(QStringLiteral("the worker is disabled; enable it to start it"), id);
    m_stoppingAll = false;
    return w->start();
}

OpResult WorkerManager::stop(const QString &id)
{
    Worker *w = worker(id);
    return w ? w->stop() : unknown(id);
}

OpResult WorkerManager::restart(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (!w->config().enabled)
        return OpResult::failure(QStringLiteral("the worker is disabled; enable it to start it"), id);
    return w->restart();
}

OpResult WorkerManager::setEnabled(const QString &id, bool enabled)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    if (w->config().enabled == enabled)
        return OpResult::success(enabled ? QStringLiteral("already enabled") : QStringLiteral("already disabled"), id);
    WorkerPatch p;
    p.enabled = enabled;
    const OpResult r = edit(id, p); // enabling starts it, disabling stops it
    if (!r.ok)
        return r;
    return OpResult::success(enabled ? QStringLiteral("enabled; %1").arg(stateName(w->state()).toLower())
                                     : QStringLiteral("disabled and stopped"), id);
}

OpResult WorkerManager::resetWatchdogEventCount(const QString &id)
{
    Worker *w = worker(id);
    if (!w)
        return unknown(id);
    QString why;
    if (!m_store.setWatchdogEventCount(id, 0, &why))
        return OpResult::failure(QStringLiteral("could not store the count: %1").arg(why), id);
    w->setWatchdogEventCount(0);
    return OpResult::success(QStringLiteral("watchdog event count reset"), id);
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
