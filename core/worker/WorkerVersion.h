#pragma once

#include "WorkerConfig.h"

#include <QDateTime>
#include <QString>

namespace se {

// One numbered version of a worker's whole configuration. Every create, edit
// and rollback makes one (1, 2, 3 … per worker); the newest is the current one.
struct WorkerVersion {
    int number = 0;
    QDateTime timestamp;
    QString actor;   // who made it: "hub https://…", "ctl", "dashboard", "ctl (rollback to v3)"
    QString changes; // what changed against the version before it: "created", "command, name"
    WorkerConfig config;
    QDateTime goodAt; // when the worker had run on it for the stable period (invalid: not yet)
    bool bad = false; // an automatic rollback left it: never the target of one
    bool isGood() const { return goodAt.isValid(); }
};

// Where a worker stands among its versions.
struct VersionState {
    int current = 0;  // the version its configuration is
    int lastGood = 0; // the newest good version (0: none yet)
    bool autoRollback = false; // the per-worker setting (not part of a version)
};

// The parts of a configuration that decide whether it runs: the command, the
// streamer type and the picture watchdog (not the name, description or enabled).
inline bool sameRun(const WorkerConfig &a, const WorkerConfig &b)
{
    return a.command == b.command && a.streamerType == b.streamerType && a.imageWatchdog == b.imageWatchdog;
}

} // namespace se
