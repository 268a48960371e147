#pragma once

#include "common/Result.h"
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <deque>
#include <memory>
#include <optional>
#include <utility>

struct mg_context;
namespace prometheus {
class Histogram;
}

namespace se {

class Engine;
class HubDirectory;
class Worker;

// What --metrics-listen takes: an IP address (or "localhost") and a port.
struct ListenAddress {
    QString host; // an IPv4 address, or an IPv6 one (without brackets)
    quint16 port = 0;
    QString toString() const; // "127.0.0.1:9464", "[::1]:9464"
};
// "127.0.0.1:9464", "[::1]:9464", "localhost:9464", "0.0.0.0:9464"; anything
// else is refused with a one-line reason.
Result<ListenAddress> parseListenAddress(const QString &text);

// The operator's metrics, in Prometheus's text format at /metrics, and the
// engine's liveness at /healthz, over HTTP (CivetWeb; see docs/metrics.md).
//
// Threads: CivetWeb serves requests on threads of its own. They never touch
// the engine's objects: once a second (and at once after a watchdog action,
// a worker added or removed, a hub's change) the main thread copies what the
// metrics need into an immutable snapshot and swaps it in under a mutex held
// only for the pointer; a scrape takes the pointer and does all the rest
// (formatting included) on its own thread. The histograms (store writes, hub
// commands) are prometheus-cpp metrics, observed on the main thread (store
// writes also on the store's history writer thread) and collected by a
// scrape under their own short locks. The same timer stamps a heartbeat that
// /healthz compares with the clock.
class MetricsEndpoint : public QObject {
    Q_OBJECT
public:
    explicit MetricsEndpoint(Engine &engine, QObject *parent = nullptr);
    ~MetricsEndpoint() override;

    // Starts serving; fails with one line (the address is in use, …).
    Result<> listen(const ListenAddress &address);

    // /healthz answers 503 once the event loop has not turned for this long
    // (SE_HEALTHZ_STALL_MS, for tests, shortens it).
    static constexpr int kStalledAfterMs = 10000;

    struct Shared; // what the server threads read

private:
    void refresh();
    void refreshSoon();
    void watchHubs();
    void observeCommand(const QString &url, const QString &method, double seconds);

    Engine &m_engine;
    std::shared_ptr<Shared> m_shared;
    mg_context *m_context = nullptr;
    QTimer m_tick;
    bool m_refreshQueued = false;
    QPointer<HubDirectory> m_hubs;

    // Pictures per worker: the streamer's count, made monotonic across a
    // worker made anew, and the last few seconds of it for the rate.
    struct PictureTrack {
        const Worker *worker = nullptr;
        int lastSequence = 0;
        quint64 total = 0;
        std::deque<std::pair<qint64, quint64>> window; // (steady ms, total)
    };
    QHash<QString, PictureTrack> m_pictures;
    // Per hub URL: the link's own counters (which start again when a hub is
    // removed and added) turned into counters that only grow.
    struct HubTrack {
        qint64 lastReconnects = 0, lastDrops = 0;
        quint64 reconnects = 0, drops = 0;
    };
    QHash<QString, HubTrack> m_hubTracks;
    QHash<QString, prometheus::Histogram *> m_commandHistograms; // by URL and method
};

} // namespace se
