#pragma once

#include "ControlServer.h"

namespace se {

class WorkerManager;

// `streamengine ctl policy show|check`: the effective pipeline policy, and the
// verdict on a command as a hub's create would meet it.
// Request: {"verb": "policy", "action": "show"|"check",
//           "fields": {"command": …, "streamerType": … (default GstStreamer)}}.
ControlServer::Reply policyVerb(const WorkerManager &manager, const QJsonObject &request);

} // namespace se
