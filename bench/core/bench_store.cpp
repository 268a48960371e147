// Issue 12's store benchmark: the store off the event loop.
//
// An in-process engine with 200 FakeStreamer workers that all fail together
// (fps=5 fail-after=3: every worker fails 3 s after each start, and the
// watchdog restarts it), on a disk whose fsync takes 10 ms (a SQLite VFS,
// "slowsync", that wraps the default one and sleeps in xSync; registered as
// the default before the engine opens its database, so both of the store's
// connections use it). Measured while they flap:
//  - a hub command's round trip: ResetWatchdogEventCount, sent every 5 ms by
//    a thread that stands in for a hub's socket (a queued call to the main
//    thread) and timed from when it was sent to when HubCommands answered;
//  - the event loop's lateness: a 5 ms timer's ticks, each against when it
//    was due (a tick that could not run during a stall counts as late too);
//  - at the end, the clean stop: how long the shutdown takes, and whether
//    every watchdog event that was announced is in the file.
// Peer, in the same run: the same engine with the history written on the
// main thread, one transaction per item (Store::HistoryWrites::CallingThread,
// the engine before issue 12).
//   ./dev bench -R bench_store      (or build/bin/bench_store [workers] [seconds] [fsync ms])
// SE_BENCH_STORE_COMMAND replaces the workers' command (e.g. "fps=5 size=64x36"
// for the same engine without failures: what the main thread costs anyway).
#include "core/engine/Engine.h"
#include "core/hub/HubCommands.h"
#include "ProcSampler.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace se;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------ the slow-fsync VFS
namespace slowsync {

std::atomic<int> delayUs{0};
std::atomic<quint64> syncs{0};
sqlite3_vfs *real = nullptr;
sqlite3_vfs vfs;

// Our file, followed in the same allocation by the default VFS's own.
struct File {
    sqlite3_file base;
    sqlite3_file *real;
};
sqlite3_file *inner(sqlite3_file *f) { return reinterpret_cast<File *>(f)->real; }
const sqlite3_io_methods *m(sqlite3_file *f) { return inner(f)->pMethods; }

int xClose(sqlite3_file *f) { return m(f)->xClose(inner(f)); }
int xRead(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return m(f)->xRead(inner(f), b, n, o); }
int xWrite(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return m(f)->xWrite(inner(f), b, n, o); }
int xTruncate(sqlite3_file *f, sqlite3_int64 size) { return m(f)->xTruncate(inner(f), size); }
int xSync(sqlite3_file *f, int flags)
{
    ++syncs;
    if (const int us = delayUs.load())
        std::this_thread::sleep_for(std::chrono::microseconds(us));
    return m(f)->xSync(inner(f), flags);
}
int xFileSize(sqlite3_file *f, sqlite3_int64 *size) { return m(f)->xFileSize(inner(f), size); }
int xLock(sqlite3_file *f, int l) { return m(f)->xLock(inner(f), l); }
int xUnlock(sqlite3_file *f, int l) { return m(f)->xUnlock(inner(f), l); }
int xCheckReservedLock(sqlite3_file *f, int *out) { return m(f)->xCheckReservedLock(inner(f), out); }
int xFileControl(sqlite3_file *f, int op, void *arg) { return m(f)->xFileControl(inner(f), op, arg); }
int xSectorSize(sqlite3_file *f) { return m(f)->xSectorSize(inner(f)); }
int xDeviceCharacteristics(sqlite3_file *f) { return m(f)->xDeviceCharacteristics(inner(f)); }
int xShmMap(sqlite3_file *f, int pg, int sz, int extend, void volatile **p) { return m(f)->xShmMap(inner(f), pg, sz, extend, p); }
int xShmLock(sqlite3_file *f, int offset, int n, int flags) { return m(f)->xShmLock(inner(f), offset, n, flags); }
void xShmBarrier(sqlite3_file *f) { m(f)->xShmBarrier(inner(f)); }
int xShmUnmap(sqlite3_file *f, int deleteFlag) { return m(f)->xShmUnmap(inner(f), deleteFlag); }
int xFetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return m(f)->xFetch(inner(f), o, n, p); }
int xUnfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return m(f)->xUnfetch(inner(f), o, p); }

const sqlite3_io_methods methods = {3, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock,
                                    xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier, xShmUnmap,
                                    xFetch, xUnfetch};

int xOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags)
{
    auto *file = reinterpret_cast<File *>(f);
    file->real = reinterpret_cast<sqlite3_file *>(file + 1);
    const int rc = real->xOpen(real, name, file->real, flags, outFlags);
    // SQLite closes a file whose pMethods is set: ours over one the default
    // VFS opened (the unix VFS's methods are version 3, as ours).
    file->base.pMethods = file->real->pMethods ? &methods : nullptr;
    return rc;
}
int xDelete(sqlite3_vfs *, const char *name, int syncDir) { return real->xDelete(real, name, syncDir); }
int xAccess(sqlite3_vfs *, const char *name, int flags, int *out) { return real->xAccess(real, name, flags, out); }
int xFullPathname(sqlite3_vfs *, const char *name, int n, char *out) { return real->xFullPathname(real, name, n, out); }
void *xDlOpen(sqlite3_vfs *, const char *name) { return real->xDlOpen(real, name); }
void xDlError(sqlite3_vfs *, int n, char *out) { real->xDlError(real, n, out); }
void (*xDlSym(sqlite3_vfs *, void *h, const char *sym))(void) { return real->xDlSym(real, h, sym); }
void xDlClose(sqlite3_vfs *, void *h) { real->xDlClose(real, h); }
int xRandomness(sqlite3_vfs *, int n, char *out) { return real->xRandomness(real, n, out); }
int xSleep(sqlite3_vfs *, int us) { return real->xSleep(real, us); }
int xCurrentTime(sqlite3_vfs *, double *t) { return real->xCurrentTime(real, t); }
int xGetLastError(sqlite3_vfs *, int n, char *out) { return real->xGetLastError(real, n, out); }
int xCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *t) { return real->xCurrentTimeInt64(real, t); }

// "slowsync", made the default: every connection opened after this uses it.
bool install()
{
    real = sqlite3_vfs_find(nullptr);
    if (!real || real->iVersion < 2)
        return false;
    vfs = sqlite3_vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = int(sizeof(File)) + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = "slowsync";
    vfs.xOpen = xOpen;
    vfs.xDelete = xDelete;
    vfs.xAccess = xAccess;
    vfs.xFullPathname = xFullPathname;
    vfs.xDlOpen = xDlOpen;
    vfs.xDlError = xDlError;
    vfs.xDlSym = xDlSym;
    vfs.xDlClose = xDlClose;
    vfs.xRandomness = xRandomness;
    vfs.xSleep = xSleep;
    vfs.xCurrentTime = xCurrentTime;
    vfs.xGetLastError = xGetLastError;
    vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
    return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK && sqlite3_vfs_find(nullptr) == &vfs;
}

} // namespace slowsync

// ------------------------------------------------ one run
namespace {
QTextStream out(stdout);

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Spread {
    double p50 = 0, p99 = 0, max = 0;
    size_t n = 0;
};
Spread spread(std::vector<double> v)
{
    Spread s;
    s.n = v.size();
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))]; };
    s.p50 = at(0.50);
    s.p99 = at(0.99);
    s.max = v.back();
    return s;
}

struct Figures {
    Spread command, handler, loop;
    int commandsFailed = 0;
    int announced = 0;      // watchdog events the engine announced
    qint64 stored = 0;      // watchdog events in the file after the stop
    HistoryStats history;
    quint64 syncs = 0;      // fsyncs while flapping
    int waitingAtStop = 0;  // history items queued when the shutdown began
    double shutdownMs = 0;  // shutdown() to finished(), the history drained
    double closeMs = 0;     // the store's close (what was left)
    double kbPerEvent = 0;
};

qint64 fileBytes(const QString &path)
{
    return QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
}

Figures run(Store::HistoryWrites how, int workers, int seconds, int fsyncMs)
{
    Figures f;
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("streamengine.db"));
    QString error;
    slowsync::delayUs = 0;
    { // seeded on a fast disk, closed
        Engine seed;
        seedFakeWorkers(seed, dir.path(), workers, qEnvironmentVariable("SE_BENCH_STORE_COMMAND", QStringLiteral("fps=5 size=64x36 fail-after=3")), &error);
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << '\n';
            ::exit(1);
        }
    }
    const qint64 seededBytes = fileBytes(db);

    slowsync::delayUs = fsyncMs * 1000;
    auto engine = std::make_unique<Engine>();
    engine->store().setHistoryWrites(how);
    EngineOptions options;
    options.dataDir = dir.path();
    options.pluginDirs = {pluginDir()};
    if (const Result<> opened = engine->open(options); !opened.ok) {
        QTextStream(stderr) << opened.message << '\n';
        ::exit(1);
    }
    QStringList ids;
    for (Worker *w : engine->workers().workers())
        ids << w->id();
    QObject::connect(&engine->workers(), &WorkerManager::watchdogEvent, [&f] { ++f.announced; });
    HubCommands commands(*engine, [](const QString &) { return false; });

    std::vector<double> command, handler, loop;
    command.reserve(size_t(seconds) * 250);
    handler.reserve(size_t(seconds) * 250);
    loop.reserve(size_t(seconds) * 250);
    QObject receiver;
    std::atomic<bool> measuring{true};
    const quint64 syncsBefore = slowsync::syncs;
    engine->boot();

    // A hub's commands: sent every 5 ms from another thread, answered on the main thread.
    std::thread hub([&] {
        auto next = Clock::now();
        for (int i = 0; measuring; ++i) {
            next += 5ms;
            std::this_thread::sleep_until(next);
            const Clock::time_point sent = Clock::now();
            const QString id = ids[i % ids.size()];
            QMetaObject::invokeMethod(&receiver, [&, sent, id] {
                const Clock::time_point begun = Clock::now();
                const QJsonObject answer = commands.handle(QStringLiteral("ResetWatchdogEventCount"),
                                                           QJsonArray{QJsonObject{{QStringLiteral("workerId"), id}}}, QStringLiteral("http://bench"));
                const Clock::time_point done = Clock::now();
                if (!measuring)
                    return;
                command.push_back(ms(done - sent));
                handler.push_back(ms(done - begun));
                f.commandsFailed += answer[QStringLiteral("success")].toBool() ? 0 : 1;
            }, Qt::QueuedConnection);
        }
    });

    // The event loop's lateness: ticks due every 5 ms, each against when it was due.
    const Clock::time_point t0 = Clock::now();
    qint64 k = 1;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setSingleShot(true);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const Clock::time_point now = Clock::now();
        for (; t0 + k * 5ms <= now; ++k)
            loop.push_back(ms(now - (t0 + k * 5ms)));
        tick.start(std::chrono::ceil<std::chrono::milliseconds>(t0 + k * 5ms - now));
    });
    tick.start(5ms);

    QEventLoop flapping;
    QTimer::singleShot(std::chrono::seconds(seconds), &flapping, &QEventLoop::quit);
    flapping.exec();
    measuring = false;
    tick.stop();
    hub.join();
    QCoreApplication::processEvents(); // the calls still queued: not measured
    f.syncs = slowsync::syncs - syncsBefore;

    // The clean stop: the history still queued is written before finished().
    f.waitingAtStop = engine->store().historyStats().waiting;
    QElapsedTimer t;
    t.start();
    QEventLoop stopping;
    bool finished = false; // at once when every worker is idle already (held, restarting)
    QObject::connect(engine.get(), &Engine::finished, &stopping, [&] {
        finished = true;
        stopping.quit();
    });
    engine->shutdown();
    if (!finished)
        stopping.exec();
    f.shutdownMs = double(t.nsecsElapsed()) / 1e6;
    f.history = engine->store().historyStats();
    t.restart();
    engine.reset();
    f.closeMs = double(t.nsecsElapsed()) / 1e6;

    slowsync::delayUs = 0;
    {
        QSqlDatabase check = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bench-check"));
        check.setDatabaseName(db);
        if (check.open()) {
            QSqlQuery q(check);
            if (q.exec(QStringLiteral("SELECT count(*) FROM watchdog_events")) && q.next())
                f.stored = q.value(0).toLongLong();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("bench-check"));
    f.kbPerEvent = f.stored > 0 ? double(fileBytes(db) - seededBytes) / 1024.0 / double(f.stored) : 0;
    f.command = spread(command);
    f.handler = spread(handler);
    f.loop = spread(loop);
    return f;
}
} // namespace

int main(int argc, char **argv)
{
    // Before anything opens a database: Qt's SQLite driver uses the system
    // libsqlite3 (ldd), the library this registers the VFS in.
    if (!slowsync::install()) {
        QTextStream(stderr) << "could not register the slowsync SQLite VFS\n";
        return 1;
    }
    QCoreApplication app(argc, argv);
    const int workers = app.arguments().value(1, QStringLiteral("200")).toInt();
    const int seconds = app.arguments().value(2, QStringLiteral("20")).toInt();
    const int fsyncMs = app.arguments().value(3, QStringLiteral("10")).toInt();

    const Figures writer = run(Store::HistoryWrites::WriterThread, workers, seconds, fsyncMs);
    const Figures peer = run(Store::HistoryWrites::CallingThread, workers, seconds, fsyncMs);

    out << "\nStore benchmark: " << workers << " FakeStreamer workers failing together (fps=5 fail-after=3), fsync " << fsyncMs
        << " ms (slowsync VFS), " << seconds << " s per run; a hub command every 5 ms, a 5 ms timer\n\n";
    const int w0 = 46, w1 = 16, w2 = 22;
    out << QStringLiteral("%1 %2 %3\n").arg(QString(), -w0).arg(QStringLiteral("writer thread"), w1).arg(QStringLiteral("peer: main thread"), w2);
    auto row = [&](const QString &name, double a, double b, int decimals = 1) {
        out << QStringLiteral("%1 %2 %3\n").arg(name, -w0).arg(a, w1, 'f', decimals).arg(b, w2, 'f', decimals);
    };
    row(QStringLiteral("hub command round trip p50 ms"), writer.command.p50, peer.command.p50, 2);
    row(QStringLiteral("hub command round trip p99 ms"), writer.command.p99, peer.command.p99, 2);
    row(QStringLiteral("hub command round trip max ms"), writer.command.max, peer.command.max);
    row(QStringLiteral("  of which in the handler, p99 ms"), writer.handler.p99, peer.handler.p99, 2);
    row(QStringLiteral("  commands answered"), double(writer.command.n), double(peer.command.n), 0);
    row(QStringLiteral("  commands failed"), writer.commandsFailed, peer.commandsFailed, 0);
    row(QStringLiteral("event-loop lateness p50 ms (5 ms timer)"), writer.loop.p50, peer.loop.p50, 2);
    row(QStringLiteral("event-loop lateness p99 ms"), writer.loop.p99, peer.loop.p99, 2);
    row(QStringLiteral("event-loop lateness max ms"), writer.loop.max, peer.loop.max);
    row(QStringLiteral("watchdog events announced"), writer.announced, peer.announced, 0);
    row(QStringLiteral("history items written"), double(writer.history.written), double(peer.history.written), 0);
    row(QStringLiteral("history transactions"), double(writer.history.transactions), double(peer.history.transactions), 0);
    row(QStringLiteral("fsyncs while flapping"), double(writer.syncs), double(peer.syncs), 0);
    row(QStringLiteral("most history items waiting"), writer.history.maxWaiting, peer.history.maxWaiting, 0);
    row(QStringLiteral("history items queued at the stop"), writer.waitingAtStop, peer.waitingAtStop, 0);
    row(QStringLiteral("shutdown() to finished() ms"), writer.shutdownMs, peer.shutdownMs);
    row(QStringLiteral("store close ms"), writer.closeMs, peer.closeMs);
    row(QStringLiteral("watchdog events in the file after the stop"), double(writer.stored), double(peer.stored), 0);
    row(QStringLiteral("history items lost"), double(writer.history.failed + writer.history.dropped),
        double(peer.history.failed + peer.history.dropped), 0);
    row(QStringLiteral("KB of file per stored event"), writer.kbPerEvent, peer.kbPerEvent, 2);
    out << "\ngoals (writer thread): command p99 < 5 ms, event-loop lateness p99 < 20 ms; every announced event stored\n";
    out.flush();
    return 0;
}
