#pragma once

#include "EngineLog.h"
#include "HubDirectory.h"
#include "MetricsSampler.h"
#include "Store.h"
#include "StreamerFactory.h"
#include "WorkerManager.h"

#include <QDateTime>
#include <QObject>

#include <memory>

namespace se {

struct EngineOptions {
    QString dataDir;            // empty: QStandardPaths::AppDataLocation
    QStringList pluginDirs;     // empty: StreamerFactory::defaultPluginDirs()
    bool seedDemoWorkers = false;
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
    // False and a clear `error` when the engine must not run.
    bool open(const EngineOptions &options, QString *error);
    // Starts every enabled worker.
    void boot();
    // Stops every worker; finished() follows (at once when nothing runs).
    void shutdown();

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
    OpResult setNameAndDescription(const QString &name, const QString &description);

Q_SIGNALS:
    void identityChanged();
    void hubDirectoryChanged();
    void finished();

private:
    void seedDemo();

    EngineLog m_log;
    MetricsSampler m_metrics;
    Store m_store;
    StreamerFactory m_factory;
    std::unique_ptr<WorkerManager> m_manager;
    QString m_dataDir;
    QDateTime m_startDate = QDateTime::currentDateTimeUtc();
    bool m_shuttingDown = false;
    HubDirectory *m_hubs = nullptr;
};

} // namespace se
