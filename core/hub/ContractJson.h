#pragma once

#include "common/Result.h"
#include "core/worker/WorkerConfig.h"

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace se {
struct WorkerSnapshot;

// The encodings of the StreamHub contract (streamhub-contract.md), in one
// place: what System.Text.Json on a hub writes and reads.
namespace contract {

// TimeSpan: "[d.]hh:mm:ss[.fffffff]".
QString timeSpan(Millis ms);
std::optional<Millis> parseTimeSpan(const QString &text);
// A TimeSpan given either as that string or as a number of seconds.
std::optional<Millis> parseDuration(const QJsonValue &value);

// DateTime: ISO 8601, UTC, 7 fractional digits, 'Z'.
QString dateTime(const QDateTime &t);

// A property read the way the hub's deserializer does: any letter case.
QJsonValue field(const QJsonObject &object, QLatin1StringView name);

// BaseWorkerInfo's worker fields (without BaseMessage's).
QJsonObject workerInfo(const WorkerSnapshot &worker);

// The fields of a WorkerCreateAndEdit that are present in `object`, as an
// edit; a failure names the first field of a wrong type.
Result<WorkerPatch> workerPatch(const QJsonObject &object);

} // namespace contract
} // namespace se
