#pragma once

#include "WorkerVersion.h"

#include <QList>
#include <QString>

namespace se {

struct AutoRollbackDecision {
    enum class Kind {
        None,     // nothing to do (yet)
        RollBack, // restore version `to` now
        GiveUp,   // `from` never ran, but there is nothing to go back to: say so (once)
    };
    Kind kind = Kind::None;
    int from = 0; // the version that never ran
    int to = 0;   // RollBack: the version to restore
    QString explanation; // for the worker's log, the change log and the watchdog event
};

// Whether a worker should go back to its last good version by itself, and
// nothing else: pure, no clock, no store, so tests drive it directly.
//
// A version made by an operator (a create, an edit, a manual rollback) is
// watched until the worker is Running on it. If instead the watchdog acts on
// it kRestartsBeforeRollback + 1 times (the first start, with its grace time,
// and that many restarts), or puts it on hold, its chances are used up and
// decide() answers: roll back to the newest good version that is not bad and
// whose command, streamer and watchdog differ from the current ones; or give
// up, once, when there is none, or when a good version already ran in this
// very form (the trouble is then not the edit). The engine's own rollback is
// not watched, and the version it leaves is marked bad, so it never loops.
class AutoRollbackPolicy {
public:
    static constexpr int kRestartsBeforeRollback = 3;

    // `number` is now the current version; `watch` unless the engine itself made it.
    void onNewVersion(int number, bool watch);
    // The worker is Running on the current version: it ran, nothing to watch.
    void onRunning();
    // A watchdog action (failure, end, stall, hold) on the current version.
    // True when its chances are used up: then ask decide().
    bool onFailure(bool hold);
    // `enabled`: the worker's setting (off: None, and the version stays
    // watched); `lastError`: why the current version fails; `versions`: the
    // worker's stored versions.
    AutoRollbackDecision decide(bool enabled, const QString &lastError, const WorkerConfig &current,
                                const QList<WorkerVersion> &versions);

    int version() const { return m_version; }
    bool watching() const { return m_watching; }
    int failures() const { return m_failures; }

private:
    int m_version = 0;
    bool m_watching = false;
    bool m_due = false;
    int m_failures = 0;
};

} // namespace se
