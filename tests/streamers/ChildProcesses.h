#pragma once
// Processes whose parent is this process, zombies included, read from /proc:
// how the streamer tests and benchmark see what a streamer left behind.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>

#include <unistd.h>

inline QList<int> childProcesses()
{
    QList<int> out;
    const QByteArray self = QByteArray::number(::getpid());
    for (const QString &name : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool ok = false;
        const int pid = name.toInt(&ok);
        if (!ok)
            continue;
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        // The name may hold spaces and ')': fields are counted after the last ')'.
        const QList<QByteArray> rest = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1 && rest.at(1) == self)
            out << pid;
    }
    return out;
}
