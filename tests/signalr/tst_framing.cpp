// Framing and protocol edge cases against an in-process raw WebSocket server.
#include "RawHub.h"
#include "SelfSignedCertificate.h"
#include "TestUtil.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTcpSocket>
#include <memory>

using signalr::HubConnection;
using signalr::HubConnectionBuilder;
using signalr::MessageType;
using signalr::RetryPolicy;
using signalr::HubConnectionOptions;

namespace {

// Counts the log lines that mention a text, at every level (debug included),
// passing every line on to the handler before it (QTest's).
class LogMentions {
public:
  explicit LogMentions(QString text) {
    s_text = std::move(text);
    s_count = 0;
    QLoggingCategory::setFilterRules(QStringLiteral("signalr.debug=true"));
    s_previous = qInstallMessageHandler(handler);
  }
  ~LogMentions() {
    qInstallMessageHandler(s_previous);
    QLoggingCategory::setFilterRules(QString());
  }
  int count() const { return s_count; }

private:
  static void handler(QtMsgType type, const QMessageLogContext &context, const QString &message) {
    if (message.contains(s_text))
      ++s_count;
    if (s_previous)
      s_previous(type, context, message);
  }
  static inline QString s_text;
  static inline int s_count = 0;
  static inline QtMessageHandler s_previous = nullptr;
};

// An HTTP server whose every answer is a body of `bytes` bytes: a hostile or
// broken hub's negotiate. Counts what it managed to write.
class HugeAnswerServer : public QObject {
public:
  HugeAnswerServer(qint64 bytes, bool announceLength) : m_bytes(bytes), m_announce(announceLength) {
    m_server.listen(QHostAddress::LocalHost, 0);
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
      while (QTcpSocket *s = m_server.nextPendingConnection()) {
        s->setParent(this);
        connect(s, &QTcpSocket::readyRead, s, [this, s] {
          if (!s->readAll().contains("\r\n\r\n") || s->property("answered").toBool())
            return;
          s->setProperty("answered", true);
          QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
          if (m_announce)
            head += "Content-Length: " + QByteArray::number(m_bytes) + "\r\n";
          s->write(head + "\r\n{\"connectionId\":\"");
          more(s);
        });
        connect(s, &QTcpSocket::bytesWritten, s, [this, s] { more(s); });
      }
    });
  }
  QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1/hub").arg(m_server.serverPort())); }
  qint64 written() const { return m_written; }

private:
  void more(QTcpSocket *s) {
    const QByteArray chunk(64 * 1024, 'a');
    while (s->bytesToWrite() < 4 * chunk.size() && m_written < m_bytes && s->state() == QAbstractSocket::ConnectedState) {
      s->write(chunk);
      m_written += chunk.size();
    }
  }
  QTcpServer m_server;
  qint64 m_bytes;
  bool m_announce;
  qint64 m_written = 0;
};

// A WebSocket server that answers the SignalR handshake and then never reads
// again: a hub that has stopped reading, seen from the client.
class DeafServer : public QObject {
public:
  DeafServer() {
    m_server.listen(QHostAddress::LocalHost, 0);
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
      while (QTcpSocket *s = m_server.nextPendingConnection()) {
        s->setParent(this);
        connect(s, &QTcpSocket::readyRead, s, [s] {
          if (s->property("deaf").toBool())
            return;
          const QByteArray request = s->peek(s->bytesAvailable());
          if (!s->property("upgraded").toBool()) {
            if (!request.contains("\r\n\r\n"))
              return;
            s->readAll();
            const QByteArray key = QRegularExpression(QStringLiteral("Sec-WebSocket-Key: *([^\r]+)"), QRegularExpression::CaseInsensitiveOption)
                                       .match(QString::fromLatin1(request)).captured(1).toLatin1();
            const QByteArray accept = QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1).toBase64();
            s->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
            s->setProperty("upgraded", true);
            return;
          }
          // The client's handshake request arrived: answer it, then read nothing more.
          s->write(QByteArray("\x81\x03{}\x1e", 5));
          s->setProperty("deaf", true);
          s->setReadBufferSize(1);
        });
      }
    });
  }
  QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/hub").arg(m_server.serverPort())); }

private:
  QTcpServer m_server;
};

} // namespace

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

  // A turn that has written already gathers what follows for its end; an
  // answer is not held back with it, nor the records before it (order kept).
  void anAnswerLeavesAtOnceEvenInATurnThatHasWritten() {
    RawHub hub;
    auto c = client(hub);
    qint64 gatheredAfterAnswer = -1;
    c->on("Answer", [&](const QJsonArray &, signalr::ClientResult r) {
      c->send("Before", {1}); // the turn's first record: out at once
      c->send("Gathered", {2}); // gathered for the end of the turn
      r.resolve(42);
      gatheredAfterAnswer = c->bufferedBytes();
    });
    QVERIFY(connectTo(c.get()));
    hub.sendText("{\"type\":1,\"invocationId\":\"a1\",\"target\":\"Answer\",\"arguments\":[]}\x1e");
    QTRY_COMPARE(hub.received.size(), 3);
    QCOMPARE(gatheredAfterAnswer, 0); // handed to the socket inside the turn, nothing left gathered
    const auto m = hub.receivedMessages();
    QCOMPARE(m[0].target, "Before");
    QCOMPARE(m[1].target, "Gathered");
    QCOMPARE(m[2].type, MessageType::Completion);
    QCOMPARE(m[2].result.toInt(), 42);
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

  void anInvocationWithNoHandlerIsIgnoredQuietly() {
    // StreamHub sends some messages to all its clients (UpdateMetric-{engineId}
    // every 2 s): a client with no handler for them ignores them with at most one
    // debug line per method, never a warning; one that waits for a result still
    // gets an error answer.
    RawHub hub;
    auto c = client(hub);
    QVERIFY(connectTo(c.get()));
    LogMentions mentions(QStringLiteral("UpdateMetric-1"));
    QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    for (int i = 0; i < 5; ++i)
      hub.sendText("{\"type\":1,\"target\":\"UpdateMetric-1\",\"arguments\":[{\"cpuUsage\":1}]}\x1e");
    hub.sendText("{\"type\":1,\"target\":\"UpdateMetric-1\",\"invocationId\":\"7\",\"arguments\":[]}\x1e");
    QTRY_VERIFY(!hub.receivedMessages().isEmpty());
    const auto answers = hub.receivedMessages();
    QCOMPARE(answers.first().invocationId, QStringLiteral("7"));
    QVERIFY(answers.first().error && answers.first().error->contains("UpdateMetric-1"));
    QVERIFY2(mentions.count() <= 1, qPrintable(QString::number(mentions.count())));
    QCOMPARE(c->state(), HubConnection::State::Connected);
  }

  void aServerThatAcceptsThenSendsGarbageIsRetriedWithBackoff() {
    // A connection that opens and fails at once continues the reconnect
    // episode: the policy sees its retry count grow, and backs off.
    RawHub hub;
    hub.afterHandshake = "this is not json\x1e";
    QList<int> retries;
    const RetryPolicy policy([&retries](const signalr::RetryContext &context) -> std::optional<int> {
      retries << context.previousRetryCount;
      return 5 << std::min(context.previousRetryCount, 4);
    });
    auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(policy));
    c->start();
    QTRY_VERIFY_WITH_TIMEOUT(retries.size() >= 5, 10000);
    c->stop();
    QCOMPARE(retries.mid(0, 5), (QList<int>{0, 1, 2, 3, 4}));
  }

  void anOversizedNegotiateAnswerIsRefusedWhileItArrives_data() {
    QTest::addColumn<bool>("announced");
    QTest::newRow("chunked, no length") << false;
    QTest::newRow("Content-Length") << true;
  }
  void anOversizedNegotiateAnswerIsRefusedWhileItArrives() {
    QFETCH(bool, announced);
    const qint64 huge = 300LL * 1024 * 1024;
    HugeAnswerServer server(huge, announced);
    HubConnection c(HubConnectionBuilder().withUrl(server.url()).options());
    QSignalSpy failed(&c, &HubConnection::startFailed);
    c.start();
    QVERIFY(failed.wait(20000));
    const QString error = failed.first().first().toString();
    QVERIFY2(error.contains(QStringLiteral("Negotiate")) && error.contains(QStringLiteral("larger than")), qPrintable(error));
    // The client stopped reading long before the end: it never held the answer.
    QVERIFY2(server.written() < 32 * 1024 * 1024, qPrintable(QString::number(server.written())));
  }

  void anOversizedMessageClosesTheConnectionWithAClearError() {
    RawHub hub;
    HubConnectionOptions o = HubConnectionBuilder().withUrl(hub.url()).skipNegotiation().options();
    o.maxRecordBytes = 1024 * 1024;
    HubConnection c(o);
    QVERIFY(connectTo(&c));
    QSignalSpy closed(&c, &HubConnection::closed);
    hub.sendBinary(QByteArray(8 * 1024 * 1024, 'a'));
    QVERIFY(closed.wait(10000));
    const QString error = closed.first().first().toString();
    QVERIFY2(error.contains(QStringLiteral("1048576")) && error.contains(QStringLiteral("larger than")), qPrintable(error));
  }

  void writesMadeFromBytesWrittenAreAccountedFor() {
    // Records written from inside bytesWritten (as a queue that pumps on it
    // does) leave the socket too: the buffered count goes back to zero.
    RawHub hub;
    auto c = client(hub);
    QVERIFY(connectTo(c.get()));
    int left = 2000;
    const QString payload(2000, QLatin1Char('x'));
    connect(c.get(), &HubConnection::bytesWritten, this, [&] {
      for (int i = 0; i < 20 && left > 0; ++i, --left)
        c->send(QStringLiteral("Sink"), {payload});
    });
    c->send(QStringLiteral("Sink"), {payload});
    QTRY_COMPARE_WITH_TIMEOUT(hub.received.size(), 2001, 20000);
    QTRY_COMPARE(c->bufferedBytes(), 0);
  }

  void aServerThatStopsReadingIsLeftAfterTheWriteTimeout() {
    DeafServer server;
    HubConnectionOptions o = HubConnectionBuilder().withUrl(server.url()).skipNegotiation().options();
    o.writeTimeoutMs = 1000;
    HubConnection c(o);
    QVERIFY(connectTo(&c));
    QSignalSpy closed(&c, &HubConnection::closed);
    const QString payload(60 * 1024, QLatin1Char('x'));
    // Until the kernel's buffers are full and the rest waits in ours.
    QDeadlineTimer deadline(30000);
    while (c.bufferedBytes() < 4 * 1024 * 1024 && !deadline.hasExpired() && closed.isEmpty()) {
      c.send(QStringLiteral("Sink"), {payload});
      QCoreApplication::processEvents();
    }
    QVERIFY(c.bufferedBytes() >= 4 * 1024 * 1024);
    QVERIFY(closed.wait(10000));
    const QString error = closed.first().first().toString();
    QVERIFY2(error.contains(QStringLiteral("Write timeout")), qPrintable(error));
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

  void aWriteThatFindsTheServerGoneLosesTheConnectionCleanly() {
    // A server that dies while the client writes: the client has not yet read
    // the server's end, so its write fails, and the socket reports that from
    // inside the write. The connection is lost there and then (the engine
    // crashed here when StreamHub was killed under traffic).
    RawHub hub;
    auto c = client(hub, HubConnectionBuilder().withAutomaticReconnect(RetryPolicy::delays({5000})));
    QVERIFY(connectTo(c.get()));
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    hub.last()->abort();
    const QString payload(256 * 1024, QLatin1Char('x'));
    for (int i = 0; i < 8 && reconnecting.isEmpty(); ++i)
      c->send(QStringLiteral("Sink"), {payload}); // no event loop between: the writes find the end
    QVERIFY(!reconnecting.isEmpty() || reconnecting.wait(5000));
    QCOMPARE(c->state(), HubConnection::State::Reconnecting);
    QCOMPARE(c->bufferedBytes(), 0);
    c->send(QStringLiteral("Sink"), {payload}); // nowhere to go: dropped, not a crash
  }
};

QTEST_MAIN(TestFraming)
#include "tst_framing.moc"
