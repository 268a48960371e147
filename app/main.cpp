// The shell: reads the command line, puts the engine's parts together, and
// runs them with or without the dashboard. Wiring only.
#include "CtlCommand.h"
#include "core/control/ControlServer.h"
#include "core/engine/Engine.h"
#include "HubKey.h"
#include "JournalLog.h"
#include "ShutdownGuard.h"
#include "SignalWatcher.h"
#include "SystemdNotifier.h"

#ifdef SE_HAVE_UI
#include "MainWindow.h"
#include <QApplication>
#endif
#ifdef SE_HAVE_HUB
#include "core/hub/HubLinks.h"
#endif
#ifdef SE_HAVE_METRICS_ENDPOINT
#include "core/prometheus/MetricsEndpoint.h"
#endif

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

Q_LOGGING_CATEGORY(lcApp, "se.app")

namespace {

// SIGTERM to exit, whatever a streamer does (README "Running it"); the exit
// code when the workers still stopping at the deadline had to be killed.
constexpr double kDefaultShutdownSeconds = 10;
constexpr int kExitStopForced = 4;

bool hasFlag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], flag) == 0)
            return true;
    return false;
}

bool displayAvailable()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
        || qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

#ifdef SE_HAVE_UI
// While the dashboard's QApplication connects to a display, Qt's platform
// messages are held back: when no platform can start (QT_QPA_PLATFORM=xcb
// from a desktop session reached over ssh, a DISPLAY nobody serves) Qt would
// print several lines and abort; the engine says why in one line and exits 2.
QString g_platformProblem;
void displayProbeHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    Q_UNUSED(context);
    if (type != QtFatalMsg) {
        if (g_platformProblem.isEmpty()) // the first says what went wrong
            g_platformProblem = message.section(QLatin1Char('\n'), 0, 0);
        return;
    }
    const QString why = g_platformProblem.isEmpty() ? message.section(QLatin1Char('\n'), 0, 0) : g_platformProblem;
    QTextStream(stderr) << "streamengine: no display to show the dashboard on (" << why.trimmed() << "); run with --headless\n";
    std::fflush(stderr);
    std::_Exit(2);
}
#endif

std::unique_ptr<QCoreApplication> makeApplication(int &argc, char **argv, bool headless)
{
#ifdef SE_HAVE_UI
    if (!headless) {
        const QtMessageHandler previous = qInstallMessageHandler(displayProbeHandler);
        auto app = std::make_unique<QApplication>(argc, argv);
        qInstallMessageHandler(previous);
        return app;
    }
#else
    Q_UNUSED(headless);
#endif
    return std::make_unique<QCoreApplication>(argc, argv);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("streamengine"));
    QCoreApplication::setOrganizationName(QStringLiteral("StreamEngine"));
    QCoreApplication::setApplicationVersion(se::Engine::programVersion() + QStringLiteral(" (revision " SE_GIT_REVISION ")"));

    if (argc > 1 && std::strcmp(argv[1], "ctl") == 0) {
        QCoreApplication app(argc, argv);
        QStringList args = app.arguments();
        args.removeAt(1);
        return se::runCtl(args);
    }

#ifdef SE_HAVE_UI
    bool headless = hasFlag(argc, argv, "--headless");
#else
    bool headless = true;
#endif
    const bool informational = hasFlag(argc, argv, "--help") || hasFlag(argc, argv, "-h") || hasFlag(argc, argv, "--version")
        || hasFlag(argc, argv, "-v");
    if (!headless && !informational && !displayAvailable()) {
        QTextStream(stderr) << "streamengine: no display to show the dashboard on; run with --headless\n";
        return 2;
    }
    auto app = makeApplication(argc, argv, headless || informational);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "StreamEngine keeps media workers alive and lets StreamHubs steer them.\n"
        "  streamengine [options]         run the engine\n"
        "  streamengine ctl <verb> ...    control a running engine (see: streamengine ctl --help)"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption headlessOpt(QStringLiteral("headless"), QStringLiteral("Run without the dashboard; needs no display."));
    const QCommandLineOption dataDirOpt(QStringLiteral("data-dir"), QStringLiteral("Folder of the database, control socket and lock; kept private (0700)."), QStringLiteral("dir"));
    const QCommandLineOption demoOpt(QStringLiteral("demo"), QStringLiteral("On first run, add a few FakeStreamer demo workers (one of them faulty)."));
    const QCommandLineOption pluginDirOpt(QStringLiteral("plugin-dir"), QStringLiteral("Folder of streamer plugins (repeatable)."), QStringLiteral("dir"));
    const QCommandLineOption hubOpt(QStringLiteral("hub"), QStringLiteral("StreamHub URL to connect to (repeatable; stored)."), QStringLiteral("url"));
    const QCommandLineOption hubKeyFileOpt(QStringLiteral("hub-api-key-file"),
                                           QStringLiteral("File whose first line is the API key for the --hub URLs (or set %1).")
                                               .arg(QLatin1StringView(se::kHubApiKeyVariable)),
                                           QStringLiteral("file"));
    const QCommandLineOption hubKeyOpt(QStringLiteral("hub-api-key"),
                                       QStringLiteral("API key for the --hub URLs; every local user sees it in the process list: "
                                                      "prefer --hub-api-key-file."),
                                       QStringLiteral("key"));
    const QCommandLineOption shutdownOpt(QStringLiteral("shutdown-timeout"),
                                         QStringLiteral("Seconds from SIGTERM to exit, whatever a worker does (default %1).")
                                             .arg(kDefaultShutdownSeconds),
                                         QStringLiteral("s"), QString::number(kDefaultShutdownSeconds));
    const QCommandLineOption metricsOpt(QStringLiteral("metrics-listen"),
                                        QStringLiteral("Serve Prometheus metrics at http://HOST:PORT/metrics and a liveness "
                                                       "check at /healthz (e.g. 127.0.0.1:9464; off by default)."),
                                        QStringLiteral("host:port"));
    parser.addOptions({headlessOpt, dataDirOpt, demoOpt, pluginDirOpt, hubOpt, hubKeyFileOpt, hubKeyOpt, shutdownOpt, metricsOpt});
    parser.process(*app);
    // The key is read now and then wiped from the process list and the environment
    // (so that pipelines started later do not inherit it).
    const se::HubKeyChoice hubKey = se::hubApiKey(parser, hubKeyFileOpt, hubKeyOpt);
    se::wipeArgumentValue(argc, argv, "hub-api-key");
    qunsetenv(se::kHubApiKeyVariable);
    if (!hubKey.ok) {
        QTextStream(stderr) << "streamengine: " << hubKey.error << '\n';
        return 2;
    }
#ifdef SE_HAVE_METRICS_ENDPOINT
    std::optional<se::ListenAddress> metricsAddress;
    if (parser.isSet(metricsOpt)) {
        const se::Result<se::ListenAddress> parsed = se::parseListenAddress(parser.value(metricsOpt));
        if (!parsed.ok) {
            QTextStream(stderr) << "streamengine: " << parsed.message << '\n';
            return 2;
        }
        metricsAddress = parsed.value;
    }
#else
    if (parser.isSet(metricsOpt)) {
        QTextStream(stderr) << "streamengine: this build has no metrics endpoint (configured with -DSE_METRICS_ENDPOINT=OFF); "
                               "--metrics-listen is not available\n";
        return 2;
    }
#endif
    bool secondsOk = false;
    const double shutdownSeconds = parser.value(shutdownOpt).toDouble(&secondsOk);
    if (!secondsOk || shutdownSeconds < 2 || shutdownSeconds > 3600) {
        QTextStream(stderr) << "streamengine: --shutdown-timeout takes 2 to 3600 seconds\n";
        return 2;
    }
    // The engine stops its workers for all but the last 2 s (half of a shorter
    // deadline), then kills what is left and exits; the guard ends the process
    // 0.5 s before the deadline if even that is stuck.
    const auto deadline = std::chrono::milliseconds(qint64(shutdownSeconds * 1000));
    const auto stopTimeout = deadline >= std::chrono::milliseconds(4000) ? deadline - std::chrono::milliseconds(2000) : deadline / 2;
    se::ShutdownGuard::install(deadline - std::chrono::milliseconds(500), kExitStopForced);

    if (!qEnvironmentVariableIsSet("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false"));
    // Declared before the engine, so that it acts once the engine is gone: no
    // child process a streamer may have left behind outlives the engine.
    struct ChildReaper {
        ~ChildReaper()
        {
            if (const int left = se::ShutdownGuard::killChildren())
                QTextStream(stderr) << "streamengine: " << left << " child process(es) still running at exit were killed\n";
        }
    } reaper;
    // Under systemd with stderr on the journal, lines go to journald with their
    // priority and worker; declared before the engine's log, which uses it.
    se::JournalLog journal;
    bool toJournal = false;
    if (se::JournalLog::stderrIsJournal()) {
        const se::Result<> opened = journal.open(se::JournalLog::socketPath());
        toJournal = opened.ok;
        if (!toJournal)
            QTextStream(stderr) << "<4>streamengine: cannot reach journald (" << opened.message << "); logging plain text\n";
    }
    se::Engine engine;
    engine.log().installMessageHandler(toJournal ? &journal : nullptr);
    se::EngineOptions options;
    options.dataDir = parser.value(dataDirOpt);
    options.pluginDirs = parser.values(pluginDirOpt);
    options.seedDemoWorkers = parser.isSet(demoOpt);
    options.stopTimeout = stopTimeout;
    if (!hubKey.warning.isEmpty())
        qCWarning(lcApp).noquote() << hubKey.warning;
    if (const se::Result<> opened = engine.open(options); !opened.ok) {
        QTextStream(stderr) << "streamengine: " << opened.message << '\n';
        return 1;
    }
    se::ControlServer control(engine);
    if (const se::Result<> listening = control.listen(); !listening.ok) {
        QTextStream(stderr) << "streamengine: " << listening.message << '\n';
        return 1;
    }

#ifdef SE_HAVE_HUB
    se::HubLinks hubs(engine);
    for (const QString &url : parser.values(hubOpt)) {
        if (const se::Result<> added = hubs.addHub(url, hubKey.key); !added.ok) {
            QTextStream(stderr) << "streamengine: --hub " << url << ": " << added.message << '\n';
            return 1;
        }
    }
    hubs.connectAll();
#else
    if (parser.isSet(hubOpt))
        qCWarning(lcApp) << "this build has no StreamHub link; --hub ignored";
#endif
#ifdef SE_HAVE_METRICS_ENDPOINT
    // Served on CivetWeb's threads; an address that cannot be had stops the engine.
    std::unique_ptr<se::MetricsEndpoint> metricsEndpoint;
    if (metricsAddress) {
        metricsEndpoint = std::make_unique<se::MetricsEndpoint>(engine);
        if (const se::Result<> listening = metricsEndpoint->listen(*metricsAddress); !listening.ok) {
            QTextStream(stderr) << "streamengine: " << listening.message << '\n';
            return 1;
        }
    }
#endif

    // The guard starts counting in the signal handler itself, and when the
    // engine starts to shut down for another reason (ctl shutdown, the dashboard).
    se::SignalWatcher signals(&se::ShutdownGuard::arm);
    QObject::connect(&engine, &se::Engine::shuttingDown, [] { se::ShutdownGuard::arm(); });
    QObject::connect(&signals, &se::SignalWatcher::terminationRequested, &engine, [&](int sig) {
        qCInfo(lcApp) << "signal" << sig << "- stopping";
        engine.shutdown();
    });
    QObject::connect(&engine, &se::Engine::finished, app.get(), [&engine] {
        QCoreApplication::exit(engine.stopForced() ? kExitStopForced : 0);
    });

    se::SystemdNotifier systemd(engine);
    engine.boot();
    systemd.ready(); // the workers are started (each comes up on its own)

#ifdef SE_HAVE_UI
    std::unique_ptr<se::ui::MainWindow> window;
    if (!headless) {
        window = std::make_unique<se::ui::MainWindow>(engine);
        window->show();
        QObject::connect(window.get(), &se::ui::MainWindow::closeRequested, &engine, &se::Engine::shutdown);
    }
#endif
    qCInfo(lcApp) << "running" << (headless ? "headless" : "with the dashboard") << "; data in" << engine.dataDir();
    return app->exec();
}
