#include "HubCommands.h"

#include "ContractMessages.h"

#include <QLoggingCategory>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHubCommands, "se.hub.commands")

namespace se {

HubCommands::HubCommands(Engine &engine, std::function<bool(const QString &)> removeHubLater)
    : m_commands(engine, std::move(removeHubLater))
{
}

const QStringList &HubCommands::methods()
{
    static const QStringList names = Commands::names(Commands::Caller::Hub);
    return names;
}

QJsonObject HubCommands::handle(const QString &method, const QJsonArray &arguments, const QString &hubUrl)
{
    // Without its query and user info: whatever rides there is no one's business in a history.
    const QString where = QUrl(hubUrl).adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo | QUrl::RemoveFragment).toString();
    const QString actor = where.isEmpty() ? QStringLiteral("hub") : QStringLiteral("hub ") + where;
    CommandResult result;
    if (!methods().contains(method))
        result = CommandResult::failure(QStringLiteral("unknown method '%1'").arg(method));
    else if (arguments.size() != 1)
        result = CommandResult::failure(QStringLiteral("%1 takes one argument, got %2").arg(method).arg(arguments.size()));
    else
        result = m_commands.run(Commands::Caller::Hub, method, arguments[0], actor);
    QJsonObject answer = Commands::toJson(result);
    const qsizetype size = contract::encodedSize(answer);
    if (size <= contract::kHubPayloadBudget)
        return answer;
    // Sent as it is, it would make the hub drop the whole connection.
    const QString why = QStringLiteral("the answer to %1 takes %2 KB, more than one hub message holds (%3 KB)")
                            .arg(method)
                            .arg(size / 1024)
                            .arg(contract::kHubMessageLimit / 1024);
    qCWarning(lcHubCommands).noquote() << why;
    return Commands::toJson(CommandResult::failure(why));
}

} // namespace se
