#include "PolicyVerb.h"

#include "core/manager/WorkerManager.h"

#include <QJsonArray>

namespace se {

CommandResult policyVerb(const WorkerManager &manager, const QJsonObject &request)
{
    const PipelinePolicy &policy = manager.pipelinePolicy();
    const QString action = request.value(QStringLiteral("action")).toString();
    if (action == QLatin1String("show")) {
        QJsonObject data = policy.toJson();
        data.insert(QStringLiteral("source"), policy.source);
        return CommandResult::success(data, QStringLiteral("pipeline policy: %1").arg(policy.source));
    }
    if (action != QLatin1String("check"))
        return CommandResult::failure(QStringLiteral("policy takes show or check, not '%1'").arg(action));

    const QJsonObject fields = request.value(QStringLiteral("fields")).toObject();
    WorkerConfig c;
    c.id = QStringLiteral("(check)");
    c.command = fields.value(QStringLiteral("command")).toString();
    c.streamerType = fields.value(QStringLiteral("streamerType")).toString(QStringLiteral("GstStreamer"));
    if (c.command.trimmed().isEmpty())
        return CommandResult::failure(QStringLiteral("policy check needs a command"));
    if (!manager.streamerTypes().contains(c.streamerType))
        return CommandResult::failure(QStringLiteral("unknown streamer type '%1' (this engine has: %2)")
                           .arg(c.streamerType, manager.streamerTypes().join(QStringLiteral(", "))));
    QStringList checked;
    const QString refusal = manager.policyRefusal(c, &checked);
    const bool allowed = refusal.isEmpty();
    QString message = allowed ? QStringLiteral("allowed: the %1 command passes the pipeline policy").arg(c.streamerType)
                              : refusal;
    if (!allowed && policy.trustLocalOperators)
        message += QStringLiteral(" (a local operator's create or edit would still be let through: trustLocalOperators is on)");
    QJsonObject data{{QStringLiteral("allowed"), allowed},
                     {QStringLiteral("streamerType"), c.streamerType},
                     {QStringLiteral("refusal"), refusal},
                     {QStringLiteral("checked"), QJsonArray::fromStringList(checked)},
                     {QStringLiteral("trustLocalOperators"), policy.trustLocalOperators},
                     {QStringLiteral("policy"), policy.source}};
    return {allowed, message, data}; // refused, the verdict is still the answer's data
}

} // namespace se
