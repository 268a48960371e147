#pragma once

#include "core/streamer/Streamer.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <deque>

namespace se {

struct LogEntry {
    int sequence = 0; // increasing per worker (or per engine for the engine log)
    LogLevel level = LogLevel::Information;
    QDateTime timestamp; // UTC
    QString message;
};

// The newest lines of one log, numbered. Old lines fall off the front.
class LogBuffer {
public:
    explicit LogBuffer(int capacity = 500) : m_capacity(capacity) {}

    const LogEntry &append(LogLevel level, const QString &message, QDateTime timestamp = QDateTime::currentDateTimeUtc());
    QList<LogEntry> last(int count) const;
    QList<LogEntry> since(int sequence) const; // lines with a higher sequence
    int lastSequence() const { return m_nextSequence - 1; }
    int size() const { return int(m_lines.size()); }

private:
    int m_capacity;
    int m_nextSequence = 1;
    std::deque<LogEntry> m_lines;
};

QString levelName(LogLevel level);

} // namespace se

Q_DECLARE_METATYPE(se::LogEntry)
