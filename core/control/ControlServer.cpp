#include "ControlServer.h"

#include "ContractJson.h"
#include "ContractMessages.h"
#include "Engine.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLoggingCategory>

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
    if (m_server)
        m_server->close();
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
    QLocalServer::removeServer(path); // a socket file left by an engine that died
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(path)) {
        if (error)
            *error = QStringLiteral("cannot open the control socket %1: %2").arg(path, m_server->errorString());
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *s = m_server->nextPendingConnection())
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
        if (socket->bytesAvailable() > 1 << 20) // no line in a megabyte: not a client of ours
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
    if (verb == QLatin1String("enable")) return fromOp(m.setEnabled(id, true));
    if (verb == QLatin1String("disable")) return fromOp(m.setEnabled(id, false));
    if (verb == QLatin1String("remove")) return fromOp(m.remove(id));
    if (verb == QLatin1String("reset-watchdog")) return fromOp(m.resetWatchdogEventCount(id));
    if (verb == QLatin1String("create") || verb == QLatin1String("edit")) {
        QString why;
        const auto patch = contract::workerPatch(request.value(QStringLiteral("fields")).toObject(), &why);
        if (!patch)
            return {false, why, {}};
        if (verb == QLatin1String("edit"))
            return fromOp(m.edit(id, *patch));
        WorkerConfig c = patch->appliedTo(WorkerConfig{});
        c.id = id;
        return fromOp(m.create(c));
    }
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
    QJsonArray logs;
    for (const LogEntry &e : w->log().last(50))
        logs.append(logJson(e));
    o.insert(QStringLiteral("logs"), logs);
    o.insert(QStringLiteral("changes"), contract::changeLog(m.changeLog(id)));
    o.insert(QStringLiteral("events"), contract::watchdogEvents(m.watchdogEvents(id)));
    return {true, w->config().name, o};
}

} // namespace se
