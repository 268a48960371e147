// Issue 12's fleet: N engines of W FakeStreamer workers each against one
// StreamHub stand-in. The hub is SIGKILLed and started again on its port;
// the benchmark reports how long until every engine is registered again and
// the hub's view of every worker is back (all W, Running), and how the
// engines' connection attempts (negotiates) fall on the restarted hub: in its
// first second and in its busiest 100 ms. Peer: the same fleet with the
// back-off's jitter off (SE_HUB_RETRY_JITTER=0).
//   ./dev bench -R bench_fleet     (or build/bin/bench_fleet [engines] [workers] [restarts])
#include "core/engine/Engine.h"
#include "ProcSampler.h"
#include "StreamHubClient.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>

using namespace se;

namespace {
QTextStream out(stdout);

// Every engine registered, and the hub shows all its workers Running.
bool fleetShown(StreamHubClient &hub, int engines, int workers)
{
    const QStringList ids = hub.engines();
    if (ids.size() < engines)
        return false;
    for (const QString &id : ids) {
        const QJsonArray shown = hub.view(id).value(QStringLiteral("workers")).toArray();
        const auto running = std::count_if(shown.begin(), shown.end(), [](const QJsonValue &w) {
            const QJsonValue state = w[QStringLiteral("state")];
            return state.toInt(-1) == 2 || state.toString() == QLatin1String("Running");
        });
        if (running < workers)
            return false;
    }
    return true;
}

struct Round {
    double resyncMs = 0;         // from the hub listening again to the whole fleet shown
    double outageMs = 0;         // from the kill to the whole fleet shown
    int firstSecond = 0;         // connection attempts in the restarted hub's first second
    int busiest100Ms = 0;        // the most attempts in any 100 ms
    int attempts = 0;            // all attempts until the fleet was shown
};

struct Series {
    QList<Round> rounds;
    bool ok = true;
};

Series runFleet(TestHubProcess &hubProcess, const QStringList &dataDirs, int workers, int restarts, bool jitter)
{
    Series series;
    StreamHubClient hub(hubProcess);
    hub.post(QStringLiteral("/streamhub-test/record-streams/false"));
    const QString url = hubProcess.url(QStringLiteral("/streamhub")).toString();
    std::vector<std::unique_ptr<QProcess>> engines;
    for (const QString &dir : dataDirs) {
        auto p = std::make_unique<QProcess>();
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SE_HUB_RETRY_JITTER"), jitter ? QStringLiteral("1") : QStringLiteral("0"));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.info=false"));
        p->setProcessEnvironment(env);
        p->start(buildDir() + QStringLiteral("/bin/streamengine"),
                 {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir, QStringLiteral("--hub"), url});
        p->waitForStarted(5000);
        engines.push_back(std::move(p));
    }
    const int n = int(dataDirs.size());
    if (!waitFor([&] { return fleetShown(hub, n, workers); }, 120000, 50)) {
        QTextStream(stderr) << "the fleet never showed up at the hub\n";
        series.ok = false;
    }
    const int port = hubProcess.port();
    for (int r = 0; r < restarts && series.ok; ++r) {
        QElapsedTimer outage;
        outage.start();
        hubProcess.kill();
        if (!hubProcess.start(port)) {
            QTextStream(stderr) << "the hub did not start again: " << hubProcess.errorString() << '\n';
            series.ok = false;
            break;
        }
        const QDateTime listening = QDateTime::currentDateTimeUtc();
        QElapsedTimer resync;
        resync.start();
        StreamHubClient again(hubProcess);
        again.post(QStringLiteral("/streamhub-test/record-streams/false"));
        if (!waitFor([&] { return fleetShown(again, n, workers); }, 180000, 50)) {
            QTextStream(stderr) << "the fleet did not come back after restart " << r + 1 << '\n';
            series.ok = false;
            break;
        }
        Round round;
        round.resyncMs = double(resync.elapsed());
        round.outageMs = double(outage.elapsed());
        QList<qint64> at; // ms after the hub listened again
        const QJsonArray times = QJsonDocument::fromJson(again.http("GET", QStringLiteral("/streamhub-test/negotiates")))
                                     .object().value(QStringLiteral("times")).toArray();
        for (const QJsonValue &t : times)
            at << listening.msecsTo(QDateTime::fromString(t.toString(), Qt::ISODateWithMs));
        std::sort(at.begin(), at.end());
        round.attempts = int(at.size());
        round.firstSecond = int(std::count_if(at.begin(), at.end(), [](qint64 ms) { return ms < 1000; }));
        for (qsizetype i = 0, j = 0; i < at.size(); ++i) {
            while (at[i] - at[j] >= 100)
                ++j;
            round.busiest100Ms = std::max(round.busiest100Ms, int(i - j + 1));
        }
        series.rounds << round;
    }
    for (auto &p : engines)
        p->terminate();
    for (auto &p : engines)
        if (!p->waitForFinished(20000))
            p->kill();
    return series;
}

double median(QList<double> v)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false"));
    const int engines = app.arguments().value(1, QStringLiteral("10")).toInt();
    const int workers = app.arguments().value(2, QStringLiteral("25")).toInt();
    const int restarts = app.arguments().value(3, QStringLiteral("3")).toInt();

    TestHubProcess hubProcess;
    if (!hubProcess.start()) {
        QTextStream(stderr) << hubProcess.errorString() << '\n';
        return 1;
    }
    QTemporaryDir root;
    QStringList dataDirs;
    for (int i = 0; i < engines; ++i) {
        const QString dir = root.filePath(QStringLiteral("engine-%1").arg(i));
        Engine engine;
        QString error;
        seedFakeWorkers(engine, dir, workers, QStringLiteral("fps=1 size=64x36"), &error);
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << '\n';
            return 1;
        }
        dataDirs << dir;
    }

    out << "fleet: " << engines << " engines x " << workers << " FakeStreamer workers, one StreamHub stand-in, "
        << restarts << " SIGKILL + restart of the hub per series\n";
    out.flush();
    const Series jittered = runFleet(hubProcess, dataDirs, workers, restarts, true);
    const Series lockstep = runFleet(hubProcess, dataDirs, workers, restarts, false);
    if (!jittered.ok || !lockstep.ok)
        return 1;

    auto column = [](const Series &s, auto field) {
        QList<double> v;
        for (const Round &r : s.rounds)
            v << double(r.*field);
        return v;
    };
    auto row = [&](const char *what, auto field, const char *unit) {
        auto text = [&](const Series &s) {
            const QList<double> v = column(s, field);
            QStringList each;
            for (double x : v)
                each << QString::number(x, 'f', 0);
            return QStringLiteral("%1 (%2)").arg(median(v), 0, 'f', 0).arg(each.join(QLatin1Char(' ')));
        };
        out << QStringLiteral("%1 %2 %3\n").arg(QString::fromLatin1(what) + QLatin1Char(' ') + QString::fromLatin1(unit), -44)
                   .arg(text(jittered), -28).arg(text(lockstep));
    };
    out << QStringLiteral("%1 %2 %3\n").arg(QStringLiteral("median (each restart)"), -44).arg(QStringLiteral("engine (jitter ±20 %)"), -28)
               .arg(QStringLiteral("peer: jitter off"));
    row("hub listening -> fleet shown", &Round::resyncMs, "ms");
    row("kill -> fleet shown", &Round::outageMs, "ms");
    row("connection attempts in the first second", &Round::firstSecond, "");
    row("connection attempts in the busiest 100 ms", &Round::busiest100Ms, "");
    row("connection attempts until shown", &Round::attempts, "");
    return 0;
}
