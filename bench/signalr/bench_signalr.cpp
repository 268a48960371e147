// SignalR client benchmark against the real test hub (tests/testhub), one run:
//   invocation round trip p50/p99 (sequential Add), one-way send throughput
//   (Sink, fire and forget, until the hub counted them all), and the hub's own
//   round trip for a client-result invocation answered by the client.
// Ours (signalr/), Microsoft's .NET client (bench/signalr/dotnet) and the JS
// client (@microsoft/signalr on Node) when they were built, each in every round
// once the hub is warm; prints the medians as a table.
#include "TestHubProcess.h"
#include "signalr/HubConnection.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdio>

Q_LOGGING_CATEGORY(lcBench, "signalr.bench", QtInfoMsg)

namespace {

struct Result {
    QString client;
    double rttP50 = -1, rttP99 = -1, sendsPerSecond = -1, crP50 = -1, crP99 = -1;
    QString note;
};

double pct(std::vector<double> v, double p)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(double(v.size()) * p))];
}

// Waits on the event loop (no busy sleeping) until the reply ends.
QJsonValue call(signalr::HubConnection *c, const QString &method, const QJsonArray &args, bool *ok = nullptr)
{
    QEventLoop loop;
    QJsonValue result;
    bool good = false;
    auto *r = c->invoke(method, args, 120000);
    QObject::connect(r, &signalr::InvocationReply::finished, &loop, [&](const QJsonValue &v) {
        result = v;
        good = true;
    });
    QObject::connect(r, &signalr::InvocationReply::done, &loop, &QEventLoop::quit);
    loop.exec();
    if (ok)
        *ok = good;
    return result;
}

Result runOurs(const QUrl &url, int rounds, int sends, int clientResults)
{
    Result res;
    res.client = QStringLiteral("signalr/ (ours, Qt %1)").arg(QString::fromLatin1(qVersion()));
    signalr::HubConnection c(signalr::HubConnectionBuilder().withUrl(url).options());
    c.on("Bench", [](const QJsonArray &a) -> QJsonValue { return a[0]; });
    {
        QEventLoop loop;
        QObject::connect(&c, &signalr::HubConnection::connected, &loop, &QEventLoop::quit);
        QObject::connect(&c, &signalr::HubConnection::startFailed, &loop, &QEventLoop::quit);
        c.start();
        loop.exec();
    }
    if (c.state() != signalr::HubConnection::State::Connected) {
        res.note = QStringLiteral("could not connect");
        return res;
    }
    // Sequential round trips, each started from the previous one's finished() (as
    // an application would chain them), all on one running event loop.
    std::vector<double> rtt;
    rtt.reserve(size_t(rounds));
    {
        QEventLoop loop;
        QElapsedTimer t;
        int i = -1000; // warm-up rounds first
        std::function<void()> next = [&] {
            if (i >= rounds) {
                loop.quit();
                return;
            }
            t.start();
            auto *r = c.invoke("Add", {i, 1});
            QObject::connect(r, &signalr::InvocationReply::done, &loop, [&] {
                if (i >= 0)
                    rtt.push_back(double(t.nsecsElapsed()) / 1000.0);
                ++i;
                next();
            });
        };
        next();
        loop.exec();
    }
    res.rttP50 = pct(rtt, 0.5);
    res.rttP99 = pct(rtt, 0.99);

    QElapsedTimer s;
    s.start();
    for (int i = 0; i < sends; ++i) {
        c.send("Sink", {i});
        if (c.bufferedBytes() > 4 * 1024 * 1024) { // keep our own queue bounded
            QEventLoop loop;
            QObject::connect(&c, &signalr::HubConnection::bytesWritten, &loop, [&] {
                if (c.bufferedBytes() < 1024 * 1024)
                    loop.quit();
            });
            loop.exec();
        }
    }
    const double loopMs = double(s.nsecsElapsed()) / 1e6;
    int polls = 0;
    while (call(&c, "SinkCount", {}).toInteger() < sends)
        ++polls;
    qCDebug(lcBench) << "send loop" << loopMs << "ms, then" << polls << "polls, total" << double(s.nsecsElapsed()) / 1e6 << "ms";
    res.sendsPerSecond = sends / (double(s.nsecsElapsed()) / 1e9);

    const QJsonArray cr = call(&c, "ClientResultRoundTrips", {"Bench", clientResults}).toArray();
    if (!cr.isEmpty()) {
        res.crP50 = cr[cr.size() / 2].toDouble();
        res.crP99 = cr[std::min<qsizetype>(cr.size() - 1, qsizetype(cr.size() * 0.99))].toDouble();
    }
    c.stop();
    return res;
}

Result runExternal(const QString &name, const QString &program, const QStringList &args)
{
    Result res;
    res.client = name;
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(program, args);
    if (!p.waitForFinished(600000) || p.exitCode() != 0) {
        res.note = QStringLiteral("failed: %1").arg(QString::fromUtf8(p.readAllStandardError()).left(300));
        return res;
    }
    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    const QJsonObject o = QJsonDocument::fromJson(lines.last()).object();
    res.client = o["client"].toString(name);
    res.rttP50 = o["rttP50Us"].toDouble(-1);
    res.rttP99 = o["rttP99Us"].toDouble(-1);
    res.sendsPerSecond = o["sendsPerSecond"].toDouble(-1);
    res.crP50 = o["clientResultP50Us"].toDouble(-1);
    res.crP99 = o["clientResultP99Us"].toDouble(-1);
    return res;
}

QString num(double v, int prec = 0) { return v < 0 ? QStringLiteral("n/a") : QString::number(v, 'f', prec); }

double median(std::vector<double> v)
{
    std::erase_if(v, [](double x) { return x < 0; });
    return pct(std::move(v), 0.5);
}

// One client's runs, summarised by the median of each figure over the rounds.
Result summarise(const QList<Result> &runs)
{
    Result m;
    m.client = runs.last().client;
    std::vector<double> p50, p99, sps, cr50, cr99;
    for (const Result &r : runs) {
        p50.push_back(r.rttP50);
        p99.push_back(r.rttP99);
        sps.push_back(r.sendsPerSecond);
        cr50.push_back(r.crP50);
        cr99.push_back(r.crP99);
        if (!r.note.isEmpty())
            m.note = r.note;
    }
    m.rttP50 = median(p50);
    m.rttP99 = median(p99);
    m.sendsPerSecond = median(sps);
    m.crP50 = median(cr50);
    m.crP99 = median(cr99);
    return m;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SignalR clients against the ASP.NET Core test hub"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("rounds"), QStringLiteral("invocation round trips per run (20000)"));
    parser.addPositionalArgument(QStringLiteral("sends"), QStringLiteral("one-way sends per run (200000)"));
    parser.addPositionalArgument(QStringLiteral("client-results"), QStringLiteral("client-result round trips per run (5000)"));
    const QCommandLineOption repeatOption(QStringLiteral("repeat"), QStringLiteral("rounds of every client, interleaved (3)"),
                                          QStringLiteral("n"), QStringLiteral("3"));
    const QCommandLineOption hubOption(QStringLiteral("hub-url"), QStringLiteral("use this running hub instead of starting one"),
                                       QStringLiteral("url"));
    parser.addOptions({repeatOption, hubOption});
    parser.process(app);
    const QStringList a = parser.positionalArguments();
    const int rounds = a.size() > 0 ? a[0].toInt() : 20000;
    const int sends = a.size() > 1 ? a[1].toInt() : 200000;
    const int clientResults = a.size() > 2 ? a[2].toInt() : 5000;
    const int repeat = std::max(1, parser.value(repeatOption).toInt());

    TestHubProcess hub;
    QUrl url(parser.value(hubOption));
    if (url.isEmpty()) {
        if (!hub.start()) {
            std::fprintf(stderr, "cannot start the test hub: %s\n", qPrintable(hub.errorString()));
            return 1;
        }
        url = hub.url("/testhub");
    }

    // The hub's JIT (tiered compilation, dynamic PGO) needs several hundred thousand
    // messages before it settles: a cold hub takes 110k msg/s, a warm one 450k+. So
    // warm it until two passes agree, and then let every client run in every round,
    // in a rotating order, so that no client is favoured by going last.
    double previous = 0;
    for (int pass = 1; pass <= 12; ++pass) {
        const double now = runOurs(url, rounds / 10, sends, clientResults / 10).sendsPerSecond;
        std::fprintf(stderr, "warm-up pass %d: %.0f msg/s\n", pass, now);
        if (pass >= 5 && std::abs(now - previous) < 0.1 * previous)
            break;
        previous = now;
    }

    using Runner = std::function<Result()>;
    QList<QPair<QString, Runner>> clients;
    clients << qMakePair(QStringLiteral("ours"), Runner([&] { return runOurs(url, rounds, sends, clientResults); }));
    const QStringList counts{url.toString(), QString::number(rounds), QString::number(sends), QString::number(clientResults)};
    const QString dotnetBench = QStringLiteral(SE_SIGNALR_BENCH_DOTNET);
    if (QFileInfo::exists(dotnetBench))
        clients << qMakePair(QStringLiteral(".NET"),
                             Runner([&] { return runExternal(".NET client", "dotnet", QStringList{dotnetBench} + counts); }));
    else
        clients << qMakePair(QStringLiteral(".NET"),
                             Runner([] { return Result{".NET client", -1, -1, -1, -1, -1, "not built (NuGet restore failed?)"}; }));
    const QString jsBench = QStringLiteral(SE_SIGNALR_BENCH_JS);
    const QString node = QStandardPaths::findExecutable("node");
    if (QFileInfo::exists(QFileInfo(jsBench).dir().filePath("node_modules/@microsoft/signalr")) && !node.isEmpty())
        clients << qMakePair(QStringLiteral("JS"), Runner([&] { return runExternal("JS client", node, QStringList{jsBench} + counts); }));
    else
        clients << qMakePair(QStringLiteral("JS"),
                             Runner([] { return Result{"JS client (@microsoft/signalr)", -1, -1, -1, -1, -1, "not installed"}; }));

    QList<QList<Result>> runs(clients.size());
    for (int round = 0; round < repeat; ++round) {
        for (int k = 0; k < clients.size(); ++k) {
            const int c = (k + round) % int(clients.size());
            runs[c] << clients[c].second();
            std::fprintf(stderr, "round %d %s: rtt p50 %.0f us, %.0f msg/s\n", round + 1, qPrintable(clients[c].first),
                         runs[c].last().rttP50, runs[c].last().sendsPerSecond);
        }
    }

    std::printf("\nSignalR clients against the ASP.NET Core test hub on loopback: %d round trips, %d sends, %d client results per run;\n"
                "median of %d interleaved rounds after the hub is warm\n\n",
                rounds, sends, clientResults, repeat);
    std::printf("| client | invoke RTT p50 (us) | invoke RTT p99 (us) | send throughput (msg/s) | client-result RTT p50 (us) | "
                "client-result RTT p99 (us) |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const QList<Result> &clientRuns : runs) {
        const Result r = summarise(clientRuns);
        std::printf("| %s%s | %s | %s | %s | %s | %s |\n", qPrintable(r.client), r.note.isEmpty() ? "" : qPrintable(" — " + r.note),
                    qPrintable(num(r.rttP50)), qPrintable(num(r.rttP99)), qPrintable(num(r.sendsPerSecond)), qPrintable(num(r.crP50)),
                    qPrintable(num(r.crP99)));
    }
    std::fflush(stdout);
    return 0;
}
