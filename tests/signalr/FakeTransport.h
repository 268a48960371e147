#pragma once
// A fake Transport for driving a HubConnection with no network: the test plays
// the server (negotiate, open, deliver, drop) and reads what the client sent.
#include "signalr/HubConnectionOptions.h"
#include "signalr/HubProtocol.h"
#include "signalr/Transport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QTimer>
#include <memory>

class FakeTransport : public signalr::Transport {
    Q_OBJECT
public:
    // What the connection asked of it.
    int starts = 0;
    int reattaches = 0;
    int closes = 0;
    bool linkOpen = false;
    int handshakeVersion = 0;           // of the last handshake request
    QList<signalr::HubMessage> sent;    // every message the client sent over an open link
    QList<signalr::HubMessage> sentNow; // those since the last open()

    void start() override { ++starts; }
    void reattach() override { ++reattaches; }
    void send(const QByteArray &records) override
    {
        if (!linkOpen)
            return;
        m_reader.append(records);
        while (std::optional<QByteArray> record = m_reader.next()) {
            if (m_awaitHandshake) {
                m_awaitHandshake = false;
                handshakeVersion = QJsonDocument::fromJson(*record).object().value(QLatin1String("version")).toInt();
                continue;
            }
            signalr::HubMessage m;
            QString error;
            if (signalr::HubProtocol::parse(*record, &m, &error) == signalr::HubProtocol::ParseResult::Ok) {
                sent.append(m);
                sentNow.append(m);
            }
        }
    }
    qint64 bufferedBytes() const override { return 0; }
    void close() override
    {
        ++closes;
        QTimer::singleShot(0, this, [this] { drop(QString()); });
    }
    void abort() override { linkOpen = false; }

    // The server's side.
    void negotiate(const QString &connectionId, bool statefulReconnect) { Q_EMIT negotiated(connectionId, statefulReconnect); }
    // A link opens; the first record the client sends on a new connection is its handshake request.
    void open(bool expectHandshake)
    {
        linkOpen = true;
        m_awaitHandshake = expectHandshake;
        m_reader.clear();
        sentNow.clear();
        Q_EMIT opened();
    }
    void deliver(const signalr::HubMessage &m) { Q_EMIT received(signalr::HubProtocol::write(m)); }
    void deliverRaw(const QByteArray &records) { Q_EMIT received(records); }
    void drop(const QString &error = QStringLiteral("fake link reset"))
    {
        linkOpen = false;
        Q_EMIT closed(error);
    }

private:
    signalr::RecordReader m_reader;
    bool m_awaitHandshake = false;
};

// The factory to put into HubConnectionOptions; keeps every transport it made.
class FakeTransports {
public:
    std::function<std::unique_ptr<signalr::Transport>(const signalr::HubConnectionOptions &)> factory()
    {
        return [this](const signalr::HubConnectionOptions &) {
            auto t = std::make_unique<FakeTransport>();
            made.append(t.get());
            return t;
        };
    }
    FakeTransport *last() const { return made.isEmpty() ? nullptr : made.last().data(); }

    QList<QPointer<FakeTransport>> made;
};
