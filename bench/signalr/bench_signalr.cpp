// SignalR client benchmark against the real test hub (tests/testhub), one run:
//   invocation round trip p50/p99 (sequential Add), one-way send throughput
//   (Sink, fire and forget, until the hub counted them all), and the hub's own
//   round trip for a client-result invocation answered by the client.
// Ours (signalr/) first, then Microsoft's .NET client (bench/signalr/dotnet) and
// the JS client (@microsoft/signalr on Node) when they were built; prints a table.
#include "TestHubProcess.h"
#include "signalr/HubConnection.h"

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
#include <functional>
#include <cstdio>

Q_LOGGING_CATEGORY(lcBench, "signalr.bench", QtInfoMsg)

namespace {

struct Result {
  QString client;
  double rttP50 = -1, rttP99 = -1, sendsPerSecond = -1, crP50 = -1, crP99 = -1;
  QString note;
};

double pct(std::vector<double> v, double p) {
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(double(v.size()) * p))];
}

// Waits on the event loop (no busy sleeping) until the reply ends.
QJsonValue call(signalr::HubConnection *c, const QString &method, const QJsonArray &args, bool *ok = nullptr) {
  QEventLoop loop;
  QJsonValue result;
  bool good = false;
  auto *r = c->invoke(method, args, 120000);
  QObject::connect(r, &signalr::InvocationReply::finished, &loop, [&](const QJsonValue &v) { result = v; good = true; });
  QObject::connect(r, &signalr::InvocationReply::done, &loop, &QEventLoop::quit);
  loop.exec();
  if (ok)
    *ok = good;
  return result;
}

Result runOurs(const QUrl &url, int rounds, int sends, int clientResults) {
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

Result runExternal(const QString &name, const QString &program, const QStringList &args) {
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

} // namespace

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  const QStringList a = app.arguments();
  const int rounds = a.size() > 1 ? a[1].toInt() : 20000;
  const int sends = a.size() > 2 ? a[2].toInt() : 200000;
  const int clientResults = a.size() > 3 ? a[3].toInt() : 5000;

  TestHubProcess hub;
  if (!hub.start()) {
    std::fprintf(stderr, "cannot start the test hub: %s\n", qPrintable(hub.errorString()));
    return 1;
  }
  const QUrl url = hub.url("/testhub");
  // A first pass warms the hub up (JIT, tiered compilation, pools), so that no
  // client pays for it; it is not reported.
  runOurs(url, rounds / 4, sends / 4, clientResults / 4);
  QList<Result> results;
  results << runOurs(url, rounds, sends, clientResults);

  const QString dotnetBench = QStringLiteral(SE_SIGNALR_BENCH_DOTNET);
  if (QFileInfo::exists(dotnetBench))
    results << runExternal(".NET client", "dotnet",
                           {dotnetBench, url.toString(), QString::number(rounds), QString::number(sends),
                            QString::number(clientResults)});
  else
    results << Result{".NET client", -1, -1, -1, -1, -1, "not built (NuGet restore failed?)"};
  const QString jsBench = QStringLiteral(SE_SIGNALR_BENCH_JS);
  const QString node = QStandardPaths::findExecutable("node");
  if (QFileInfo::exists(QFileInfo(jsBench).dir().filePath("node_modules/@microsoft/signalr")) && !node.isEmpty())
    results << runExternal("JS client", node,
                           {jsBench, url.toString(), QString::number(rounds), QString::number(sends),
                            QString::number(clientResults)});
  else
    results << Result{"JS client (@microsoft/signalr)", -1, -1, -1, -1, -1, "not installed"};

  std::printf("\nSignalR clients against the ASP.NET Core test hub on loopback (%d round trips, %d sends, %d client results)\n\n",
              rounds, sends, clientResults);
  std::printf("| client | invoke RTT p50 (us) | invoke RTT p99 (us) | send throughput (msg/s) | client-result RTT p50 (us) | client-result RTT p99 (us) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const Result &r : results)
    std::printf("| %s%s | %s | %s | %s | %s | %s |\n", qPrintable(r.client),
                r.note.isEmpty() ? "" : qPrintable(" — " + r.note), qPrintable(num(r.rttP50)), qPrintable(num(r.rttP99)),
                qPrintable(num(r.sendsPerSecond)), qPrintable(num(r.crP50)), qPrintable(num(r.crP99)));
  std::fflush(stdout);
  return 0;
}
