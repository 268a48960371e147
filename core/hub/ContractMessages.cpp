#include "ContractMessages.h"

#include "ContractJson.h"
#include "core/metrics/MetricsSampler.h"
#include "core/manager/WorkerManager.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <chrono>

namespace se::contract {

QJsonObject workerChangeEvent(const WorkerSnapshot &worker, ChangeEventType type)
{
    QJsonObject o = workerInfo(worker);
    o.insert(QStringLiteral("changeEventType"), int(type));
    return o;
}

QJsonObject engineInfo(const EngineFacts &e)
{
    QJsonArray hubs;
    for (const HubEntry &h : e.hubs)
        hubs.append(QJsonObject{{QStringLiteral("id"), h.id},
                                {QStringLiteral("hubUrl"), h.url},
                                {QStringLiteral("apiKey"), h.apiKey.isEmpty() ? QString() : QStringLiteral("****")}});
    return {
        {QStringLiteral("engineName"), e.identity.name},
        {QStringLiteral("engineDescription"), e.identity.description},
        {QStringLiteral("engineStartDate"), dateTime(e.startDate)},
        {QStringLiteral("version"), e.version},
        {QStringLiteral("installDate"), dateTime(e.identity.installDate)},
        {QStringLiteral("hubUrls"), hubs},
        {QStringLiteral("streamers"), QJsonArray::fromStringList(e.streamers)},
    };
}

QJsonObject engineChangeEvent(const EngineFacts &engine, ChangeEventType type)
{
    QJsonObject o = engineInfo(engine);
    o.insert(QStringLiteral("changeEventType"), int(type));
    return o;
}

qsizetype encodedSize(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact).size();
}

qsizetype encodedSize(const QJsonArray &array)
{
    return QJsonDocument(array).toJson(QJsonDocument::Compact).size();
}

QString clipped(const QString &text, qsizetype maxChars)
{
    if (maxChars <= 0 || text.size() <= maxChars)
        return text;
    return text.left(maxChars) + QStringLiteral("… (%1 more characters)").arg(text.size() - maxChars);
}

static QJsonObject baseLog(const LogEntry &entry)
{
    return {{QStringLiteral("message"), clipped(entry.message, kHubLogLineChars)},
            {QStringLiteral("logSequenceNumber"), entry.sequence},
            {QStringLiteral("logLevel"), int(entry.level)},
            {QStringLiteral("logTimestamp"), dateTime(entry.timestamp)}};
}

QJsonObject workerLog(const QString &workerId, const LogEntry &entry)
{
    QJsonObject o = baseLog(entry);
    o.insert(QStringLiteral("workerId"), workerId);
    return o;
}

QJsonObject changeLogEntry(const ChangeLogEntry &c, qsizetype maxChars)
{
    return {{QStringLiteral("changeTimestamp"), dateTime(c.timestamp)},
            {QStringLiteral("changeDescription"), clipped(c.description, maxChars)},
            {QStringLiteral("changeDetails"), clipped(c.details, maxChars)}};
}

QJsonArray changeLog(const QList<ChangeLogEntry> &changes)
{
    QJsonArray out;
    for (const ChangeLogEntry &c : changes)
        out.append(changeLogEntry(c));
    return out;
}

QJsonObject watchdogEvent(const WatchdogEvent &e, qsizetype maxChars)
{
    QJsonArray logs;
    for (const LogEntry &l : e.logs)
        logs.append(QJsonObject{{QStringLiteral("message"), clipped(l.message, maxChars)},
                                {QStringLiteral("logTimestamp"), dateTime(l.timestamp)},
                                {QStringLiteral("logLevel"), int(l.level)}});
    return {{QStringLiteral("eventTimestamp"), dateTime(e.timestamp)},
            {QStringLiteral("eventMessage"), clipped(e.message, maxChars)},
            {QStringLiteral("logs"), logs}};
}

QJsonArray watchdogEvents(const QList<WatchdogEvent> &events)
{
    QJsonArray out;
    for (const WatchdogEvent &e : events)
        out.append(watchdogEvent(e));
    return out;
}

QJsonObject engineLog(const LogEntry &entry)
{
    return baseLog(entry);
}

QByteArray workerImageFields(const QString &workerId, const QByteArray &jpeg, int sequence)
{
    // The id as JSON escapes it: ["…"] less its brackets.
    const QByteArray id = QJsonDocument(QJsonArray{workerId}).toJson(QJsonDocument::Compact).chopped(1).sliced(1);
    const qsizetype base64Size = (jpeg.size() + 2) / 3 * 4;
    QByteArray out;
    out.reserve(base64Size + id.size() + 80);
    out += "\"imageBytes\":\"";
    out += jpeg.toBase64();
    out += "\",\"workerId\":";
    out += id;
    out += ",\"imageSequenceNumber\":";
    out += QByteArray::number(sequence);
    return out;
}

QByteArray withBaseFields(const QByteArray &fields, const QUuid &engineId, int sequenceNumber, Stamp made)
{
    QByteArray out;
    out.reserve(fields.size() + 128);
    out += "[{\"engineId\":\"";
    out += engineId.toByteArray(QUuid::WithoutBraces);
    out += "\",\"timestamp\":\"";
    out += dateTime(made).toLatin1();
    out += "\",\"sequenceNumber\":";
    out += QByteArray::number(sequenceNumber);
    out += ',';
    out += fields;
    out += "}]";
    return out;
}

QJsonObject metric(const EngineMetrics &m)
{
    QJsonArray perCore;
    for (double c : m.perCoreCpuUsage)
        perCore.append(c);
    return {
        {QStringLiteral("cpuUsage"), m.cpuUsage},
        {QStringLiteral("perCoreCpuUsage"), perCore},
        {QStringLiteral("currentProcessCpuUsage"), m.currentProcessCpuUsage},
        {QStringLiteral("memoryUsage"), m.memoryUsage},
        {QStringLiteral("totalMemory"), m.totalMemory},
        {QStringLiteral("availableMemory"), m.availableMemory},
        {QStringLiteral("currentProcessMemoryUsage"), m.currentProcessMemoryUsage},
        {QStringLiteral("rxMbps"), m.rxMbps},
        {QStringLiteral("txMbps"), m.txMbps},
        {QStringLiteral("rxUsagePercent"), m.rxUsagePercent},
        {QStringLiteral("txUsagePercent"), m.txUsagePercent},
        {QStringLiteral("networkInterfaceName"), m.networkInterfaceName},
        {QStringLiteral("linkSpeedGbps"), m.linkSpeedGbps},
        {QStringLiteral("measureTimestamp"), dateTime(m.measureTimestamp.isValid() ? m.measureTimestamp : QDateTime::currentDateTimeUtc())},
    };
}

QJsonObject systemInfo(const EngineSystemInfo &i)
{
    return {
        {QStringLiteral("osName"), i.osName},
        {QStringLiteral("osVersion"), i.osVersion},
        {QStringLiteral("architecture"), i.architecture},
        {QStringLiteral("uptime"), i.uptime},
        {QStringLiteral("processCount"), i.processCount},
        {QStringLiteral("platform"), i.platform},
    };
}

Stamp MessageClock::wallClock()
{
    using namespace std::chrono;
    return duration_cast<duration<qint64, std::ratio<1, 10000000>>>(system_clock::now().time_since_epoch()).count();
}

Stamp MessageClock::next()
{
    m_last = std::max(m_last + 1, m_now());
    return m_last;
}

QString dateTime(Stamp stamp)
{
    constexpr qint64 kTicksPerSecond = 10000000;
    qint64 seconds = stamp / kTicksPerSecond;
    qint64 ticks = stamp % kTicksPerSecond;
    if (ticks < 0) {
        --seconds;
        ticks += kTicksPerSecond;
    }
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss."))
        + QStringLiteral("%1Z").arg(ticks, 7, 10, QLatin1Char('0'));
}

void fillBase(QJsonObject &message, const QUuid &engineId, int sequenceNumber, Stamp made)
{
    message.insert(QStringLiteral("engineId"), engineId.toString(QUuid::WithoutBraces));
    message.insert(QStringLiteral("timestamp"), dateTime(made));
    message.insert(QStringLiteral("sequenceNumber"), sequenceNumber);
}

} // namespace se::contract
