#pragma once

#include "LogBuffer.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace se {

// One thing the watchdog did, kept with the log lines that led to it.
struct WatchdogEvent {
    enum class Cause { Failed, Ended, Stalled, Hold };
    qint64 id = 0; // the store's row id, once stored
    QString workerId;
    QDateTime timestamp;
    Cause cause = Cause::Failed;
    QString message;
    QList<LogEntry> logs;
};

QString causeName(WatchdogEvent::Cause cause);
WatchdogEvent::Cause causeFromString(const QString &text);

} // namespace se

Q_DECLARE_METATYPE(se::WatchdogEvent)
