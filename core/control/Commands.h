#pragma once

#include "common/Result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>

#include <functional>
#include <span>

namespace se {

class Engine;
class WorkerManager;

// The answer to a command, as hubs and ctl both receive it: {success,
// message, data}, data being the value (null when there is none).
using CommandResult = Result<QJsonValue>;

// Every command a hub or a local operator (`streamengine ctl`) can give, in
// one table: each row names the command as a hub method, as a ctl verb, or
// both, says what its argument must be, and answers it. A command is named
// there and nowhere else; a caller can give exactly those. Every answer is
// immediate: the domain's operations never block.
class Commands {
public:
    enum class Caller { Hub, Ctl };

    // `removeHubLater`: forgets a hub after its answer has left (false: no such hub).
    explicit Commands(Engine &engine, std::function<bool(const QString &url)> removeHubLater = {});

    // The names a caller may give, in the table's order.
    static QStringList names(Caller caller);

    // `argument`: a hub method's one argument, or ctl's whole request line.
    // `actor`: who the versions a create or edit makes name ("hub https://…", "ctl").
    CommandResult run(Caller caller, const QString &name, const QJsonValue &argument, const QString &actor);

    // {success, message, data}: the answer as both callers receive it.
    static QJsonObject toJson(const CommandResult &result);

private:
    enum class Takes;
    struct Call;
    struct Command;
    static std::span<const Command> table();

    WorkerManager &workers();
    CommandResult createOrEdit(const Call &call, bool create);
    CommandResult workerDetail(const QString &id);
    CommandResult workerList();
    CommandResult engineInfo();
    CommandResult hubVerb(const QJsonObject &request);
    CommandResult changeLogAnswer(const QString &workerId);
    CommandResult watchdogEventsAnswer(const QString &workerId);

    Engine &m_engine;
    std::function<bool(const QString &)> m_removeHubLater;
};

} // namespace se
