#include "HubCommands.h"

#include "ContractJson.h"
#include "ContractMessages.h"
#include "Engine.h"

#include <QLoggingCategory>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHubCommands, "se.hub.commands")

namespace se {

namespace {
QJsonObject fromOp(const OpResult &r)
{
    return HubCommands::result(r.ok, r.message);
}

} // namespace

const QStringList &HubCommands::methods()
{
    static const QStringList names{
        QStringLiteral("CreateWorker"),         QStringLiteral("EditWorker"),
        QStringLiteral("RemoveWorker"),         QStringLiteral("StartWorker"),
        QStringLiteral("StopWorker"),           QStringLiteral("EnableDisableWorker"),
        QStringLiteral("ResetWatchdogEventCount"), QStringLiteral("GetWorkerChangeLogs"),
        QStringLiteral("GetWorkerEventsWithLogs"), QStringLiteral("EngineEditName"),
        QStringLiteral("RemoveHubConnection"),
    };
    return names;
}

HubCommands::HubCommands(Engine &engine, std::function<bool(const QString &)> removeHub)
    : m_engine(engine), m_removeHub(std::move(removeHub))
{
}

QJsonObject HubCommands::result(bool success, const QString &message, const QJsonValue &data)
{
    return {{QStringLiteral("success"), success}, {QStringLiteral("message"), message}, {QStringLiteral("data"), data}};
}

QJsonObject HubCommands::handle(const QString &method, const QJsonArray &arguments, const QString &hubUrl)
{
    // Without its query and user info: whatever rides there is no one's business in a history.
    const QString where = QUrl(hubUrl).adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo | QUrl::RemoveFragment).toString();
    QJsonObject answer = dispatch(method, arguments, where.isEmpty() ? QStringLiteral("hub") : QStringLiteral("hub ") + where);
    const qsizetype size = contract::encodedSize(answer);
    if (size <= contract::kHubPayloadBudget)
        return answer;
    // Sent as it is, it would make the hub drop the whole connection.
    const QString why = QStringLiteral("the answer to %1 takes %2 KB, more than one hub message holds (%3 KB)")
                            .arg(method).arg(size / 1024).arg(contract::kHubMessageLimit / 1024);
    qCWarning(lcHubCommands).noquote() << why;
    return result(false, why);
}

QJsonObject HubCommands::dispatch(const QString &method, const QJsonArray &arguments, const QString &actor)
{
    if (!methods().contains(method))
        return result(false, QStringLiteral("unknown method '%1'").arg(method));
    if (arguments.size() != 1)
        return result(false, QStringLiteral("%1 takes one argument, got %2").arg(method).arg(arguments.size()));

    if (method == QLatin1String("RemoveHubConnection")) {
        const QJsonValue url = arguments[0];
        if (!url.isString() || url.toString().isEmpty())
            return result(false, QStringLiteral("RemoveHubConnection takes the hub URL as a string"));
        return m_removeHub(url.toString()) ? result(true, QStringLiteral("hub connection removed"))
                                           : result(false, QStringLiteral("no hub %1").arg(url.toString()));
    }

    if (!arguments[0].isObject())
        return result(false, QStringLiteral("%1 takes an object argument").arg(method));
    const QJsonObject message = arguments[0].toObject();

    if (method == QLatin1String("EngineEditName")) {
        const QJsonValue name = contract::field(message, QLatin1StringView("engineName"));
        const QJsonValue description = contract::field(message, QLatin1StringView("engineDescription"));
        if (!name.isString())
            return result(false, QStringLiteral("missing field 'engineName'"));
        if (!description.isString() && !description.isNull() && !description.isUndefined())
            return result(false, QStringLiteral("'engineDescription' must be a string"));
        return fromOp(m_engine.setNameAndDescription(name.toString(), description.toString()));
    }
    if (method == QLatin1String("CreateWorker"))
        return createOrEdit(message, true, actor);

    const QJsonValue idValue = contract::field(message, QLatin1StringView("workerId"));
    if (!idValue.isString() || idValue.toString().isEmpty())
        return result(false, QStringLiteral("missing field 'workerId'"));
    const QString id = idValue.toString();
    WorkerManager &m = m_engine.workers();

    if (method == QLatin1String("EditWorker"))
        return createOrEdit(message, false, actor);
    if (method == QLatin1String("RemoveWorker")) return fromOp(m.remove(id));
    if (method == QLatin1String("StartWorker")) return fromOp(m.start(id));
    if (method == QLatin1String("StopWorker")) return fromOp(m.stop(id));
    if (method == QLatin1String("ResetWatchdogEventCount")) return fromOp(m.resetWatchdogEventCount(id));
    if (method == QLatin1String("EnableDisableWorker")) {
        const QJsonValue enable = contract::field(message, QLatin1StringView("enable"));
        if (!enable.isBool())
            return result(false, QStringLiteral("missing field 'enable' (true or false)"));
        return fromOp(m.setEnabled(id, enable.toBool(), WorkerManager::Actor{WorkerManager::Origin::Hub, actor}));
    }
    if (!m.worker(id))
        return result(false, QStringLiteral("no worker with id '%1'").arg(id));
    if (method == QLatin1String("GetWorkerChangeLogs"))
        return changeLogAnswer(id);
    return watchdogEventsAnswer(id); // GetWorkerEventsWithLogs
}

namespace {
// Long texts inside a history answer are cut to this, so that many entries fit.
constexpr qsizetype kHistoryTextChars = 4096;
// Room for what surrounds the entries (CommandResult fields, message).
constexpr qsizetype kEntriesBudget = contract::kHubPayloadBudget - 4096;

QString cutNote(qsizetype kept, qsizetype of, const QString &what)
{
    if (kept == of)
        return QStringLiteral("%1 %2").arg(kept).arg(what);
    return QStringLiteral("newest %1 of %2 %3 (one hub message holds at most %4 KB)")
        .arg(kept).arg(of).arg(what).arg(contract::kHubMessageLimit / 1024);
}

// The newest entries (the end of `oldestFirst`) whose encodings fit in one
// answer, still oldest first.
template <typename Entry, typename Encode>
QJsonArray newestThatFit(const QList<Entry> &oldestFirst, Encode encode)
{
    QList<QJsonObject> newestFirst;
    qsizetype used = 0;
    for (auto it = oldestFirst.crbegin(); it != oldestFirst.crend(); ++it) {
        QJsonObject entry = encode(*it);
        used += contract::encodedSize(entry) + 1;
        if (used > kEntriesBudget)
            break;
        newestFirst.append(std::move(entry));
    }
    QJsonArray out;
    for (auto it = newestFirst.crbegin(); it != newestFirst.crend(); ++it)
        out.append(*it);
    return out;
}
} // namespace

QJsonObject HubCommands::changeLogAnswer(const QString &workerId)
{
    const QList<ChangeLogEntry> all = m_engine.workers().changeLog(workerId);
    const QJsonArray changes = newestThatFit(all, [](const ChangeLogEntry &c) { return contract::changeLogEntry(c, kHistoryTextChars); });
    return result(true, cutNote(changes.size(), all.size(), QStringLiteral("changes")),
                  QJsonObject{{QStringLiteral("workerId"), workerId}, {QStringLiteral("changes"), changes}});
}

QJsonObject HubCommands::watchdogEventsAnswer(const QString &workerId)
{
    const QList<WatchdogEvent> all = m_engine.workers().watchdogEvents(workerId);
    const QJsonArray events = newestThatFit(all, [](const WatchdogEvent &e) { return contract::watchdogEvent(e, kHistoryTextChars); });
    return result(true, cutNote(events.size(), all.size(), QStringLiteral("watchdog events")),
                  QJsonObject{{QStringLiteral("events"), events}});
}

QJsonObject HubCommands::createOrEdit(const QJsonObject &message, bool create, const QString &actor)
{
    const WorkerManager::Actor hub{WorkerManager::Origin::Hub, actor};
    QString why;
    auto patch = contract::workerPatch(message, &why);
    if (!patch)
        return result(false, why);
    WorkerManager &m = m_engine.workers();
    const QString id = contract::field(message, QLatin1StringView("workerId")).toString();
    if (create) {
        if (!patch->command)
            return result(false, QStringLiteral("missing field 'command'"));
        if (!patch->streamerType)
            return result(false, QStringLiteral("missing field 'streamerType'"));
        WorkerConfig c = patch->appliedTo(WorkerConfig{});
        c.id = id;
        // A hub is never trusted: its commands always meet the pipeline policy.
        const OpResult r = m.create(c, WorkerManager::StartNow::IfEnabled, hub);
        return result(r.ok, r.message, r.workerId.isEmpty() ? QJsonValue() : QJsonValue(QJsonObject{{QStringLiteral("workerId"), r.workerId}}));
    }
    return fromOp(m.edit(id, *patch, hub));
}

} // namespace se
