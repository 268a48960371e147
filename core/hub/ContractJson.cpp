#include "ContractJson.h"

#include "core/manager/WorkerManager.h"

#include <QRegularExpression>

#include <cmath>

namespace se::contract {

QString timeSpan(Millis ms)
{
    qint64 total = ms.count();
    const bool negative = total < 0;
    if (negative)
        total = -total;
    const qint64 days = total / 86400000;
    const qint64 h = (total / 3600000) % 24;
    const qint64 m = (total / 60000) % 60;
    const qint64 s = (total / 1000) % 60;
    const qint64 frac = total % 1000;
    QString out = negative ? QStringLiteral("-") : QString();
    if (days)
        out += QString::number(days) + QLatin1Char('.');
    out += QStringLiteral("%1:%2:%3").arg(h, 2, 10, QLatin1Char('0')).arg(m, 2, 10, QLatin1Char('0')).arg(s, 2, 10, QLatin1Char('0'));
    if (frac)
        out += QStringLiteral(".%1").arg(frac * 10000, 7, 10, QLatin1Char('0'));
    return out;
}

std::optional<Millis> parseTimeSpan(const QString &text)
{
    static const QRegularExpression re(QStringLiteral(R"(^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$)"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 days = m.captured(2).toLongLong();
    const qint64 h = m.captured(3).toLongLong();
    const qint64 min = m.captured(4).toLongLong();
    const qint64 s = m.captured(5).toLongLong();
    if (h > 23 || min > 59 || s > 59)
        return std::nullopt;
    QString frac = m.captured(6);
    frac = frac.leftJustified(7, QLatin1Char('0'));
    const qint64 ms = frac.left(3).toLongLong();
    const qint64 total = ((days * 24 + h) * 60 + min) * 60000 + s * 1000 + ms;
    return Millis(m.captured(1).isEmpty() ? total : -total);
}

std::optional<Millis> parseDuration(const QJsonValue &value)
{
    if (value.isDouble()) {
        // Beyond any range the engine takes, but still a number that says so.
        const double seconds = value.toDouble();
        if (!std::isfinite(seconds))
            return std::nullopt;
        return Millis(qRound64(std::clamp(seconds, -1e12, 1e12) * 1000.0));
    }
    if (value.isString())
        return parseTimeSpan(value.toString());
    return std::nullopt;
}

QString dateTime(const QDateTime &t)
{
    const QDateTime u = t.toUTC();
    return u.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + QStringLiteral("0000Z");
}

QJsonValue field(const QJsonObject &object, QLatin1StringView name)
{
    const auto exact = object.constFind(name);
    if (exact != object.constEnd())
        return *exact;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        if (it.key().compare(name, Qt::CaseInsensitive) == 0)
            return it.value();
    return QJsonValue(QJsonValue::Undefined);
}

QJsonObject workerInfo(const WorkerSnapshot &w)
{
    const WorkerConfig &c = w.config;
    return QJsonObject{
        {QStringLiteral("workerId"), c.id},
        {QStringLiteral("name"), c.name},
        {QStringLiteral("description"), c.description},
        {QStringLiteral("command"), c.command},
        {QStringLiteral("isEnabled"), c.enabled},
        {QStringLiteral("watchdogEventCount"), w.watchdogEventCount},
        {QStringLiteral("state"), int(w.state)},
        {QStringLiteral("imgWatchdogEnabled"), c.imageWatchdog.enabled},
        {QStringLiteral("imgWatchdogGraceTime"), timeSpan(c.imageWatchdog.graceTime)},
        {QStringLiteral("imgWatchdogInterval"), timeSpan(c.imageWatchdog.interval)},
        {QStringLiteral("streamer"), c.streamerType},
    };
}

Result<WorkerPatch> workerPatch(const QJsonObject &o)
{
    WorkerPatch p;
    QString error;
    auto text = [&](const char *name, std::optional<QString> &out) {
        const QJsonValue v = field(o, QLatin1StringView(name));
        if (v.isUndefined())
            return true;
        if (v.isNull()) {
            out = QString();
            return true;
        }
        if (!v.isString()) {
            error = QStringLiteral("'%1' must be a string").arg(QLatin1StringView(name));
            return false;
        }
        out = v.toString();
        return true;
    };
    auto flag = [&](const char *name, std::optional<bool> &out) {
        const QJsonValue v = field(o, QLatin1StringView(name));
        if (v.isUndefined())
            return true;
        if (!v.isBool()) {
            error = QStringLiteral("'%1' must be true or false").arg(QLatin1StringView(name));
            return false;
        }
        out = v.toBool();
        return true;
    };
    auto duration = [&](const char *name, std::optional<Millis> &out) {
        const QJsonValue v = field(o, QLatin1StringView(name));
        if (v.isUndefined())
            return true;
        out = parseDuration(v);
        if (!out)
            error = QStringLiteral("'%1' must be a TimeSpan such as \"00:00:05\"").arg(QLatin1StringView(name));
        return out.has_value();
    };
    if (!text("name", p.name) || !text("description", p.description) || !text("command", p.command)
        || !text("streamerType", p.streamerType) || !flag("isEnabled", p.enabled)
        || !flag("imgWatchdogEnabled", p.imageWatchdogEnabled) || !duration("imgWatchdogGraceTime", p.imageWatchdogGraceTime)
        || !duration("imgWatchdogInterval", p.imageWatchdogInterval))
        return Result<WorkerPatch>::failure(error);
    return Result<WorkerPatch>::success(p);
}

} // namespace se::contract
