#pragma once

#include "core/log/LogBuffer.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <array>
#include <optional>

namespace se {

// Why the watchdog restarted a worker, finer than WatchdogEvent::Cause (which
// the store and the hubs keep as it is): "failed" split into a crash, an error
// and a start that failed. Counted per worker for `ctl show` and /metrics, in
// memory, since the engine started.
enum class RestartCause { Crash, Error, EndOfStream, PictureStall, StartFailure };
constexpr int kRestartCauseCount = 5;
// "crash", "error", "end_of_stream", "picture_stall", "start_failure"
const char *restartCauseName(RestartCause cause);

// A worker's restarts by cause, and how many of them ended in a hold. Only
// ever grows (for the life of the engine).
struct RestartCounts {
    std::array<quint64, kRestartCauseCount> byCause{};
    quint64 holds = 0;
    quint64 of(RestartCause cause) const { return byCause[size_t(cause)]; }
};

// One thing the watchdog did, kept with the log lines that led to it.
struct WatchdogEvent {
    // Rollback: the engine restored a worker's last good version by itself.
    enum class Cause { Failed, Ended, Stalled, Hold, Rollback };
    qint64 id = 0; // the store's row id, once stored
    QString workerId;
    QDateTime timestamp;
    Cause cause = Cause::Failed;
    // A restart's finer cause (a hold's too: what led to it); empty for an
    // event that is no restart. In memory only: never stored, never sent.
    std::optional<RestartCause> restartCause;
    QString message;
    QList<LogEntry> logs;
};

QString causeName(WatchdogEvent::Cause cause);
WatchdogEvent::Cause causeFromString(const QString &text);

} // namespace se

Q_DECLARE_METATYPE(se::WatchdogEvent)
