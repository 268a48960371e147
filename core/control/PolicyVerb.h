#pragma once

#include "Commands.h"

namespace se {

class WorkerManager;

// `streamengine ctl policy show|check`: the effective pipeline policy, and the
// verdict on a command as a hub's create would meet it.
// Request: {"verb": "policy", "action": "show"|"check",
//           "fields": {"command": …, "streamerType": … (default GstStreamer)}}.
CommandResult policyVerb(const WorkerManager &manager, const QJsonObject &request);

} // namespace se
