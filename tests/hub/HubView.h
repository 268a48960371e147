#pragma once
// What a hub shows of the engine's workers, in the one form that `ctl list`
// and the StreamHub stand-in's view share: how the tests compare the two.
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

// An invocation through the stand-in's test API answered, and answered success.
inline bool resultOk(const QJsonObject &invoked)
{
    return invoked[QStringLiteral("ok")].toBool() && invoked[QStringLiteral("result")][QStringLiteral("success")].toBool();
}

// What a hub shows of a worker, and what `ctl list` says of it, in one form
// (the fields of BaseWorkerInfo the two share).
inline QString shown(const QJsonValue &w)
{
    QStringList fields;
    for (const char *name : {"name", "description", "command", "isEnabled", "watchdogEventCount", "state", "imgWatchdogEnabled",
                             "imgWatchdogGraceTime", "imgWatchdogInterval", "streamer"})
        fields << QString::fromUtf8(QJsonDocument(QJsonArray{w[QLatin1String(name)]}).toJson(QJsonDocument::Compact));
    return fields.join(QLatin1Char(' '));
}

inline QHash<QString, QString> shownById(const QJsonArray &workers)
{
    QHash<QString, QString> out;
    for (const QJsonValue &w : workers)
        out.insert(w[QStringLiteral("workerId")].toString(), shown(w));
    return out;
}

// The workers on which two views differ, each with both versions.
inline QStringList differences(const QHash<QString, QString> &engine, const QHash<QString, QString> &hub)
{
    QStringList out;
    for (auto it = engine.begin(); it != engine.end(); ++it)
        if (hub.value(it.key()) != it.value())
            out << QStringLiteral("%1: engine %2 / hub %3").arg(it.key(), it.value(), hub.value(it.key(), QStringLiteral("(missing)")));
    for (auto it = hub.begin(); it != hub.end(); ++it)
        if (!engine.contains(it.key()))
            out << QStringLiteral("%1: only on the hub").arg(it.key());
    return out;
}
