#include "ProcParsers.h"

#include <QStringList>

#include <algorithm>
#include <limits>

namespace se::metrics {

namespace {

QList<QByteArray> words(const QByteArray &line)
{
    QList<QByteArray> out;
    for (const QByteArray &w : line.simplified().split(' '))
        if (!w.isEmpty())
            out.append(w);
    return out;
}

quint64 u64(const QByteArray &w)
{
    bool ok = false;
    const quint64 v = w.toULongLong(&ok);
    return ok ? v : 0;
}

CpuTimes cpuTimesOf(const QList<QByteArray> &w)
{
    CpuTimes t;
    quint64 *fields[] = {&t.user, &t.nice, &t.system, &t.idle, &t.iowait, &t.irq, &t.softirq, &t.steal};
    for (int i = 0; i < 8 && i + 1 < w.size(); ++i)
        *fields[i] = u64(w[i + 1]);
    return t;
}

} // namespace

CpuStat parseProcStat(const QByteArray &text)
{
    CpuStat s;
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith("cpu"))
            continue;
        const QList<QByteArray> w = words(line);
        if (w.isEmpty())
            continue;
        if (w[0] == "cpu") {
            s.all = cpuTimesOf(w);
            s.valid = true;
        } else {
            bool ok = false;
            const int n = w[0].mid(3).toInt(&ok);
            if (!ok || n < 0 || n > 4096)
                continue;
            while (s.cores.size() <= n)
                s.cores.append(CpuTimes{});
            s.cores[n] = cpuTimesOf(w);
        }
    }
    return s;
}

double cpuBusyPercent(const CpuTimes &before, const CpuTimes &after)
{
    if (after.total() <= before.total() || after.idleAll() < before.idleAll())
        return 0.0;
    const double total = double(after.total() - before.total());
    const double idle = double(after.idleAll() - before.idleAll());
    return std::clamp(100.0 * (total - idle) / total, 0.0, 100.0);
}

MemInfo parseMemInfo(const QByteArray &text)
{
    MemInfo m;
    double freeKb = 0, buffersKb = 0, cachedKb = 0, availableKb = -1, totalKb = -1;
    for (const QByteArray &line : text.split('\n')) {
        const int colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray key = line.left(colon);
        const QList<QByteArray> w = words(line.mid(colon + 1));
        if (w.isEmpty())
            continue;
        const double kb = double(u64(w[0]));
        if (key == "MemTotal")
            totalKb = kb;
        else if (key == "MemAvailable")
            availableKb = kb;
        else if (key == "MemFree")
            freeKb = kb;
        else if (key == "Buffers")
            buffersKb = kb;
        else if (key == "Cached")
            cachedKb = kb;
    }
    if (totalKb < 0)
        return m;
    if (availableKb < 0)
        availableKb = std::min(totalKb, freeKb + buffersKb + cachedKb);
    m.totalMb = totalKb / 1024.0;
    m.availableMb = availableKb / 1024.0;
    m.valid = true;
    return m;
}

ProcessTimes parseProcessStat(const QByteArray &text)
{
    ProcessTimes p;
    const int close = text.lastIndexOf(')');
    if (close < 0)
        return p;
    // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
    const QList<QByteArray> w = words(text.mid(close + 1));
    if (w.size() < 13)
        return p;
    p.utime = u64(w[11]);
    p.stime = u64(w[12]);
    p.valid = true;
    return p;
}

double parseProcessRssMb(const QByteArray &text)
{
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith("VmRSS:"))
            continue;
        const QList<QByteArray> w = words(line.mid(6));
        if (!w.isEmpty())
            return double(u64(w[0])) / 1024.0;
    }
    return -1.0;
}

QList<NetCounters> parseNetDev(const QByteArray &text)
{
    QList<NetCounters> out;
    for (const QByteArray &line : text.split('\n')) {
        const int colon = line.indexOf(':');
        if (colon < 0 || line.contains('|'))
            continue;
        const QList<QByteArray> w = words(line.mid(colon + 1));
        if (w.size() < 9)
            continue;
        NetCounters c;
        c.name = QString::fromLatin1(line.left(colon).trimmed());
        c.rxBytes = u64(w[0]);
        c.txBytes = u64(w[8]);
        if (!c.name.isEmpty())
            out.append(c);
    }
    return out;
}

QString defaultRouteInterface(const QByteArray &routeText)
{
    QString best;
    quint64 bestMetric = std::numeric_limits<quint64>::max();
    const QList<QByteArray> lines = routeText.split('\n');
    for (int i = 1; i < lines.size(); ++i) { // the first line names the columns
        const QList<QByteArray> w = words(lines[i]);
        if (w.size() < 8)
            continue;
        bool okFlags = false;
        const uint flags = w[3].toUInt(&okFlags, 16);
        const bool up = okFlags && (flags & 0x1);
        if (!up || w[1] != "00000000" || w[7] != "00000000")
            continue;
        const quint64 metric = u64(w[6]);
        if (best.isEmpty() || metric < bestMetric) {
            best = QString::fromLatin1(w[0]);
            bestMetric = metric;
        }
    }
    return best;
}

QString chooseMainInterface(const QByteArray &routeText, const QList<NetCounters> &interfaces)
{
    const QString viaRoute = defaultRouteInterface(routeText);
    if (!viaRoute.isEmpty())
        return viaRoute;
    QString best;
    quint64 bestBytes = 0;
    for (const NetCounters &c : interfaces) {
        if (c.name == QLatin1String("lo"))
            continue;
        const quint64 bytes = c.rxBytes + c.txBytes;
        if (best.isEmpty() || bytes > bestBytes) {
            best = c.name;
            bestBytes = bytes;
        }
    }
    return best;
}

double parseLinkSpeedGbps(const QByteArray &text)
{
    bool ok = false;
    const qint64 mbit = text.trimmed().toLongLong(&ok);
    if (!ok || mbit <= 0)
        return 0.0;
    return double(mbit) / 1000.0;
}

double mbps(quint64 bytesBefore, quint64 bytesAfter, double seconds)
{
    if (seconds <= 0 || bytesAfter < bytesBefore)
        return 0.0;
    return double(bytesAfter - bytesBefore) * 8.0 / 1e6 / seconds;
}

double linkUsagePercent(double rateMbps, double linkSpeedGbps)
{
    if (linkSpeedGbps <= 0)
        return 0.0;
    return std::clamp(100.0 * rateMbps / (linkSpeedGbps * 1000.0), 0.0, 100.0);
}

QMap<QString, QString> parseOsRelease(const QByteArray &text)
{
    QMap<QString, QString> out;
    for (const QByteArray &raw : text.split('\n')) {
        const QByteArray line = raw.trimmed();
        const int eq = line.indexOf('=');
        if (line.isEmpty() || line.startsWith('#') || eq <= 0)
            continue;
        QByteArray value = line.mid(eq + 1).trimmed();
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.mid(1, value.size() - 2);
        value.replace("\\\"", "\"");
        out.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(value));
    }
    return out;
}

double parseUptimeSeconds(const QByteArray &text)
{
    const QList<QByteArray> w = words(text);
    if (w.isEmpty())
        return 0.0;
    bool ok = false;
    const double v = w[0].toDouble(&ok);
    return ok && v > 0 ? v : 0.0;
}

int countProcessEntries(const QStringList &procEntries)
{
    return int(std::count_if(procEntries.begin(), procEntries.end(), [](const QString &name) {
        return !name.isEmpty() && std::all_of(name.begin(), name.end(), [](QChar c) { return c.isDigit(); });
    }));
}

} // namespace se::metrics
