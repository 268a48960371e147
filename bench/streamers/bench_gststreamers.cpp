// GstStreamer vs GstInProcess, with plain gst-launch-1.0 as the natural peer
// of the process streamer: per-worker CPU and PSS at N light pipelines
// (320x180 at 25 fps, 5 thumbnails/s), whether every thumbnail is on time,
// start -> first picture, stop, and kill -> detected -> first picture again.
//
//   build/bin/bench_gststreamers [--sizes 1,8,32,64] [--seconds 5] [--kills 5]
//       [--pipeline light|tiny] [--kinds GstStreamer,gst-launch-1.0] [--runs 1]
//
// `tiny` (160x90 at 5 fps, every frame a thumbnail) makes 256 workers fit on
// two cores; `--kinds` runs only the kinds named (default: all three).
// `--runs N` repeats the whole sweep N times, kinds and sizes interleaved, and
// ends with the CPU figures as min / median / max over the runs, each kind's
// median CPU per worker beside gst-launch-1.0's.
//
// CPU per worker is in percent of one core: the engine's own CPU plus its
// children's, over the measuring window, divided by the number of workers.
// Beside it, in percent of one core in all: the engine process alone (this
// program: the streamers, or the QProcesses reading gst-launch-1.0's stderr)
// and its children together.
// PSS per worker is the growth of the engine's PSS plus the children's PSS,
// divided by the number of workers (after a warm-up has loaded GStreamer once).

#include "ChildProcesses.h"
#include "CommandLine.h"
#include "core/streamer/Streamer.h"
#include "JpegSplitter.h"
#include "Spread.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QPluginLoader>
#include <QProcess>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <csignal>
#include <unistd.h>

using namespace se;

namespace {

const QString kLight = QStringLiteral(
    "videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=320,height=180 ! videorate ! "
    "video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
const QString kTiny = QStringLiteral(
    "videotestsrc is-live=true ! video/x-raw,framerate=5/1,width=160,height=90 ! jpegenc ! fdsink fd=2");
QString g_pipeline = kLight;
constexpr double kPeriodMs = 200.0;       // 5 thumbnails a second
constexpr double kOnTimeMs = 1.5 * kPeriodMs;

QElapsedTimer g_clock;
double nowMs() { return double(g_clock.nsecsElapsed()) / 1e6; }


double cpuSeconds(int pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> v = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return v.size() > 13 ? (v[11].toDouble() + v[12].toDouble()) / double(sysconf(_SC_CLK_TCK)) : 0;
}

double pssMb(int pid)
{
    QFile f(QStringLiteral("/proc/%1/smaps_rollup").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("Pss:"))
            return line.mid(4).trimmed().split(' ').first().toDouble() / 1024.0;
    return 0;
}

// Runs the event loop until `done` or the timeout; sleeps between events (a
// 20 ms tick re-checks `done`), so the bench itself costs next to no CPU.
// Times are taken in the signal handlers, never by this polling.
void waitFor(const std::function<bool()> &done, double timeoutMs)
{
    const double until = nowMs() + timeoutMs;
    QTimer tick;
    tick.start(20);
    while (!done() && nowMs() < until)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
double maxOf(const std::vector<double> &v) { return v.empty() ? -1 : *std::max_element(v.begin(), v.end()); }

// One worker of one kind: a streamer from a plugin, or gst-launch-1.0 itself.
struct Slot : QObject {
    std::unique_ptr<Streamer> streamer;
    QProcess *proc = nullptr;
    gst::JpegSplitter splitter;
    double startedAt = -1, firstPictureAt = -1, stopAskedAt = -1, stoppedAt = -1, failedAt = -1;
    std::vector<double> pictures;
    bool running = false;
    QString error;

    void onPicture()
    {
        const double t = nowMs();
        if (firstPictureAt < 0)
            firstPictureAt = t;
        pictures.push_back(t);
    }
};

struct Kind {
    QString name;
    StreamerPlugin *plugin = nullptr; // null: plain gst-launch-1.0

    void start(Slot &s) const
    {
        s.startedAt = nowMs();
        s.firstPictureAt = s.stopAskedAt = s.stoppedAt = s.failedAt = -1;
        s.pictures.clear();
        s.running = true;
        if (plugin) {
            if (!s.streamer) {
                s.streamer = plugin->create();
                QObject::connect(s.streamer.get(), &Streamer::picture, &s, [&s] { s.onPicture(); });
                QObject::connect(s.streamer.get(), &Streamer::stopped, &s, [&s] {
                    s.stoppedAt = nowMs();
                    s.running = false;
                });
                QObject::connect(s.streamer.get(), &Streamer::failed, &s, [&s](const QString &why) {
                    s.failedAt = nowMs();
                    s.running = false;
                    s.error = why;
                });
                QObject::connect(s.streamer.get(), &Streamer::ended, &s, [&s] { s.running = false; });
            }
            StreamerConfig c;
            c.workerId = c.name = QStringLiteral("bench");
            c.command = g_pipeline;
            s.streamer->start(c);
            return;
        }
        const QStringList args = gst::splitCommandLine(g_pipeline).value; // kLight or kTiny: both split
        delete s.proc;
        s.proc = new QProcess(&s);
        s.splitter = gst::JpegSplitter();
        s.proc->setStandardOutputFile(QProcess::nullDevice());
        QObject::connect(s.proc, &QProcess::readyReadStandardError, &s, [&s] {
            QList<QByteArray> pics;
            s.splitter.feed(s.proc->readAllStandardError(), &pics);
            if (!pics.isEmpty())
                s.onPicture();
        });
        QObject::connect(s.proc, &QProcess::finished, &s, [&s] {
            if (s.stopAskedAt >= 0)
                s.stoppedAt = nowMs();
            else
                s.failedAt = nowMs();
            s.running = false;
        });
        s.proc->start(QStringLiteral("gst-launch-1.0"), args);
    }
    void stop(Slot &s) const
    {
        s.stopAskedAt = nowMs();
        if (plugin)
            s.streamer->stop();
        else if (s.proc && s.proc->state() != QProcess::NotRunning)
            ::kill(pid_t(s.proc->processId()), SIGINT); // gst-launch-1.0 ends cleanly on SIGINT
    }
    int pidOf(Slot &s, const QList<int> &before) const
    {
        if (!plugin)
            return s.proc ? int(s.proc->processId()) : -1;
        for (int pid : childProcesses())
            if (!before.contains(pid))
                return pid;
        return -1;
    }
};

struct Row {
    QString kind;
    int n = 0;
    double cpuPct = 0, enginePct = 0, childrenPct = 0, pssMb = 0, picsPerSec = 0, onTimePct = 0, worstGapMs = 0;
    double firstMed = 0, firstMax = 0, stopMed = 0, stopMax = 0;
    double detectMed = -1, detectMax = -1, againMed = -1, againMax = -1;
    int failures = 0;
};

Row run(const Kind &kind, int n, double seconds, int kills)
{
    Row row;
    row.kind = kind.name;
    row.n = n;
    const int self = int(::getpid());
    const double pssBefore = pssMb(self);
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < n; ++i)
        slots.push_back(std::make_unique<Slot>());
    for (auto &s : slots)
        kind.start(*s);
    waitFor([&] { return std::all_of(slots.begin(), slots.end(), [](const auto &s) { return s->firstPictureAt >= 0 || !s->running; }); },
            60000);
    std::vector<double> firsts;
    for (auto &s : slots)
        if (s->firstPictureAt >= 0)
            firsts.push_back(s->firstPictureAt - s->startedAt);
    row.firstMed = median(firsts);
    row.firstMax = maxOf(firsts);

    // Settle, then measure a window.
    waitFor([] { return false; }, 1000);
    const QList<int> kids = childProcesses();
    const double self0 = cpuSeconds(self);
    double kids0 = 0;
    for (int k : kids)
        kids0 += cpuSeconds(k);
    const double t0 = nowMs();
    waitFor([] { return false; }, seconds * 1000);
    const double t1 = nowMs();
    const double self1 = cpuSeconds(self);
    double kids1 = 0;
    double pss = pssMb(self) - pssBefore;
    for (int k : kids) {
        kids1 += cpuSeconds(k);
        pss += pssMb(k);
    }
    const double window = (t1 - t0) / 1000.0;
    row.enginePct = 100.0 * (self1 - self0) / window;
    row.childrenPct = 100.0 * (kids1 - kids0) / window;
    row.cpuPct = (row.enginePct + row.childrenPct) / n;
    row.pssMb = pss / n;
    int pics = 0, onTime = 0, gaps = 0;
    double worst = 0;
    for (auto &s : slots) {
        double prev = -1;
        for (double t : s->pictures) {
            if (t < t0 || t > t1)
                continue;
            ++pics;
            if (prev >= 0) {
                ++gaps;
                const double gap = t - prev;
                worst = std::max(worst, gap);
                if (gap <= kOnTimeMs)
                    ++onTime;
            }
            prev = t;
        }
        if (!s->running)
            ++row.failures;
    }
    row.picsPerSec = pics / ((t1 - t0) / 1000.0) / n;
    row.onTimePct = gaps ? 100.0 * onTime / gaps : 0;
    row.worstGapMs = worst;

    // Kill -> detected -> first picture again (worker 0, started again at once
    // as the watchdog's first restart does). Processes only.
    if (kills > 0 && (!kind.plugin || kind.name == QLatin1String("GstStreamer"))) {
        std::vector<double> detect, again;
        Slot &s = *slots.front();
        for (int k = 0; k < kills; ++k) {
            QList<int> others = childProcesses();
            const int pid = kind.plugin ? -1 : kind.pidOf(s, {});
            int victim = pid;
            if (kind.plugin) {
                // The streamer's child: the one that goes away when it is killed.
                // Identify it by starting from a fresh slot 0 process list.
                victim = -1;
                for (int p : others) {
                    QFile env(QStringLiteral("/proc/%1/cmdline").arg(p));
                    if (env.open(QIODevice::ReadOnly) && env.readAll().contains("se-gst-host")) {
                        victim = p; // any host is as good as any other; slot 0 is the one we restart
                        break;
                    }
                }
            }
            if (victim <= 0)
                break;
            // Find which slot owns the victim: kill it and see who fails.
            const double killedAt = nowMs();
            ::kill(victim, SIGKILL);
            Slot *owner = nullptr;
            waitFor([&] {
                for (auto &x : slots)
                    if (x->failedAt >= killedAt) {
                        owner = x.get();
                        return true;
                    }
                return false;
            }, 10000);
            if (!owner)
                break;
            detect.push_back(owner->failedAt - killedAt);
            kind.start(*owner);
            waitFor([&] { return owner->firstPictureAt >= 0; }, 10000);
            if (owner->firstPictureAt >= 0)
                again.push_back(owner->firstPictureAt - killedAt);
            waitFor([] { return false; }, 300);
        }
        row.detectMed = median(detect);
        row.detectMax = maxOf(detect);
        row.againMed = median(again);
        row.againMax = maxOf(again);
    }

    std::vector<double> stops;
    for (auto &s : slots)
        kind.stop(*s);
    waitFor([&] { return std::all_of(slots.begin(), slots.end(), [](const auto &s) { return !s->running; }); }, 30000);
    for (auto &s : slots)
        if (s->stoppedAt >= 0)
            stops.push_back(s->stoppedAt - s->stopAskedAt);
    row.stopMed = median(stops);
    row.stopMax = maxOf(stops);
    slots.clear();
    waitFor([] { return childProcesses().isEmpty(); }, 10000);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return row;
}

QString ms(double med, double max)
{
    if (med < 0)
        return QStringLiteral("–");
    return QStringLiteral("%1 / %2").arg(med, 0, 'f', 0).arg(max, 0, 'f', 0);
}

void printSpreads(QTextStream &out, const std::map<std::pair<int, QString>, std::vector<Row>> &rows, int runs)
{
    auto of = [](const std::vector<Row> &rs, double Row::*field) {
        std::vector<double> v;
        for (const Row &r : rs)
            v.push_back(r.*field);
        return spread(v);
    };
    out << "\n" << runs << " interleaved runs, min / median / max\n\n"
        << "| streamer | workers | CPU %/worker | engine CPU % | children CPU % | on time % (min) | CPU/worker vs gst-launch-1.0 (medians) |\n"
        << "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto &[key, rs] : rows) {
        const auto peer = rows.find({key.first, QStringLiteral("gst-launch-1.0")});
        const Spread cpu = of(rs, &Row::cpuPct);
        QString ratio = QStringLiteral("–");
        if (peer != rows.end() && key.second != peer->first.second)
            ratio = QString::number(cpu.median / of(peer->second, &Row::cpuPct).median, 'f', 2) + QStringLiteral("x");
        out << "| " << key.second << " | " << key.first << " | " << fmt(cpu, 3) << " | " << fmt(of(rs, &Row::enginePct), 1)
            << " | " << fmt(of(rs, &Row::childrenPct), 1) << " | " << QString::number(of(rs, &Row::onTimePct).min, 'f', 1)
            << " | " << ratio << " |\n";
    }
    out.flush();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    g_clock.start();
    QList<int> sizes{1, 8, 32, 64};
    double seconds = 5;
    int kills = 5;
    int runs = 1;
    QStringList only{QStringLiteral("GstInProcess"), QStringLiteral("GstStreamer"), QStringLiteral("gst-launch-1.0")};
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--sizes")) {
            sizes.clear();
            for (const QString &s : args[i + 1].split(QLatin1Char(',')))
                sizes << s.toInt();
        } else if (args[i] == QLatin1String("--seconds")) {
            seconds = args[i + 1].toDouble();
        } else if (args[i] == QLatin1String("--kills")) {
            kills = args[i + 1].toInt();
        } else if (args[i] == QLatin1String("--pipeline")) {
            g_pipeline = args[i + 1] == QLatin1String("tiny") ? kTiny : kLight;
        } else if (args[i] == QLatin1String("--kinds")) {
            only = args[i + 1].split(QLatin1Char(','));
        } else if (args[i] == QLatin1String("--runs")) {
            runs = std::max(1, args[i + 1].toInt());
        }
    }

    QList<Kind> kinds;
    const QDir dir(pluginDir());
    for (const QString &type : {QStringLiteral("GstInProcess"), QStringLiteral("GstStreamer")}) {
        if (!only.contains(type))
            continue;
        for (const QFileInfo &fi : dir.entryInfoList({QStringLiteral("*.so")}, QDir::Files)) {
            auto *loader = new QPluginLoader(fi.absoluteFilePath(), &app);
            auto *p = qobject_cast<StreamerPlugin *>(loader->instance());
            if (p && p->typeName() == type)
                kinds.push_back({type, p});
        }
    }
    if (kinds.size() != only.size() - int(only.contains(QStringLiteral("gst-launch-1.0")))) {
        std::fprintf(stderr, "the GStreamer streamer plugins asked for are needed in %s\n", qPrintable(dir.path()));
        return 1;
    }
    if (only.contains(QStringLiteral("gst-launch-1.0")))
        kinds.push_back({QStringLiteral("gst-launch-1.0"), nullptr});

    // Warm-up: GStreamer's libraries and plugins loaded once, for both kinds.
    for (const Kind &k : kinds)
        run(k, 1, 0.2, 0);

    QTextStream out(stdout);
    out << "pipeline: " << g_pipeline << "\n"
        << "per worker: CPU in % of one core, PSS in MB; engine and children: CPU in % of one core in all; "
        << "times in ms as median / max; on time = next thumbnail within " << kOnTimeMs << " ms\n\n";
    out << "| streamer | workers | CPU %/worker | engine CPU % | children CPU % | PSS MB/worker | thumbs/s/worker | "
           "on time | worst gap ms | start→picture ms | stop ms | kill→detected ms | kill→picture again ms | failed |\n"
        << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    out.flush();
    std::map<std::pair<int, QString>, std::vector<Row>> rows; // by workers, then kind
    for (int round = 0; round < runs; ++round)
    for (int n : sizes) {
        for (const Kind &k : kinds) {
            const Row r = run(k, n, seconds, n <= 8 ? kills : std::min(kills, 3));
            rows[{n, k.name}].push_back(r);
            out << "| " << r.kind << " | " << r.n << " | " << QString::number(r.cpuPct, 'f', 2) << " | "
                << QString::number(r.enginePct, 'f', 1) << " | " << QString::number(r.childrenPct, 'f', 1) << " | "
                << QString::number(r.pssMb, 'f', 2) << " | " << QString::number(r.picsPerSec, 'f', 2) << " | "
                << QString::number(r.onTimePct, 'f', 1) << "% | " << QString::number(r.worstGapMs, 'f', 0) << " | "
                << ms(r.firstMed, r.firstMax) << " | " << ms(r.stopMed, r.stopMax) << " | "
                << ms(r.detectMed, r.detectMax) << " | " << ms(r.againMed, r.againMax) << " | " << r.failures << " |\n";
            out.flush();
        }
    }
    if (runs > 1)
        printSpreads(out, rows, runs);
    return 0;
}
