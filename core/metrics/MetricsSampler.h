#pragma once

#include "ProcParsers.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QTimer>

#include <deque>

namespace se {

// One sample, with exactly the fields of the contract's EngineMetric (the
// base message fields are the hub link's to add).
struct EngineMetrics {
    double cpuUsage = 0;                // whole machine, percent (0..100)
    QList<double> perCoreCpuUsage;      // percent per core
    double currentProcessCpuUsage = 0;  // this process, percent of the whole machine (0..100)
    double memoryUsage = 0;             // MB in use (total - available)
    double totalMemory = 0;             // MB
    double availableMemory = 0;         // MB
    double currentProcessMemoryUsage = 0; // MB resident (VmRSS)
    double rxMbps = 0;                  // main interface, Mbit/s
    double txMbps = 0;
    double rxUsagePercent = 0;          // of the link speed; 0 when the speed is unknown
    double txUsagePercent = 0;
    QString networkInterfaceName;       // the main interface (default route, else busiest)
    double linkSpeedGbps = 0;           // 0 when unknown
    QDateTime measureTimestamp;         // UTC
};

// The contract's EngineSystemInfoModel fields.
struct EngineSystemInfo {
    QString osName;        // /etc/os-release NAME, e.g. "Debian GNU/Linux"
    QString osVersion;     // VERSION, e.g. "12 (bookworm)"
    QString architecture;  // e.g. "x86_64"
    double uptime = 0;     // seconds since the machine booted
    int processCount = 0;  // processes running on the machine
    QString platform;      // kernel, e.g. "Linux 6.1.0-18-amd64"
};

// Samples the machine and this process every interval (2 s by default) on
// the thread it lives on, and announces each sample. Reads a handful of small
// /proc and /sys files per sample; CPU and network figures are rates between
// two samples, so the first is announced one interval after start().
class MetricsSampler : public QObject {
    Q_OBJECT
public:
    // Where to read; tests point these at a fixture tree.
    struct Sources {
        QString procRoot = QStringLiteral("/proc");
        QString sysRoot = QStringLiteral("/sys");
        QString osReleasePath = QStringLiteral("/etc/os-release");
        QString processDir = QStringLiteral("self"); // under procRoot
    };

    explicit MetricsSampler(QObject *parent = nullptr);
    explicit MetricsSampler(Sources sources, QObject *parent = nullptr);
    ~MetricsSampler() override;

    void setInterval(int ms);
    int interval() const { return m_timer.interval(); }
    // How many samples history() keeps (default 300: ten minutes at 2 s).
    void setHistorySize(int samples);

    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }

    // Takes a sample now (rates since the previous one), keeps it in the
    // history and announces it.
    EngineMetrics sampleNow();
    // The latest sample (default-constructed before the first).
    EngineMetrics latest() const { return m_history.empty() ? EngineMetrics{} : m_history.back(); }
    // The latest samples, oldest first.
    QList<EngineMetrics> history() const { return {m_history.begin(), m_history.end()}; }

    // The system's description, read now.
    EngineSystemInfo systemInfo() const;

Q_SIGNALS:
    void sampled(const se::EngineMetrics &metrics);

private:
    struct Raw {
        metrics::CpuStat cpu;
        metrics::ProcessTimes process;
        QList<metrics::NetCounters> net;
        qint64 atMs = 0;
    };
    Raw readRaw() const;
    QByteArray read(const QString &path) const;

    Sources m_sources;
    QTimer m_timer;
    QElapsedTimer m_clock;
    Raw m_previous;
    bool m_primed = false;
    std::deque<EngineMetrics> m_history;
    int m_historySize = 300;
    double m_ticksPerSecond = 100;
};

} // namespace se

Q_DECLARE_METATYPE(se::EngineMetrics)
Q_DECLARE_METATYPE(se::EngineSystemInfo)
