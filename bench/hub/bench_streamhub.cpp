// Issues 4 and 16's benchmark, against the ASP.NET Core StreamHub stand-in:
//  - a hub command's round trip (ResetWatchdogEventCount) with 100 workers
//    streaming to the hub, p50/p99, timed inside the hub. The fair peer is our
//    bare SignalR client (bench_bare_hub_client) answering the same command on
//    the same hub *while the engine streams to it*: what is left is the
//    engine's own. Three runs, engine and peer interleaved, min/median/max.
//    Also shown: the bare client with the hub idle (the engine stopped);
//  - 100 workers at 5 thumbnails/s to one hub: engine CPU (peer: the same
//    engine with no hub) and the share of workers whose newest thumbnail at
//    the hub is under 1 s old, sampled every second.
//   ./dev bench -R bench_streamhub     (or build/bin/bench_streamhub [workers] [seconds])
#include "core/engine/Engine.h"
#include "ProcSampler.h"
#include "Spread.h"
#include "HubMessages.h"
#include "StreamHubClient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTextStream>

using namespace se;

namespace {
QTextStream out(stdout);

double cpuPercent(qint64 pid, int seconds, const std::function<void()> &everySecond = {})
{
    const ProcSample a = sampleProcess(pid);
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < seconds; ++i) {
        spinEventLoop(1000);
        if (everySecond)
            everySecond();
    }
    const ProcSample b = sampleProcess(pid);
    return 100.0 * (b.cpuSeconds - a.cpuSeconds) / (t.elapsed() / 1000.0);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int workers = app.arguments().value(1, QStringLiteral("100")).toInt();
    const int seconds = app.arguments().value(2, QStringLiteral("20")).toInt();
    const int trips = 1000;

    TestHubProcess hubProcess;
    if (!hubProcess.start()) {
        QTextStream(stderr) << hubProcess.errorString() << '\n';
        return 1;
    }
    StreamHubClient hub(hubProcess);
    hub.post(QStringLiteral("/streamhub-test/record-streams/false"));
    const QString hubUrl = hubProcess.url(QStringLiteral("/streamhub")).toString();

    QTemporaryDir dir;
    QString someWorker;
    {
        Engine engine;
        QString error;
        someWorker = seedFakeWorkers(engine, dir.path(), workers, QStringLiteral("fps=5"), &error);
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << '\n';
            return 1;
        }
    }

    // Peer for CPU: the same engine and workers, no hub.
    double cpuNoHub = 0;
    {
        auto engine = startEngine(dir.path(), {});
        waitFor([&] { return ctlJson(dir.path(), {QStringLiteral("list")})[QStringLiteral("data")].toArray().size() == workers; }, 30000);
        spinEventLoop(3000);
        cpuNoHub = cpuPercent(engine->processId(), seconds);
        engine->terminate();
        engine->waitForFinished(15000);
    }

    // The engine with the hub.
    auto engine = startEngine(dir.path(), {QStringLiteral("--hub"), hubUrl});
    if (!waitFor([&] { return hub.engines().size() == 1; }, 30000)) {
        QTextStream(stderr) << "the engine did not register\n";
        return 1;
    }
    const QString engineId = hub.engines().first();
    waitFor([&] { return hub.http("GET", QStringLiteral("/streamhub-test/freshness")).contains(QStringLiteral("\"workers\":%1,").arg(workers).toLatin1()); }, 30000);
    spinEventLoop(3000);
    int samples = 0, freshSum = 0, allFresh = 0;
    double worstAge = 0;
    const double cpuHub = cpuPercent(engine->processId(), seconds, [&] {
        const QJsonObject f = QJsonDocument::fromJson(hub.http("GET", QStringLiteral("/streamhub-test/freshness?maxAgeMs=1000"))).object();
        ++samples;
        freshSum += f[QStringLiteral("fresh")].toInt();
        allFresh += f[QStringLiteral("fresh")].toInt() == workers ? 1 : 0;
        worstAge = std::max(worstAge, f[QStringLiteral("maxAgeMs")].toDouble());
    });
    // The fair peer connects to the same hub while the engine streams on.
    QProcess bare;
    bare.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    bare.start(buildDir() + QStringLiteral("/bin/bench_bare_hub_client"), {hubUrl});
    bare.waitForReadyRead(20000);
    const QString bareId = QString::fromLatin1(bare.readLine()).trimmed().section(QLatin1Char(' '), 1);
    const QByteArray operation = QJsonDocument(workerOperation(someWorker)).toJson(QJsonDocument::Compact);
    auto roundTrips = [&](const QString &id) {
        return QJsonDocument::fromJson(hub.http("POST", QStringLiteral("/streamhub-test/bench/%1/ResetWatchdogEventCount?n=%2").arg(id).arg(trips),
                                                operation, 120000)).object();
    };
    constexpr int kRuns = 3;
    std::vector<double> engineP50, engineP99, engineMax, peerP50, peerP99, peerMax;
    int engineFailed = 0, peerFailed = 0;
    auto keep = [](const QJsonObject &r, std::vector<double> &p50, std::vector<double> &p99, std::vector<double> &max, int &failed) {
        p50.push_back(r[QStringLiteral("p50Ms")].toDouble());
        p99.push_back(r[QStringLiteral("p99Ms")].toDouble());
        max.push_back(r[QStringLiteral("maxMs")].toDouble());
        failed += r[QStringLiteral("failures")].toInt();
    };
    for (int run = 0; run < kRuns; ++run) {
        keep(roundTrips(engineId), engineP50, engineP99, engineMax, engineFailed);
        keep(roundTrips(bareId), peerP50, peerP99, peerMax, peerFailed);
    }
    engine->terminate();
    engine->waitForFinished(15000);
    // Reference: the same client with nothing else on the hub.
    std::vector<double> idleP50, idleP99, idleMax;
    int idleFailed = 0;
    spinEventLoop(1000);
    for (int run = 0; run < kRuns; ++run)
        keep(roundTrips(bareId), idleP50, idleP99, idleMax, idleFailed);
    bare.kill();
    bare.waitForFinished();

    out << "\nStreamHub link benchmark: " << workers << " FakeStreamer workers at 5 thumbnails/s, one hub on loopback, " << seconds
        << " s runs\n\n";
    out << "command round trip (ResetWatchdogEventCount), timed in the hub; " << kRuns << " runs of " << trips
        << ", engine and peer interleaved; min / median / max\n";
    out << QStringLiteral("%1 %2 %3 %4 %5\n").arg(QString(), -52).arg(QStringLiteral("p50 ms"), -22).arg(QStringLiteral("p99 ms"), -22)
               .arg(QStringLiteral("max ms"), -22).arg(QStringLiteral("failed"), 6);
    auto row = [&](const QString &name, const std::vector<double> &p50, const std::vector<double> &p99, const std::vector<double> &max, int failed) {
        out << QStringLiteral("%1 %2 %3 %4 %5\n").arg(name, -52).arg(fmt(spread(p50), 3), -22).arg(fmt(spread(p99), 3), -22)
                   .arg(fmt(spread(max), 3), -22).arg(failed, 6);
    };
    row(QStringLiteral("streamengine, %1 workers streaming to the hub").arg(workers), engineP50, engineP99, engineMax, engineFailed);
    row(QStringLiteral("peer: bare client on the same hub, engine streaming"), peerP50, peerP99, peerMax, peerFailed);
    row(QStringLiteral("reference: bare client, hub idle"), idleP50, idleP99, idleMax, idleFailed);
    const double engineMedianP99 = spread(engineP99).median;
    const double peerMedianP99 = spread(peerP99).median;
    out << QStringLiteral("engine p99 / peer p99 (medians): %1x\n").arg(peerMedianP99 > 0 ? engineMedianP99 / peerMedianP99 : 0.0, 0, 'f', 2);
    out << '\n' << QStringLiteral("%1 %2\n").arg(QStringLiteral("engine CPU, % of one core, with the hub"), -48).arg(cpuHub, 8, 'f', 1);
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("peer: the same engine with no hub"), -48).arg(cpuNoHub, 8, 'f', 1);
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("workers with a thumbnail < 1 s old at the hub"), -48)
               .arg(QStringLiteral("%1 %").arg(samples ? 100.0 * freshSum / (samples * workers) : 0.0, 0, 'f', 2));
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("samples in which every worker was fresh"), -48).arg(QStringLiteral("%1 of %2").arg(allFresh).arg(samples));
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("oldest newest-thumbnail seen at the hub"), -48).arg(QStringLiteral("%1 ms").arg(worstAge, 0, 'f', 0));
    out << "\ngoals: engine p99 under 1 ms and at most 1.5x the peer's (medians); every worker's newest thumbnail at the hub within 1 s\n";
    out.flush();
    return 0;
}
