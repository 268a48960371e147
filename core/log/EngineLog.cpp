#include "EngineLog.h"

#include "WorkerLogScope.h"

#include <QCoreApplication>
#include <QThread>

#include <atomic>
#include <cstdio>

namespace se {

namespace {
std::atomic<EngineLog *> g_log{nullptr};
QtMessageHandler g_previous = nullptr;
std::atomic<LogSink *> g_sink{nullptr};

LogLevel levelOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg: return LogLevel::Debug;
    case QtInfoMsg: return LogLevel::Information;
    case QtWarningMsg: return LogLevel::Warning;
    case QtCriticalMsg: return LogLevel::Error;
    case QtFatalMsg: return LogLevel::Critical;
    }
    return LogLevel::Information;
}

void handler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString category = context.category && qstrcmp(context.category, "default") != 0
        ? QString::fromLatin1(context.category)
        : QString();
    if (EngineLog *log = g_log.load())
        log->append(levelOf(type), category.isEmpty() ? message : category + QStringLiteral(": ") + message);
    if (LogSink *sink = g_sink.load())
        sink->write(type, context, category, WorkerLogScope::current(), message);
    else if (g_previous)
        g_previous(type, context, message);
}
} // namespace

EngineLog::EngineLog(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<se::LogEntry>();
}

EngineLog::~EngineLog()
{
    EngineLog *self = this;
    if (g_log.compare_exchange_strong(self, nullptr)) {
        qInstallMessageHandler(g_previous);
        g_sink = nullptr;
    }
}

void EngineLog::append(LogLevel level, const QString &message)
{
    LogEntry entry;
    {
        QMutexLocker lock(&m_mutex);
        entry = m_buffer.append(level, message);
    }
    if (QThread::currentThread() == thread())
        Q_EMIT lineAppended(entry);
    else
        m_inbox.post([this, entry] { Q_EMIT lineAppended(entry); });
}

QList<LogEntry> EngineLog::last(int count) const
{
    QMutexLocker lock(&m_mutex);
    return m_buffer.last(count);
}

void EngineLog::installMessageHandler(LogSink *sink)
{
    g_sink = sink;
    g_log.store(this);
    g_previous = qInstallMessageHandler(handler);
}

} // namespace se
