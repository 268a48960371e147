#pragma once
// Steers the StreamHub stand-in (tests/testhub/StreamHub) over its HTTP test
// API, and runs the real streamengine process against it.
#include "TestEnv.h"
#include "TestHubProcess.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTimer>

struct Received {
    QString method;
    QJsonValue payload;
};

class StreamHubClient {
public:
    explicit StreamHubClient(const TestHubProcess &hub) : m_hub(hub) {}

    QByteArray http(const QByteArray &verb, const QString &path, const QByteArray &body = {}, int timeoutMs = 15000)
    {
        QNetworkRequest request(m_hub.url(path));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
        const QByteArray out = reply->isFinished() ? reply->readAll() : QByteArray();
        reply->deleteLater();
        return out;
    }

    QList<Received> received(const QString &method = {})
    {
        const QString path = method.isEmpty() ? QStringLiteral("/streamhub-test/received")
                                              : QStringLiteral("/streamhub-test/received?method=%1").arg(method);
        QList<Received> out;
        for (const QJsonValue &v : QJsonDocument::fromJson(http("GET", path)).array())
            out.append({v[QStringLiteral("method")].toString(), v[QStringLiteral("payload")]});
        return out;
    }

    QStringList engines() { return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/engines"))).toVariant().toStringList(); }

    // The engine's CommandResult, as StreamHub gets it (client result, 5 s).
    QJsonObject invoke(const QString &engineId, const QString &method, const QJsonValue &argument)
    {
        const QByteArray body = argument.isObject() ? QJsonDocument(argument.toObject()).toJson(QJsonDocument::Compact)
                                                    : QJsonDocument(QJsonArray{argument}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
        return QJsonDocument::fromJson(http("POST", QStringLiteral("/streamhub-test/invoke/%1/%2").arg(engineId, method), body)).object();
    }

    void post(const QString &path) { http("POST", path); }

    // StreamHub's view of an engine's workers after its "discard if not newer"
    // rule: {workers: [WorkerChangeEvent], discarded: N, discards: [{method, workerId, timestamp, ...}]}.
    QJsonObject view(const QString &engineId)
    {
        return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/view/%1").arg(engineId))).object();
    }

    // The hub stops handling messages, and resumes by itself after ms.
    void stopReadingFor(int ms) { http("POST", QStringLiteral("/streamhub-test/stop-reading?ms=%1").arg(ms)); }

    // {negotiates, webSockets, negotiateTimes, webSocketTimes} of a /hostile/{kind} server.
    QJsonObject hostile(const QString &kind)
    {
        return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/hostile/%1").arg(kind))).object();
    }

    // UpdateMetric-{engineId} broadcasts sent to all clients so far, and their period (0: off).
    qint64 broadcasts()
    {
        return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/broadcasts"))).object().value(QStringLiteral("sent")).toInteger();
    }
    void setBroadcastPeriod(int ms) { http("POST", QStringLiteral("/streamhub-test/broadcast-period/%1").arg(ms)); }

private:
    const TestHubProcess &m_hub;
    QNetworkAccessManager m_nam;
};

inline std::unique_ptr<QProcess> startEngine(const QString &dataDir, const QStringList &extra)
{
    auto p = std::make_unique<QProcess>();
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(engineBinary(),
             QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir} + extra);
    p->waitForStarted(5000);
    return p;
}

// `streamengine ctl ARGS --json`'s answer, parsed.
inline QJsonObject ctlJson(const QString &dataDir, const QStringList &args)
{
    return ctl(dataDir, args + QStringList{QStringLiteral("--json")}).json();
}
