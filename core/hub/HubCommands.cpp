#include "HubCommands.h"

#include "ContractJson.h"
#include "ContractMessages.h"
#include "core/engine/Engine.h"

#include <QLoggingCategory>
#include <QUrl>

#include <algorithm>

Q_LOGGING_CATEGORY(lcHubCommands, "se.hub.commands")

namespace se {

namespace {
QJsonObject fromOp(const OpResult &r)
{
    return HubCommands::result(r.ok, r.message);
}

} // namespace

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

// What a method takes: its one argument is the hub's URL (a string), an
// object, or an object that names a worker (workerId).
enum class HubCommands::Takes { Url, Object, Worker };

// One row a method: its name, what it takes, and what answers it. A method is
// named here and nowhere else; a hub can invoke exactly these.
struct HubCommands::Command {
    QLatin1StringView name;
    Takes takes;
    QJsonObject (*answer)(HubCommands &self, const Request &request);
};

std::span<const HubCommands::Command> HubCommands::table()
{
    using R = const Request &;
    static const Command commands[] = {
        {QLatin1StringView("CreateWorker"), Takes::Object,
         [](HubCommands &self, R r) { return self.createOrEdit(r.message, true, r.actor); }},
        {QLatin1StringView("EditWorker"), Takes::Worker,
         [](HubCommands &self, R r) { return self.createOrEdit(r.message, false, r.actor); }},
        {QLatin1StringView("RemoveWorker"), Takes::Worker, [](HubCommands &self, R r) { return fromOp(self.workers().remove(r.workerId)); }},
        {QLatin1StringView("StartWorker"), Takes::Worker, [](HubCommands &self, R r) { return fromOp(self.workers().start(r.workerId)); }},
        {QLatin1StringView("StopWorker"), Takes::Worker, [](HubCommands &self, R r) { return fromOp(self.workers().stop(r.workerId)); }},
        {QLatin1StringView("EnableDisableWorker"), Takes::Worker,
         [](HubCommands &self, R r) {
             const QJsonValue enable = contract::field(r.message, QLatin1StringView("enable"));
             if (!enable.isBool())
                 return result(false, QStringLiteral("missing field 'enable' (true or false)"));
             return fromOp(self.workers().setEnabled(r.workerId, enable.toBool(), WorkerManager::Actor{WorkerManager::Origin::Hub, r.actor}));
         }},
        {QLatin1StringView("ResetWatchdogEventCount"), Takes::Worker,
         [](HubCommands &self, R r) { return fromOp(self.workers().resetWatchdogEventCount(r.workerId)); }},
        {QLatin1StringView("GetWorkerChangeLogs"), Takes::Worker, [](HubCommands &self, R r) { return self.changeLogAnswer(r.workerId); }},
        {QLatin1StringView("GetWorkerEventsWithLogs"), Takes::Worker,
         [](HubCommands &self, R r) { return self.watchdogEventsAnswer(r.workerId); }},
        {QLatin1StringView("EngineEditName"), Takes::Object,
         [](HubCommands &self, R r) {
             const QJsonValue name = contract::field(r.message, QLatin1StringView("engineName"));
             const QJsonValue description = contract::field(r.message, QLatin1StringView("engineDescription"));
             if (!name.isString())
                 return result(false, QStringLiteral("missing field 'engineName'"));
             if (!description.isString() && !description.isNull() && !description.isUndefined())
                 return result(false, QStringLiteral("'engineDescription' must be a string"));
             return fromOp(self.m_engine.setNameAndDescription(name.toString(), description.toString()));
         }},
        {QLatin1StringView("RemoveHubConnection"), Takes::Url,
         [](HubCommands &self, R r) {
             return self.m_removeHub(r.url) ? result(true, QStringLiteral("hub connection removed"))
                                            : result(false, QStringLiteral("no hub %1").arg(r.url));
         }},
    };
    return commands;
}

const QStringList &HubCommands::methods()
{
    static const QStringList names = [] {
        QStringList out;
        for (const Command &c : table())
            out << QString(c.name);
        return out;
    }();
    return names;
}

WorkerManager &HubCommands::workers() { return m_engine.workers(); }

QJsonObject HubCommands::dispatch(const QString &method, const QJsonArray &arguments, const QString &actor)
{
    const std::span<const Command> commands = table();
    const auto command = std::find_if(commands.begin(), commands.end(), [&](const Command &c) { return c.name == method; });
    if (command == commands.end())
        return result(false, QStringLiteral("unknown method '%1'").arg(method));
    if (arguments.size() != 1)
        return result(false, QStringLiteral("%1 takes one argument, got %2").arg(method).arg(arguments.size()));

    Request request;
    request.actor = actor;
    if (command->takes == Takes::Url) {
        if (!arguments[0].isString() || arguments[0].toString().isEmpty())
            return result(false, QStringLiteral("%1 takes the hub URL as a string").arg(method));
        request.url = arguments[0].toString();
        return command->answer(*this, request);
    }
    if (!arguments[0].isObject())
        return result(false, QStringLiteral("%1 takes an object argument").arg(method));
    request.message = arguments[0].toObject();
    if (command->takes == Takes::Worker) {
        const QJsonValue id = contract::field(request.message, QLatin1StringView("workerId"));
        if (!id.isString() || id.toString().isEmpty())
            return result(false, QStringLiteral("missing field 'workerId'"));
        request.workerId = id.toString();
    }
    return command->answer(*this, request);
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
    if (!m_engine.workers().worker(workerId))
        return result(false, QStringLiteral("no worker with id '%1'").arg(workerId));
    const QList<ChangeLogEntry> all = m_engine.workers().changeLog(workerId);
    const QJsonArray changes = newestThatFit(all, [](const ChangeLogEntry &c) { return contract::changeLogEntry(c, kHistoryTextChars); });
    return result(true, cutNote(changes.size(), all.size(), QStringLiteral("changes")),
                  QJsonObject{{QStringLiteral("workerId"), workerId}, {QStringLiteral("changes"), changes}});
}

QJsonObject HubCommands::watchdogEventsAnswer(const QString &workerId)
{
    if (!m_engine.workers().worker(workerId))
        return result(false, QStringLiteral("no worker with id '%1'").arg(workerId));
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
