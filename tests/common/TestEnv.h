#pragma once
// What the tests that run the real program share: where the build put it,
// and `streamengine ctl` run as a child process.
#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <csignal>
#include <sys/prctl.h>

// Where the build put the engine and its plugins: $SE_BUILD_DIR (se_add_test
// and the benchmarks' ctest entries set it), else the build tree this program
// runs from, as every test and benchmark is built into <build>/bin.
inline QString buildDir()
{
    const QString set = qEnvironmentVariable("SE_BUILD_DIR");
    return set.isEmpty() ? QDir::cleanPath(QCoreApplication::applicationDirPath() + QStringLiteral("/..")) : set;
}
inline QString pluginDir() { return buildDir() + QStringLiteral("/plugins"); }
inline QString engineBinary() { return buildDir() + QStringLiteral("/bin/streamengine"); }

struct CtlResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    QJsonObject data() const { return json().value(QStringLiteral("data")).toObject(); }
    QJsonArray dataArray() const { return json().value(QStringLiteral("data")).toArray(); }
    QString text() const { return QString::fromUtf8(out); }
    bool ok() const { return exitCode == 0; }
    // What the engine said, for a failure's message.
    QString said() const
    {
        const QString message = json().value(QStringLiteral("message")).toString();
        return QStringLiteral("exit %1: %2").arg(exitCode).arg(message.isEmpty() ? QString::fromUtf8(err.trimmed()) : message);
    }
};

inline QStringList ctlArguments(const QString &dataDir, const QStringList &args)
{
    return QStringList{QStringLiteral("ctl"), QStringLiteral("--data-dir"), dataDir} + args;
}

// `streamengine ctl --data-dir DIR ARGS` (the folder before any "--"); exit
// code -1 when it did not finish in time. It dies with the test.
inline CtlResult ctl(const QString &dataDir, const QStringList &args,
                     const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 20000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    p.start(engineBinary(), ctlArguments(dataDir, args));
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
}
