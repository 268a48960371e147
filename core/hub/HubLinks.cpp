#include "HubLinks.h"

#include "ContractJson.h"
#include "ContractMessages.h"
#include "core/engine/Engine.h"
#include "HubCommands.h"
#include "HubLink.h"
#include "core/metrics/MetricsSampler.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHubs, "se.hub")

namespace se {

namespace {
// A thumbnail travels base64 (4 bytes for every 3) inside one hub message.
constexpr qsizetype kMaxJpegBytes = contract::kHubPayloadBudget / 4 * 3;
static_assert(kMaxJpegBytes == 180 * 1024, "the 180 KB the contract names");

OutgoingMessage message(OutgoingMessage::Kind kind, const char *method, QJsonArray arguments, qint64 created, QString key = {})
{
    OutgoingMessage m;
    m.kind = kind;
    m.method = QString::fromLatin1(method);
    m.arguments = std::move(arguments);
    m.created = created;
    m.key = std::move(key);
    return m;
}
} // namespace

HubLinks::HubLinks(Engine &engine, QObject *parent)
    : HubDirectory(parent), m_engine(engine), m_engineId(engine.identity().id)
{
    m_commands = std::make_unique<HubCommands>(engine, [this](const QString &url) {
        // Answer first, then close: the hub that asked hears back.
        if (!find(url))
            return false;
        QMetaObject::invokeMethod(this, [this, url] {
            if (const Result<> removed = removeHub(url); !removed.ok)
                qCWarning(lcHubs).noquote() << QStringLiteral("a hub's RemoveHubConnection of %1: %2").arg(url, removed.message);
        }, Qt::QueuedConnection);
        return true;
    });
    engine.setHubDirectory(this);

    WorkerManager &workers = engine.workers();
    using T = contract::ChangeEventType;
    connect(&workers, &WorkerManager::workerAdded, this, [this](Worker *w) { onWorkerChanged(w, T::Created); });
    connect(&workers, &WorkerManager::workerChanged, this, [this](Worker *w) { onWorkerChanged(w, T::Updated); });
    connect(&workers, &WorkerManager::workerRemoved, this, [this](const QString &id, const WorkerSnapshot &last) {
        m_shown.remove(id);
        broadcast(message(OutgoingMessage::Kind::WorkerEvent, "ReceiveWorkerEvent",
                          {contract::workerChangeEvent(last, T::Deleted)}, stamp()));
    });
    connect(&workers, &WorkerManager::workerPicture, this, &HubLinks::onPicture);
    connect(&workers, &WorkerManager::workerLog, this, [this](Worker *w, const LogEntry &e) {
        broadcast(message(OutgoingMessage::Kind::Log, "ReceiveWorkerLog", {contract::workerLog(w->id(), e)}, stamp()));
    });
    connect(&engine.log(), &EngineLog::lineAppended, this, [this](const LogEntry &e) {
        broadcast(message(OutgoingMessage::Kind::Log, "ReceiveEngineLog", {contract::engineLog(e)}, stamp()));
    });
    connect(&engine, &Engine::identityChanged, this, &HubLinks::announceEngineChange);

    connect(&engine.metrics(), &MetricsSampler::sampled, this, [this](const EngineMetrics &m) {
        broadcast(message(OutgoingMessage::Kind::Metric, "ReceiveMetric", {contract::metric(m)}, stamp()));
    });

    for (const HubEntry &h : engine.store().hubs())
        startLink(h);
}

HubLinks::~HubLinks()
{
    if (m_engine.hubs() == this)
        m_engine.setHubDirectory(nullptr);
    m_links.clear();
}

void HubLinks::connectAll()
{
    m_connecting = true;
    for (auto &link : m_links)
        link->start();
}

QList<HubDirectory::Hub> HubLinks::hubs() const
{
    QList<Hub> out;
    for (const auto &link : m_links)
        out.append(link->status());
    return out;
}

Result<> HubLinks::addHub(const QString &url, const QString &apiKey)
{
    const QUrl parsed(url, QUrl::StrictMode);
    const QString scheme = parsed.scheme();
    if (!parsed.isValid() || parsed.host().isEmpty()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https") && scheme != QLatin1String("ws")
            && scheme != QLatin1String("wss")))
        return Result<>::failure(QStringLiteral("'%1' is not a hub URL (http[s]://host[:port]/path)").arg(url));
    if (find(url))
        return Result<>::success(QStringLiteral("hub %1 is already connected").arg(url));
    const Result<HubEntry> entry = m_engine.store().addHub(url, apiKey);
    if (!entry.ok)
        return Result<>::failure(QStringLiteral("could not store the hub: %1").arg(entry.message));
    startLink(entry.value);
    if (m_connecting)
        m_links.back()->start();
    announceEngineChange();
    Q_EMIT hubsChanged();
    return Result<>::success(QStringLiteral("hub %1 added").arg(url));
}

Result<> HubLinks::removeHub(const QString &url)
{
    auto it = std::find_if(m_links.begin(), m_links.end(), [&](const auto &l) { return l->entry().url == url; });
    if (it == m_links.end())
        return Result<>::failure(QStringLiteral("no hub %1").arg(url));
    if (const Result<> removed = m_engine.store().removeHub(url); !removed.ok)
        return Result<>::failure(QStringLiteral("could not forget the hub: %1").arg(removed.message));
    (*it)->stop();
    m_links.erase(it);
    announceEngineChange();
    Q_EMIT hubsChanged();
    return Result<>::success(QStringLiteral("hub %1 removed").arg(url));
}

void HubLinks::startLink(const HubEntry &entry)
{
    auto link = std::make_unique<HubLink>(entry, *this);
    connect(link.get(), &HubLink::statusChanged, this, &HubDirectory::hubsChanged);
    m_links.push_back(std::move(link));
}

HubLink *HubLinks::find(const QString &url) const
{
    for (const auto &l : m_links)
        if (l->entry().url == url)
            return l.get();
    return nullptr;
}

contract::EngineFacts HubLinks::engineFacts() const
{
    return {m_engine.identity(), m_engine.startDate(), Engine::programVersion(), m_engine.store().hubs(),
            m_engine.workers().streamerTypes()};
}

QJsonArray HubLinks::workerSnapshot() const
{
    QJsonArray list;
    WorkerManager &m = m_engine.workers();
    for (Worker *w : m.workers())
        list.append(contract::workerChangeEvent(m.snapshot(w), contract::ChangeEventType::Updated));
    return list;
}

QJsonObject HubLinks::systemInfo() const
{
    return contract::systemInfo(m_engine.metrics().systemInfo());
}

void HubLinks::broadcast(OutgoingMessage m)
{
    for (auto &link : m_links)
        link->push(m); // the arguments are shared, not copied, until a link fills them in
}

void HubLinks::announceEngineChange()
{
    broadcast(message(OutgoingMessage::Kind::EngineEvent, "ReceiveEngineEvent",
                      {contract::engineChangeEvent(engineFacts(), contract::ChangeEventType::Updated)}, stamp()));
}

void HubLinks::onWorkerChanged(Worker *w, contract::ChangeEventType type)
{
    // A change the hubs cannot see (a status text, a counter they do not
    // show) is not worth an event.
    const QJsonObject event = contract::workerChangeEvent(m_engine.workers().snapshot(w), type);
    QJsonObject &shown = m_shown[w->id()];
    if (type == contract::ChangeEventType::Updated && event == shown)
        return;
    shown = event;
    broadcast(message(OutgoingMessage::Kind::WorkerEvent, "ReceiveWorkerEvent", {event}, stamp()));
}

void HubLinks::onPicture(Worker *w)
{
    if (m_links.empty())
        return;
    const QByteArray jpeg = w->lastPicture();
    if (jpeg.size() > kMaxJpegBytes) {
        if (!m_oversized.contains(w->id())) // once, not at every picture
            qCWarning(lcHubs) << "thumbnails of" << w->id() << "are" << jpeg.size() << "bytes, over what a hub takes; not sent";
        m_oversized.insert(w->id());
        return;
    }
    m_oversized.remove(w->id());
    OutgoingMessage m = message(OutgoingMessage::Kind::Image, "ReceiveImage", {}, stamp(), w->id());
    m.fields = contract::workerImageFields(w->id(), jpeg, w->pictureSequence()); // once, shared by every link
    broadcast(std::move(m));
}

} // namespace se
