// Issue 2's benchmark: boot 200 FakeStreamer workers until all are Running;
// then the engine's CPU and memory with 200 workers at 5 pictures/s for 30 s,
// side by side with the same streamers without the engine (bench_bare_fakes).
//   ./dev bench -R bench_engine      (or: build/bin/bench_engine [workers] [seconds])
#include "core/engine/Engine.h"
#include "ProcSampler.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>

using namespace se;

namespace {
QTextStream out(stdout);

bool allRunning(WorkerManager &m)
{
    const QList<Worker *> all = m.workers();
    return std::all_of(all.begin(), all.end(), [](Worker *w) { return w->state() == WorkerState::Running; });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int workers = app.arguments().value(1, QStringLiteral("200")).toInt();
    const int seconds = app.arguments().value(2, QStringLiteral("30")).toInt();
    const QString bin = buildDir() + QStringLiteral("/bin/");
    QTemporaryDir dir;

    // 1. Boot, in-process: every enabled worker from stored to Running.
    double bootMs = 0;
    {
        Engine engine;
        QString error;
        seedFakeWorkers(engine, dir.path(), workers, QStringLiteral("fps=5"), &error);
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << '\n';
            return 1;
        }
        QElapsedTimer t;
        t.start();
        engine.boot();
        waitFor([&] { return allRunning(engine.workers()); }, 30000, 5);
        bootMs = t.nsecsElapsed() / 1e6;
        if (!allRunning(engine.workers())) {
            QTextStream(stderr) << "not every worker came up\n";
            return 1;
        }
        engine.shutdown();
        waitFor([&] { return engine.workers().allIdle(); }, 10000, 5);
    }

    // 2. The real program, headless, against the same data folder.
    QProcess engineProcess;
    engineProcess.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer processBoot;
    processBoot.start();
    engineProcess.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path()});
    int up = 0;
    waitFor([&] { return (up = runningWorkers(dir.path())) >= workers; }, 60000);
    const double processBootMs = processBoot.nsecsElapsed() / 1e6;
    const Load engineLoad = measureProcess(engineProcess.processId(), seconds);
    engineProcess.terminate();
    engineProcess.waitForFinished(15000);

    // 3. The peer: the same streamers, no engine.
    QProcess bare;
    bare.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    bare.start(bin + QStringLiteral("bench_bare_fakes"), {QString::number(workers), QStringLiteral("fps=5")});
    bare.waitForReadyRead(30000);
    const Load bareLoad = measureProcess(bare.processId(), seconds);
    bare.kill();
    bare.waitForFinished();

    out << "\nStreamEngine core benchmark: " << workers << " FakeStreamer workers at 5 pictures/s, " << seconds << " s per run\n\n";
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("boot, in-process: stored -> all Running"), -52).arg(QStringLiteral("%1 ms").arg(bootMs, 0, 'f', 1));
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("boot, streamengine process: exec -> all Running seen"), -52)
               .arg(QStringLiteral("%1 ms (ctl polling every 100 ms)").arg(processBootMs, 0, 'f', 0));
    out << '\n' << QStringLiteral("%1 %2 %3\n").arg(QStringLiteral("run"), -44).arg(QStringLiteral("CPU % of one core"), 18).arg(QStringLiteral("RSS MB"), 8);
    out << QStringLiteral("%1 %2 %3\n").arg(QStringLiteral("streamengine --headless (engine + streamers)"), -44)
               .arg(engineLoad.cpuPercent, 18, 'f', 1).arg(engineLoad.rssMb, 8, 'f', 1);
    out << QStringLiteral("%1 %2 %3\n").arg(QStringLiteral("peer: bare FakeStreamers, no engine"), -44)
               .arg(bareLoad.cpuPercent, 18, 'f', 1).arg(bareLoad.rssMb, 8, 'f', 1);
    out << QStringLiteral("%1 %2 %3\n").arg(QStringLiteral("engine's own share (difference)"), -44)
               .arg(engineLoad.cpuPercent - bareLoad.cpuPercent, 18, 'f', 1).arg(engineLoad.rssMb - bareLoad.rssMb, 8, 'f', 1);
    out << "\ngoals: all Running within 2000 ms; engine under 25% of one core and 150 MB RSS\n";
    out.flush();
    return 0;
}
