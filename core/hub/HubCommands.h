#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <functional>
#include <span>

namespace se {

class Engine;
class WorkerManager;

// The hub-to-engine methods of the contract, answered as CommandResults
// ({success, message, data}). Every answer is immediate: the domain's
// operations never block, so a hub always hears back within its 5 s. Every
// answer fits in one hub message: long histories are cut to their newest
// entries and say so; anything else too large is answered with an error.
class HubCommands {
public:
    // The method names a hub may invoke.
    static const QStringList &methods();

    HubCommands(Engine &engine, std::function<bool(const QString &url)> removeHub);

    // `hubUrl`: the hub that asks, named as the actor of the versions its
    // creates and edits make ("hub https://…").
    QJsonObject handle(const QString &method, const QJsonArray &arguments, const QString &hubUrl = {});

    static QJsonObject result(bool success, const QString &message, const QJsonValue &data = QJsonValue::Null);

private:
    enum class Takes;
    struct Command;
    // One invocation's argument, decoded as its method takes it.
    struct Request {
        QString actor;
        QString url;          // Takes::Url
        QJsonObject message;  // Takes::Object and Takes::Worker
        QString workerId;     // Takes::Worker
    };
    static std::span<const Command> table();
    WorkerManager &workers();
    QJsonObject dispatch(const QString &method, const QJsonArray &arguments, const QString &actor);
    QJsonObject changeLogAnswer(const QString &workerId);
    QJsonObject watchdogEventsAnswer(const QString &workerId);
    QJsonObject createOrEdit(const QJsonObject &message, bool create, const QString &actor);

    Engine &m_engine;
    std::function<bool(const QString &)> m_removeHub;
};

} // namespace se
