// core/metrics: the /proc and /sys parsers on fixtures captured from real
// machines, the sampler's arithmetic over a fixture tree it reads like /proc,
// and one live sample of this machine.
#include "core/metrics/MetricsSampler.h"
#include "core/metrics/ProcParsers.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace se;
using namespace se::metrics;

namespace {
QByteArray fixture(const char *name)
{
    QFile f(qEnvironmentVariable("SE_SOURCE_DIR") + QStringLiteral("/tests/metrics/fixtures/") + QString::fromLatin1(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}

void write(const QString &path, const QByteArray &text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}
} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void procStat()
    {
        const CpuStat s = parseProcStat(fixture("stat_2cores.txt"));
        QVERIFY(s.valid);
        QCOMPARE(s.cores.size(), 2);
        QCOMPARE(s.all.user, 91603u);
        QCOMPARE(s.all.steal, 195u);
        // guest (7) is inside user already and must not count twice
        QCOMPARE(s.all.total(), 91603u + 36011 + 16180 + 4211420 + 854 + 0 + 568 + 195);
        QCOMPARE(s.cores[1].idle, 2104828u);
        QVERIFY(!parseProcStat("garbage\n").valid);
    }

    void cpuPercent()
    {
        CpuTimes a, b;
        a.user = 100; a.idle = 900;
        b.user = 175; b.system = 25; b.idle = 1000; b.iowait = 0; // +100 busy, +100 idle
        QCOMPARE(cpuBusyPercent(a, b), 50.0);
        QCOMPARE(cpuBusyPercent(a, a), 0.0);  // no time passed
        QCOMPARE(cpuBusyPercent(b, a), 0.0);  // counters went backwards
    }

    void memInfo()
    {
        const MemInfo m = parseMemInfo(fixture("meminfo.txt"));
        QVERIFY(m.valid);
        QCOMPARE(m.totalMb, 8048576 / 1024.0);
        QCOMPARE(m.availableMb, 4024288 / 1024.0);
        QCOMPARE(m.usedMb(), (8048576 - 4024288) / 1024.0);
        // No MemAvailable: free + buffers + cached
        const MemInfo old = parseMemInfo(fixture("meminfo_old_kernel.txt"));
        QCOMPARE(old.totalMb, 2048.0);
        QCOMPARE(old.availableMb, 1280.0);
        QVERIFY(!parseMemInfo("").valid);
    }

    void processStatAndRss()
    {
        const ProcessTimes p = parseProcessStat(fixture("pid_stat.txt")); // comm "(my (odd) prog)"
        QVERIFY(p.valid);
        QCOMPARE(p.utime, 250u);
        QCOMPARE(p.stime, 75u);
        QVERIFY(!parseProcessStat("no parens here").valid);
        QCOMPARE(parseProcessRssMb(fixture("pid_status.txt")), 150.0);
        QCOMPARE(parseProcessRssMb("Name: x\n"), -1.0);
    }

    void netDev()
    {
        const QList<NetCounters> n = parseNetDev(fixture("netdev.txt"));
        QCOMPARE(n.size(), 4);
        QCOMPARE(n[2].name, QStringLiteral("eth0"));
        QCOMPARE(n[2].rxBytes, 185191547u);
        QCOMPARE(n[2].txBytes, 239517u);
        QCOMPARE(n[3].name, QStringLiteral("wlp2s0")); // no space after the colon
        QCOMPARE(n[3].rxBytes, 1000000000u);
        QCOMPARE(n[3].txBytes, 50000000u);
    }

    void mainInterface()
    {
        const QList<NetCounters> n = parseNetDev(fixture("netdev.txt"));
        // Two default routes: the lower metric wins, whatever the traffic.
        QCOMPARE(defaultRouteInterface(fixture("route_two_defaults.txt")), QStringLiteral("eth0"));
        QCOMPARE(chooseMainInterface(fixture("route_two_defaults.txt"), n), QStringLiteral("eth0"));
        // No default route: the busiest interface that is not the loopback (lo has the most bytes).
        QCOMPARE(defaultRouteInterface(fixture("route_no_default.txt")), QString());
        QCOMPARE(chooseMainInterface(fixture("route_no_default.txt"), n), QStringLiteral("wlp2s0"));
        QCOMPARE(chooseMainInterface("", {}), QString());
        // A default route that is down does not count.
        QCOMPARE(defaultRouteInterface("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
                                       "eth9\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"),
                 QString());
    }

    void linkSpeedAndRates()
    {
        QCOMPARE(parseLinkSpeedGbps("1000\n"), 1.0);
        QCOMPARE(parseLinkSpeedGbps("25000"), 25.0);
        QCOMPARE(parseLinkSpeedGbps("-1\n"), 0.0);   // virtual NICs report -1
        QCOMPARE(parseLinkSpeedGbps(""), 0.0);       // file absent or unreadable (EINVAL)
        QCOMPARE(parseLinkSpeedGbps("fast"), 0.0);
        QCOMPARE(mbps(0, 1250000, 1.0), 10.0);
        QCOMPARE(mbps(0, 2500000, 2.0), 10.0);
        QCOMPARE(mbps(5000, 100, 1.0), 0.0); // counter reset
        QCOMPARE(mbps(0, 100, 0.0), 0.0);
        QCOMPARE(linkUsagePercent(100.0, 1.0), 10.0);
        QCOMPARE(linkUsagePercent(100.0, 0.0), 0.0);
    }

    void systemFiles()
    {
        const QMap<QString, QString> os = parseOsRelease(fixture("os-release.txt"));
        QCOMPARE(os.value(QStringLiteral("NAME")), QStringLiteral("Debian GNU/Linux"));
        QCOMPARE(os.value(QStringLiteral("VERSION")), QStringLiteral("12 (bookworm)"));
        QCOMPARE(os.value(QStringLiteral("VERSION_CODENAME")), QStringLiteral("bookworm"));
        QVERIFY(!os.contains(QStringLiteral("# a comment")));
        QCOMPARE(parseUptimeSeconds(fixture("uptime.txt")), 23456.78);
        QCOMPARE(parseUptimeSeconds(""), 0.0);
        QCOMPARE(countProcessEntries({QStringLiteral("1"), QStringLiteral("net"), QStringLiteral("4242"), QStringLiteral("self"), QStringLiteral("12a")}), 2);
    }

    // The sampler over a tree laid out like /proc and /sys: CPU from tick
    // deltas, memory, the main interface's rates and link use, system info.
    void samplerOverFixtureTree()
    {
        QTemporaryDir dir;
        const QString proc = dir.path() + QStringLiteral("/proc");
        const QString sys = dir.path() + QStringLiteral("/sys");
        const auto writeStat = [&](int busy, int idle) {
            write(proc + QStringLiteral("/stat"),
                  QStringLiteral("cpu  %1 0 0 %2 0 0 0 0 0 0\ncpu0 %3 0 0 %4 0 0 0 0 0 0\ncpu1 %3 0 0 %4 0 0 0 0 0 0\n")
                      .arg(2 * busy).arg(2 * idle).arg(busy).arg(idle).toLatin1());
        };
        const auto writeNet = [&](quint64 rx, quint64 tx) {
            write(proc + QStringLiteral("/net/dev"),
                  QStringLiteral("Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes\n"
                                 "    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n"
                                 "  eth0: %1 1 0 0 0 0 0 0 %2 1 0 0 0 0 0 0\n").arg(rx).arg(tx).toLatin1());
        };
        writeStat(1000, 1000);
        writeNet(1000, 1000);
        write(proc + QStringLiteral("/net/route"), fixture("route_two_defaults.txt"));
        write(proc + QStringLiteral("/meminfo"), fixture("meminfo.txt"));
        write(proc + QStringLiteral("/self/stat"), fixture("pid_stat.txt"));
        write(proc + QStringLiteral("/self/status"), fixture("pid_status.txt"));
        write(proc + QStringLiteral("/uptime"), fixture("uptime.txt"));
        QDir().mkpath(proc + QStringLiteral("/1"));
        QDir().mkpath(proc + QStringLiteral("/77"));
        write(sys + QStringLiteral("/class/net/eth0/speed"), "1000\n");
        write(dir.path() + QStringLiteral("/os-release"), fixture("os-release.txt"));

        MetricsSampler::Sources src;
        src.procRoot = proc;
        src.sysRoot = sys;
        src.osReleasePath = dir.path() + QStringLiteral("/os-release");
        MetricsSampler sampler(src);
        QCOMPARE(sampler.interval(), 2000); // the contract's default
        sampler.setInterval(100);
        QSignalSpy spy(&sampler, &MetricsSampler::sampled);
        QElapsedTimer outer;
        outer.start();
        sampler.start(); // reads the first counters

        // Per core: +300 busy, +100 idle → 75 %. eth0: +50 MB received, nothing sent.
        writeStat(1300, 1100);
        writeNet(1000 + 50'000'000, 1000);
        QVERIFY(spy.wait(5000));
        const double outerSeconds = double(outer.elapsed() + 1) / 1000.0;
        sampler.stop();
        const EngineMetrics m = spy.first().first().value<EngineMetrics>();

        QCOMPARE(m.cpuUsage, 75.0);
        QCOMPARE(m.perCoreCpuUsage, (QList<double>{75.0, 75.0}));
        QCOMPARE(m.currentProcessCpuUsage, 0.0); // the fixture process used no time in between
        QCOMPARE(m.totalMemory, 8048576 / 1024.0);
        QCOMPARE(m.availableMemory, 4024288 / 1024.0);
        QCOMPARE(m.memoryUsage, m.totalMemory - m.availableMemory);
        QCOMPARE(m.currentProcessMemoryUsage, 150.0);
        QCOMPARE(m.networkInterfaceName, QStringLiteral("eth0"));
        QCOMPARE(m.linkSpeedGbps, 1.0);
        // 400 Mbit arrived between the two readings: no faster than over the
        // interval (a coarse timer may fire 5 % early), no slower than over
        // everything this test waited.
        QVERIFY2(m.rxMbps >= 400.0 / outerSeconds && m.rxMbps <= 400.0 / 0.09, qPrintable(QString::number(m.rxMbps)));
        QCOMPARE(m.txMbps, 0.0);
        QCOMPARE(m.rxUsagePercent, qMin(100.0, m.rxMbps / 10.0));
        QCOMPARE(m.txUsagePercent, 0.0);
        QCOMPARE(m.measureTimestamp.timeSpec(), Qt::UTC);
        QCOMPARE(sampler.latest().cpuUsage, 75.0);
        QCOMPARE(sampler.history().size(), spy.size());

        // No speed file (a virtual interface): rates still, link use 0.
        QFile::remove(sys + QStringLiteral("/class/net/eth0/speed"));
        writeNet(2000 + 50'000'000, 1000);
        const EngineMetrics noSpeed = sampler.sampleNow();
        QCOMPARE(noSpeed.linkSpeedGbps, 0.0);
        QCOMPARE(noSpeed.rxUsagePercent, 0.0);

        const EngineSystemInfo info = sampler.systemInfo();
        QCOMPARE(info.osName, QStringLiteral("Debian GNU/Linux"));
        QCOMPARE(info.osVersion, QStringLiteral("12 (bookworm)"));
        QCOMPARE(info.uptime, 23456.78);
        QCOMPARE(info.processCount, 2); // "1" and "77"; "self" and "net" are not processes
        QVERIFY(!info.architecture.isEmpty());
        QVERIFY(!info.platform.isEmpty());
    }

    void historyIsBounded()
    {
        MetricsSampler sampler;
        sampler.setHistorySize(3);
        for (int i = 0; i < 5; ++i)
            sampler.sampleNow();
        QCOMPARE(sampler.history().size(), 3);
    }

    // This machine, for real.
    void liveSample()
    {
        MetricsSampler sampler;
        sampler.setInterval(300);
        QSignalSpy spy(&sampler, &MetricsSampler::sampled);
        sampler.start();
        volatile double burn = 0; // some CPU for this process to show
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 50)
            burn = burn + 1.0;
        QVERIFY(spy.wait(5000));
        const EngineMetrics m = spy.first().first().value<EngineMetrics>();
        QVERIFY(m.cpuUsage >= 0 && m.cpuUsage <= 100);
        QVERIFY(!m.perCoreCpuUsage.isEmpty());
        for (double c : m.perCoreCpuUsage)
            QVERIFY(c >= 0 && c <= 100);
        QVERIFY(m.currentProcessCpuUsage >= 0 && m.currentProcessCpuUsage <= 100);
        QVERIFY(m.totalMemory > 0);
        QVERIFY(m.availableMemory > 0 && m.availableMemory <= m.totalMemory);
        QVERIFY(m.currentProcessMemoryUsage > 1);
        QVERIFY(m.rxMbps >= 0 && m.txMbps >= 0);
        QVERIFY(m.linkSpeedGbps >= 0);
        QVERIFY(qAbs(m.measureTimestamp.secsTo(QDateTime::currentDateTimeUtc())) < 10);
        QFile route(QStringLiteral("/proc/net/route")), dev(QStringLiteral("/proc/net/dev"));
        QVERIFY(route.open(QIODevice::ReadOnly) && dev.open(QIODevice::ReadOnly));
        QCOMPARE(m.networkInterfaceName, chooseMainInterface(route.readAll(), parseNetDev(dev.readAll())));
        qInfo("live: cpu %.1f%% (%lld cores), process %.1f%%, memory %.0f/%.0f MB, process %.1f MB, %s rx %.3f tx %.3f Mbit/s, link %.1f Gbit/s",
              m.cpuUsage, qlonglong(m.perCoreCpuUsage.size()), m.currentProcessCpuUsage, m.memoryUsage, m.totalMemory,
              m.currentProcessMemoryUsage, qPrintable(m.networkInterfaceName), m.rxMbps, m.txMbps, m.linkSpeedGbps);

        const EngineSystemInfo info = sampler.systemInfo();
        QVERIFY(!info.osName.isEmpty());
        QVERIFY(!info.osVersion.isEmpty());
        QVERIFY(!info.architecture.isEmpty());
        QVERIFY(info.uptime > 0);
        QVERIFY(info.processCount > 0);
        QVERIFY(info.platform.startsWith(QStringLiteral("Linux")));
        qInfo("system: %s %s, %s, %s, up %.0f s, %d processes", qPrintable(info.osName), qPrintable(info.osVersion),
              qPrintable(info.architecture), qPrintable(info.platform), info.uptime, info.processCount);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
