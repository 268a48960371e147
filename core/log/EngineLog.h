#pragma once

#include "LogBuffer.h"
#include "core/streamer/ThreadInbox.h"

#include <QMutex>
#include <QObject>

namespace se {

// Where the process's log lines go besides the engine log, in place of Qt's
// plain stderr (e.g. journald). Called from any thread.
class LogSink {
public:
    virtual ~LogSink() = default;
    // `category` is empty for Qt's default category; `workerId` is
    // WorkerLogScope::current() of the writing thread.
    virtual void write(QtMsgType type, const QMessageLogContext &context, const QString &category,
                       const QString &workerId, const QString &message) = 0;
};

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

    // Routes qDebug/qInfo/qWarning/... of the whole process to this log and
    // to `sink`, or to Qt's own handler (stderr) without one. The sink must
    // outlive this log.
    void installMessageHandler(LogSink *sink = nullptr);

Q_SIGNALS:
    void lineAppended(const se::LogEntry &entry);

private:
    mutable QMutex m_mutex;
    LogBuffer m_buffer{2000};
    ThreadInbox m_inbox{this}; // lines appended on other threads
};

} // namespace se
