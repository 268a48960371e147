// Issue 16 item 2: does the engine's CPU per worker stay flat as workers grow?
// `streamengine --headless` with 50, 200, 500 and 1000 FakeStreamer workers at
// 5 small pictures/s each: engine CPU % (of one core) per worker and RSS per
// worker at each size. Peer: bench_bare_fakes, the same FakeStreamers drawing
// the same pictures with no engine around them, at the same size; what the
// engine itself costs per worker is the difference. Runs are interleaved
// (every size once, then again) and each figure is min/median/max of them.
//   ./dev bench -R bench_scale    (or: build/bin/bench_scale [seconds per run] [runs] [sizes...])
#include "ProcSampler.h"
#include "Spread.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>

#include <algorithm>
#include <map>

using namespace se;

namespace {
QTextStream out(stdout);
const QString kCommand = QStringLiteral("fps=5 size=64x36");

QString bin(const QString &name) { return buildDir() + QStringLiteral("/bin/") + name; }

Load measureEngine(const QString &dataDir, int workers, int seconds)
{
    QProcess engine;
    engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    engine.start(bin(QStringLiteral("streamengine")), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir});
    // Polling is the observer's pace, not a wait for an event of the engine.
    waitFor([&] { return runningWorkers(dataDir) >= workers; }, 120000, 500);
    spinEventLoop(2000); // past the boot's own work
    const Load load = measureProcess(engine.processId(), seconds);
    engine.terminate();
    if (!engine.waitForFinished(30000)) {
        engine.kill();
        engine.waitForFinished();
    }
    return load;
}

Load measureBare(int workers, int seconds)
{
    QProcess bare;
    bare.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    bare.start(bin(QStringLiteral("bench_bare_fakes")), {QString::number(workers), kCommand});
    bare.waitForReadyRead(60000);
    spinEventLoop(2000);
    const Load load = measureProcess(bare.processId(), seconds);
    bare.kill();
    bare.waitForFinished();
    return load;
}

struct Runs {
    std::vector<double> engineCpu, engineRss, bareCpu, bareRss, ownCpu;
};
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int seconds = args.value(1, QStringLiteral("15")).toInt();
    const int runs = args.value(2, QStringLiteral("3")).toInt();
    std::vector<int> sizes;
    for (int i = 3; i < args.size(); ++i)
        sizes.push_back(args[i].toInt());
    if (sizes.empty())
        sizes = {50, 200, 500, 1000};

    QTemporaryDir root;
    std::map<int, QString> dirs;
    for (int n : sizes) {
        dirs[n] = root.path() + QStringLiteral("/%1").arg(n);
        Engine engine;
        QString error;
        seedFakeWorkers(engine, dirs[n], n, kCommand, &error);
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << '\n';
            return 1;
        }
    }

    std::map<int, Runs> results;
    for (int r = 0; r < runs; ++r) {
        for (int n : sizes) {
            const Load e = measureEngine(dirs[n], n, seconds);
            const Load b = measureBare(n, seconds);
            Runs &x = results[n];
            x.engineCpu.push_back(e.cpuPercent / n);
            x.engineRss.push_back(e.rssMb * 1024 / n);
            x.bareCpu.push_back(b.cpuPercent / n);
            x.bareRss.push_back(b.rssMb * 1024 / n);
            x.ownCpu.push_back((e.cpuPercent - b.cpuPercent) / n);
            QTextStream(stderr) << QStringLiteral("run %1, %2 workers: engine %3% %4 MB, bare %5% %6 MB\n")
                                       .arg(r + 1).arg(n).arg(e.cpuPercent, 0, 'f', 1).arg(e.rssMb, 0, 'f', 1)
                                       .arg(b.cpuPercent, 0, 'f', 1).arg(b.rssMb, 0, 'f', 1);
        }
    }

    out << "\nStreamEngine scale benchmark: FakeStreamer workers (" << kCommand << "), " << seconds << " s per run, "
        << runs << " interleaved runs; min / median / max\n\n";
    out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
               .arg(QStringLiteral("workers"), 7)
               .arg(QStringLiteral("engine CPU %/worker"), 24)
               .arg(QStringLiteral("peer CPU %/worker"), 24)
               .arg(QStringLiteral("engine's own CPU %/worker"), 27)
               .arg(QStringLiteral("engine RSS KB/worker"), 22)
               .arg(QStringLiteral("peer RSS KB/worker"), 22);
    for (int n : sizes) {
        const Runs &x = results[n];
        out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
                   .arg(n, 7)
                   .arg(fmt(spread(x.engineCpu), 4), 24)
                   .arg(fmt(spread(x.bareCpu), 4), 24)
                   .arg(fmt(spread(x.ownCpu), 4), 27)
                   .arg(fmt(spread(x.engineRss), 0), 22)
                   .arg(fmt(spread(x.bareRss), 0), 22);
    }
    if (sizes.size() > 1) {
        const double first = spread(results[sizes.front()].ownCpu).median;
        const double last = spread(results[sizes.back()].ownCpu).median;
        out << QStringLiteral("\nengine's own CPU per worker at %1 vs %2 (medians): %3x\n")
                   .arg(sizes.back()).arg(sizes.front()).arg(first > 0 ? last / first : 0.0, 0, 'f', 2);
    }
    out << "goal: at most 1.2x\n";
    out.flush();
    return 0;
}
