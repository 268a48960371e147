#include "JournalLog.h"

#include <QtEndian>

#include <cstdio>
#include <sys/stat.h>

namespace se {

namespace {
// KEY=value on one line, or, when the value may hold a newline, the binary
// form: KEY, newline, the value's length as 64-bit little endian, the value.
void appendField(QByteArray &out, const char *key, const QByteArray &value)
{
    out += key;
    if (value.contains('\n')) {
        out += '\n';
        const quint64 size = qToLittleEndian(quint64(value.size()));
        out.append(reinterpret_cast<const char *>(&size), sizeof size);
    } else {
        out += '=';
    }
    out += value;
    out += '\n';
}
} // namespace

QByteArray JournalLog::socketPath()
{
    const QByteArray path = qgetenv("SE_JOURNAL_SOCKET");
    return path.isEmpty() ? QByteArrayLiteral("/run/systemd/journal/socket") : path;
}

bool JournalLog::stderrIsJournal()
{
    // "device:inode" of the stream systemd connected; a redirected stderr no longer matches.
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    const qsizetype colon = stream.indexOf(':');
    struct stat st {};
    if (colon <= 0 || ::fstat(STDERR_FILENO, &st) != 0)
        return false;
    bool deviceOk = false, inodeOk = false;
    const qulonglong device = stream.left(colon).toULongLong(&deviceOk);
    const qulonglong inode = stream.mid(colon + 1).toULongLong(&inodeOk);
    return deviceOk && inodeOk && device == qulonglong(st.st_dev) && inode == qulonglong(st.st_ino);
}

Result<> JournalLog::open(const QByteArray &path)
{
    return m_socket.open(path);
}

int JournalLog::priorityOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg: return 7;
    case QtInfoMsg: return 6;
    case QtWarningMsg: return 4;
    case QtCriticalMsg: return 3;
    case QtFatalMsg: return 2;
    }
    return 6;
}

QByteArray JournalLog::entry(int priority, const QString &category, const QString &workerId, const QString &message,
                             const QMessageLogContext &context)
{
    QByteArray text = message.toUtf8();
    if (text.size() > kMaxMessageBytes)
        text = text.left(kMaxMessageBytes) + " [cut]";
    QByteArray out;
    out.reserve(text.size() + 160);
    appendField(out, "PRIORITY", QByteArray::number(priority));
    appendField(out, "SYSLOG_IDENTIFIER", QByteArrayLiteral("streamengine"));
    if (!category.isEmpty())
        appendField(out, "QT_CATEGORY", category.toUtf8());
    if (!workerId.isEmpty())
        appendField(out, "WORKER_ID", workerId.toUtf8());
    if (context.file) {
        appendField(out, "CODE_FILE", QByteArray(context.file));
        appendField(out, "CODE_LINE", QByteArray::number(context.line));
    }
    if (context.function)
        appendField(out, "CODE_FUNC", QByteArray(context.function));
    appendField(out, "MESSAGE", text);
    return out;
}

void JournalLog::write(QtMsgType type, const QMessageLogContext &context, const QString &category, const QString &workerId,
                       const QString &message)
{
    const int priority = priorityOf(type);
    if (m_socket.send(entry(priority, category, workerId, message, context)))
        return;
    // The journal did not take it (full, restarting): the stream still knows priorities.
    const QByteArray line = '<' + QByteArray::number(priority) + '>'
        + (category.isEmpty() ? QByteArray() : category.toUtf8() + ": ") + message.toUtf8() + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace se
