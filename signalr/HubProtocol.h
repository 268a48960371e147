#pragma once
// The SignalR JSON hub protocol, pure: no sockets, no timers. Records are JSON
// objects each terminated by the record separator 0x1E; a transport message may
// carry several records, and one record may arrive over several messages.
#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <optional>

namespace signalr {

enum class MessageType {
    Invocation = 1,
    StreamItem = 2,
    Completion = 3,
    StreamInvocation = 4,
    CancelInvocation = 5,
    Ping = 6,
    Close = 7,
    Ack = 8,
    Sequence = 9,
};

struct HubMessage {
    MessageType type = MessageType::Ping;
    QString invocationId;        // empty: none (non-blocking invocation)
    QString target;              // Invocation, StreamInvocation
    QJsonArray arguments;        // Invocation, StreamInvocation
    QByteArray encodedArguments; // Invocation: the arguments already written as a JSON array, used in
                                 // place of `arguments` (what goes to many connections is written once)
    QStringList streamIds;       // Invocation, StreamInvocation (optional)
    QJsonValue item;             // StreamItem
    QJsonValue result;           // Completion, when hasResult
    bool hasResult = false;
    std::optional<QString> error; // Completion, Close
    bool allowReconnect = false;  // Close
    qint64 sequenceId = 0;        // Ack, Sequence
    QHash<QString, QString> headers;

    // Messages that carry a sequence id under stateful reconnect.
    bool isTrackable() const
    {
        return type == MessageType::Invocation || type == MessageType::StreamItem || type == MessageType::Completion
               || type == MessageType::StreamInvocation || type == MessageType::CancelInvocation;
    }

    static HubMessage invocation(const QString &id, const QString &target, const QJsonArray &args);
    static HubMessage streamInvocation(const QString &id, const QString &target, const QJsonArray &args);
    static HubMessage streamItem(const QString &id, const QJsonValue &item);
    static HubMessage completionResult(const QString &id, const QJsonValue &result);
    static HubMessage completionVoid(const QString &id);
    static HubMessage completionError(const QString &id, const QString &error);
    static HubMessage cancelInvocation(const QString &id);
    static HubMessage ping();
    static HubMessage close(const std::optional<QString> &error = {}, bool allowReconnect = false);
    static HubMessage ack(qint64 sequenceId);
    static HubMessage sequence(qint64 sequenceId);
};

class HubProtocol {
public:
    static constexpr char RecordSeparator = '\x1e';

    // {"protocol":"json","version":N} + 0x1E. Version 2 (the JSON protocol's current
    // one on ASP.NET Core 8+) is what makes the server keep a stateful-reconnect
    // connection; version 1 is for everything else.
    static QByteArray handshakeRequest(int version = 1);
    // Parses a handshake response record (without the separator). Returns false on
    // malformed JSON; *error receives the server's error, if it gave one.
    static bool parseHandshakeResponse(QByteArrayView record, std::optional<QString> *error, QString *parseError);

    // One message as a record, separator included.
    static QByteArray write(const HubMessage &message);
    enum class ParseResult { Ok, Invalid, UnknownType };
    // One record (without the separator). Invalid, with *error set: bad JSON, not an
    // object, missing or mistyped fields. UnknownType: a well-formed message of a
    // type this client does not know (a newer server), which callers may skip.
    static ParseResult parse(QByteArrayView record, HubMessage *out, QString *error);
};

// Splits an incoming byte stream into records. Bytes after the last separator
// wait for the next append. A pending partial record larger than maxRecordSize
// is a protocol error (keeps memory bounded against a peer that never ends one).
class RecordReader {
public:
    explicit RecordReader(qsizetype maxRecordSize = 32 * 1024 * 1024) : m_max(maxRecordSize) {}
    void append(QByteArrayView data);
    // Next complete record, without its separator; nullopt when none is complete.
    std::optional<QByteArray> next();
    bool overflowed() const { return m_overflow; }
    qsizetype pendingBytes() const { return m_buffer.size() - m_pos; }
    void clear();

private:
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    qsizetype m_scanned = 0; // bytes from m_pos already known to hold no separator
    qsizetype m_max;
    bool m_overflow = false;
};

} // namespace signalr
