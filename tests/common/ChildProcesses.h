#pragma once
// Processes whose parent is a given process, read from /proc: how the tests
// and benchmarks see what a streamer or the engine left behind.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>

#include <unistd.h>

enum class Zombies { Included, Excluded };

inline QList<qint64> childrenOf(qint64 parent, Zombies zombies = Zombies::Included)
{
    QList<qint64> out;
    const QByteArray parentText = QByteArray::number(parent);
    for (const QString &name : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool ok = false;
        const qint64 pid = name.toLongLong(&ok);
        if (!ok)
            continue;
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        // The name may hold spaces and ')': fields are counted after the last ')'.
        const QList<QByteArray> rest = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1 && rest.at(1) == parentText && (zombies == Zombies::Included || !rest.at(0).startsWith('Z')))
            out << pid;
    }
    return out;
}

// This process's children, zombies included.
inline QList<int> childProcesses()
{
    QList<int> out;
    for (qint64 pid : childrenOf(::getpid()))
        out << int(pid);
    return out;
}
