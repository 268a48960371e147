#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

// Pure parsers of /proc and /sys files: each takes a file's contents and
// returns what it means, so tests feed them fixtures. MetricsSampler reads
// the files and does the arithmetic between two samples.
namespace se::metrics {

// One line of /proc/stat ("cpu" or "cpuN"), in clock ticks. guest and
// guest_nice are already counted in user and nice, so they are left out.
struct CpuTimes {
    quint64 user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    quint64 total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
    quint64 idleAll() const { return idle + iowait; }
};

struct CpuStat {
    CpuTimes all;            // the "cpu" line
    QList<CpuTimes> cores;   // "cpu0", "cpu1", ... in order
    bool valid = false;      // a "cpu" line was found
};
CpuStat parseProcStat(const QByteArray &text);

// Busy share of the time between two readings, in percent (0..100); 0 when
// no time passed or the counters went backwards.
double cpuBusyPercent(const CpuTimes &before, const CpuTimes &after);

// /proc/meminfo, in MB (1 MB = 1024 kB as the kernel counts).
struct MemInfo {
    double totalMb = 0;
    double availableMb = 0; // MemAvailable, or MemFree + Buffers + Cached on old kernels
    double usedMb() const { return totalMb - availableMb; }
    bool valid = false;
};
MemInfo parseMemInfo(const QByteArray &text);

// /proc/<pid>/stat: the process's CPU time in clock ticks (utime + stime).
// The command name may hold spaces and parentheses; fields are counted after the last ')'.
struct ProcessTimes {
    quint64 utime = 0, stime = 0;
    quint64 total() const { return utime + stime; }
    bool valid = false;
};
ProcessTimes parseProcessStat(const QByteArray &text);

// VmRSS of /proc/<pid>/status, in MB; -1 when absent.
double parseProcessRssMb(const QByteArray &text);

// /proc/net/dev: byte counters per interface, in file order.
struct NetCounters {
    QString name;
    quint64 rxBytes = 0;
    quint64 txBytes = 0;
};
QList<NetCounters> parseNetDev(const QByteArray &text);

// The interface of the default route (destination and mask 0, route up) in
// /proc/net/route, lowest metric first; empty when there is none.
QString defaultRouteInterface(const QByteArray &routeText);

// The main interface: the default route's, else the busiest non-loopback one
// (most bytes in + out), else empty.
QString chooseMainInterface(const QByteArray &routeText, const QList<NetCounters> &interfaces);

// /sys/class/net/IF/speed (Mbit/s) in Gbit/s; absent, unknown (-1) or garbage → 0.
double parseLinkSpeedGbps(const QByteArray &text);

// Megabits per second from two byte counters `seconds` apart; 0 on a reset or no time.
double mbps(quint64 bytesBefore, quint64 bytesAfter, double seconds);
// Share of the link a rate uses, in percent; 0 when the link speed is unknown.
double linkUsagePercent(double mbps, double linkSpeedGbps);

// /etc/os-release (KEY=value, values optionally quoted).
QMap<QString, QString> parseOsRelease(const QByteArray &text);

// The first number of /proc/uptime, in seconds; 0 when unreadable.
double parseUptimeSeconds(const QByteArray &text);

// How many entries of a /proc listing are processes (all-digit names).
int countProcessEntries(const QStringList &procEntries);

} // namespace se::metrics
