#pragma once

#include "Commands.h"
#include "core/manager/WorkerManager.h"

namespace se {

// `streamengine ctl history ID`: the worker's versions, newest first. Data:
// {workerId, currentVersion, lastGoodVersion, autoRollback, versions:
// [{version, timestamp, actor, changes, changeDetails, current, good, goodAt,
// bad, name, description, command, streamer, isEnabled, imgWatchdogEnabled,
// imgWatchdogGraceTime, imgWatchdogInterval}]}.
CommandResult historyVerb(const WorkerManager &manager, const QString &workerId);

// `streamengine ctl rollback ID [--to N]`: back to version N, or by default to
// the last good version before the current one, as a new version made by `actor`.
// Request: {"verb": "rollback", "workerId": …, "toVersion": N (optional)}.
CommandResult rollbackVerb(WorkerManager &manager, const QString &workerId, const QJsonObject &request,
                           const WorkerManager::Actor &actor);

} // namespace se
