#pragma once
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QSignalSpy>
#include <QTest>

#include "signalr/HubConnection.h"

// The outcome of one invoke(), waited for on signals with a deadline.
struct Outcome {
    bool done = false;
    bool ok = false;
    QJsonValue result;
    QString error;
};

inline Outcome await(signalr::InvocationReply *reply, int timeoutMs = 10000)
{
    Outcome o;
    QObject guard; // drops the connections when we return
    QObject::connect(reply, &signalr::InvocationReply::finished, &guard, [&o](const QJsonValue &v) {
        o.done = true;
        o.ok = true;
        o.result = v;
    });
    QObject::connect(reply, &signalr::InvocationReply::errorOccurred, &guard, [&o](const QString &e) {
        o.done = true;
        o.error = e;
    });
    QDeadlineTimer deadline(timeoutMs);
    while (!o.done && !deadline.hasExpired())
        QTest::qWait(1);
    return o;
}

inline QString toJson(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return QJsonArray{v}.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact));
}
