#include "HubLink.h"

#include "ContractMessages.h"
#include "HubCommands.h"
#include "HubLinks.h"

#include "signalr/HubConnection.h"

#include <QLoggingCategory>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcHubLink, "se.hub.link")

namespace se {

namespace {
// Messages leave for the socket only while it holds less than this: a slow
// hub's backlog waits in the bounded queue, where it is coalesced and counted.
constexpr qint64 kSocketHighWater = 256 * 1024;
constexpr int kRegisterTimeoutMs = 10000;
// A link up this long has recovered: its next failure backs off from the start.
constexpr int kStableLinkMs = 30000;
// Retries back off from 1 s to 30 s, each ±20 %, so that engines that lost
// the same hub do not all come back in the same instant. The SignalR client's
// own policy, driven here because a link retries its first connection too,
// which the client's automatic reconnect does not. SE_HUB_RETRY_JITTER=0 turns
// the jitter off (the fleet benchmark's peer, bench/hub/bench_fleet).
const signalr::RetryPolicy &retryPolicy()
{
    static const signalr::RetryPolicy policy = signalr::RetryPolicy::forever(
        1000, 30000, qEnvironmentVariable("SE_HUB_RETRY_JITTER", QStringLiteral("1")) == QLatin1String("0") ? 0.0 : 0.2);
    return policy;
}
// A hub that reads nothing for this long while we have something for it is
// left and reconnected (and resynchronised).
constexpr int kWriteTimeoutMs = 10000;
// Nothing a hub sends an engine comes near this; a larger message is refused
// before it is held.
constexpr qint64 kMaxIncomingMessage = 1024 * 1024;
constexpr int kDropWarningEveryMs = 10000;
} // namespace

HubLink::HubLink(HubEntry entry, HubLinks &owner, QObject *parent)
    : QObject(parent), m_entry(std::move(entry)), m_owner(owner)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        ++m_reconnects;
        start();
    });
    m_pumpWatch.setInterval(1000);
    connect(&m_pumpWatch, &QTimer::timeout, this, [this] {
        if (!m_queue.isEmpty())
            pump();
    });
}

HubLink::~HubLink()
{
    stop();
}

HubDirectory::Hub HubLink::status() const
{
    const auto dropped = m_queue.droppedTotal();
    HubDirectory::Hub hub{m_entry.id, m_entry.url, m_state, m_lastError, m_since, m_queue.size(), dropped.events + dropped.logs};
    hub.reconnects = m_reconnects;
    return hub;
}

QUrl HubLink::connectionUrl() const
{
    QUrl url(m_entry.url);
    QUrlQuery query(url);
    query.removeAllQueryItems(QStringLiteral("clientType"));
    query.addQueryItem(QStringLiteral("clientType"), QStringLiteral("backend"));
    url.setQuery(query);
    return url;
}

void HubLink::start()
{
    m_stopped = false;
    m_retry.stop();
    m_synchronised = false;
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection.release()->deleteLater(); // may be inside its own signal
    }
    // No automatic reconnect inside the connection: every loss comes back here,
    // to one back-off, and every new connection registers and synchronises.
    auto builder = signalr::HubConnectionBuilder().withUrl(connectionUrl());
    if (!m_entry.apiKey.isEmpty()) {
        const QString key = m_entry.apiKey;
        builder.withAccessTokenProvider([key] { return key; });
    }
    signalr::HubConnectionOptions options = builder.options();
    options.writeTimeoutMs = kWriteTimeoutMs;
    options.maxRecordBytes = kMaxIncomingMessage;
    m_connection = std::make_unique<signalr::HubConnection>(options);
    signalr::HubConnection *c = m_connection.get();
    for (const QString &method : HubCommands::methods())
        c->on(method, [this, method](const QJsonArray &arguments, signalr::ClientResult result) {
            QElapsedTimer took;
            took.start();
            result.resolve(m_owner.commands().handle(method, arguments, m_entry.url));
            Q_EMIT m_owner.commandAnswered(m_entry.url, method, double(took.nsecsElapsed()) / 1e9);
        });
    connect(c, &signalr::HubConnection::connected, this, &HubLink::onConnected);
    connect(c, &signalr::HubConnection::startFailed, this, [this](const QString &why) { retryLater(why); });
    connect(c, &signalr::HubConnection::closed, this, [this](const QString &why) {
        if (!m_stopped && !m_retry.isActive())
            retryLater(why.isEmpty() ? QStringLiteral("the connection closed") : why);
    });
    connect(c, &signalr::HubConnection::bytesWritten, this, &HubLink::pump);
    setState(LinkState::Connecting, m_lastError); // the last failure stays told until it connects
    c->start();
}

void HubLink::stop()
{
    m_stopped = true;
    m_retry.stop();
    m_pumpWatch.stop();
    m_synchronised = false;
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection->stop();
        m_connection.release()->deleteLater();
    }
    setState(LinkState::Disconnected);
}

void HubLink::onConnected()
{
    setState(LinkState::Registering, m_lastError);
    registerEngine();
}

void HubLink::registerEngine()
{
    const contract::EngineFacts facts = m_owner.engineFacts();
    QJsonObject info = contract::engineInfo(facts);
    contract::fillBase(info, facts.identity.id, m_owner.nextSequenceNumber(), m_owner.stamp());
    signalr::InvocationReply *reply = m_connection->invoke(QStringLiteral("RegisterEngineConnection"), {info}, kRegisterTimeoutMs);
    QPointer<signalr::HubConnection> connection = m_connection.get();
    connect(reply, &signalr::InvocationReply::finished, this, [this, connection](const QJsonValue &accepted) {
        if (connection != m_connection.get())
            return; // an answer for a connection we have since replaced
        if (accepted.toBool()) {
            synchronise();
            return;
        }
        const QString why = QStringLiteral("the hub refused this engine (RegisterEngineConnection answered false; "
                                           "is an engine with the same id connected to it already?)");
        qCWarning(lcHubLink).noquote() << m_entry.url << ":" << why;
        m_connection->disconnect(this);
        m_connection->stop();
        setState(LinkState::Refused, why);
        retryLater(why);
    });
    connect(reply, &signalr::InvocationReply::errorOccurred, this, [this, connection](const QString &error) {
        if (connection != m_connection.get() || m_stopped)
            return;
        const QString why = QStringLiteral("registration failed: %1").arg(error);
        m_connection->disconnect(this);
        m_connection->stop();
        retryLater(why);
    });
}

void HubLink::synchronise()
{
    const contract::EngineFacts facts = m_owner.engineFacts();
    const QUuid engineId = facts.identity.id;

    QJsonObject system = m_owner.systemInfo();
    contract::fillBase(system, engineId, m_owner.nextSequenceNumber(), m_owner.stamp());
    m_connection->send(QStringLiteral("ReceiveEngineSystemInfo"), {system});

    // Every entry carries the snapshot's stamp. Worker events made before it
    // are in the snapshot: they are stale for this hub (which would discard
    // them anyway); every later one is newer than the snapshot.
    const contract::Stamp now = m_owner.stamp();
    QJsonArray workers = m_owner.workerSnapshot();
    for (auto it = workers.begin(); it != workers.end(); ++it) {
        QJsonObject w = it->toObject();
        contract::fillBase(w, engineId, m_owner.nextSequenceNumber(), now);
        *it = w;
    }
    const QJsonArray arguments{workers, engineId.toString(QUuid::WithoutBraces)};
    const qsizetype size = contract::encodedSize(arguments);
    if (size <= contract::kHubPayloadBudget) {
        m_connection->send(QStringLiteral("SynchronizeWorkers"), arguments);
        qCInfo(lcHubLink).noquote() << m_entry.url << ": registered and synchronised" << workers.size() << "workers";
    } else {
        // As one message the hub would drop the connection, again at every
        // reconnect: the hub hears of every worker, one message each, instead.
        for (const QJsonValue &w : std::as_const(workers))
            m_connection->send(QStringLiteral("ReceiveWorkerEvent"), {w});
        qCWarning(lcHubLink).noquote()
            << m_entry.url << ": the list of" << workers.size() << "workers takes" << size / 1024
            << "KB, more than one hub message holds (" << contract::kHubMessageLimit / 1024
            << "KB); sent one worker event each instead, so a worker removed while this hub was away may stay on it";
    }
    m_queue.dropWorkerEventsBefore(now);
    m_synchronised = true;
    m_upSince.start();
    if (!m_lastLoggedFailure.isEmpty())
        qCInfo(lcHubLink).noquote() << m_entry.url << ": connected again after" << m_failures << "failed attempts";
    m_lastLoggedFailure.clear();
    m_pumpWatch.start();
    setState(LinkState::Connected);
    pump();
}

void HubLink::push(OutgoingMessage message)
{
    m_queue.push(std::move(message));
    if (m_synchronised)
        pump();
}

void HubLink::pump()
{
    if (!m_synchronised || !m_connection)
        return;
    // A send can lose the connection (retryLater clears m_synchronised): what
    // is still queued waits for the next synchronisation.
    while (m_synchronised && m_connection->bufferedBytes() < kSocketHighWater) {
        std::optional<OutgoingMessage> m = m_queue.pop();
        if (!m)
            break;
        send(*m);
    }
    warnDrops();
}

// At most every few seconds, however often the queue overflows.
void HubLink::warnDrops()
{
    if (m_dropsTold.isValid() && m_dropsTold.elapsed() < kDropWarningEveryMs)
        return;
    const OutgoingQueue::Dropped dropped = m_queue.takeDropped();
    if (!dropped.any())
        return;
    m_dropsTold.start();
    qCWarning(lcHubLink).noquote() << m_entry.url << ": the hub is too slow; dropped" << dropped.events << "events and"
                                   << dropped.logs << "log lines (kept the newest)";
}

void HubLink::send(OutgoingMessage &m)
{
    if (!m.fields.isEmpty()) {
        m_connection->sendEncoded(
            m.method, contract::withBaseFields(m.fields, m_owner.engineId(), m_owner.nextSequenceNumber(), m.created));
        return;
    }
    if (!m.arguments.isEmpty() && m.arguments.first().isObject()) {
        QJsonObject first = m.arguments.first().toObject();
        contract::fillBase(first, m_owner.engineId(), m_owner.nextSequenceNumber(), m.created);
        m.arguments[0] = first;
    }
    m_connection->send(m.method, m.arguments);
}

void HubLink::retryLater(const QString &why)
{
    m_synchronised = false;
    m_pumpWatch.stop();
    if (m_stopped)
        return;
    if (m_upSince.isValid() && m_upSince.elapsed() >= kStableLinkMs)
        m_failures = 0;
    m_upSince.invalidate();
    ++m_failures;
    const int delay = retryPolicy().nextDelayMs({m_failures, 0, why}).value_or(30000);
    if (m_state != LinkState::Refused)
        setState(LinkState::Disconnected, why);
    // An outage is told once, then every 20 attempts, not at every backoff.
    if (why != m_lastLoggedFailure) {
        m_lastLoggedFailure = why;
        qCInfo(lcHubLink).noquote() << m_entry.url << ":" << why << "; trying again in" << delay << "ms";
    } else if (m_failures % 20 == 0) {
        qCInfo(lcHubLink).noquote() << m_entry.url << ": still" << why << "after" << m_failures << "attempts; trying again in" << delay << "ms";
    } else {
        qCDebug(lcHubLink).noquote() << m_entry.url << ":" << why << "; trying again in" << delay << "ms";
    }
    m_retry.start(delay);
}

void HubLink::setState(LinkState state, const QString &error)
{
    if (state == m_state && error == m_lastError)
        return;
    if (state != m_state)
        m_since = QDateTime::currentDateTimeUtc();
    m_state = state;
    m_lastError = error;
    Q_EMIT statusChanged();
}

} // namespace se
