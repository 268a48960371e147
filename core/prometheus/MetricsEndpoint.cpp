#include "MetricsEndpoint.h"

#include "core/engine/Engine.h"
#include "core/hub/HubDirectory.h"
#include "core/metrics/ProcParsers.h"
#include "core/worker/Worker.h"
#include "core/manager/WorkerManager.h"

#include <civetweb.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <QHostAddress>
#include <QLoggingCategory>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcMetricsEndpoint, "se.metrics.endpoint")

namespace se {

namespace {

// Pictures per second are averaged over this much of the recent past.
constexpr qint64 kRateWindowMs = 5000;
constexpr auto kContentType = "text/plain; version=0.0.4; charset=utf-8";

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// State names as the metrics' label values, indexed by WorkerState.
constexpr const char *kWorkerStates[] = {"idle", "starting", "running", "stopping", "restarting"};

const std::vector<double> kStoreBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const std::vector<double> kCommandBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A small /proc file, read whole, without Qt (this runs on a server thread).
std::string readProcFile(const char *path)
{
    std::string out;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, size_t(n));
    }
    ::close(fd);
    return out;
}

int countOpenFds()
{
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (const dirent *e = ::readdir(dir))
        if (e->d_name[0] != '.')
            ++n;
    ::closedir(dir);
    return n - 1; // the listing's own descriptor
}

// One worker, one hub: what a scrape shows of them, copied on the main thread.
struct WorkerSample {
    std::string id, name;
    int state = 0;
    bool onHold = false;
    double picturesPerSecond = 0;
    double picturesTotal = 0;
    qint64 lastPictureMs = 0; // UTC ms since the epoch; 0: none since the engine started
    RestartCounts restarts;
};
struct HubSample {
    std::string url;
    HubDirectory::LinkState state = HubDirectory::LinkState::Disconnected;
    double reconnects = 0, drops = 0, queued = 0;
};
struct Snapshot {
    std::vector<WorkerSample> workers;
    std::vector<HubSample> hubs;
    HistoryStats history; // the store's history writer
};

prometheus::MetricFamily family(const char *name, const char *help, prometheus::MetricType type)
{
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    return f;
}

void sample(prometheus::MetricFamily &f, std::vector<prometheus::ClientMetric::Label> labels, double value)
{
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (f.type == prometheus::MetricType::Counter)
        m.counter.value = value;
    else
        m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

// The link's URL as a label: without user information, should it hold any.
std::string urlLabel(const QString &url)
{
    return QUrl(url).toString(QUrl::RemoveUserInfo).toStdString();
}

// What mg_start() says when it cannot start (e.g. "cannot bind to …"), for
// the one line the engine prints; only on the thread that calls it.
thread_local std::string *t_startErrors = nullptr;

int logMessage(const mg_connection *, const char *message)
{
    if (t_startErrors) {
        if (!t_startErrors->empty())
            *t_startErrors += "; ";
        *t_startErrors += message;
    } else {
        qCDebug(lcMetricsEndpoint) << "civetweb:" << message;
    }
    return 1; // said: CivetWeb prints nothing itself
}

int respond(mg_connection *conn, int status, const char *reason, const std::string &body, bool head,
            const char *contentType = "text/plain; charset=utf-8", const char *extraHeaders = "")
{
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n%s"
              "Connection: close\r\n\r\n",
              status, reason, contentType, body.size(), extraHeaders);
    if (!head && !body.empty())
        mg_write(conn, body.data(), body.size());
    return status;
}

} // namespace

struct MetricsEndpoint::Shared {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    prometheus::Family<prometheus::Histogram> *storeWrites = nullptr;
    prometheus::Histogram *storeWriteSeconds = nullptr;
    prometheus::Family<prometheus::Histogram> *hubCommands = nullptr;
    std::atomic<qint64> heartbeatMs{steadyMs()};
    qint64 stalledAfterMs = kStalledAfterMs;
    double startTimeSeconds = 0;
    double engineStartMs = 0;
    std::string version;
    long ticksPerSecond = 100;

    std::mutex mutex; // guards `snapshot` (the pointer only)
    std::shared_ptr<const Snapshot> snapshot = std::make_shared<Snapshot>();

    std::shared_ptr<const Snapshot> current()
    {
        const std::lock_guard<std::mutex> lock(mutex);
        return snapshot;
    }
    void publish(std::shared_ptr<const Snapshot> s)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        snapshot.swap(s);
    } // the old one is released here, outside the lock

    std::string render();
    std::pair<int, std::string> health() const;
};

// On a server thread: everything from the snapshot, the histograms and /proc.
std::string MetricsEndpoint::Shared::render()
{
    using prometheus::MetricType;
    using L = std::vector<prometheus::ClientMetric::Label>;
    std::vector<prometheus::MetricFamily> out;
    const std::shared_ptr<const Snapshot> snap = current();
    const double nowMs = double(QDateTime::currentMSecsSinceEpoch());

    auto state = family("streamengine_worker_state", "The worker's state: 1 for the state it is in, 0 for the others.", MetricType::Gauge);
    auto hold = family("streamengine_worker_on_hold", "1 while the watchdog holds the worker back after too many restarts.", MetricType::Gauge);
    auto fps = family("streamengine_worker_pictures_per_second", "Pictures the worker's streamer made per second, over the last 5 s.", MetricType::Gauge);
    auto pictures = family("streamengine_worker_pictures_total", "Pictures the worker's streamer made since the engine started.", MetricType::Counter);
    auto age = family("streamengine_worker_seconds_since_last_picture",
                      "Seconds since the worker's last picture (since the engine started, when it has shown none).", MetricType::Gauge);
    auto restarts = family("streamengine_worker_restarts_total",
                           "The watchdog's restarts of the worker since the engine started, by cause (a restart that ended in a hold included).",
                           MetricType::Counter);
    auto holds = family("streamengine_worker_watchdog_holds_total",
                        "Restarts that ended in a watchdog hold (too many within the window) since the engine started.", MetricType::Counter);
    for (const WorkerSample &w : snap->workers) {
        const L labels{{"worker_id", w.id}, {"name", w.name}};
        for (int s = 0; s < int(std::size(kWorkerStates)); ++s) {
            L l = labels;
            l.push_back({"state", kWorkerStates[s]});
            sample(state, std::move(l), s == w.state ? 1 : 0);
        }
        sample(hold, labels, w.onHold ? 1 : 0);
        sample(fps, labels, w.picturesPerSecond);
        sample(pictures, labels, w.picturesTotal);
        sample(age, labels, std::max(0.0, (nowMs - (w.lastPictureMs > 0 ? double(w.lastPictureMs) : engineStartMs)) / 1000.0));
        for (int c = 0; c < kRestartCauseCount; ++c) {
            L l = labels;
            l.push_back({"cause", restartCauseName(RestartCause(c))});
            sample(restarts, std::move(l), double(w.restarts.byCause[size_t(c)]));
        }
        sample(holds, labels, double(w.restarts.holds));
    }
    for (auto *f : {&state, &hold, &fps, &pictures, &age, &restarts, &holds})
        out.push_back(std::move(*f));

    auto hubState = family("streamengine_hub_link_state", "The hub link's state: 1 for the state it is in, 0 for the others.", MetricType::Gauge);
    auto reconnects = family("streamengine_hub_link_reconnects_total",
                             "Connections the link began again after one failed or was lost, since the engine started.", MetricType::Counter);
    auto drops = family("streamengine_hub_link_queue_drops_total",
                        "Messages (events, log lines) dropped from the link's queue because the hub was too slow.", MetricType::Counter);
    auto queued = family("streamengine_hub_link_queued_messages", "Messages waiting in the link's queue.", MetricType::Gauge);
    for (const HubSample &h : snap->hubs) {
        const L labels{{"url", h.url}};
        for (const HubDirectory::LinkState s : HubDirectory::kLinkStates) {
            L l = labels;
            l.push_back({"state", HubDirectory::linkStateName(s).toStdString()});
            sample(hubState, std::move(l), h.state == s ? 1 : 0);
        }
        sample(reconnects, labels, h.reconnects);
        sample(drops, labels, h.drops);
        sample(queued, labels, h.queued);
    }
    for (auto *f : {&hubState, &reconnects, &drops, &queued})
        out.push_back(std::move(*f));

    auto historyLost = family("streamengine_store_history_lost_total",
                              "History items (watchdog events, counts, good marks) the store's writer could not keep: a write error "
                              "(disk full, I/O error) or too many waiting.",
                              MetricType::Counter);
    sample(historyLost, {{"reason", "write_error"}}, double(snap->history.failed));
    sample(historyLost, {{"reason", "queue_full"}}, double(snap->history.dropped));
    out.push_back(std::move(historyLost));
    auto historyQueued = family("streamengine_store_history_queued", "History items waiting for the store's writer thread.", MetricType::Gauge);
    sample(historyQueued, {}, double(snap->history.waiting));
    out.push_back(std::move(historyQueued));

    for (prometheus::MetricFamily &f : registry->Collect())
        out.push_back(std::move(f));

    // The engine process, as Prometheus's client libraries name it.
    const std::string stat = readProcFile("/proc/self/stat");
    const metrics::ProcessTimes times = metrics::parseProcessStat(QByteArray::fromRawData(stat.data(), qsizetype(stat.size())));
    if (times.valid) {
        auto cpu = family("process_cpu_seconds_total", "CPU time the engine process used (user and system), in seconds.", MetricType::Counter);
        sample(cpu, {}, double(times.total()) / double(ticksPerSecond));
        out.push_back(std::move(cpu));
    }
    const std::string status = readProcFile("/proc/self/status");
    const double rssMb = metrics::parseProcessRssMb(QByteArray::fromRawData(status.data(), qsizetype(status.size())));
    if (rssMb >= 0) {
        auto rss = family("process_resident_memory_bytes", "The engine process's resident memory, in bytes.", MetricType::Gauge);
        sample(rss, {}, rssMb * 1024 * 1024);
        out.push_back(std::move(rss));
    }
    if (const int fds = countOpenFds(); fds >= 0) {
        auto open = family("process_open_fds", "File descriptors the engine process holds open.", MetricType::Gauge);
        sample(open, {}, fds);
        out.push_back(std::move(open));
    }
    auto start = family("process_start_time_seconds", "When the engine started, in seconds since the Unix epoch.", MetricType::Gauge);
    sample(start, {}, startTimeSeconds);
    out.push_back(std::move(start));
    auto loop = family("streamengine_event_loop_heartbeat_age_seconds",
                       "Seconds since the engine's event loop last stamped its heartbeat (about every second while it turns).",
                       MetricType::Gauge);
    sample(loop, {}, double(steadyMs() - heartbeatMs.load(std::memory_order_relaxed)) / 1000.0);
    out.push_back(std::move(loop));
    auto info = family("streamengine_build_info", "The engine's version, as the value 1.", MetricType::Gauge);
    sample(info, {{"version", version}}, 1);
    out.push_back(std::move(info));

    // A family without a sample (no hub, no hub command yet) says nothing.
    out.erase(std::remove_if(out.begin(), out.end(), [](const prometheus::MetricFamily &f) { return f.metric.empty(); }), out.end());
    return prometheus::TextSerializer().Serialize(out);
}

std::pair<int, std::string> MetricsEndpoint::Shared::health() const
{
    const qint64 age = steadyMs() - heartbeatMs.load(std::memory_order_relaxed);
    char text[160];
    if (age >= stalledAfterMs) {
        std::snprintf(text, sizeof text, "stalled: the engine's event loop has not turned for %.1f s\n", double(age) / 1000.0);
        return {503, text};
    }
    std::snprintf(text, sizeof text, "ok: the engine's event loop turned %.1f s ago\n", double(age) / 1000.0);
    return {200, text};
}

namespace {
// Every request, on a CivetWeb thread: /metrics, /healthz, else 404.
int handleRequest(mg_connection *conn, void *cbdata)
{
    auto *shared = static_cast<MetricsEndpoint::Shared *>(cbdata);
    const mg_request_info *ri = mg_get_request_info(conn);
    const std::string_view uri = ri && ri->local_uri ? ri->local_uri : "";
    const std::string_view method = ri && ri->request_method ? ri->request_method : "";
    const bool head = method == "HEAD";
    if (uri != "/metrics" && uri != "/healthz")
        return respond(conn, 404, "Not Found", "not found: this server has /metrics and /healthz\n", head);
    if (method != "GET" && !head)
        return respond(conn, 405, "Method Not Allowed", "GET or HEAD only\n", head, "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n");
    if (uri == "/healthz") {
        const auto [status, text] = shared->health();
        return respond(conn, status, status == 200 ? "OK" : "Service Unavailable", text, head);
    }
    return respond(conn, 200, "OK", shared->render(), head, kContentType);
}
} // namespace

Result<ListenAddress> parseListenAddress(const QString &text)
{
    auto refuse = [&](const QString &why) {
        return Result<ListenAddress>::failure(QStringLiteral("--metrics-listen takes HOST:PORT, an IP address (or localhost) and a "
                                                             "port 1-65535, e.g. 127.0.0.1:9464, not '%1' (%2)")
                                                  .arg(text, why));
    };
    QString host, port;
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QLatin1Char(']'));
        if (close < 0 || text.mid(close + 1, 1) != QLatin1String(":"))
            return refuse(QStringLiteral("an IPv6 address is written [ADDRESS]:PORT"));
        host = text.mid(1, close - 1);
        port = text.mid(close + 2);
        const QHostAddress a(host);
        if (a.isNull() || a.protocol() != QAbstractSocket::IPv6Protocol || host.contains(QLatin1Char('%')))
            return refuse(QStringLiteral("'%1' is no IPv6 address").arg(host));
    } else {
        const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
        if (colon < 0)
            return refuse(QStringLiteral("no port"));
        host = text.left(colon);
        port = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':')))
            return refuse(QStringLiteral("an IPv6 address is written [ADDRESS]:PORT"));
        if (host == QLatin1String("localhost"))
            host = QStringLiteral("127.0.0.1");
        const QHostAddress a(host);
        if (host.isEmpty() || a.isNull() || a.protocol() != QAbstractSocket::IPv4Protocol)
            return refuse(host.isEmpty() ? QStringLiteral("no address") : QStringLiteral("'%1' is no IP address").arg(host));
        host = a.toString(); // canonical: no leading zeros
    }
    bool ok = false;
    const uint number = port.toUInt(&ok);
    const bool digits = !port.isEmpty() && std::all_of(port.begin(), port.end(), [](QChar c) { return c.isDigit(); });
    if (!ok || !digits || number < 1 || number > 65535)
        return refuse(QStringLiteral("the port must be a number from 1 to 65535"));
    return Result<ListenAddress>::success(ListenAddress{host, quint16(number)});
}

QString ListenAddress::toString() const
{
    return (host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host) + QLatin1Char(':') + QString::number(port);
}

MetricsEndpoint::MetricsEndpoint(Engine &engine, QObject *parent)
    : QObject(parent), m_engine(engine), m_shared(std::make_shared<Shared>())
{
    Shared &s = *m_shared;
    s.startTimeSeconds = double(engine.startDate().toMSecsSinceEpoch()) / 1000.0;
    s.engineStartMs = double(engine.startDate().toMSecsSinceEpoch());
    s.version = Engine::programVersion().toStdString();
    if (const long ticks = ::sysconf(_SC_CLK_TCK); ticks > 0)
        s.ticksPerSecond = ticks;
    // Tests shorten the stall that /healthz reports (as the streamers' deadlines).
    if (const int ms = qEnvironmentVariableIntValue("SE_HEALTHZ_STALL_MS"); ms > 0)
        s.stalledAfterMs = ms;
    s.storeWrites = &prometheus::BuildHistogram()
                         .Name("streamengine_store_write_seconds")
                         .Help("How long each store transaction took from BEGIN to COMMIT (fsync included) or ROLLBACK, in seconds.")
                         .Register(*s.registry);
    s.storeWriteSeconds = &s.storeWrites->Add({}, kStoreBuckets);
    s.hubCommands = &prometheus::BuildHistogram()
                         .Name("streamengine_hub_command_seconds")
                         .Help("From a hub's command arriving to its answer handed to the connection, in seconds.")
                         .Register(*s.registry);

    // Observed where the store writes: the main thread (edits) and the
    // store's history writer thread; a histogram takes its own lock.
    engine.store().setWriteObserver([histogram = s.storeWriteSeconds, keep = m_shared](std::chrono::nanoseconds took, bool) {
        histogram->Observe(std::chrono::duration<double>(took).count());
    });

    WorkerManager &workers = engine.workers();
    connect(&workers, &WorkerManager::workerAdded, this, &MetricsEndpoint::refreshSoon);
    connect(&workers, &WorkerManager::workerRemoved, this, &MetricsEndpoint::refreshSoon);
    connect(&workers, &WorkerManager::watchdogEvent, this, &MetricsEndpoint::refreshSoon);
    connect(&engine.store(), &Store::historyWriteFailed, this, &MetricsEndpoint::refreshSoon);
    connect(&engine, &Engine::hubDirectoryChanged, this, &MetricsEndpoint::watchHubs);
    watchHubs();

    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &MetricsEndpoint::refresh);
}

MetricsEndpoint::~MetricsEndpoint()
{
    if (m_context)
        mg_stop(m_context); // waits for the requests under way; CivetWeb's threads end
    m_engine.store().setWriteObserver({});
}

Result<> MetricsEndpoint::listen(const ListenAddress &address)
{
    static std::once_flag once;
    std::call_once(once, [] { mg_init_library(0); });
    if (address.host.contains(QLatin1Char(':')) && !mg_check_feature(MG_FEATURES_IPV6))
        return Result<>::failure(QStringLiteral("cannot serve metrics on %1: this CivetWeb has no IPv6").arg(address.toString()));
    const QByteArray ports = address.toString().toUtf8();
    // Bounded: two threads, requests of at most 8 KB (headers; a body is never
    // read), 5 s to send one, no keep-alive, at most 16 connections waiting.
    const char *options[] = {"listening_ports", ports.constData(), "num_threads", "2", "request_timeout_ms", "5000",
                             "enable_keep_alive", "no", "max_request_size", "8192", "connection_queue", "16", nullptr};
    mg_callbacks callbacks{};
    callbacks.log_message = logMessage;
    std::string errors;
    t_startErrors = &errors;
    m_context = mg_start(&callbacks, m_shared.get(), options);
    t_startErrors = nullptr;
    if (!m_context)
        return Result<>::failure(
            QStringLiteral("cannot serve metrics on %1: %2")
                .arg(address.toString(), errors.empty() ? QStringLiteral("the HTTP server did not start") : QString::fromStdString(errors)));
    mg_set_request_handler(m_context, "/", handleRequest, m_shared.get());
    refresh();
    m_tick.start();
    qCInfo(lcMetricsEndpoint).noquote() << QStringLiteral("metrics at http://%1/metrics, liveness at /healthz").arg(address.toString());
    return Result<>::success();
}

void MetricsEndpoint::watchHubs()
{
    if (m_hubs)
        m_hubs->disconnect(this);
    m_hubs = m_engine.hubs();
    if (!m_hubs)
        return;
    connect(m_hubs, &HubDirectory::hubsChanged, this, &MetricsEndpoint::refreshSoon);
    connect(m_hubs, &HubDirectory::commandAnswered, this, &MetricsEndpoint::observeCommand);
    refreshSoon();
}

void MetricsEndpoint::observeCommand(const QString &url, const QString &method, double seconds)
{
    prometheus::Histogram *&h = m_commandHistograms[url + QLatin1Char('\n') + method];
    if (!h)
        h = &m_shared->hubCommands->Add({{"url", urlLabel(url)}, {"method", method.toStdString()}}, kCommandBuckets);
    h->Observe(seconds);
}

// Soon, once, however many changes come in this turn of the event loop.
void MetricsEndpoint::refreshSoon()
{
    if (m_refreshQueued || !m_context)
        return;
    m_refreshQueued = true;
    QMetaObject::invokeMethod(this, &MetricsEndpoint::refresh, Qt::QueuedConnection);
}

// On the main thread: the heartbeat, and a new snapshot of the workers and hubs.
void MetricsEndpoint::refresh()
{
    m_refreshQueued = false;
    const qint64 now = steadyMs();
    m_shared->heartbeatMs.store(now, std::memory_order_relaxed);

    auto snap = std::make_shared<Snapshot>();
    WorkerManager &manager = m_engine.workers();
    const QList<Worker *> workers = manager.workers();
    snap->workers.reserve(size_t(workers.size()));
    for (auto it = m_pictures.begin(); it != m_pictures.end(); ++it)
        it->worker = manager.worker(it.key()) == it->worker ? it->worker : nullptr;
    for (Worker *w : workers) {
        WorkerSample s;
        s.id = w->id().toStdString();
        s.name = w->config().name.toStdString();
        s.state = int(w->state());
        s.onHold = w->isOnHold();
        PictureTrack &t = m_pictures[w->id()];
        if (t.worker != w) { // a worker made anew (same id) counts from its own 0
            t.worker = w;
            t.lastSequence = 0;
            t.window.clear();
        }
        const int sequence = w->pictureSequence();
        t.total += quint64(sequence >= t.lastSequence ? sequence - t.lastSequence : sequence);
        t.lastSequence = sequence;
        t.window.emplace_back(now, t.total);
        while (t.window.size() > 2 && now - t.window[1].first >= kRateWindowMs)
            t.window.pop_front();
        const qint64 span = now - t.window.front().first;
        s.picturesPerSecond = span > 0 ? double(t.total - t.window.front().second) * 1000.0 / double(span) : 0;
        s.picturesTotal = double(t.total);
        const QDateTime last = w->lastPictureTime();
        s.lastPictureMs = last.isValid() ? last.toMSecsSinceEpoch() : 0;
        s.restarts = manager.restartCounts(w->id());
        snap->workers.push_back(std::move(s));
    }

    if (m_hubs) {
        for (const HubDirectory::Hub &h : m_hubs->hubs()) {
            HubTrack &t = m_hubTracks[h.url];
            t.reconnects += quint64(h.reconnects >= t.lastReconnects ? h.reconnects - t.lastReconnects : h.reconnects);
            t.drops += quint64(h.dropped >= t.lastDrops ? h.dropped - t.lastDrops : h.dropped);
            t.lastReconnects = h.reconnects;
            t.lastDrops = h.dropped;
            snap->hubs.push_back({urlLabel(h.url), h.state, double(t.reconnects), double(t.drops), double(h.queued)});
        }
    }
    snap->history = m_engine.store().historyStats();
    m_shared->publish(std::move(snap));
}

} // namespace se
