#pragma once

#include "core/log/LogBuffer.h"
#include "core/store/Store.h"
#include "core/worker/WatchdogEvent.h"

#include <QJsonArray>

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QStringList>
#include <QUuid>

#include <functional>

namespace se {
struct WorkerSnapshot;
struct EngineMetrics;
struct EngineSystemInfo;

// The engine-to-hub messages of the contract, built from the domain. Base
// fields (engineId, timestamp, sequenceNumber) are added by fillBase() when
// a message leaves; its timestamp is the stamp it was given when it was made.
namespace contract {

// The moment a message was made: 100 ns ticks since 1970-01-01 UTC, the
// precision of .NET's DateTime.
using Stamp = qint64;

// Stamps for messages. A hub discards a worker message whose timestamp is not
// newer than the last it applied for that worker, so stamps follow the wall
// clock but are strictly increasing: never two alike, never going back when
// the wall clock steps back.
class MessageClock {
public:
    using Source = std::function<Stamp()>;
    explicit MessageClock(Source now = wallClock) : m_now(std::move(now)) {}
    Stamp next();
    static Stamp wallClock();

private:
    Source m_now;
    Stamp m_last = 0;
};

// ISO 8601, UTC, 7 fractional digits, 'Z'.
QString dateTime(Stamp stamp);

// One message a hub takes at most: larger ones make it drop the connection.
constexpr qsizetype kHubMessageLimit = 256 * 1024;
// What one message's arguments may take: the limit, less room for the envelope.
constexpr qsizetype kHubPayloadBudget = kHubMessageLimit - 16 * 1024;
// Bytes the JSON takes on the wire.
qsizetype encodedSize(const QJsonObject &object);
qsizetype encodedSize(const QJsonArray &array);
// Log text going to a hub is cut to this many characters (marked as cut).
constexpr qsizetype kHubLogLineChars = 16 * 1024;

enum class ChangeEventType { Created = 0, Updated = 1, Deleted = 2 };

QJsonObject workerChangeEvent(const WorkerSnapshot &worker, ChangeEventType type);

struct EngineFacts {
    EngineIdentity identity;
    QDateTime startDate;
    QString version;
    QList<HubEntry> hubs;
    QStringList streamers;
};
// BaseEngineInfo; hub API keys are never sent (masked).
QJsonObject engineInfo(const EngineFacts &engine);
QJsonObject engineChangeEvent(const EngineFacts &engine, ChangeEventType type);

QJsonObject workerLog(const QString &workerId, const LogEntry &entry);

// WorkerChangeLog's `changes` and WorkerEventLogCollection's `events`, and
// one entry of each. maxChars > 0 cuts long texts (details, log lines) to that.
QJsonArray changeLog(const QList<ChangeLogEntry> &changes);
QJsonArray watchdogEvents(const QList<WatchdogEvent> &events);
QJsonObject changeLogEntry(const ChangeLogEntry &change, qsizetype maxChars = 0);
QJsonObject watchdogEvent(const WatchdogEvent &event, qsizetype maxChars = 0);
// text, or its first maxChars characters and how many were left out.
QString clipped(const QString &text, qsizetype maxChars);
QJsonObject engineLog(const LogEntry &entry);
// ReceiveImage's object, its fields written as JSON once (`"imageBytes":"…",…`,
// no braces), for all hubs: the picture in base64 needs no escaping, so it is
// copied, not converted to UTF-16 and escaped character by character.
// withBaseFields() makes the message of one hub from it.
QByteArray workerImageFields(const QString &workerId, const QByteArray &jpeg, int sequence);
// `[{<base fields>,<fields>}]`: the arguments of a message whose first and only
// argument is an object written as fields, with fillBase()'s fields.
QByteArray withBaseFields(const QByteArray &fields, const QUuid &engineId, int sequenceNumber, Stamp made);

QJsonObject metric(const EngineMetrics &metrics);
QJsonObject systemInfo(const EngineSystemInfo &info);

void fillBase(QJsonObject &message, const QUuid &engineId, int sequenceNumber, Stamp made);

} // namespace contract
} // namespace se
