#pragma once
// What the tests that run the real program share: where the build put it,
// and `streamengine ctl` run as a child process.
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtGlobal>

// Where the build put the engine and its plugins (set by se_add_test).
inline QString buildDir() { return qEnvironmentVariable("SE_BUILD_DIR"); }
inline QString pluginDir() { return buildDir() + QStringLiteral("/plugins"); }
inline QString engineBinary() { return buildDir() + QStringLiteral("/bin/streamengine"); }

struct CtlResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    QJsonObject data() const { return json().value(QStringLiteral("data")).toObject(); }
    QString text() const { return QString::fromUtf8(out); }
};

// `streamengine ctl --data-dir DIR ARGS` (the folder before any "--"); exit
// code -1 when it did not finish in 20 s.
inline CtlResult ctl(const QString &dataDir, const QStringList &args,
                     const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(engineBinary(), QStringList{QStringLiteral("ctl"), QStringLiteral("--data-dir"), dataDir} + args);
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}
