#pragma once
// Runs the ASP.NET Core test hub (tests/testhub) for a test: start() launches
// `dotnet TestHub.dll --urls http://127.0.0.1:<port>` and waits, with a deadline,
// for its "LISTENING http://127.0.0.1:<port>" line; the destructor (or stop())
// ends it. The child also dies with the test process.
//
//   TestHubProcess hub;
//   if (!hub.start()) QFAIL(qPrintable(hub.errorString()));
//   QUrl url = hub.url("/testhub");            // http://127.0.0.1:41234/testhub
//
// With setTlsCertificate() before start(), Kestrel serves https:// (and wss://)
// with that PEM certificate and key instead.
#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QUrl>

#define SE_TESTHUB_SKIP_PREFIX "no test hub: "
// In a test function: skips, or fails where the hub is required.
#define SE_REQUIRE_TESTHUB_OR_SKIP()                                                                                                       \
    do {                                                                                                                                   \
        QString whyNot_;                                                                                                                   \
        if (!TestHubProcess::isAvailable(&whyNot_)) {                                                                                      \
            if (TestHubProcess::isRequired())                                                                                              \
                QFAIL(qPrintable(QStringLiteral("SE_REQUIRE_TESTHUB is set, but ") + whyNot_));                                            \
            QSKIP(qPrintable(QStringLiteral(SE_TESTHUB_SKIP_PREFIX) + whyNot_));                                                           \
        }                                                                                                                                  \
    } while (false)

class TestHubProcess : public QObject {
    Q_OBJECT
public:
    explicit TestHubProcess(QObject *parent = nullptr);
    ~TestHubProcess() override;

    // True when the built TestHub.dll and dotnet are there. Without them a
    // suite skips (QSKIP with SE_TESTHUB_SKIP_PREFIX, which ctest reports as
    // Skipped), unless SE_REQUIRE_TESTHUB=1 (CI) asks for it: then it fails.
    static bool isAvailable(QString *why = nullptr);
    static bool isRequired();
    static QString dllPath();
    // The hub's environment: quiet .NET, no sanitizer runtime of the test.
    static QProcessEnvironment environment();

    // Serve HTTPS with these PEM files from the next start() on.
    void setTlsCertificate(const QString &certificatePem, const QString &privateKeyPem);

    // port 0: a free port chosen by the server. Blocks until the hub listens or
    // timeoutMs passes (then kills it and returns false).
    bool start(int port = 0, int timeoutMs = 60000);
    // SIGTERM, then SIGKILL after graceMs.
    void stop(int graceMs = 5000);
    // Immediate SIGKILL: a crashed server, for reconnect tests.
    void kill();
    bool isRunning() const;

    int port() const { return m_port; }
    QUrl baseUrl() const;
    QUrl url(const QString &path) const;
    QString errorString() const { return m_error; }
    QByteArray output() const { return m_output; }

private:
    QString scheme() const;

    QProcess m_process;
    int m_port = 0;
    QString m_error;
    QByteArray m_output;
    QString m_certificatePem;
    QString m_privateKeyPem;
};
