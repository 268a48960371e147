#pragma once

#include "core/log/EngineLog.h"
#include "UnixDatagramSender.h"

#include <QByteArray>

namespace se {

// Writes the process's log lines to journald in its native protocol when the
// engine's stderr is connected to the journal (systemd says so in
// JOURNAL_STREAM): each line with its PRIORITY, SYSLOG_IDENTIFIER, the Qt
// category (QT_CATEGORY) and the worker it is about (WORKER_ID), so that
// `journalctl -u streamengine -p warning WORKER_ID=cam-7` finds it. On a
// terminal or in a file the engine keeps writing plain text.
class JournalLog : public LogSink {
public:
    // The journal's socket; SE_JOURNAL_SOCKET names another (tests, chroots).
    static QByteArray socketPath();
    // True when stderr is the journal stream systemd gave this process.
    static bool stderrIsJournal();

    // False when the journal's socket cannot be reached.
    Result<> open(const QByteArray &path);

    void write(QtMsgType type, const QMessageLogContext &context, const QString &category, const QString &workerId,
               const QString &message) override;

    // One native-protocol datagram (public for its test).
    static QByteArray entry(int priority, const QString &category, const QString &workerId, const QString &message,
                            const QMessageLogContext &context);
    static int priorityOf(QtMsgType type);

    static constexpr qsizetype kMaxMessageBytes = 48 * 1024;

private:
    UnixDatagramSender m_socket;
};

} // namespace se
