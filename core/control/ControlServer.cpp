#include "ControlServer.h"

#include "core/hub/ContractJson.h"
#include "core/hub/ContractMessages.h"
#include "core/engine/Engine.h"
#include "HistoryVerb.h"
#include "PolicyVerb.h"
#include "UnixListener.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QLoggingCategory>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcControl, "se.control")

namespace se {

namespace {
ControlServer::Reply fromOp(const OpResult &r)
{
    return {r.ok, r.message, r.workerId.isEmpty() ? QJsonValue() : QJsonValue(QJsonObject{{QStringLiteral("workerId"), r.workerId}})};
}

QJsonObject logJson(const LogEntry &e)
{
    return {{QStringLiteral("logSequenceNumber"), e.sequence},
            {QStringLiteral("logLevel"), int(e.level)},
            {QStringLiteral("logTimestamp"), contract::dateTime(e.timestamp)},
            {QStringLiteral("message"), e.message}};
}
} // namespace

ControlServer::ControlServer(Engine &engine, QObject *parent) : QObject(parent), m_engine(engine) {}

ControlServer::~ControlServer()
{
    if (m_listener)
        m_listener->close();
}

QString ControlServer::socketPath(const QString &dataDir)
{
    return dataDir + QStringLiteral("/control.sock");
}

bool ControlServer::listen(QString *error)
{
    const QString path = socketPath(m_engine.dataDir());
    {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(500)) {
            if (error)
                *error = QStringLiteral("another engine is already running with the data folder %1").arg(m_engine.dataDir());
            return false;
        }
    }
    // Not QLocalServer: see UnixListener (a failed accept must not close the socket).
    m_listener = new UnixListener(this);
    if (!m_listener->listen(path, error))
        return false;
    connect(m_listener, &UnixListener::accepted, this, [this](qintptr fd) {
        auto *s = new QLocalSocket(this);
        if (!s->setSocketDescriptor(fd, QLocalSocket::ConnectedState, QIODevice::ReadWrite)) {
            qCWarning(lcControl) << "cannot take a control connection:" << s->errorString();
            ::close(int(fd));
            delete s;
            return;
        }
        serve(s);
    });
    return true;
}

void ControlServer::addVerb(const QString &verb, Handler handler)
{
    m_extraVerbs.insert(verb, std::move(handler));
}

void ControlServer::serve(QLocalSocket *socket)
{
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
        while (socket->canReadLine()) {
            // Answers it does not read stay here: bounded, per client.
            if (socket->bytesToWrite() > kMaxUnsentBytes) {
                qCWarning(lcControl).noquote() << QStringLiteral("control client dropped: it reads none of its answers "
                                                                 "(%1 bytes unsent, at most %2)")
                                                      .arg(socket->bytesToWrite()).arg(kMaxUnsentBytes);
                socket->abort();
                return;
            }
            const QByteArray line = socket->readLine();
            QJsonParseError parseError;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
            Reply reply;
            if (!doc.isObject())
                reply = {false, QStringLiteral("bad request: %1").arg(parseError.errorString()), {}};
            else
                reply = handle(doc.object());
            QJsonObject out{{QStringLiteral("success"), reply.success}, {QStringLiteral("message"), reply.message},
                            {QStringLiteral("data"), reply.data}};
            socket->write(QJsonDocument(out).toJson(QJsonDocument::Compact) + '\n');
        }
        if (socket->bytesAvailable() > kMaxRequestBytes) // no line in a megabyte: not a client of ours
            socket->abort();
    });
}

ControlServer::Reply ControlServer::handle(const QJsonObject &request)
{
    WorkerManager &m = m_engine.workers();
    const QString verb = request.value(QStringLiteral("verb")).toString();
    const QString id = request.value(QStringLiteral("workerId")).toString();
    if (auto it = m_extraVerbs.constFind(verb); it != m_extraVerbs.constEnd())
        return (*it)(request);

    if (verb == QLatin1String("list")) {
        QJsonArray list;
        for (Worker *w : m.workers()) {
            QJsonObject o = contract::workerInfo(m.snapshot(w));
            o.insert(QStringLiteral("stateName"), stateName(w->state()));
            o.insert(QStringLiteral("statusText"), w->statusText());
            o.insert(QStringLiteral("lastError"), w->lastError());
            list.append(o);
        }
        return {true, QStringLiteral("%1 workers").arg(list.size()), list};
    }
    if (verb == QLatin1String("show"))
        return workerDetail(id);
    if (verb == QLatin1String("start")) return fromOp(m.start(id));
    if (verb == QLatin1String("stop")) return fromOp(m.stop(id));
    if (verb == QLatin1String("restart")) return fromOp(m.restart(id));
    const WorkerManager::Actor ctl{WorkerManager::Origin::LocalOperator, QStringLiteral("ctl")};
    if (verb == QLatin1String("enable")) return fromOp(m.setEnabled(id, true, ctl));
    if (verb == QLatin1String("disable")) return fromOp(m.setEnabled(id, false, ctl));
    if (verb == QLatin1String("remove")) return fromOp(m.remove(id));
    if (verb == QLatin1String("reset-watchdog")) return fromOp(m.resetWatchdogEventCount(id));
    if (verb == QLatin1String("create") || verb == QLatin1String("edit")) {
        QString why;
        const QJsonObject fields = request.value(QStringLiteral("fields")).toObject();
        const auto patch = contract::workerPatch(fields, &why);
        if (!patch)
            return {false, why, {}};
        // Not a contract field: the engine's own per-worker setting, beside the fields.
        const QJsonValue autoRollback = request.value(QStringLiteral("autoRollback"));
        if (!autoRollback.isUndefined() && !autoRollback.isBool())
            return {false, QStringLiteral("'autoRollback' must be true or false"), {}};
        OpResult r;
        if (verb == QLatin1String("edit")) {
            r = fields.isEmpty() && autoRollback.isBool() ? OpResult::success({}, id) : m.edit(id, *patch, ctl);
        } else {
            WorkerConfig c = patch->appliedTo(WorkerConfig{});
            c.id = id;
            r = m.create(c, WorkerManager::StartNow::IfEnabled, ctl);
        }
        if (r.ok && autoRollback.isBool()) {
            const OpResult a = m.setAutoRollback(r.workerId.isEmpty() ? id : r.workerId, autoRollback.toBool());
            r = OpResult{a.ok, r.message.isEmpty() ? a.message : QStringLiteral("%1; %2").arg(r.message, a.message),
                         r.workerId.isEmpty() ? a.workerId : r.workerId};
        }
        return fromOp(r);
    }
    if (verb == QLatin1String("history"))
        return historyVerb(m, request);
    if (verb == QLatin1String("rollback"))
        return rollbackVerb(m, request);
    if (verb == QLatin1String("policy"))
        return policyVerb(m, request);
    if (verb == QLatin1String("engine")) {
        const EngineIdentity e = m_engine.identity();
        return {true, e.name,
                QJsonObject{{QStringLiteral("engineId"), e.id.toString(QUuid::WithoutBraces)},
                            {QStringLiteral("engineName"), e.name},
                            {QStringLiteral("engineDescription"), e.description},
                            {QStringLiteral("version"), Engine::programVersion()},
                            {QStringLiteral("installDate"), contract::dateTime(e.installDate)},
                            {QStringLiteral("engineStartDate"), contract::dateTime(m_engine.startDate())},
                            {QStringLiteral("streamers"), QJsonArray::fromStringList(m.streamerTypes())}}};
    }
    if (verb == QLatin1String("shutdown")) {
        QMetaObject::invokeMethod(&m_engine, &Engine::shutdown, Qt::QueuedConnection);
        return {true, QStringLiteral("stopping every worker, then exiting"), {}};
    }
    return {false, verb.isEmpty() ? QStringLiteral("no verb given") : QStringLiteral("unknown verb '%1'").arg(verb), {}};
}

ControlServer::Reply ControlServer::workerDetail(const QString &id)
{
    WorkerManager &m = m_engine.workers();
    Worker *w = m.worker(id);
    if (!w)
        return {false, QStringLiteral("no worker with id '%1'").arg(id), {}};
    QJsonObject o = contract::workerInfo(m.snapshot(w));
    o.insert(QStringLiteral("stateName"), stateName(w->state()));
    o.insert(QStringLiteral("statusText"), w->statusText());
    o.insert(QStringLiteral("lastError"), w->lastError());
    o.insert(QStringLiteral("description"), w->config().description);
    o.insert(QStringLiteral("pictureCount"), w->pictureSequence());
    o.insert(QStringLiteral("lastPictureBytes"), w->lastPicture().size());
    // The watchdog's restarts by cause since the engine started (what /metrics counts).
    const RestartCounts counts = m.restartCounts(id);
    QJsonObject restarts;
    for (int c = 0; c < kRestartCauseCount; ++c)
        restarts.insert(QLatin1StringView(restartCauseName(RestartCause(c))), qint64(counts.byCause[size_t(c)]));
    o.insert(QStringLiteral("restarts"), restarts);
    o.insert(QStringLiteral("watchdogHolds"), qint64(counts.holds));
    const VersionState versions = m.versionState(id);
    o.insert(QStringLiteral("version"), versions.current); // the version it runs
    o.insert(QStringLiteral("lastGoodVersion"), versions.lastGood);
    o.insert(QStringLiteral("autoRollback"), versions.autoRollback);
    QJsonArray logs;
    for (const LogEntry &e : w->log().last(50))
        logs.append(logJson(e));
    o.insert(QStringLiteral("logs"), logs);
    o.insert(QStringLiteral("changes"), contract::changeLog(m.changeLog(id)));
    o.insert(QStringLiteral("events"), contract::watchdogEvents(m.watchdogEvents(id)));
    return {true, w->config().name, o};
}

} // namespace se
