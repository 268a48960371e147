#include "Commands.h"

#include "core/engine/Engine.h"
#include "core/hub/ContractJson.h"
#include "core/hub/ContractMessages.h"
#include "core/hub/HubDirectory.h"
#include "HistoryVerb.h"
#include "PolicyVerb.h"

#include <QJsonArray>

#include <algorithm>

namespace se {

namespace {
CommandResult answer(const Result<> &r) { return {r.ok, r.message, QJsonValue()}; }

CommandResult failure(const QString &why) { return CommandResult::failure(why); }

QJsonObject logJson(const LogEntry &e)
{
    return {{QStringLiteral("logSequenceNumber"), e.sequence},
            {QStringLiteral("logLevel"), int(e.level)},
            {QStringLiteral("logTimestamp"), contract::dateTime(e.timestamp)},
            {QStringLiteral("message"), e.message}};
}

// A worker as ctl lists it: the contract's fields and what a person asks first.
QJsonObject workerSummary(const WorkerManager &m, Worker *w)
{
    QJsonObject o = contract::workerInfo(m.snapshot(w));
    o.insert(QStringLiteral("stateName"), stateName(w->state()));
    o.insert(QStringLiteral("statusText"), w->statusText());
    o.insert(QStringLiteral("lastError"), w->lastError());
    return o;
}
} // namespace

// What a command's argument must be: nothing in particular (ctl's request as
// it is), an object, an object that names a worker (workerId), or the hub's
// URL as a string.
enum class Commands::Takes { Request, Object, Worker, HubUrl };

// One command's argument, decoded as its row takes it.
struct Commands::Call {
    Caller caller;
    QString actor;
    QJsonObject arguments; // the argument object (ctl: the request line)
    QString workerId;      // Takes::Worker: never empty
    QString hubUrl;        // Takes::HubUrl

    WorkerManager::Actor who() const
    {
        return {caller == Caller::Hub ? WorkerManager::Origin::Hub : WorkerManager::Origin::LocalOperator, actor};
    }
};

// One row a command: its hub method name and its ctl verb (either may be
// empty: that caller cannot give it), what it takes, and what answers it.
struct Commands::Command {
    QLatin1StringView hubMethod;
    QLatin1StringView ctlVerb;
    Takes takes;
    CommandResult (*answer)(Commands &self, const Call &call);
};

std::span<const Commands::Command> Commands::table()
{
    using C = const Call &;
    using S = Commands &;
    using L = QLatin1StringView;
    static const Command commands[] = {
        // On workers, from hubs and ctl.
        {L("CreateWorker"), L("create"), Takes::Object, [](S self, C c) { return self.createOrEdit(c, true); }},
        {L("EditWorker"), L("edit"), Takes::Worker, [](S self, C c) { return self.createOrEdit(c, false); }},
        {L("RemoveWorker"), L("remove"), Takes::Worker, [](S self, C c) { return answer(self.workers().remove(c.workerId)); }},
        {L("StartWorker"), L("start"), Takes::Worker, [](S self, C c) { return answer(self.workers().start(c.workerId)); }},
        {L("StopWorker"), L("stop"), Takes::Worker, [](S self, C c) { return answer(self.workers().stop(c.workerId)); }},
        {L(), L("restart"), Takes::Worker, [](S self, C c) { return answer(self.workers().restart(c.workerId)); }},
        {L("EnableDisableWorker"), L(), Takes::Worker,
         [](S self, C c) {
             const QJsonValue enable = contract::field(c.arguments, L("enable"));
             if (!enable.isBool())
                 return failure(QStringLiteral("missing field 'enable' (true or false)"));
             return answer(self.workers().setEnabled(c.workerId, enable.toBool(), c.who()));
         }},
        {L(), L("enable"), Takes::Worker, [](S self, C c) { return answer(self.workers().setEnabled(c.workerId, true, c.who())); }},
        {L(), L("disable"), Takes::Worker, [](S self, C c) { return answer(self.workers().setEnabled(c.workerId, false, c.who())); }},
        {L("ResetWatchdogEventCount"), L("reset-watchdog"), Takes::Worker,
         [](S self, C c) { return answer(self.workers().resetWatchdogEventCount(c.workerId)); }},
        // Histories: a hub's answer fits one hub message; ctl's shows everything.
        {L("GetWorkerChangeLogs"), L(), Takes::Worker, [](S self, C c) { return self.changeLogAnswer(c.workerId); }},
        {L("GetWorkerEventsWithLogs"), L(), Takes::Worker, [](S self, C c) { return self.watchdogEventsAnswer(c.workerId); }},
        {L(), L("list"), Takes::Request, [](S self, C) { return self.workerList(); }},
        {L(), L("show"), Takes::Worker, [](S self, C c) { return self.workerDetail(c.workerId); }},
        {L(), L("history"), Takes::Worker, [](S self, C c) { return historyVerb(self.workers(), c.workerId); }},
        {L(), L("rollback"), Takes::Worker, [](S self, C c) { return rollbackVerb(self.workers(), c.workerId, c.arguments, c.who()); }},
        {L(), L("policy"), Takes::Request, [](S self, C c) { return policyVerb(self.workers(), c.arguments); }},
        // The engine and its hubs.
        {L("EngineEditName"), L(), Takes::Object,
         [](S self, C c) {
             const QJsonValue name = contract::field(c.arguments, L("engineName"));
             const QJsonValue description = contract::field(c.arguments, L("engineDescription"));
             if (!name.isString())
                 return failure(QStringLiteral("missing field 'engineName'"));
             if (!description.isString() && !description.isNull() && !description.isUndefined())
                 return failure(QStringLiteral("'engineDescription' must be a string"));
             return answer(self.m_engine.setNameAndDescription(name.toString(), description.toString()));
         }},
        {L(), L("engine"), Takes::Request, [](S self, C) { return self.engineInfo(); }},
        {L(), L("shutdown"), Takes::Request,
         [](S self, C) {
             QMetaObject::invokeMethod(&self.m_engine, &Engine::shutdown, Qt::QueuedConnection);
             return CommandResult::success({}, QStringLiteral("stopping every worker, then exiting"));
         }},
        {L("RemoveHubConnection"), L(), Takes::HubUrl,
         [](S self, C c) {
             return self.m_removeHubLater && self.m_removeHubLater(c.hubUrl)
                        ? CommandResult::success({}, QStringLiteral("hub connection removed"))
                        : failure(QStringLiteral("no hub %1").arg(c.hubUrl));
         }},
        {L(), L("hub"), Takes::Request, [](S self, C c) { return self.hubVerb(c.arguments); }},
    };
    return commands;
}

Commands::Commands(Engine &engine, std::function<bool(const QString &)> removeHubLater)
    : m_engine(engine), m_removeHubLater(std::move(removeHubLater))
{
}

QStringList Commands::names(Caller caller)
{
    QStringList out;
    for (const Command &c : table()) {
        const QLatin1StringView name = caller == Caller::Hub ? c.hubMethod : c.ctlVerb;
        if (!name.isEmpty())
            out << QString(name);
    }
    return out;
}

QJsonObject Commands::toJson(const CommandResult &r)
{
    return {{QStringLiteral("success"), r.ok}, {QStringLiteral("message"), r.message}, {QStringLiteral("data"), r.value}};
}

WorkerManager &Commands::workers() { return m_engine.workers(); }

CommandResult Commands::run(Caller caller, const QString &name, const QJsonValue &argument, const QString &actor)
{
    const std::span<const Command> commands = table();
    const auto command = std::find_if(commands.begin(), commands.end(), [&](const Command &c) {
        const QLatin1StringView n = caller == Caller::Hub ? c.hubMethod : c.ctlVerb;
        return !n.isEmpty() && n == name;
    });
    if (command == commands.end()) {
        if (caller == Caller::Hub)
            return failure(QStringLiteral("unknown method '%1'").arg(name));
        return failure(name.isEmpty() ? QStringLiteral("no verb given") : QStringLiteral("unknown verb '%1'").arg(name));
    }

    Call call{caller, actor, {}, {}, {}};
    if (command->takes == Takes::HubUrl) {
        if (!argument.isString() || argument.toString().isEmpty())
            return failure(QStringLiteral("%1 takes the hub URL as a string").arg(name));
        call.hubUrl = argument.toString();
        return command->answer(*this, call);
    }
    if (!argument.isObject())
        return failure(QStringLiteral("%1 takes an object argument").arg(name));
    call.arguments = argument.toObject();
    if (command->takes == Takes::Worker) {
        const QJsonValue id = contract::field(call.arguments, QLatin1StringView("workerId"));
        if (!id.isString() || id.toString().isEmpty())
            return failure(QStringLiteral("missing field 'workerId'"));
        call.workerId = id.toString();
    }
    return command->answer(*this, call);
}

CommandResult Commands::createOrEdit(const Call &call, bool create)
{
    const bool ctl = call.caller == Caller::Ctl;
    // A hub's message is the worker's fields; ctl's request carries them
    // under "fields", beside the engine's own per-worker setting autoRollback
    // (not a contract field, so a local operator's only).
    const QJsonObject fields = ctl ? call.arguments.value(QStringLiteral("fields")).toObject() : call.arguments;
    const QJsonValue autoRollback = ctl ? call.arguments.value(QStringLiteral("autoRollback")) : QJsonValue(QJsonValue::Undefined);
    if (!autoRollback.isUndefined() && !autoRollback.isBool())
        return failure(QStringLiteral("'autoRollback' must be true or false"));
    const Result<WorkerPatch> patch = contract::workerPatch(fields);
    if (!patch)
        return failure(patch.message);

    WorkerManager &m = workers();
    QString id = call.workerId;
    Result<> done;
    if (create) {
        if (!ctl && !patch.value.command)
            return failure(QStringLiteral("missing field 'command'"));
        if (!ctl && !patch.value.streamerType)
            return failure(QStringLiteral("missing field 'streamerType'"));
        WorkerConfig c = patch.value.appliedTo(WorkerConfig{});
        c.id = contract::field(call.arguments, QLatin1StringView("workerId")).toString();
        // A hub is never trusted: its commands always meet the pipeline policy.
        const Result<QString> made = m.create(c, WorkerManager::StartNow::IfEnabled, call.who());
        done = {made.ok, made.message};
        id = made.value;
    } else {
        done = fields.isEmpty() && autoRollback.isBool() ? Result<>::success() : m.edit(id, patch.value, call.who());
    }
    if (done.ok && autoRollback.isBool()) {
        const Result<> set = m.setAutoRollback(id, autoRollback.toBool());
        done = {set.ok, done.message.isEmpty() ? set.message : QStringLiteral("%1; %2").arg(done.message, set.message)};
    }
    // A create names the worker it made (even one that then failed to start).
    const QJsonValue made = create && !id.isEmpty() ? QJsonValue(QJsonObject{{QStringLiteral("workerId"), id}}) : QJsonValue();
    return {done.ok, done.message, made};
}

CommandResult Commands::workerList()
{
    WorkerManager &m = workers();
    QJsonArray list;
    for (Worker *w : m.workers())
        list.append(workerSummary(m, w));
    return CommandResult::success(list, QStringLiteral("%1 workers").arg(list.size()));
}

CommandResult Commands::workerDetail(const QString &id)
{
    WorkerManager &m = workers();
    Worker *w = m.worker(id);
    if (!w)
        return failure(QStringLiteral("no worker with id '%1'").arg(id));
    QJsonObject o = workerSummary(m, w);
    o.insert(QStringLiteral("description"), w->config().description);
    o.insert(QStringLiteral("pictureCount"), w->pictureSequence());
    o.insert(QStringLiteral("lastPictureBytes"), w->lastPicture().size());
    // The watchdog's restarts by cause since the engine started (what /metrics counts).
    const RestartCounts counts = m.restartCounts(id);
    QJsonObject restarts;
    for (int c = 0; c < kRestartCauseCount; ++c)
        restarts.insert(QLatin1StringView(restartCauseName(RestartCause(c))), qint64(counts.byCause[size_t(c)]));
    o.insert(QStringLiteral("restarts"), restarts);
    o.insert(QStringLiteral("watchdogHolds"), qint64(counts.holds));
    const VersionState versions = m.versionState(id);
    o.insert(QStringLiteral("version"), versions.current); // the version it runs
    o.insert(QStringLiteral("lastGoodVersion"), versions.lastGood);
    o.insert(QStringLiteral("autoRollback"), versions.autoRollback);
    QJsonArray logs;
    for (const LogEntry &e : w->log().last(50))
        logs.append(logJson(e));
    o.insert(QStringLiteral("logs"), logs);
    o.insert(QStringLiteral("changes"), contract::changeLog(m.changeLog(id)));
    o.insert(QStringLiteral("events"), contract::watchdogEvents(m.watchdogEvents(id)));
    return CommandResult::success(o, w->config().name);
}

CommandResult Commands::engineInfo()
{
    const EngineIdentity e = m_engine.identity();
    return CommandResult::success(QJsonObject{{QStringLiteral("engineId"), e.id.toString(QUuid::WithoutBraces)},
                                              {QStringLiteral("engineName"), e.name},
                                              {QStringLiteral("engineDescription"), e.description},
                                              {QStringLiteral("version"), Engine::programVersion()},
                                              {QStringLiteral("installDate"), contract::dateTime(e.installDate)},
                                              {QStringLiteral("engineStartDate"), contract::dateTime(m_engine.startDate())},
                                              {QStringLiteral("streamers"), QJsonArray::fromStringList(workers().streamerTypes())}},
                                  e.name);
}

// `streamengine ctl hub list|add|remove`.
CommandResult Commands::hubVerb(const QJsonObject &request)
{
    HubDirectory *directory = m_engine.hubs();
    if (!directory)
        return failure(QStringLiteral("this engine has no hub links"));
    const QString action = request.value(QStringLiteral("action")).toString();
    const QString url = request.value(QStringLiteral("hubUrl")).toString();
    if (action == QLatin1String("add"))
        return answer(directory->addHub(url, request.value(QStringLiteral("apiKey")).toString()));
    if (action == QLatin1String("remove"))
        return answer(directory->removeHub(url));
    if (action != QLatin1String("list") && !action.isEmpty())
        return failure(QStringLiteral("unknown hub action '%1' (list, add, remove)").arg(action));
    QJsonArray list;
    for (const HubDirectory::Hub &h : directory->hubs())
        list.append(QJsonObject{{QStringLiteral("id"), h.id},
                                {QStringLiteral("hubUrl"), h.url},
                                {QStringLiteral("state"), HubDirectory::linkStateName(h.state)},
                                {QStringLiteral("lastError"), h.lastError},
                                {QStringLiteral("since"), contract::dateTime(h.since)},
                                {QStringLiteral("queued"), h.queued},
                                {QStringLiteral("dropped"), h.dropped}});
    return CommandResult::success(list, QStringLiteral("%1 hubs").arg(list.size()));
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
        .arg(kept)
        .arg(of)
        .arg(what)
        .arg(contract::kHubMessageLimit / 1024);
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

CommandResult Commands::changeLogAnswer(const QString &workerId)
{
    if (!workers().worker(workerId))
        return failure(QStringLiteral("no worker with id '%1'").arg(workerId));
    const QList<ChangeLogEntry> all = workers().changeLog(workerId);
    const QJsonArray changes = newestThatFit(all, [](const ChangeLogEntry &c) { return contract::changeLogEntry(c, kHistoryTextChars); });
    return CommandResult::success(QJsonObject{{QStringLiteral("workerId"), workerId}, {QStringLiteral("changes"), changes}},
                                  cutNote(changes.size(), all.size(), QStringLiteral("changes")));
}

CommandResult Commands::watchdogEventsAnswer(const QString &workerId)
{
    if (!workers().worker(workerId))
        return failure(QStringLiteral("no worker with id '%1'").arg(workerId));
    const QList<WatchdogEvent> all = workers().watchdogEvents(workerId);
    const QJsonArray events = newestThatFit(all, [](const WatchdogEvent &e) { return contract::watchdogEvent(e, kHistoryTextChars); });
    return CommandResult::success(QJsonObject{{QStringLiteral("events"), events}},
                                  cutNote(events.size(), all.size(), QStringLiteral("watchdog events")));
}

} // namespace se
