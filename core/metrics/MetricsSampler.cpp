#include "MetricsSampler.h"

#include <QDir>
#include <QFile>
#include <QSysInfo>

#include <unistd.h>

namespace se {

MetricsSampler::MetricsSampler(QObject *parent) : MetricsSampler(Sources{}, parent) {}

MetricsSampler::MetricsSampler(Sources sources, QObject *parent) : QObject(parent), m_sources(std::move(sources))
{
    qRegisterMetaType<se::EngineMetrics>();
    m_timer.setInterval(2000);
    m_timer.setTimerType(Qt::CoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, [this] { sampleNow(); });
    const long ticks = sysconf(_SC_CLK_TCK);
    if (ticks > 0)
        m_ticksPerSecond = double(ticks);
    m_clock.start();
}

MetricsSampler::~MetricsSampler() = default;

void MetricsSampler::setInterval(int ms)
{
    m_timer.setInterval(qMax(50, ms));
}

void MetricsSampler::setHistorySize(int samples)
{
    m_historySize = qMax(1, samples);
    while (int(m_history.size()) > m_historySize)
        m_history.pop_front();
}

void MetricsSampler::start()
{
    if (!m_primed) {
        m_previous = readRaw();
        m_primed = true;
    }
    m_timer.start();
}

void MetricsSampler::stop()
{
    m_timer.stop();
}

QByteArray MetricsSampler::read(const QString &path) const
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll(); // /proc files report size 0: read to the end
}

MetricsSampler::Raw MetricsSampler::readRaw() const
{
    Raw r;
    const QString proc = m_sources.procRoot;
    r.cpu = metrics::parseProcStat(read(proc + QStringLiteral("/stat")));
    r.process = metrics::parseProcessStat(read(proc + QLatin1Char('/') + m_sources.processDir + QStringLiteral("/stat")));
    r.net = metrics::parseNetDev(read(proc + QStringLiteral("/net/dev")));
    r.atMs = m_clock.elapsed();
    return r;
}

EngineMetrics MetricsSampler::sampleNow()
{
    const Raw now = readRaw();
    const Raw before = m_primed ? m_previous : now;
    m_previous = now;
    m_primed = true;
    const double seconds = double(now.atMs - before.atMs) / 1000.0;
    const QString proc = m_sources.procRoot;

    EngineMetrics m;
    m.measureTimestamp = QDateTime::currentDateTimeUtc();
    m.cpuUsage = metrics::cpuBusyPercent(before.cpu.all, now.cpu.all);
    for (int i = 0; i < now.cpu.cores.size(); ++i)
        m.perCoreCpuUsage.append(i < before.cpu.cores.size() ? metrics::cpuBusyPercent(before.cpu.cores[i], now.cpu.cores[i]) : 0.0);

    const int cores = qMax(1, int(now.cpu.cores.size()));
    if (seconds > 0 && now.process.valid && before.process.valid && now.process.total() >= before.process.total()) {
        const double cpuSeconds = double(now.process.total() - before.process.total()) / m_ticksPerSecond;
        m.currentProcessCpuUsage = qBound(0.0, 100.0 * cpuSeconds / (seconds * cores), 100.0);
    }

    const metrics::MemInfo mem = metrics::parseMemInfo(read(proc + QStringLiteral("/meminfo")));
    m.totalMemory = mem.totalMb;
    m.availableMemory = mem.availableMb;
    m.memoryUsage = mem.usedMb();
    m.currentProcessMemoryUsage = qMax(0.0, metrics::parseProcessRssMb(read(proc + QLatin1Char('/') + m_sources.processDir + QStringLiteral("/status"))));

    m.networkInterfaceName = metrics::chooseMainInterface(read(proc + QStringLiteral("/net/route")), now.net);
    if (!m.networkInterfaceName.isEmpty()) {
        m.linkSpeedGbps = metrics::parseLinkSpeedGbps(
            read(m_sources.sysRoot + QStringLiteral("/class/net/") + m.networkInterfaceName + QStringLiteral("/speed")));
        const auto find = [&](const QList<metrics::NetCounters> &list) -> const metrics::NetCounters * {
            for (const metrics::NetCounters &c : list)
                if (c.name == m.networkInterfaceName)
                    return &c;
            return nullptr;
        };
        const metrics::NetCounters *a = find(before.net);
        const metrics::NetCounters *b = find(now.net);
        if (a && b) {
            m.rxMbps = metrics::mbps(a->rxBytes, b->rxBytes, seconds);
            m.txMbps = metrics::mbps(a->txBytes, b->txBytes, seconds);
        }
        m.rxUsagePercent = metrics::linkUsagePercent(m.rxMbps, m.linkSpeedGbps);
        m.txUsagePercent = metrics::linkUsagePercent(m.txMbps, m.linkSpeedGbps);
    }

    m_history.push_back(m);
    while (int(m_history.size()) > m_historySize)
        m_history.pop_front();
    Q_EMIT sampled(m);
    return m;
}

EngineSystemInfo MetricsSampler::systemInfo() const
{
    EngineSystemInfo s;
    const QMap<QString, QString> os = metrics::parseOsRelease(read(m_sources.osReleasePath));
    s.osName = os.value(QStringLiteral("NAME"), QSysInfo::productType());
    s.osVersion = os.value(QStringLiteral("VERSION"), os.value(QStringLiteral("VERSION_ID"), QSysInfo::productVersion()));
    s.architecture = QSysInfo::currentCpuArchitecture();
    s.uptime = metrics::parseUptimeSeconds(read(m_sources.procRoot + QStringLiteral("/uptime")));
    s.processCount = metrics::countProcessEntries(QDir(m_sources.procRoot).entryList(QDir::Dirs | QDir::NoDotAndDotDot));
    QString kernel = QSysInfo::kernelType();
    if (!kernel.isEmpty())
        kernel[0] = kernel[0].toUpper();
    s.platform = (kernel + QLatin1Char(' ') + QSysInfo::kernelVersion()).trimmed();
    return s;
}

} // namespace se
