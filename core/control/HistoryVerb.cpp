#include "HistoryVerb.h"

#include "core/hub/ContractJson.h"
#include "core/manager/WorkerManager.h"

#include <QJsonArray>

namespace se {

namespace {
QJsonObject versionJson(const WorkerVersion &v, const WorkerVersion *previous, int current)
{
    const WorkerConfig &c = v.config;
    QJsonArray details;
    if (previous)
        for (const FieldChange &f : diff(previous->config, c))
            details.append(QStringLiteral("%1: '%2' -> '%3'").arg(f.field, f.from, f.to));
    return {{QStringLiteral("version"), v.number},
            {QStringLiteral("timestamp"), contract::dateTime(v.timestamp)},
            {QStringLiteral("actor"), v.actor},
            {QStringLiteral("changes"), v.changes},
            {QStringLiteral("changeDetails"), details},
            {QStringLiteral("current"), v.number == current},
            {QStringLiteral("good"), v.isGood()},
            {QStringLiteral("goodAt"), v.isGood() ? QJsonValue(contract::dateTime(v.goodAt)) : QJsonValue()},
            {QStringLiteral("bad"), v.bad},
            {QStringLiteral("name"), c.name},
            {QStringLiteral("description"), c.description},
            {QStringLiteral("command"), c.command},
            {QStringLiteral("streamer"), c.streamerType},
            {QStringLiteral("isEnabled"), c.enabled},
            {QStringLiteral("imgWatchdogEnabled"), c.imageWatchdog.enabled},
            {QStringLiteral("imgWatchdogGraceTime"), contract::timeSpan(c.imageWatchdog.graceTime)},
            {QStringLiteral("imgWatchdogInterval"), contract::timeSpan(c.imageWatchdog.interval)}};
}
} // namespace

CommandResult historyVerb(const WorkerManager &m, const QString &id)
{
    if (!m.worker(id))
        return CommandResult::failure(QStringLiteral("no worker with id '%1'").arg(id));
    const VersionState state = m.versionState(id);
    const Result<QList<WorkerVersion>> read = m.versions(id);
    if (!read)
        return CommandResult::failure(QStringLiteral("could not read the versions of worker '%1': %2").arg(id, read.message));
    const QList<WorkerVersion> &all = read.value;
    QJsonArray versions;
    for (qsizetype i = all.size() - 1; i >= 0; --i) {
        // "What changed" against the version just before it, when that one is still kept.
        const WorkerVersion *previous = i > 0 && all[i - 1].number == all[i].number - 1 ? &all[i - 1] : nullptr;
        versions.append(versionJson(all[i], previous, state.current));
    }
    const QString lastGood = state.lastGood > 0 ? QStringLiteral("the last good one is version %1").arg(state.lastGood)
                                                : QStringLiteral("none is good yet");
    return CommandResult::success(QJsonObject{{QStringLiteral("workerId"), id},
                                              {QStringLiteral("currentVersion"), state.current},
                                              {QStringLiteral("lastGoodVersion"), state.lastGood},
                                              {QStringLiteral("autoRollback"), state.autoRollback},
                                              {QStringLiteral("versions"), versions}},
                                  QStringLiteral("%1 versions; version %2 is current, %3; automatic rollback %4")
                                      .arg(all.size()).arg(state.current)
                                      .arg(lastGood, state.autoRollback ? QStringLiteral("on") : QStringLiteral("off")));
}

CommandResult rollbackVerb(WorkerManager &m, const QString &id, const QJsonObject &request, const WorkerManager::Actor &actor)
{
    std::optional<int> to;
    const QJsonValue toValue = request.value(QStringLiteral("toVersion"));
    if (!toValue.isUndefined() && !toValue.isNull()) {
        const double n = toValue.toDouble(-1);
        if (!toValue.isDouble() || n < 1 || n != double(int(n)))
            return CommandResult::failure(QStringLiteral("'toVersion' must be a version number (1, 2, 3 …)"));
        to = int(n);
    }
    const Result<> r = m.rollback(id, to, actor);
    return {r.ok, r.message, QJsonValue()};
}

} // namespace se
