#pragma once

#include "DataFolder.h"
#include "core/log/EngineLog.h"
#include "core/hub/HubDirectory.h"
#include "core/metrics/MetricsSampler.h"
#include "core/store/Store.h"
#include "core/streamer/StreamerFactory.h"
#include "core/manager/WorkerManager.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <memory>

namespace se {

struct EngineOptions {
    QString dataDir;            // empty: QStandardPaths::AppDataLocation
    QStringList pluginDirs;     // empty: StreamerFactory::defaultPluginDirs()
    bool seedDemoWorkers = false;
    // How long shutdown() waits for the workers before it ends what is left.
    std::chrono::milliseconds stopTimeout{8000};
};

// The engine's parts, put together: the store, the streamer types, the
// workers and the engine log. Both the program and the tests build it.
class Engine : public QObject {
    Q_OBJECT
public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

    static QString defaultDataDir();
    static QString programVersion();

    // Opens the data folder and its database, loads plugins and workers.
    // Fails, saying why, when the engine must not run.
    Result<> open(const EngineOptions &options);
    // Starts the metrics sampler (its one start: the dashboard and the hub
    // links only listen) and every enabled worker.
    void boot();
    // Stops every worker; finished() follows (at once when nothing runs), at
    // the latest after EngineOptions::stopTimeout: then stopForced() is true,
    // and the workers still stopping end with the engine (their streamers'
    // destructors kill what they run).
    void shutdown();
    bool stopForced() const { return m_stopForced; }

    QString dataDir() const { return m_dataDir; }
    Store &store() { return m_store; }
    StreamerFactory &factory() { return m_factory; }
    WorkerManager &workers() { return *m_manager; }
    EngineLog &log() { return m_log; }
    // The machine's and this process's load: one sampler for every layer that shows or sends it.
    MetricsSampler &metrics() { return m_metrics; }

    // The StreamHub links, when the program has them (nullptr otherwise).
    HubDirectory *hubs() const { return m_hubs; }
    void setHubDirectory(HubDirectory *hubs);

    EngineIdentity identity() const { return m_store.identity(); }
    QDateTime startDate() const { return m_startDate; }
    Result<> setNameAndDescription(const QString &name, const QString &description);

Q_SIGNALS:
    void identityChanged();
    void hubDirectoryChanged();
    void shuttingDown();
    void finished();

private:
    void seedDemo();
    void finishShutdown(bool forced);

    EngineLog m_log;
    MetricsSampler m_metrics;
    DataFolder m_folder; // released last, after the store has closed
    Store m_store;
    StreamerFactory m_factory;
    std::unique_ptr<WorkerManager> m_manager;
    QString m_dataDir;
    QDateTime m_startDate = QDateTime::currentDateTimeUtc();
    bool m_shuttingDown = false;
    bool m_finished = false;
    bool m_stopForced = false;
    std::chrono::milliseconds m_stopTimeout{8000};
    QTimer m_stopDeadline;
    HubDirectory *m_hubs = nullptr;
};

} // namespace se
