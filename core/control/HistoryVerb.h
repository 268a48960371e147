#pragma once

#include "ControlServer.h"

namespace se {

class WorkerManager;

// `streamengine ctl history ID`: the worker's versions, newest first.
// Request: {"verb": "history", "workerId": …}. Data: {workerId, currentVersion,
// lastGoodVersion, autoRollback, versions: [{version, timestamp, actor,
// changes, changeDetails, current, good, goodAt, bad, name, description,
// command, streamer, isEnabled, imgWatchdogEnabled, imgWatchdogGraceTime,
// imgWatchdogInterval}]}.
ControlServer::Reply historyVerb(const WorkerManager &manager, const QJsonObject &request);

// `streamengine ctl rollback ID [--to N]`: back to version N, or by default to
// the last good version before the current one, as a new version made by "ctl".
// Request: {"verb": "rollback", "workerId": …, "toVersion": N (optional)}.
ControlServer::Reply rollbackVerb(WorkerManager &manager, const QJsonObject &request);

} // namespace se
