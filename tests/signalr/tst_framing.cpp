// Framing and protocol edge cases against an in-process raw WebSocket server.
#include "RawHub.h"
#include "SelfSignedCertificate.h"
#include "TestUtil.h"

#include <QSslConfiguration>
#include <memory>

using signalr::HubConnection;
using signalr::HubConnectionBuilder;
using signalr::MessageType;
using signalr::RetryPolicy;
using signalr::HubConnectionOptions;

class TestFraming : public QObject {
  Q_OBJECT

  std::unique_ptr<HubConnection> client(RawHub &hub, HubConnectionBuilder b = HubConnectionBuilder()) {
    return std::unique_ptr<HubConnection>(b.withUrl(hub.url()).skipNegotiation().build());
  }
  bool connectTo(HubConnection *c) {
    QSignalSpy ok(c, &HubConnection::connected);
    c->start();
    return ok.wait(5000);
  }

private Q_SLOTS:
  void handshakeAndFirstMessagesInOneFrame() {
    RawHub hub;
    hub.autoHandshake = false;
    auto c = client(hub);
    QList<int> got;
    c->on("Hello", [&](const QJsonArray &a) { got << a[0].toInt(); });
    QSignalSpy ok(c.get(), &HubConnection::connected);
    c->start();
    QTRY_VERIFY(!hub.handshaken.isEmpty());
    hub.sendText("{}\x1e{\"type\":1,\"target\":\"Hello\",\"arguments\":[1]}\x1e{\"type\":1,\"target\":\"Hello\",\"arguments\":[2]}\x1e");
    QTRY_COMPARE(got, (QList<int>{1, 2}));
    QCOMPARE(ok.size(), 1);
  }

  void handshakeError() {
    RawHub hub;
    hub.autoHandshake = false;
    auto c = client(hub);
    QSignalSpy failed(c.get(), &HubConnection::startFailed);
    c->start();
    QTRY_VERIFY(!hub.handshaken.isEmpty());
    hub.sendText("{\"error\":\"Requested protocol 'json' is not available.\"}\x1e");
    QVERIFY(failed.wait(5000));
    QVERIFY(failed.first().first().toString().contains("not available"));
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
  }

  void handshakeGarbageAndTimeout() {
    RawHub hub;
    hub.autoHandshake = false;
    auto c = client(hub, HubConnectionBuilder().withHandshakeTimeout(300));
    QSignalSpy failed(c.get(), &HubConnection::startFailed);
    c->start();
    QVERIFY(failed.wait(5000)); // the server never answers
    QVERIFY2(failed.first().first().toString().contains("timed out"), qPrintable(failed.first().first().toString()));
    c->start();
    QTRY_COMPARE(hub.handshaken.size(), 2);
    hub.sendText("not json\x1e");
    QVERIFY(failed.wait(5000));
    QVERIFY(failed.last().first().toString().contains("handshake"));
  }

  void everySplitPoint() {
    RawHub hub;
    auto c = client(hub);
    QList<QString> got;
    c->on("Rec", [&](const QJsonArray &a) { got << a[0].toString(); });
    QVERIFY(connectTo(c.get()));
    // Multi-byte UTF-8 too: binary frames may split inside a character.
    const QByteArray payload = "{\"type\":1,\"target\":\"Rec\",\"arguments\":[\"a€\"]}\x1e"
                               "{\"type\":6}\x1e"
                               "{\"type\":1,\"target\":\"Rec\",\"arguments\":[\"ü\"]}\x1e";
    for (int split = 0; split <= payload.size(); ++split) {
      hub.sendBinary(payload.first(split));
      hub.sendBinary(payload.sliced(split));
    }
    const int expected = 2 * (payload.size() + 1);
    QTRY_COMPARE(got.size(), expected);
    for (int i = 0; i < expected; i += 2) {
      QCOMPARE(got[i], QString::fromUtf8("a€"));
      QCOMPARE(got[i + 1], QString::fromUtf8("ü"));
    }
    // One byte per frame.
    got.clear();
    for (char ch : payload)
      hub.sendBinary(QByteArray(1, ch));
    QTRY_COMPARE(got.size(), 2);
    QCOMPARE(c->state(), HubConnection::State::Connected);
  }

  void manyRecordsPerFrame() {
    RawHub hub;
    auto c = client(hub);
    int n = 0;
    c->on("N", [&](const QJsonArray &a) {
      QCOMPARE(a[0].toInt(), n);
      ++n;
    });
    QVERIFY(connectTo(c.get()));
    QByteArray frame;
    for (int i = 0; i < 5000; ++i)
      frame += "{\"type\":1,\"target\":\"N\",\"arguments\":[" + QByteArray::number(i) + "]}\x1e";
    hub.sendText(frame);
    QTRY_COMPARE(n, 5000);
  }

  void completionsStreamsAndUnknowns() {
    RawHub hub;
    auto c = client(hub);
    QVERIFY(connectTo(c.get()));
    auto *reply = c->invoke("X", {1});
    QSignalSpy finished(reply, &signalr::InvocationReply::finished);
    auto *stream = c->stream("S");
    QSignalSpy items(stream, &signalr::StreamReply::item);
    QSignalSpy completed(stream, &signalr::StreamReply::completed);
    QTRY_COMPARE(hub.received.size(), 2);
    const auto sent = hub.receivedMessages();
    QCOMPARE(sent[0].type, MessageType::Invocation);
    QCOMPARE(sent[1].type, MessageType::StreamInvocation);
    const QByteArray iid = sent[0].invocationId.toUtf8(), sid = sent[1].invocationId.toUtf8();
    hub.sendText("{\"type\":99,\"whatever\":true}\x1e"                                 // unknown type: skipped
                 "{\"type\":3,\"invocationId\":\"nobody\",\"result\":1}\x1e"             // unknown id: ignored
                 "{\"type\":2,\"invocationId\":\"" + sid + "\",\"item\":\"a\"}\x1e"
                 "{\"type\":6}\x1e"
                 "{\"type\":2,\"invocationId\":\"" + sid + "\",\"item\":\"b\"}\x1e"
                 "{\"type\":3,\"invocationId\":\"" + sid + "\"}\x1e"
                 "{\"type\":3,\"invocationId\":\"" + iid + "\",\"result\":{\"v\":7}}\x1e");
    QVERIFY(finished.wait(5000) || finished.size() == 1);
    QCOMPARE(finished.first().first().toJsonValue().toObject()["v"].toInt(), 7);
    QTRY_COMPARE(completed.size(), 1);
    QCOMPARE(items.size(), 2);
    QCOMPARE(c->state(), HubConnection::State::Connected);
  }

  void protocolErrorsCloseTheConnection_data() {
    QTest::addColumn<QByteArray>("record");
    QTest::newRow("bad json") << QByteArray("{\"type\":1,\"target\x1e");
    QTest::newRow("missing target") << QByteArray("{\"type\":1,\"arguments\":[]}\x1e");
    QTest::newRow("missing invocationId") << QByteArray("{\"type\":3,\"result\":1}\x1e");
    QTest::newRow("not an object") << QByteArray("42\x1e");
    QTest::newRow("result and error") << QByteArray("{\"type\":3,\"invocationId\":\"1\",\"result\":1,\"error\":\"e\"}\x1e");
  }
  void protocolErrorsCloseTheConnection() {
    QFETCH(QByteArray, record);
    RawHub hub;
    auto c = client(hub);
    QVERIFY(connectTo(c.get()));
    auto *pending = c->invoke("Never");
    QSignalSpy pendingFailed(pending, &signalr::InvocationReply::errorOccurred);
    QSignalSpy closed(c.get(), &HubConnection::closed);
    hub.sendText(record);
    QVERIFY(closed.wait(5000));
    QVERIFY2(closed.first().first().toString().contains("Protocol error"), qPrintable(closed.first().first().toString()));
    QCOMPARE(pendingFailed.size(), 1);
  }

  void oversizedRecordIsAProtocolError() {
    RawHub hub;
    HubConnectionOptions o;
    o.url = hub.url();
    o.skipNegotiation = true;
    o.maxRecordBytes = 64 * 1024;
    HubConnection c(o);
    QVERIFY(connectTo(&c));
    QSignalSpy closed(&c, &HubConnection::closed);
    const QByteArray chunk(16 * 1024, 'x');
    for (int i = 0; i < 8; ++i)
      hub.sendBinary(chunk); // never a separator
    QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 5000);
    QVERIFY(closed.first().first().toString().contains("exceeds"));
  }

  void clientResultsOverTheWire() {
    RawHub hub;
    auto c = client(hub);
    c->on("Answer", [](const QJsonArray &a) -> QJsonValue { return a[0].toInt() + 1; });
    QVERIFY(connectTo(c.get()));
    hub.sendText("{\"type\":1,\"invocationId\":\"s1\",\"target\":\"Answer\",\"arguments\":[41]}\x1e"
                 "{\"type\":1,\"invocationId\":\"s2\",\"target\":\"Missing\",\"arguments\":[]}\x1e"
                 "{\"type\":1,\"target\":\"Missing\",\"arguments\":[]}\x1e" // no id: no answer
                 "{\"type\":4,\"invocationId\":\"s3\",\"target\":\"Answer\",\"arguments\":[]}\x1e");
    QTRY_COMPARE(hub.received.size(), 3);
    const auto m = hub.receivedMessages();
    QCOMPARE(m[0].type, MessageType::Completion);
    QCOMPARE(m[0].invocationId, "s1");
    QCOMPARE(m[0].result.toInt(), 42);
    QCOMPARE(m[1].invocationId, "s2");
    QVERIFY(m[1].error && m[1].error->contains("Missing"));
    QCOMPARE(m[2].invocationId, "s3");
    QVERIFY(m[2].error); // answers leave in order: the id-less call in between wrote nothing
  }

  void closeMessages() {
    {
      RawHub hub;
      auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(RetryPolicy::delays({0})));
      QVERIFY(connectTo(c.get()));
      QSignalSpy closed(c.get(), &HubConnection::closed);
      QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
      hub.sendText("{\"type\":7,\"error\":\"go away\",\"allowReconnect\":false}\x1e");
      QVERIFY(closed.wait(5000));
      QVERIFY(closed.first().first().toString().contains("go away"));
      QCOMPARE(reconnecting.size(), 0);
    }
    {
      RawHub hub;
      auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(RetryPolicy::delays({0})));
      QVERIFY(connectTo(c.get()));
      QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
      QSignalSpy reconnected(c.get(), &HubConnection::reconnected);
      hub.sendText("{\"type\":7,\"error\":\"restarting\",\"allowReconnect\":true}\x1e");
      QVERIFY(reconnected.wait(5000));
      QCOMPARE(reconnecting.size(), 1);
      QVERIFY(reconnecting.first().first().toString().contains("restarting"));
      QCOMPARE(hub.sockets.size(), 2);
    }
    {
      RawHub hub; // a plain Close without allowReconnect is final too
      auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(RetryPolicy::delays({0})));
      QVERIFY(connectTo(c.get()));
      QSignalSpy closed(c.get(), &HubConnection::closed);
      hub.sendText("{\"type\":7}\x1e");
      QVERIFY(closed.wait(5000));
      QCOMPARE(closed.first().first().toString(), QString());
    }
  }

  void keepAliveAndServerTimeout() {
    RawHub hub;
    auto c = client(hub, HubConnectionBuilder().withKeepAliveInterval(50).withServerTimeout(400));
    QVERIFY(connectTo(c.get()));
    QSignalSpy closed(c.get(), &HubConnection::closed);
    QTRY_VERIFY_WITH_TIMEOUT(hub.received.size() >= 3, 2000); // pings while idle
    for (const auto &m : hub.receivedMessages())
      QCOMPARE(m.type, MessageType::Ping);
    QVERIFY(closed.wait(5000)); // the server says nothing: lost after 400 ms
    QVERIFY2(closed.first().first().toString().contains("Server timeout"), qPrintable(closed.first().first().toString()));
  }

  void serverPingsKeepItAlive() {
    RawHub hub;
    auto c = client(hub, HubConnectionBuilder().withServerTimeout(300));
    QVERIFY(connectTo(c.get()));
    QSignalSpy closed(c.get(), &HubConnection::closed);
    QTimer pinger;
    connect(&pinger, &QTimer::timeout, &hub, [&] { hub.sendText("{\"type\":6}\x1e"); });
    pinger.start(50);
    QVERIFY(!closed.wait(1000));
    QCOMPARE(c->state(), HubConnection::State::Connected);
  }

  void wssVerifiesCertificates() {
    // A server with a self-signed certificate: refused by default, accepted once
    // the certificate is trusted through the options' SSL configuration.
    SelfSignedCertificate tls;
    if (!tls.create())
      QSKIP("openssl could not make a test certificate");

    QWebSocketServer server("tls", QWebSocketServer::SecureMode);
    QSslConfiguration serverSsl = QSslConfiguration::defaultConfiguration();
    serverSsl.setLocalCertificate(tls.certificate);
    serverSsl.setPrivateKey(tls.privateKey);
    serverSsl.setPeerVerifyMode(QSslSocket::VerifyNone);
    server.setSslConfiguration(serverSsl);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QWebSocketServer::newConnection, this, [&server] {
      while (QWebSocket *ws = server.nextPendingConnection()) {
        ws->setParent(&server);
        connect(ws, &QWebSocket::textMessageReceived, ws, [ws](const QString &t) {
          if (t.startsWith("{\"protocol\""))
            ws->sendTextMessage(QStringLiteral("{}\x1e"));
        });
      }
    });
    const QUrl url(QStringLiteral("wss://127.0.0.1:%1/hub").arg(server.serverPort()));

    HubConnection strict(signalr::HubConnectionBuilder().withUrl(url).skipNegotiation().options());
    QSignalSpy failed(&strict, &HubConnection::startFailed);
    strict.start();
    QVERIFY(failed.wait(10000));

    HubConnection trusted(
        signalr::HubConnectionBuilder().withUrl(url).skipNegotiation().withSslConfiguration(tls.trustingConfiguration()).options());
    QVERIFY(connectTo(&trusted));
  }

  void droppedSocketFailsPendingAtOnce() {
    RawHub hub;
    auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(RetryPolicy::delays({5000})));
    QVERIFY(connectTo(c.get()));
    auto *pending = c->invoke("Never");
    QSignalSpy failed(pending, &signalr::InvocationReply::errorOccurred);
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    hub.last()->abort();
    QVERIFY(reconnecting.wait(5000));
    QTRY_COMPARE(failed.size(), 1);
    QVERIFY(failed.first().first().toString().contains("lost"));
    QCOMPARE(c->state(), HubConnection::State::Reconnecting);
    c->stop();
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
  }
};

QTEST_MAIN(TestFraming)
#include "tst_framing.moc"
