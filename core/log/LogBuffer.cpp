#include "LogBuffer.h"

namespace se {

const LogEntry &LogBuffer::append(LogLevel level, const QString &message, QDateTime timestamp)
{
    if (int(m_lines.size()) >= m_capacity)
        m_lines.pop_front();
    m_lines.push_back(LogEntry{m_nextSequence++, level, std::move(timestamp), message});
    return m_lines.back();
}

QList<LogEntry> LogBuffer::last(int count) const
{
    QList<LogEntry> out;
    const int n = std::min<int>(count, int(m_lines.size()));
    out.reserve(n);
    for (auto it = m_lines.end() - n; it != m_lines.end(); ++it)
        out.append(*it);
    return out;
}

QList<LogEntry> LogBuffer::since(int sequence) const
{
    QList<LogEntry> out;
    for (const auto &e : m_lines)
        if (e.sequence > sequence)
            out.append(e);
    return out;
}

QString levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Trace: return QStringLiteral("trace");
    case LogLevel::Debug: return QStringLiteral("debug");
    case LogLevel::Information: return QStringLiteral("info");
    case LogLevel::Warning: return QStringLiteral("warning");
    case LogLevel::Error: return QStringLiteral("error");
    case LogLevel::Critical: return QStringLiteral("critical");
    }
    return QStringLiteral("info");
}

} // namespace se
