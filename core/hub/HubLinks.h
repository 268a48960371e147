#pragma once

#include "ContractMessages.h"
#include "HubDirectory.h"

#include <QSet>
#include <QTimer>

#include <memory>
#include <vector>

namespace se {

class Engine;
class HubCommands;
class HubLink;
class Worker;
struct OutgoingMessage;

// Every StreamHub this engine talks to: one HubLink each, fed with the
// domain's changes as contract messages. Keeps the hub list in the store and
// announces its changes (ctl's hub verb reaches it as the HubDirectory).
class HubLinks : public HubDirectory {
    Q_OBJECT
public:
    explicit HubLinks(Engine &engine, QObject *parent = nullptr);
    ~HubLinks() override;

    // Connects every stored hub (each link then reconnects on its own, forever).
    void connectAll();

    QList<Hub> hubs() const override;
    Result<> addHub(const QString &url, const QString &apiKey) override;
    Result<> removeHub(const QString &url) override;

    // What a link needs from here.
    contract::EngineFacts engineFacts() const;
    QUuid engineId() const { return m_engineId; }
    QJsonArray workerSnapshot() const; // WorkerChangeEvents of every worker, for SynchronizeWorkers
    QJsonObject systemInfo() const;
    // The stamp of a message made now (its timestamp, and the order of making).
    contract::Stamp stamp() { return m_clock.next(); }
    int nextSequenceNumber() { return ++m_sequence; }
    HubCommands &commands() { return *m_commands; }

private:
    void broadcast(OutgoingMessage message);
    void announceEngineChange();
    void onWorkerChanged(Worker *worker, contract::ChangeEventType type);
    void onPicture(Worker *worker);
    HubLink *find(const QString &url) const;
    void startLink(const HubEntry &entry);

    Engine &m_engine;
    std::unique_ptr<HubCommands> m_commands;
    std::vector<std::unique_ptr<HubLink>> m_links;
    QUuid m_engineId;
    QSet<QString> m_oversized; // workers whose thumbnails are too large to send
    QHash<QString, QJsonObject> m_shown; // per worker, what its last event told the hubs
    contract::MessageClock m_clock;
    int m_sequence = 0;
    bool m_connecting = false;
};

} // namespace se
