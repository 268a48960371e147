// Issue 6's benchmark: 64 FakeStreamer workers at 5 pictures/s (fps=5 size=320x180).
// Three peers in one run, each on a fresh engine:
//   headless     the engine alone, no window (what --headless runs)
//   dashboard    the MainWindow at 1920x1080 as it opens (the tiles in view decode, the others wait)
//   all visible  the same with the docks closed and small tiles, so all 64 tiles decode every picture
// For each: the main thread's event-loop latency (how late a 10 ms timer fires:
// p50, p99, max) and the process's CPU in % of one core, over the same seconds.
//   ./dev bench -R bench_ui       (or: xvfb-run -a build/bin/bench_ui [workers] [seconds])
#include "core/engine/Engine.h"
#include "core/metrics/ProcParsers.h"
#include "MainWindow.h"
#include "TestEnv.h"
#include "WorkerTile.h"
#include "WorkerWall.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <vector>

#include <unistd.h>

using namespace se;

namespace {
QTextStream out(stdout);

void pump(int ms)
{
    QDeadlineTimer deadline(ms);
    while (!deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

bool pumpUntil(const std::function<bool()> &done, int ms)
{
    QDeadlineTimer deadline(ms);
    while (!done() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return done();
}

double cpuSeconds()
{
    QFile f(QStringLiteral("/proc/self/stat"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return double(metrics::parseProcessStat(f.readAll()).total()) / double(sysconf(_SC_CLK_TCK));
}

double rssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    return f.open(QIODevice::ReadOnly) ? metrics::parseProcessRssMb(f.readAll()) : 0;
}

struct Measured {
    QString peer;
    int visibleTiles = -1;
    double picturesMade = 0;  // per second, all workers
    double picturesShown = -1; // per second, decoded onto tiles
    double p50 = 0, p99 = 0, max = 0;
    double cpu = 0;
    double rss = 0;
};

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

enum class Mode { Headless, Dashboard, AllVisible };

Measured run(Mode mode, int workers, int seconds)
{
    Measured r;
    r.peer = mode == Mode::Headless ? QStringLiteral("headless (no window)")
        : mode == Mode::Dashboard   ? QStringLiteral("dashboard")
                                    : QStringLiteral("dashboard, all tiles visible");
    QTemporaryDir dir;
    Engine engine;
    EngineOptions o;
    o.dataDir = dir.path();
    o.pluginDirs = {pluginDir()};
    if (const se::Result<> opened = engine.open(o); !opened.ok) {
        QTextStream(stderr) << opened.message << '\n';
        std::exit(1);
    }
    for (int i = 0; i < workers; ++i) {
        WorkerConfig c;
        c.name = QStringLiteral("Bench %1").arg(i + 1, 2, 10, QLatin1Char('0'));
        c.command = QStringLiteral("fps=5 size=320x180 pattern=%1").arg(i % 2 ? QStringLiteral("bars") : QStringLiteral("gradient"));
        c.streamerType = QStringLiteral("FakeStreamer");
        if (const se::Result<QString> made = engine.workers().create(c, WorkerManager::StartNow::No); !made.ok)
            qFatal("%s", qPrintable(made.message));
    }

    std::unique_ptr<ui::MainWindow> window;
    if (mode != Mode::Headless) {
        window = std::make_unique<ui::MainWindow>(engine);
        window->resize(1920, 1080);
        if (mode == Mode::AllVisible) {
            window->workerDock()->close();
            window->engineDock()->close();
            window->wall()->setMinimumTileWidth(150);
        }
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get()))
            out << "warning: the window was not exposed\n";
    }
    engine.boot();
    const QList<Worker *> all = engine.workers().workers();
    if (!pumpUntil([&] { return std::all_of(all.begin(), all.end(), [](Worker *w) { return w->state() == WorkerState::Running; }); }, 30000))
        out << "warning: not every worker is Running after 30 s\n";
    pump(2000); // settle

    const auto pictures = [&] {
        qint64 n = 0;
        for (Worker *w : all)
            n += w->pictureSequence();
        return n;
    };
    const auto shown = [&] {
        qint64 n = 0;
        if (window)
            for (ui::WorkerTile *t : window->wall()->tiles())
                n += t->decodedPictures();
        return n;
    };

    std::vector<double> lateness;
    lateness.reserve(size_t(seconds) * 110);
    QElapsedTimer tick;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(10);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const double ms = double(tick.nsecsElapsed()) / 1e6;
        lateness.push_back(std::max(0.0, ms - 10.0));
        tick.restart();
    });
    const qint64 pictures0 = pictures(), shown0 = shown();
    const double cpu0 = cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    tick.start();
    probe.start();
    QEventLoop loop;
    QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
    loop.exec();
    probe.stop();
    const double elapsed = double(wall.elapsed()) / 1000.0;
    r.cpu = 100.0 * (cpuSeconds() - cpu0) / elapsed;
    r.picturesMade = double(pictures() - pictures0) / elapsed;
    if (window) {
        r.picturesShown = double(shown() - shown0) / elapsed;
        r.visibleTiles = 0;
        for (ui::WorkerTile *t : window->wall()->tiles())
            r.visibleTiles += !t->visibleRegion().isEmpty();
    }
    r.p50 = percentile(lateness, 0.50);
    r.p99 = percentile(lateness, 0.99);
    r.max = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
    r.rss = rssMb();

    window.reset();
    bool finished = false;
    QObject::connect(&engine, &Engine::finished, [&] { finished = true; });
    engine.shutdown();
    pumpUntil([&] { return finished; }, 20000);
    return r;
}
} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false\nse.*.info=false"));
    const int workers = app.arguments().value(1, QStringLiteral("64")).toInt();
    const int seconds = app.arguments().value(2, QStringLiteral("20")).toInt();
    out << "bench_ui: " << workers << " FakeStreamer workers at fps=5 size=320x180, " << seconds
        << " s per peer, platform " << QGuiApplication::platformName() << ", " << QThread::idealThreadCount() << " cores\n";
    out.flush();

    QList<Measured> results;
    for (Mode m : {Mode::Headless, Mode::Dashboard, Mode::AllVisible}) {
        results << run(m, workers, seconds);
        out << "  done: " << results.last().peer << '\n';
        out.flush();
    }

    out << '\n'
        << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
               .arg(QStringLiteral("peer"), -30)
               .arg(QStringLiteral("tiles seen"), 10)
               .arg(QStringLiteral("pics/s made"), 12)
               .arg(QStringLiteral("pics/s shown"), 13)
               .arg(QStringLiteral("loop p50 ms"), 12)
               .arg(QStringLiteral("p99 ms"), 8)
               .arg(QStringLiteral("max ms"), 8)
               .arg(QStringLiteral("CPU % 1 core"), 13)
               .arg(QStringLiteral("RSS MB"), 8);
    for (const Measured &r : results)
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
                   .arg(r.peer, -30)
                   .arg(r.visibleTiles < 0 ? QStringLiteral("-") : QString::number(r.visibleTiles), 10)
                   .arg(r.picturesMade, 12, 'f', 1)
                   .arg(r.picturesShown < 0 ? QStringLiteral("-") : QString::number(r.picturesShown, 'f', 1), 13)
                   .arg(r.p50, 12, 'f', 2)
                   .arg(r.p99, 8, 'f', 2)
                   .arg(r.max, 8, 'f', 1)
                   .arg(r.cpu, 13, 'f', 1)
                   .arg(r.rss, 8, 'f', 0);
    out << "\ntargets (issue 6): loop p99 < 50 ms and CPU < 50 % of one core with the dashboard\n";
    return 0;
}
