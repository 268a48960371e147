// The pure JSON hub protocol: every message type both ways, and the record reader.
#include <QJsonObject>
#include <QSet>
#include <QTest>
#include <cmath>

#include "signalr/HubProtocol.h"
#include "signalr/RetryPolicy.h"

using namespace signalr;

class TestProtocol : public QObject {
  Q_OBJECT

  static HubMessage roundTrip(const HubMessage &m) {
    QByteArray rec = HubProtocol::write(m);
    if (!rec.endsWith('\x1e'))
      qFatal("no record separator");
    rec.chop(1);
    HubMessage out;
    QString error;
    if (HubProtocol::parse(rec, &out, &error) != HubProtocol::ParseResult::Ok)
      qFatal("round trip failed: %s", qPrintable(error));
    return out;
  }
  static HubProtocol::ParseResult parse(const char *json, HubMessage *m = nullptr) {
    HubMessage tmp;
    QString error;
    return HubProtocol::parse(QByteArray(json), m ? m : &tmp, &error);
  }

private Q_SLOTS:
  void handshake() {
    QCOMPARE(HubProtocol::handshakeRequest(), QByteArray("{\"protocol\":\"json\",\"version\":1}\x1e"));
    std::optional<QString> error;
    QString pe;
    QVERIFY(HubProtocol::parseHandshakeResponse("{}", &error, &pe));
    QVERIFY(!error);
    QVERIFY(HubProtocol::parseHandshakeResponse("{\"error\":\"nope\"}", &error, &pe));
    QCOMPARE(*error, "nope");
    QVERIFY(!HubProtocol::parseHandshakeResponse("{", &error, &pe));
  }

  void everyTypeRoundTrips() {
    HubMessage m = roundTrip(HubMessage::invocation("7", "Add", {1, "x"}));
    QCOMPARE(m.type, MessageType::Invocation);
    QCOMPARE(m.invocationId, "7");
    QCOMPARE(m.target, "Add");
    QCOMPARE(m.arguments, (QJsonArray{1, "x"}));
    m = roundTrip(HubMessage::invocation(QString(), "Fire", {}));
    QVERIFY(m.invocationId.isEmpty());
    QVERIFY(!HubProtocol::write(HubMessage::invocation(QString(), "Fire", {})).contains("invocationId"));
    // Arguments written once for many connections go out as they are, headers or not.
    HubMessage encoded = HubMessage::invocation(QString(), "Fire", {});
    encoded.encodedArguments = "[{\"a\":\"b\"},2]";
    QCOMPARE(HubProtocol::write(encoded), QByteArray("{\"type\":1,\"target\":\"Fire\",\"arguments\":[{\"a\":\"b\"},2]}\x1e"));
    encoded.headers.insert("h", "v");
    m = roundTrip(encoded);
    QCOMPARE(m.arguments, (QJsonArray{QJsonObject{{"a", "b"}}, 2}));
    QCOMPARE(m.headers.value("h"), "v");
    m = roundTrip(HubMessage::streamInvocation("8", "S", {3}));
    QCOMPARE(m.type, MessageType::StreamInvocation);
    HubMessage withStreams = HubMessage::invocation("10", "Upload", {"x"});
    withStreams.streamIds = {"11", "12"};
    QCOMPARE(HubProtocol::write(withStreams),
             QByteArray("{\"type\":1,\"invocationId\":\"10\",\"target\":\"Upload\",\"arguments\":[\"x\"],\"streamIds\":[\"11\",\"12\"]}\x1e"));
    m = roundTrip(withStreams);
    QCOMPARE(m.streamIds, (QStringList{"11", "12"}));
    QCOMPARE(m.arguments, (QJsonArray{"x"}));
    m = roundTrip(HubMessage::streamItem("11", QJsonObject{{"frame", 3}}));
    QCOMPARE(m.type, MessageType::StreamItem);
    QCOMPARE(m.invocationId, "11");
    QCOMPARE(m.item.toObject()["frame"].toInt(), 3);
    QCOMPARE(HubProtocol::write(HubMessage::streamItem("11", 2.5)), QByteArray("{\"type\":2,\"invocationId\":\"11\",\"item\":2.5}\x1e"));
    m = roundTrip(HubMessage::completionResult("9", QJsonObject{{"a", 1}}));
    QVERIFY(m.hasResult && !m.error);
    QCOMPARE(m.result.toObject()["a"].toInt(), 1);
    m = roundTrip(HubMessage::completionResult("9", QJsonValue()));
    QVERIFY(m.hasResult && m.result.isNull());
    m = roundTrip(HubMessage::completionVoid("9"));
    QVERIFY(!m.hasResult && !m.error);
    m = roundTrip(HubMessage::completionError("9", "bad"));
    QCOMPARE(*m.error, "bad");
    m = roundTrip(HubMessage::cancelInvocation("5"));
    QCOMPARE(m.type, MessageType::CancelInvocation);
    QCOMPARE(roundTrip(HubMessage::ping()).type, MessageType::Ping);
    QCOMPARE(HubProtocol::write(HubMessage::ping()), QByteArray("{\"type\":6}\x1e"));
    m = roundTrip(HubMessage::close(QString("err"), true));
    QCOMPARE(*m.error, "err");
    QVERIFY(m.allowReconnect);
    m = roundTrip(HubMessage::ack(1394));
    QCOMPARE(m.sequenceId, 1394);
    m = roundTrip(HubMessage::sequence(1234));
    QCOMPARE(m.type, MessageType::Sequence);
    QCOMPARE(m.sequenceId, 1234);
  }

  void serverShapes() {
    HubMessage m;
    QCOMPARE(parse("{\"type\":2,\"invocationId\":\"1\",\"item\":null}", &m), HubProtocol::ParseResult::Ok);
    QVERIFY(m.item.isNull());
    QCOMPARE(parse("{\"type\":1,\"target\":\"T\",\"arguments\":[],\"headers\":{\"a\":\"b\"},\"extra\":1}", &m),
             HubProtocol::ParseResult::Ok);
    QCOMPARE(m.headers.value("a"), "b");
    QCOMPARE(parse("{\"type\":7}", &m), HubProtocol::ParseResult::Ok);
    QVERIFY(!m.error && !m.allowReconnect);
    QCOMPARE(parse("{\"type\":3,\"invocationId\":\"1\",\"error\":null,\"result\":5}", &m), HubProtocol::ParseResult::Ok);
    QCOMPARE(m.result.toInt(), 5);
  }

  void rejects_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("expected");
    const int invalid = int(HubProtocol::ParseResult::Invalid);
    QTest::newRow("bad json") << QByteArray("{\"type\":1,") << invalid;
    QTest::newRow("not object") << QByteArray("[1]") << invalid;
    QTest::newRow("no type") << QByteArray("{}") << invalid;
    QTest::newRow("string type") << QByteArray("{\"type\":\"1\"}") << invalid;
    QTest::newRow("fraction type") << QByteArray("{\"type\":1.5}") << invalid;
    QTest::newRow("unknown type") << QByteArray("{\"type\":99}") << int(HubProtocol::ParseResult::UnknownType);
    QTest::newRow("invocation no target") << QByteArray("{\"type\":1,\"arguments\":[]}") << invalid;
    QTest::newRow("invocation no args") << QByteArray("{\"type\":1,\"target\":\"x\"}") << invalid;
    QTest::newRow("invocation args object") << QByteArray("{\"type\":1,\"target\":\"x\",\"arguments\":{}}") << invalid;
    QTest::newRow("invocation numeric id") << QByteArray("{\"type\":1,\"invocationId\":1,\"target\":\"x\",\"arguments\":[]}") << invalid;
    QTest::newRow("stream invocation no id") << QByteArray("{\"type\":4,\"target\":\"x\",\"arguments\":[]}") << invalid;
    QTest::newRow("item no item") << QByteArray("{\"type\":2,\"invocationId\":\"1\"}") << invalid;
    QTest::newRow("completion no id") << QByteArray("{\"type\":3}") << invalid;
    QTest::newRow("completion both") << QByteArray("{\"type\":3,\"invocationId\":\"1\",\"result\":1,\"error\":\"e\"}") << invalid;
    QTest::newRow("completion error number") << QByteArray("{\"type\":3,\"invocationId\":\"1\",\"error\":5}") << invalid;
    QTest::newRow("cancel no id") << QByteArray("{\"type\":5}") << invalid;
    QTest::newRow("close bad allow") << QByteArray("{\"type\":7,\"allowReconnect\":\"yes\"}") << invalid;
    QTest::newRow("ack no seq") << QByteArray("{\"type\":8}") << invalid;
    QTest::newRow("sequence negative") << QByteArray("{\"type\":9,\"sequenceId\":-1}") << invalid;
    QTest::newRow("headers not object") << QByteArray("{\"type\":6,\"headers\":[]}") << invalid;
    QTest::newRow("empty") << QByteArray("") << invalid;
  }
  void rejects() {
    QFETCH(QByteArray, json);
    QFETCH(int, expected);
    HubMessage m;
    QString error;
    QCOMPARE(int(HubProtocol::parse(json, &m, &error)), expected);
    QVERIFY(!error.isEmpty());
  }

  void recordReaderSplitsAtEveryPoint() {
    const QByteArray stream = HubProtocol::write(HubMessage::invocation("1", "A", {"é€"})) +
                              HubProtocol::write(HubMessage::ping()) +
                              HubProtocol::write(HubMessage::completionResult("2", 3));
    for (int split = 0; split <= stream.size(); ++split) {
      RecordReader r;
      QList<QByteArray> out;
      r.append(QByteArrayView(stream).first(split));
      while (auto rec = r.next())
        out << *rec;
      r.append(QByteArrayView(stream).sliced(split));
      while (auto rec = r.next())
        out << *rec;
      QCOMPARE(out.size(), 3);
      QCOMPARE(out[1], QByteArray("{\"type\":6}"));
      QCOMPARE(r.pendingBytes(), 0);
    }
    RecordReader bytes; // one byte at a time
    int n = 0;
    for (char ch : stream) {
      bytes.append(QByteArrayView(&ch, 1));
      while (bytes.next())
        ++n;
    }
    QCOMPARE(n, 3);
  }

  void retryPolicies() {
    auto at = [](const RetryPolicy &p, int n) { return p.nextDelayMs(RetryContext{n, 0, QString()}); };
    const RetryPolicy d = RetryPolicy::defaultPolicy();
    QCOMPARE(at(d, 0), std::optional<int>(0));
    QCOMPARE(at(d, 1), std::optional<int>(2000));
    QCOMPARE(at(d, 2), std::optional<int>(10000));
    QCOMPARE(at(d, 3), std::optional<int>(30000));
    QVERIFY(!at(d, 4));
    QVERIFY(!RetryPolicy::none().enabled());
    QVERIFY(!at(RetryPolicy::none(), 0));
    const RetryPolicy f = RetryPolicy::forever(1000, 30000, 0.2);
    QCOMPARE(at(f, 0), std::optional<int>(0));
    QSet<int> seen;
    for (int n = 1; n < 200; ++n) {
      const int ideal = int(std::min(30000.0, 1000.0 * std::pow(2.0, std::min(n - 1, 30))));
      const std::optional<int> v = at(f, n);
      QVERIFY(v);
      QVERIFY2(*v >= int(ideal * 0.8) - 1 && *v <= std::min(30000, int(ideal * 1.2) + 1), qPrintable(QString::number(*v)));
      seen.insert(*v);
    }
    QVERIFY(seen.size() > 50); // jittered, not one fixed delay
  }

  void recordReaderBoundsMemory() {
    RecordReader r(1024);
    const QByteArray chunk(600, 'x');
    r.append(chunk);
    QVERIFY(!r.next());
    QVERIFY(!r.overflowed());
    r.append(chunk);
    QVERIFY(!r.next());
    QVERIFY(r.overflowed());
    r.clear();
    r.append("{}\x1e");
    QCOMPARE(*r.next(), QByteArray("{}"));
    RecordReader empty;
    empty.append("\x1e\x1e");
    QCOMPARE(*empty.next(), QByteArray());
  }
};

QTEST_APPLESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
