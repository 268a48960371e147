#pragma once

#include <QDir>
#include <QFile>
#include <QHash>
#include <QString>
#include <QStringList>

#include <unistd.h>

// CPU time and memory of one process, read from /proc.
struct ProcSample {
    double cpuSeconds = 0; // user + system, in clock ticks (10 ms)
    double rssMb = 0;
    QHash<qint64, qint64> threadRunNs; // each thread's time on a CPU (schedstat), to the nanosecond
};

// CPU seconds the process used from `a` to `b`: to the nanosecond when the
// kernel has schedstat (a thread that ended in between loses its share, the
// threads that began count whole), else in clock ticks.
inline double cpuSecondsBetween(const ProcSample &a, const ProcSample &b)
{
    if (b.threadRunNs.isEmpty())
        return b.cpuSeconds - a.cpuSeconds;
    qint64 ns = 0;
    for (auto it = b.threadRunNs.cbegin(); it != b.threadRunNs.cend(); ++it)
        ns += it.value() - a.threadRunNs.value(it.key(), 0);
    return double(ns) / 1e9;
}

inline ProcSample sampleProcess(qint64 pid)
{
    ProcSample s;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray text = stat.readAll();
        const QList<QByteArray> f = text.mid(text.lastIndexOf(')') + 2).split(' ');
        const double ticks = double(sysconf(_SC_CLK_TCK));
        if (f.size() > 13)
            s.cpuSeconds = (f[11].toDouble() + f[12].toDouble()) / ticks; // utime, stime
    }
    const QString tasks = QStringLiteral("/proc/%1/task").arg(pid);
    for (const QString &tid : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile schedstat(tasks + QLatin1Char('/') + tid + QStringLiteral("/schedstat"));
        if (schedstat.open(QIODevice::ReadOnly))
            s.threadRunNs.insert(tid.toLongLong(), schedstat.readAll().split(' ').value(0).toLongLong());
    }
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (status.open(QIODevice::ReadOnly))
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                s.rssMb = line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return s;
}

#include "core/engine/Engine.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <functional>

// Keeps the event loop turning for `ms` (an observer's pause between samples).
inline void spinEventLoop(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
}

// A running process's CPU share (% of one core) over the next `seconds`, while
// the event loop turns, and its memory at the end.
struct Load {
    double cpuPercent = 0;
    double rssMb = 0;
};
inline Load measureProcess(qint64 pid, int seconds)
{
    const ProcSample a = sampleProcess(pid);
    QElapsedTimer t;
    t.start();
    spinEventLoop(seconds * 1000);
    const ProcSample b = sampleProcess(pid);
    return {100.0 * cpuSecondsBetween(a, b) / (double(t.elapsed()) / 1000.0), b.rssMb};
}

// Keeps the event loop turning until `done` or `ms` pass; false on the deadline.
inline bool waitFor(const std::function<bool()> &done, int ms, int stepMs = 100)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > ms)
            return false;
        spinEventLoop(stepMs);
    }
    return true;
}

// Opens an engine on `dataDir` with the build's plugins and stores `count`
// FakeStreamer workers running `command`, not started. Returns the last id.
inline QString seedFakeWorkers(se::Engine &engine, const QString &dataDir, int count, const QString &command, QString *error)
{
    se::EngineOptions o;
    o.dataDir = dataDir;
    o.pluginDirs = {pluginDir()};
    if (const se::Result<> opened = engine.open(o); !opened.ok) {
        if (error)
            *error = opened.message;
        return {};
    }
    QString id;
    for (int i = 0; i < count; ++i) {
        se::WorkerConfig c;
        c.name = QStringLiteral("Bench %1").arg(i);
        c.command = command;
        c.streamerType = QStringLiteral("FakeStreamer");
        id = engine.workers().create(c, se::WorkerManager::StartNow::No).value;
    }
    return id;
}

// How many workers of the engine serving `dataDir` are Running, as
// `streamengine ctl list` tells.
inline int runningWorkers(const QString &dataDir)
{
    int running = 0;
    for (const QJsonValue &w : ctl(dataDir, {QStringLiteral("list"), QStringLiteral("--json")}).dataArray())
        running += w.toObject().value(QStringLiteral("state")).toInt() == int(se::WorkerState::Running);
    return running;
}
