// The named peer of bench_streamhub's command round trip: our SignalR client
// alone, registered like an engine, answering ResetWatchdogEventCount at once
// with no engine behind it. The engine's own cost is the difference.
#include "core/hub/ContractMessages.h"
#include "signalr/HubConnection.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QUrl url(app.arguments().value(1) + QStringLiteral("?clientType=backend"));
    const QUuid engineId = QUuid::createUuid();
    auto *hub = signalr::HubConnectionBuilder().withUrl(url).build(&app);
    hub->on(QStringLiteral("ResetWatchdogEventCount"), [](const QJsonArray &) -> QJsonValue {
        return QJsonObject{{QStringLiteral("success"), true}, {QStringLiteral("message"), QStringLiteral("reset")},
                           {QStringLiteral("data"), QJsonValue::Null}};
    });
    QObject::connect(hub, &signalr::HubConnection::connected, &app, [&] {
        se::contract::EngineFacts facts;
        facts.identity.id = engineId;
        facts.identity.name = QStringLiteral("bare client");
        facts.identity.installDate = QDateTime::currentDateTimeUtc();
        facts.startDate = QDateTime::currentDateTimeUtc();
        facts.version = QStringLiteral("bench");
        QJsonObject info = se::contract::engineInfo(facts);
        se::contract::fillBase(info, engineId, 1, se::contract::MessageClock::wallClock());
        auto *reply = hub->invoke(QStringLiteral("RegisterEngineConnection"), {info});
        QObject::connect(reply, &signalr::InvocationReply::finished, &app, [&](const QJsonValue &ok) {
            QTextStream(stdout) << (ok.toBool() ? "REGISTERED " : "REFUSED ") << engineId.toString(QUuid::WithoutBraces) << Qt::endl;
        });
    });
    QObject::connect(hub, &signalr::HubConnection::startFailed, &app, [](const QString &e) {
        QTextStream(stderr) << "cannot connect: " << e << Qt::endl;
        QCoreApplication::exit(1);
    });
    hub->start();
    return app.exec();
}
