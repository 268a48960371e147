#pragma once

#include "core/control/Commands.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace se {

class Engine;

// The hub's door to the command table (Commands): the contract's
// hub-to-engine methods, each invoked with one argument and answered with a
// CommandResult ({success, message, data}) at once, so a hub always hears
// back within its 5 s. Every answer fits in one hub message: long histories
// are cut to their newest entries and say so; anything else too large is
// answered with an error.
class HubCommands {
public:
    // The method names a hub may invoke.
    static const QStringList &methods();

    HubCommands(Engine &engine, std::function<bool(const QString &url)> removeHubLater);

    // `hubUrl`: the hub that asks, named as the actor of the versions its
    // creates and edits make ("hub https://…").
    QJsonObject handle(const QString &method, const QJsonArray &arguments, const QString &hubUrl = {});

private:
    Commands m_commands;
};

} // namespace se
