#pragma once
// Arguments of hub-to-engine methods as StreamHub sends them (base fields included).
#include <QJsonObject>
#include <QString>

inline QJsonObject workerOperation(const QString &workerId)
{
    return {{QStringLiteral("engineId"), QStringLiteral("00000000-0000-0000-0000-000000000000")},
            {QStringLiteral("timestamp"), QStringLiteral("2024-10-25T12:34:56.1234567Z")},
            {QStringLiteral("sequenceNumber"), 1},
            {QStringLiteral("workerId"), workerId}};
}

inline QJsonObject workerCreateAndEdit(const QString &workerId, const QString &command = QStringLiteral("fps=10"))
{
    QJsonObject o = workerOperation(workerId);
    o.insert(QStringLiteral("name"), QStringLiteral("Cam"));
    o.insert(QStringLiteral("description"), QStringLiteral("from the hub"));
    o.insert(QStringLiteral("command"), command);
    o.insert(QStringLiteral("isEnabled"), true);
    o.insert(QStringLiteral("imgWatchdogEnabled"), true);
    o.insert(QStringLiteral("imgWatchdogGraceTime"), QStringLiteral("00:00:05"));
    o.insert(QStringLiteral("imgWatchdogInterval"), QStringLiteral("00:00:02"));
    o.insert(QStringLiteral("streamerType"), QStringLiteral("FakeStreamer"));
    return o;
}
