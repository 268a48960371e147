// Issue 13: what /metrics says of a hub link, end to end: the real engine
// with --hub (the StreamHub stand-in) and --metrics-listen. The link's state,
// the round trip of a hub's command, and the reconnects once the hub is gone.
#include "../metrics/PrometheusText.h"
#include "HubMessages.h"
#include "StreamHubClient.h"

#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace prometheus_text;

class TestHubMetrics : public QObject {
    Q_OBJECT
    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void init() { SE_REQUIRE_TESTHUB_OR_SKIP(); }

    void aHubLinkIsGraphed()
    {
        TestHubProcess hub;
        QVERIFY2(hub.start(), qPrintable(hub.errorString()));
        StreamHubClient client(hub);
        const QString url = hub.url(QStringLiteral("/streamhub")).toString();

        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }
        QTemporaryDir dir;
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        engine.start(buildDir() + QStringLiteral("/bin/streamengine"),
                     {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--hub"), url,
                      QStringLiteral("--metrics-listen"), QStringLiteral("127.0.0.1:%1").arg(port)});
        QVERIFY(engine.waitForStarted(5000));
        auto stopEngine = qScopeGuard([&] {
            ::kill(pid_t(engine.processId()), SIGTERM);
            if (!engine.waitForFinished(20000))
                engine.kill();
        });
        const QMap<QString, QString> link{{QStringLiteral("url"), url}};
        auto linkValue = [&](const QString &metric, QMap<QString, QString> more = {}) {
            more.insert(link);
            return valueOf(scrape(m_nam, port), metric, more);
        };
        QTRY_COMPARE_WITH_TIMEOUT(linkValue(QStringLiteral("streamengine_hub_link_state"), {{QStringLiteral("state"), QStringLiteral("Connected")}}),
                                  1.0, 30000);
        QCOMPARE(linkValue(QStringLiteral("streamengine_hub_link_reconnects_total")), 0.0);
        QCOMPARE(linkValue(QStringLiteral("streamengine_hub_link_queue_drops_total")), 0.0);

        // A command from the hub, answered: one round trip in the histogram.
        QTRY_VERIFY_WITH_TIMEOUT(!client.engines().isEmpty(), 30000);
        const QJsonObject created = client.invoke(client.engines().first(), QStringLiteral("CreateWorker"),
                                                  workerCreateAndEdit(QStringLiteral("m-1"), QStringLiteral("fps=5")));
        QVERIFY2(created[QStringLiteral("ok")].toBool(), qPrintable(QJsonDocument(created).toJson()));
        const QMap<QString, QString> command{{QStringLiteral("method"), QStringLiteral("CreateWorker")}};
        QTRY_COMPARE_WITH_TIMEOUT(linkValue(QStringLiteral("streamengine_hub_command_seconds_count"), command), 1.0, 10000);
        QVERIFY(linkValue(QStringLiteral("streamengine_hub_command_seconds_bucket"), {{QStringLiteral("method"), QStringLiteral("CreateWorker")},
                                                                                      {QStringLiteral("le"), QStringLiteral("+Inf")}}) == 1.0);
        QVERIFY(linkValue(QStringLiteral("streamengine_hub_command_seconds_sum"), command) > 0);

        // The hub is gone: the link says so and counts its tries.
        hub.kill();
        QTRY_COMPARE_WITH_TIMEOUT(linkValue(QStringLiteral("streamengine_hub_link_state"), {{QStringLiteral("state"), QStringLiteral("Connected")}}),
                                  0.0, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(linkValue(QStringLiteral("streamengine_hub_link_reconnects_total")) >= 1.0, 20000);
    }
};

QTEST_GUILESS_MAIN(TestHubMetrics)
#include "tst_hubmetrics.moc"
