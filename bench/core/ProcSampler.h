#pragma once

#include <QFile>
#include <QString>
#include <QStringList>

#include <unistd.h>

// CPU time and memory of one process, read from /proc.
struct ProcSample {
    double cpuSeconds = 0; // user + system
    double rssMb = 0;
};

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
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (status.open(QIODevice::ReadOnly))
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                s.rssMb = line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return s;
}

#include "Engine.h"

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
    return {100.0 * (b.cpuSeconds - a.cpuSeconds) / (double(t.elapsed()) / 1000.0), b.rssMb};
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
    o.pluginDirs = {qEnvironmentVariable("SE_BUILD_DIR") + QStringLiteral("/plugins")};
    if (!engine.open(o, error))
        return {};
    QString id;
    for (int i = 0; i < count; ++i) {
        se::WorkerConfig c;
        c.name = QStringLiteral("Bench %1").arg(i);
        c.command = command;
        c.streamerType = QStringLiteral("FakeStreamer");
        id = engine.workers().create(c, se::WorkerManager::StartNow::No).workerId;
    }
    return id;
}
