// Issue 13: the real engine's --metrics-listen endpoint. The program runs
// headless with a GstStreamer worker; /metrics is scraped over HTTP and every
// line must be Prometheus's text format; /healthz answers; SIGKILL to the
// worker's pipeline process must move its crash restart counter by one, and
// `streamengine ctl show` must tell the same numbers.
#include "VerifyResult.h"
#include "ChildProcesses.h"
#include "TestEnv.h"

#include "core/engine/Engine.h"
#include "core/prometheus/MetricsEndpoint.h"
#include "PrometheusText.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <thread>
#include <unistd.h>

namespace {



// A port nobody listens on just now.
quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}


// One GET on a socket of its own, without an event loop (from any thread).
QByteArray rawGet(quint16 port, const QByteArray &path)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return {};
    s.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray answer;
    while (s.waitForReadyRead(5000))
        answer += s.readAll();
    return answer + s.readAll();
}

const QStringList kCauses{QStringLiteral("crash"), QStringLiteral("error"), QStringLiteral("end_of_stream"),
                          QStringLiteral("picture_stall"), QStringLiteral("start_failure")};

} // namespace

using namespace prometheus_text;

class TestMetricsEndpoint : public QObject {
    Q_OBJECT

    QNetworkAccessManager m_nam;

    QList<Sample> scrape(quint16 port) { return prometheus_text::scrape(m_nam, port); }

private Q_SLOTS:
    // In process: the event loop stops turning (this thread waits), and the
    // server, on its own threads, says so; once it turns again, all is well.
    void healthzSaysWhenTheEventLoopStalls()
    {
        qputenv("SE_HEALTHZ_STALL_MS", "1000");
        auto unset = qScopeGuard([] { qunsetenv("SE_HEALTHZ_STALL_MS"); });
        QTemporaryDir dir;
        se::Engine engine;
        se::EngineOptions options;
        options.dataDir = dir.path();
        options.pluginDirs = {qEnvironmentVariable("SE_BUILD_DIR") + QStringLiteral("/plugins")};
        QVERIFY_OK(engine.open(options));
        se::MetricsEndpoint endpoint(engine);
        const quint16 port = freePort();
        QVERIFY_OK(endpoint.listen({QStringLiteral("127.0.0.1"), port}));
        QTRY_COMPARE(httpGet(m_nam, port, QStringLiteral("/healthz")).status, 200);

        QByteArray answer;
        std::thread prober([&] {
            QDeadlineTimer deadline(30000);
            while (!deadline.hasExpired()) {
                answer = rawGet(port, "/healthz");
                if (answer.startsWith("HTTP/1.1 503"))
                    return;
                std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the probe's pace
            }
        });
        prober.join(); // the event loop does not turn meanwhile
        QVERIFY2(answer.startsWith("HTTP/1.1 503"), answer.constData());
        QVERIFY2(answer.contains("stalled: the engine's event loop has not turned for"), answer.constData());
        QTRY_COMPARE(httpGet(m_nam, port, QStringLiteral("/healthz")).status, 200);
    }

    void garbageAddressesAreRefused()
    {
        QTemporaryDir tmp;
        for (const char *address : {"garbage", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", "example.com:9464", ":9464", "::1:9464"}) {
            QProcess p;
            p.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), tmp.filePath(QStringLiteral("d")),
                                     QStringLiteral("--metrics-listen"), QString::fromLatin1(address)});
            QVERIFY(p.waitForFinished(15000));
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QCOMPARE(p.exitCode(), 2); // a usage error, like the other options'
            const QByteArray err = p.readAllStandardError();
            QVERIFY2(err.contains("streamengine: --metrics-listen takes HOST:PORT"), err.constData());
            QVERIFY2(err.contains(address), err.constData());
        }
        QVERIFY2(!QFileInfo::exists(tmp.filePath(QStringLiteral("d"))), "the data folder was made before the options were checked");
    }

    void anAddressInUseIsRefused()
    {
        QTemporaryDir tmp;
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        QProcess p;
        p.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), tmp.path(), QStringLiteral("--metrics-listen"),
                                 QStringLiteral("127.0.0.1:%1").arg(taken.serverPort())});
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 1); // refused, like a data folder another engine holds
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("cannot serve metrics on 127.0.0.1:"), err.constData());
    }

    void scrapedMetricsCountAKilledPipelineAsACrash()
    {
        QTemporaryDir tmp;
        const QString d = tmp.path();
        const quint16 port = freePort();
        QVERIFY(port != 0);
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        engine.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), d, QStringLiteral("--metrics-listen"),
                                      QStringLiteral("127.0.0.1:%1").arg(port)});
        QVERIFY(engine.waitForStarted(5000));
        auto stopEngine = qScopeGuard([&] {
            if (engine.state() != QProcess::NotRunning) {
                ::kill(pid_t(engine.processId()), SIGTERM);
                if (!engine.waitForFinished(20000))
                    engine.kill();
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(ctl(d, {QStringLiteral("engine")}).exitCode == 0, 15000);
        const QJsonArray streamers = ctl(d, {QStringLiteral("engine"), QStringLiteral("--json")}).json()[QStringLiteral("data")][QStringLiteral("streamers")].toArray();
        if (!streamers.contains(QStringLiteral("GstStreamer")))
            QSKIP("no GstStreamer plugin in this build");

        // A name that needs escaping in a label value: a quote and a backslash.
        const QString id = QStringLiteral("gst-1");
        const QString name = QStringLiteral("Gate \"north\" \\ 1");
        const CtlResult created = ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), id, QStringLiteral("--name"), name,
                                          QStringLiteral("--streamer"), QStringLiteral("GstStreamer"), QStringLiteral("--command"),
                                          QStringLiteral("videotestsrc is-live=true ! video/x-raw,width=64,height=36,framerate=5/1 ! jpegenc ! fdsink fd=2")});
        QVERIFY2(created.exitCode == 0, created.err.constData());
        const QMap<QString, QString> worker{{QStringLiteral("worker_id"), id}, {QStringLiteral("name"), name}};
        auto workerValue = [&](const QString &metric, QMap<QString, QString> more = {}) {
            more.insert(worker);
            return valueOf(scrape(port), metric, more);
        };
        QTRY_COMPARE_WITH_TIMEOUT(workerValue(QStringLiteral("streamengine_worker_state"), {{QStringLiteral("state"), QStringLiteral("running")}}),
                                  1.0, 20000);

        // The whole text parses, and names what an operator graphs.
        const HttpReply metrics = httpGet(m_nam, port, QStringLiteral("/metrics"));
        QCOMPARE(metrics.status, 200);
        QVERIFY2(metrics.contentType.startsWith("text/plain; version=0.0.4"), metrics.contentType.constData());
        QList<Sample> samples;
        QString why;
        QVERIFY2(parseExposition(metrics.body, &samples, &why), qPrintable(why));
        for (const char *family : {"streamengine_worker_pictures_per_second", "streamengine_worker_pictures_total",
                                   "streamengine_worker_seconds_since_last_picture", "streamengine_worker_watchdog_holds_total",
                                   "streamengine_worker_on_hold"})
            QVERIFY2(!qIsNaN(valueOf(samples, QString::fromLatin1(family), worker)), family);
        for (const QString &cause : kCauses)
            QCOMPARE(valueOf(samples, QStringLiteral("streamengine_worker_restarts_total"), {{QStringLiteral("worker_id"), id}, {QStringLiteral("cause"), cause}}), 0.0);
        for (const char *family : {"process_cpu_seconds_total", "process_resident_memory_bytes", "streamengine_store_write_seconds_count"})
            QVERIFY2(valueOf(samples, QString::fromLatin1(family), {}) > 0, family);
        // The store's history writer: nothing lost, nothing left waiting for long.
        for (const char *reason : {"write_error", "queue_full"})
            QCOMPARE(valueOf(samples, QStringLiteral("streamengine_store_history_lost_total"), {{QStringLiteral("reason"), QString::fromLatin1(reason)}}), 0.0);
        QVERIFY(!qIsNaN(valueOf(samples, QStringLiteral("streamengine_store_history_queued"), {})));

        // Liveness, and nothing else is served.
        const HttpReply health = httpGet(m_nam, port, QStringLiteral("/healthz"));
        QCOMPARE(health.status, 200);
        QVERIFY2(health.body.startsWith("ok"), health.body.constData());
        QCOMPARE(httpGet(m_nam, port, QStringLiteral("/")).status, 404);
        QCOMPARE(httpGet(m_nam, port, QStringLiteral("/metrics/x")).status, 404);

        // A request larger than the server keeps is refused, and the server goes on.
        {
            QTcpSocket big;
            big.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(big.waitForConnected(5000));
            big.write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: " + QByteArray(64 * 1024, 'a') + "\r\n\r\n");
            big.waitForBytesWritten(5000);
            QTRY_VERIFY_WITH_TIMEOUT(big.bytesAvailable() > 0 || big.state() != QAbstractSocket::ConnectedState, 10000);
            QVERIFY2(!big.readAll().startsWith("HTTP/1.1 200"), "a 64 KB request header was taken");
        }
        QCOMPARE(httpGet(m_nam, port, QStringLiteral("/healthz")).status, 200);

        // SIGKILL to the worker's pipeline process: one crash, restarted.
        const QList<qint64> children = childrenOf(engine.processId(), Zombies::Excluded);
        QCOMPARE(children.size(), 1);
        QVERIFY(::kill(pid_t(children.first()), SIGKILL) == 0);
        const QMap<QString, QString> crash{{QStringLiteral("worker_id"), id}, {QStringLiteral("cause"), QStringLiteral("crash")}};
        QTRY_COMPARE_WITH_TIMEOUT(valueOf(scrape(port), QStringLiteral("streamengine_worker_restarts_total"), crash), 1.0, 30000);

        // `ctl show` tells the same numbers, as text and as JSON.
        const QList<Sample> after = scrape(port);
        const CtlResult shown = ctl(d, {QStringLiteral("show"), id, QStringLiteral("--json")});
        QCOMPARE(shown.exitCode, 0);
        const QJsonObject restarts = shown.json()[QStringLiteral("data")][QStringLiteral("restarts")].toObject();
        QStringList expected;
        for (const QString &cause : kCauses) {
            const double scraped = valueOf(after, QStringLiteral("streamengine_worker_restarts_total"),
                                           {{QStringLiteral("worker_id"), id}, {QStringLiteral("cause"), cause}});
            QVERIFY2(restarts.contains(cause), qPrintable(cause));
            QCOMPARE(double(restarts.value(cause).toInteger()), scraped);
            expected << QStringLiteral("%1 %2").arg(cause).arg(qint64(scraped));
        }
        QCOMPARE(restarts.value(QStringLiteral("crash")).toInteger(), 1);
        const CtlResult text = ctl(d, {QStringLiteral("show"), id});
        QCOMPARE(text.exitCode, 0);
        const QRegularExpression line(QStringLiteral("^restarts:\\s+(.*)$"), QRegularExpression::MultilineOption);
        const auto m = line.match(QString::fromUtf8(text.out));
        QVERIFY2(m.hasMatch(), text.out.constData());
        QCOMPARE(m.captured(1), expected.join(QStringLiteral(", ")));
        QVERIFY(text.out.contains("crash 1,"));
    }
};

QTEST_GUILESS_MAIN(TestMetricsEndpoint)
#include "tst_metricsendpoint.moc"
