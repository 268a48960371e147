#pragma once

#include "LogBuffer.h"

#include <QMutex>
#include <QObject>

namespace se {

// The engine's own log. Every Qt log message of the process lands here (the
// app installs EngineLog::installMessageHandler), from any thread; lines are
// handed to the main thread and announced there.
class EngineLog : public QObject {
    Q_OBJECT
public:
    explicit EngineLog(QObject *parent = nullptr);
    ~EngineLog() override;

    void append(LogLevel level, const QString &message); // thread-safe
    QList<LogEntry> last(int count) const;

    // Routes qDebug/qInfo/qWarning/... of the whole process to this log and to stderr.
    void installMessageHandler();

Q_SIGNALS:
    void lineAppended(const se::LogEntry &entry);

private:
    mutable QMutex m_mutex;
    LogBuffer m_buffer{2000};
};

} // namespace se
