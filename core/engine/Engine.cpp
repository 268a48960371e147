#include "Engine.h"

#include <QDir>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QStandardPaths>

Q_LOGGING_CATEGORY(lcEngine, "se.engine")

namespace se {

Engine::Engine(QObject *parent) : QObject(parent) {}

Engine::~Engine()
{
    m_manager.reset();
}

QString Engine::defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

QString Engine::programVersion()
{
    return QStringLiteral(SE_VERSION);
}

Result<> Engine::open(const EngineOptions &options)
{
    m_dataDir = options.dataDir.isEmpty() ? defaultDataDir() : QDir(options.dataDir).absolutePath();
    // Held (engine.lock) and private (0700, its files 0600) before anything in it is touched.
    if (Result<> held = m_folder.open(m_dataDir); !held.ok)
        return held;
    m_stopTimeout = options.stopTimeout;
    // The pipeline policy: a file that is not a valid policy stops the engine.
    const Result<PipelinePolicy> policy = PipelinePolicy::load(m_dataDir);
    if (!policy)
        return Result<>::failure(policy.message);
    const QString dbPath = m_dataDir + QStringLiteral("/streamengine.db");
    if (Result<> opened = m_store.open(dbPath, programVersion()); !opened.ok)
        return opened;

    m_factory.loadPlugins(options.pluginDirs.isEmpty() ? StreamerFactory::defaultPluginDirs() : options.pluginDirs);
    if (m_factory.types().isEmpty())
        qCWarning(lcEngine) << "no streamer plugins found in" << StreamerFactory::defaultPluginDirs();

    m_manager = std::make_unique<WorkerManager>(m_store, m_factory, this);
    m_manager->setPipelinePolicy(policy.value);
    qCInfo(lcEngine).noquote() << "pipeline policy:" << policy.value.source << "; media folders:"
                               << policy.value.mediaFolders.join(QStringLiteral(", "))
                               << (policy.value.trustLocalOperators ? "; local operators are trusted" : "");
    connect(m_manager.get(), &WorkerManager::allStopped, this, [this] {
        if (m_shuttingDown)
            finishShutdown(false);
    });
    if (Result<> loaded = m_manager->load(); !loaded.ok)
        return loaded;
    if (options.seedDemoWorkers && m_manager->workers().isEmpty())
        seedDemo();
    const EngineIdentity id = m_store.identity();
    qCInfo(lcEngine).noquote() << "engine" << id.name << id.id.toString(QUuid::WithoutBraces) << "data in" << m_dataDir
                               << "streamers:" << m_factory.types().join(QStringLiteral(", "));
    return Result<>::success();
}

void Engine::setHubDirectory(HubDirectory *hubs)
{
    if (hubs == m_hubs)
        return;
    m_hubs = hubs;
    Q_EMIT hubDirectoryChanged();
}

void Engine::boot()
{
    m_metrics.start();
    m_manager->startEnabled();
}

void Engine::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    Q_EMIT shuttingDown();
    if (!m_manager) {
        QMetaObject::invokeMethod(this, [this] { finishShutdown(false); }, Qt::QueuedConnection);
        return;
    }
    qCInfo(lcEngine).noquote() << QStringLiteral("stopping every worker (at most %1 s)").arg(double(m_stopTimeout.count()) / 1000.0);
    m_stopDeadline.setSingleShot(true);
    m_stopDeadline.setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5 % early or late
    connect(&m_stopDeadline, &QTimer::timeout, this, [this] { finishShutdown(true); });
    m_stopDeadline.start(m_stopTimeout);
    m_manager->stopAll();
}

void Engine::finishShutdown(bool forced)
{
    if (m_finished)
        return;
    m_finished = true;
    m_stopDeadline.stop();
    if (forced) {
        QStringList left;
        for (Worker *w : m_manager->workers())
            if (w->state() != WorkerState::Idle)
                left << (w->config().name.isEmpty() ? w->id() : QStringLiteral("%1 (%2)").arg(w->config().name, w->id()));
        m_stopForced = true;
        qCWarning(lcEngine).noquote() << QStringLiteral("%1 worker(s) did not stop within %2 s: %3; ending them with the engine")
                                             .arg(left.size()).arg(double(m_stopTimeout.count()) / 1000.0)
                                             .arg(left.isEmpty() ? QStringLiteral("(workers being removed)") : left.join(QStringLiteral(", ")));
    }
    // The history the store's writer thread still has queued is written
    // before the engine says it is done; the store's close() waits for
    // whatever is left (and the shutdown guard bounds it all).
    if (const int waiting = m_store.historyStats().waiting; waiting > 0) {
        QElapsedTimer took;
        took.start();
        if (m_store.flushHistory(std::chrono::milliseconds(1000)))
            qCInfo(lcEngine).noquote() << QStringLiteral("wrote the %1 history items still queued in %2 ms").arg(waiting).arg(took.elapsed());
        else
            qCWarning(lcEngine).noquote() << QStringLiteral("%1 history items still queued after 1 s; the store writes them as it closes")
                                                 .arg(m_store.historyStats().waiting);
    }
    Q_EMIT finished();
}

Result<> Engine::setNameAndDescription(const QString &name, const QString &description)
{
    if (name.trimmed().isEmpty())
        return Result<>::failure(QStringLiteral("the engine name cannot be empty"));
    if (const Result<> stored = m_store.setEngineNameAndDescription(name.trimmed(), description); !stored.ok)
        return Result<>::failure(QStringLiteral("could not store the name: %1").arg(stored.message));
    Q_EMIT identityChanged();
    return Result<>::success(QStringLiteral("engine renamed"));
}

void Engine::seedDemo()
{
    struct Demo { const char *name, *description, *command; int graceMs, intervalMs; };
    const Demo demos[] = {
        {"Studio A", "a healthy synthetic feed", "fps=5 pattern=bars", 3000, 2000},
        {"Studio B", "a healthy synthetic feed", "fps=5 pattern=gradient", 3000, 2000},
        {"Remote 1", "stalls every 8 s: the picture watchdog restarts it", "fps=5 pattern=noise stall-after=8", 2000, 2000},
        {"Remote 2", "crashes every 12 s: restarted at once", "fps=5 pattern=bars crash-after=12", 2000, 2000},
    };
    const QString type = m_factory.hasType(QStringLiteral("FakeStreamer")) ? QStringLiteral("FakeStreamer") : QString();
    if (type.isEmpty()) {
        qCWarning(lcEngine) << "cannot seed demo workers: the FakeStreamer plugin is missing";
        return;
    }
    const WorkerManager::Actor demoActor{WorkerManager::Origin::Hub, QStringLiteral("engine (demo)")};
    // Seeded workers start with everyone else at boot().
    auto seed = [&](const WorkerConfig &c) {
        if (const Result<QString> made = m_manager->create(c, WorkerManager::StartNow::No, demoActor); !made.ok)
            qCWarning(lcEngine).noquote() << QStringLiteral("demo worker '%1' not seeded: %2").arg(c.name, made.message);
    };
    for (const Demo &d : demos) {
        WorkerConfig c;
        c.name = QString::fromUtf8(d.name);
        c.description = QString::fromUtf8(d.description);
        c.command = QString::fromUtf8(d.command);
        c.streamerType = type;
        c.imageWatchdog.graceTime = Millis(d.graceMs);
        c.imageWatchdog.interval = Millis(d.intervalMs);
        seed(c);
    }
    if (m_factory.hasType(QStringLiteral("GstStreamer"))) {
        // A real pipeline, in the form StreamHubs store: its JPEGs on descriptor 2.
        WorkerConfig c;
        c.name = QStringLiteral("Ball (GStreamer)");
        c.description = QStringLiteral("videotestsrc in its own gst-launch style child process");
        c.command = QStringLiteral("--gst-debug=2 videotestsrc is-live=true pattern=ball ! video/x-raw,framerate=25/1,width=320,height=180 "
                                   "! timeoverlay ! videoconvert ! videorate ! video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
        c.streamerType = QStringLiteral("GstStreamer");
        c.imageWatchdog.graceTime = Millis(5000);
        c.imageWatchdog.interval = Millis(3000);
        seed(c);
    }
    qCInfo(lcEngine) << "seeded" << m_manager->workers().size() << "demo workers";
}

} // namespace se
