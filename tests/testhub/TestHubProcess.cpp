#include "TestHubProcess.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>

#include <csignal>
#include <sys/prctl.h>

TestHubProcess::TestHubProcess(QObject *parent) : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyRead, this, [this] {
        m_output += m_process.readAll();
        if (m_output.size() > 1 << 20)
            m_output = m_output.right(1 << 19);
    });
}

TestHubProcess::~TestHubProcess() { stop(2000); }

QString TestHubProcess::dllPath()
{
    const QByteArray env = qgetenv("SE_TESTHUB_DLL");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    const QByteArray build = qgetenv("SE_BUILD_DIR");
    if (!build.isEmpty())
        return QString::fromLocal8Bit(build) + QStringLiteral("/testhub/TestHub.dll");
    return QStringLiteral(SE_TESTHUB_DLL);
}

bool TestHubProcess::isAvailable(QString *why)
{
    if (QStandardPaths::findExecutable(QStringLiteral("dotnet")).isEmpty()) {
        if (why)
            *why = QStringLiteral("no dotnet on PATH");
        return false;
    }
    if (!QFileInfo::exists(dllPath())) {
        if (why)
            *why = QStringLiteral("the test hub is not built: %1").arg(dllPath());
        return false;
    }
    return true;
}

bool TestHubProcess::isRequired() { return qEnvironmentVariableIntValue("SE_REQUIRE_TESTHUB") != 0; }

QProcessEnvironment TestHubProcess::environment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DOTNET_CLI_TELEMETRY_OPTOUT"), QStringLiteral("1"));
    env.insert(QStringLiteral("DOTNET_NOLOGO"), QStringLiteral("1"));
    env.insert(QStringLiteral("ASPNETCORE_ENVIRONMENT"), QStringLiteral("Production"));
    // Sanitizer runtimes of the test must not leak into the .NET host.
    env.remove(QStringLiteral("LD_PRELOAD"));
    return env;
}

bool TestHubProcess::start(int port, int timeoutMs)
{
    stop();
    m_output.clear();
    m_error.clear();
    m_port = 0;
    QString why;
    if (!isAvailable(&why)) {
        m_error = why;
        return false;
    }
    m_process.setProcessEnvironment(environment());
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    QStringList args{dllPath(), QStringLiteral("--urls"), QStringLiteral("%1://127.0.0.1:%2").arg(scheme()).arg(port)};
    if (!m_certificatePem.isEmpty())
        args << QStringLiteral("--Kestrel:Certificates:Default:Path=%1").arg(m_certificatePem)
             << QStringLiteral("--Kestrel:Certificates:Default:KeyPath=%1").arg(m_privateKeyPem);
    m_process.start(QStringLiteral("dotnet"), args);
    if (!m_process.waitForStarted(10000)) {
        m_error = QStringLiteral("could not start dotnet: %1").arg(m_process.errorString());
        return false;
    }
    static const QRegularExpression listening(QStringLiteral("LISTENING https?://127\\.0\\.0\\.1:(\\d+)"));
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const QRegularExpressionMatch m = listening.match(QString::fromUtf8(m_output));
        if (m.hasMatch()) {
            m_port = m.captured(1).toInt();
            return true;
        }
        if (m_process.state() == QProcess::NotRunning) {
            m_error = QStringLiteral("the test hub exited (%1): %2").arg(m_process.exitCode()).arg(QString::fromUtf8(m_output));
            return false;
        }
        if (m_process.waitForReadyRead(int(std::min<qint64>(200, deadline.remainingTime()))))
            m_output += m_process.readAll();
    }
    m_error = QStringLiteral("the test hub did not listen within %1 ms: %2").arg(timeoutMs).arg(QString::fromUtf8(m_output));
    kill();
    return false;
}

void TestHubProcess::stop(int graceMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(graceMs)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void TestHubProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(5000);
}

bool TestHubProcess::isRunning() const { return m_process.state() != QProcess::NotRunning; }

void TestHubProcess::setTlsCertificate(const QString &certificatePem, const QString &privateKeyPem)
{
    m_certificatePem = certificatePem;
    m_privateKeyPem = privateKeyPem;
}

QString TestHubProcess::scheme() const { return m_certificatePem.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"); }

QUrl TestHubProcess::baseUrl() const { return QUrl(QStringLiteral("%1://127.0.0.1:%2").arg(scheme()).arg(m_port)); }

QUrl TestHubProcess::url(const QString &path) const
{
    QUrl u = baseUrl();
    const int q = path.indexOf(QLatin1Char('?'));
    u.setPath(q < 0 ? path : path.left(q));
    if (q >= 0)
        u.setQuery(path.mid(q + 1));
    return u;
}
