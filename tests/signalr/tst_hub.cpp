// The client against the real ASP.NET Core hub (tests/testhub, /testhub).
#include "LinkDropper.h"
#include "SelfSignedCertificate.h"
#include "TestHubProcess.h"
#include "TestUtil.h"

#include <QTimer>
#include <memory>

using signalr::ClientResult;
using signalr::HubConnection;
using signalr::HubConnectionBuilder;
using signalr::HubConnectionOptions;
using signalr::RetryPolicy;
using signalr::UploadStream;

class TestHubSuite : public QObject {
  Q_OBJECT

  TestHubProcess m_hub;

  std::unique_ptr<HubConnection> make(HubConnectionBuilder b) { return std::unique_ptr<HubConnection>(b.build()); }
  HubConnectionBuilder builder(const QString &path = QStringLiteral("/testhub")) {
    return HubConnectionBuilder().withUrl(m_hub.url(path));
  }
  bool startAndWait(HubConnection *c) {
    QSignalSpy ok(c, &HubConnection::connected);
    QSignalSpy failed(c, &HubConnection::startFailed);
    c->start();
    QDeadlineTimer d(15000);
    while (ok.isEmpty() && failed.isEmpty() && !d.hasExpired())
      QTest::qWait(5);
    if (!failed.isEmpty())
      qWarning() << "start failed:" << failed.first().first().toString();
    return !ok.isEmpty();
  }
  QString startError(HubConnection *c) {
    QSignalSpy failed(c, &HubConnection::startFailed);
    c->start();
    if (!failed.wait(15000))
      return QString();
    return failed.first().first().toString();
  }

private Q_SLOTS:
  void initTestCase() {
    SE_REQUIRE_TESTHUB_OR_SKIP();
    QVERIFY2(m_hub.start(), qPrintable(m_hub.errorString()));
  }

  void invokeResultsAndErrors() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));
    QCOMPARE(c->state(), HubConnection::State::Connected);
    QVERIFY(!c->connectionId().isEmpty());

    const QJsonObject obj{{"a", 1}, {"b", QJsonArray{true, "x", QJsonValue()}}, {"ü", "ß€"}};
    Outcome o = await(c->invoke("Echo", {obj}));
    QVERIFY2(o.ok, qPrintable(o.error));
    QCOMPARE(o.result.toObject(), obj);

    o = await(c->invoke("Add", {40, 2}));
    QVERIFY(o.ok);
    QCOMPARE(o.result.toInt(), 42);

    o = await(c->invoke("Void"));
    QVERIFY(o.ok);
    QVERIFY(o.result.isNull());

    o = await(c->invoke("Fail", {"it broke"}));
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains("it broke"), qPrintable(o.error));

    o = await(c->invoke("Crash"));
    QVERIFY(!o.ok);
    QVERIFY(!o.error.isEmpty());

    o = await(c->invoke("NoSuchMethod"));
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains("NoSuchMethod"), qPrintable(o.error));

    o = await(c->invoke("Add", {"not a number", 2}));
    QVERIFY(!o.ok);

    o = await(c->invoke("ConnectionId"));
    QCOMPARE(o.result.toString(), c->connectionId());

    // Many in flight at once, answered by id.
    QHash<int, int> answers;
    for (int i = 0; i < 200; ++i)
      connect(c->invoke("Add", {i, 1}), &signalr::InvocationReply::finished, this,
              [&answers, i](const QJsonValue &v) { answers[i] = v.toInt(); });
    QTRY_COMPARE_WITH_TIMEOUT(answers.size(), 200, 10000);
    for (int i = 0; i < 200; ++i)
      QCOMPARE(answers[i], i + 1);
  }

  void invokeTimeoutAndNotConnected() {
    auto c = make(builder());
    Outcome o = await(c->invoke("Add", {1, 2}));
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains("not connected"), qPrintable(o.error));
    QVERIFY(!c->send("Sink", {1}));

    QVERIFY(startAndWait(c.get()));
    o = await(c->invoke("Delay", {3000}, 200));
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains("timed out"), qPrintable(o.error));
    QCOMPARE(c->pendingInvocations(), 0);
    o = await(c->invoke("Delay", {10}, 5000));
    QVERIFY(o.ok);
  }

  void sendIsFireAndForget() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));
    for (int i = 0; i < 500; ++i)
      QVERIFY(c->send("Sink", {i}));
    QTRY_COMPARE_WITH_TIMEOUT(await(c->invoke("SinkCount")).result.toInteger(), 500, 10000);
    const QJsonArray values = await(c->invoke("SinkValues")).result.toArray();
    QCOMPARE(values.size(), 500);
    for (int i = 0; i < 500; ++i)
      QCOMPARE(values[i].toInteger(), i);
  }

  void streams() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));
    {
      auto *s = c->stream("Counter", {5, 0});
      QSignalSpy items(s, &signalr::StreamReply::item);
      QSignalSpy completed(s, &signalr::StreamReply::completed);
      QVERIFY(completed.wait(10000));
      QCOMPARE(items.size(), 5);
      for (int i = 0; i < 5; ++i)
        QCOMPARE(items[i].first().toJsonValue().toInt(), i);
    }
    {
      auto *s = c->stream("CounterThenFail", {3});
      QSignalSpy items(s, &signalr::StreamReply::item);
      QSignalSpy failed(s, &signalr::StreamReply::errorOccurred);
      QVERIFY(failed.wait(10000));
      QCOMPARE(items.size(), 3);
      QVERIFY2(failed.first().first().toString().contains("stream failed"), qPrintable(failed.first().first().toString()));
    }
    {
      auto *s = c->stream("Counter", {100000, 10});
      s->setAutoDelete(false);
      QSignalSpy items(s, &signalr::StreamReply::item);
      QSignalSpy done(s, &signalr::StreamReply::done);
      QTRY_VERIFY_WITH_TIMEOUT(items.size() >= 3, 10000);
      s->cancel();
      QCOMPARE(done.size(), 1);
      const auto n = items.size();
      // Items the hub wrote before it saw the cancel arrive before this answer,
      // and must not be delivered; and the connection is fine.
      QVERIFY(await(c->invoke("Add", {1, 1})).ok);
      QCOMPARE(items.size(), n);
      delete s;
    }
    {
      auto *s = c->stream("NoSuchStream", {});
      QSignalSpy failed(s, &signalr::StreamReply::errorOccurred);
      QVERIFY(failed.wait(10000));
    }
  }

  void serverToClient() {
    auto c = make(builder());
    QList<QJsonArray> got;
    c->on("Notify", [&](const QJsonArray &args) { got.append(args); });
    QVERIFY(startAndWait(c.get()));
    QVERIFY(await(c->invoke("SendToCaller", {"Notify", QJsonArray{1, "two", QJsonObject{{"three", 3}}}})).ok);
    QTRY_COMPARE(got.size(), 1);
    QCOMPARE(got[0], (QJsonArray{1, "two", QJsonObject{{"three", 3}}}));
    // A method with no handler, no answer expected: ignored, the connection lives.
    QVERIFY(await(c->invoke("SendToCaller", {"Unhandled", QJsonArray{1}})).ok);
    QVERIFY(await(c->invoke("Add", {1, 1})).ok);
    c->off("Notify");
    QVERIFY(await(c->invoke("SendToCaller", {"Notify", QJsonArray{2}})).ok);
    QVERIFY(await(c->invoke("Add", {1, 1})).ok);
    QCOMPARE(got.size(), 1);
  }

  void clientResults() {
    auto c = make(builder());
    // answered at once
    c->on("Double", [](const QJsonArray &a, ClientResult r) { r.resolve(a[0].toInt() * 2); });
    // a value returned
    c->on("Triple", [](const QJsonArray &a) -> QJsonValue { return a[0].toInt() * 3; });
    // answered later, from the event loop
    c->on("Later", [](const QJsonArray &a, ClientResult r) {
      QTimer::singleShot(300, [r, v = a[0]] { r.resolve(QJsonObject{{"late", v}}); });
    });
    bool lateAnswerSent = false;
    c->on("TooLate", [&lateAnswerSent](const QJsonArray &, ClientResult r) {
      QTimer::singleShot(1500, [r, &lateAnswerSent] {
        r.resolve(1);
        lateAnswerSent = true;
      });
    });
    c->on("Rejects", [](const QJsonArray &, ClientResult r) { r.reject("no can do"); });
    c->on("Throws", [](const QJsonArray &, ClientResult) -> void { throw std::runtime_error("handler blew up"); });
    c->on("Forgets", [](const QJsonArray &, ClientResult) {});
    c->on("Void", [](const QJsonArray &) {});
    QVERIFY(startAndWait(c.get()));

    auto call = [&](const char *method, const QJsonValue &arg, int timeoutMs = 5000) {
      Outcome o = await(c->invoke("InvokeCaller", {method, arg, timeoutMs}), timeoutMs + 5000);
      return o.result.toObject();
    };
    QJsonObject r = call("Double", 21);
    QVERIFY2(r["ok"].toBool(), qPrintable(toJson(r)));
    QCOMPARE(r["result"].toInt(), 42);
    r = call("Triple", 5);
    QCOMPARE(r["result"].toInt(), 15);
    r = call("Later", "x");
    QVERIFY2(r["ok"].toBool(), qPrintable(toJson(r)));
    QCOMPARE(r["result"].toObject()["late"].toString(), "x");
    r = call("TooLate", 0, 500);
    QVERIFY(!r["ok"].toBool());
    QCOMPARE(r["error"].toString(), "timeout");
    r = call("Rejects", 0);
    QVERIFY(!r["ok"].toBool());
    QVERIFY2(r["error"].toString().contains("no can do"), qPrintable(toJson(r)));
    r = call("Throws", 0);
    QVERIFY(!r["ok"].toBool());
    QVERIFY2(r["error"].toString().contains("handler blew up"), qPrintable(toJson(r)));
    r = call("Forgets", 0);
    QVERIFY(!r["ok"].toBool());
    QVERIFY2(r["error"].toString().contains("did not answer"), qPrintable(toJson(r)));
    r = call("NobodyHome", 0);
    QVERIFY(!r["ok"].toBool());
    QVERIFY2(r["error"].toString().contains("NobodyHome"), qPrintable(toJson(r)));
    r = call("Void", 0);
    QVERIFY2(r["ok"].toBool(), qPrintable(toJson(r)));
    QVERIFY(r["result"].isNull());
    // The late answer of TooLate arrives after the server gave up: harmless.
    QTRY_VERIFY_WITH_TIMEOUT(lateAnswerSent, 5000);
    QVERIFY(await(c->invoke("Add", {1, 1})).ok);
  }

  void statefulBufferOverItsLimitWarnsOnce() {
    HubConnectionOptions o = builder().withStatefulReconnect().options();
    o.statefulReconnectBufferBytes = 1024;
    HubConnection c(o);
    QVERIFY(startAndWait(&c));
    QVERIFY(c.isStatefulReconnectActive());
    const QRegularExpression over(QStringLiteral("stateful reconnect buffer holds"));
    QTest::ignoreMessage(QtWarningMsg, over);
    QTest::failOnWarning(over);
    for (int i = 0; i < 500; ++i) // ~20 KB before any acknowledgement
      QVERIFY(c.send("Sink", {i}));
    QTRY_COMPARE_WITH_TIMEOUT(await(c.invoke("SinkCount")).result.toInteger(), 500, 10000);
    // The hub's acknowledgements bring it back under the limit (said once, at info).
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("stateful reconnect buffer back to")));
    static bool backUnder = false;
    backUnder = false;
    static QtMessageHandler previous = nullptr;
    previous = qInstallMessageHandler([](QtMsgType t, const QMessageLogContext &ctx, const QString &msg) {
      if (msg.contains(QLatin1String("stateful reconnect buffer back to")))
        backUnder = true;
      previous(t, ctx, msg);
    });
    QTRY_VERIFY_WITH_TIMEOUT(backUnder, 10000);
    qInstallMessageHandler(previous);
  }

  void uploadStreams() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));

    // Items written before the call wait for it; the end reaches the hub method.
    auto *numbers = c->createUploadStream();
    QSignalSpy numbersClosed(numbers, &UploadStream::closed);
    QVERIFY(numbers->write(1));
    QVERIFY(numbers->write(2));
    auto *sum = c->invoke("UploadSum", {}, {numbers});
    for (int i = 3; i <= 1000; ++i)
      QVERIFY(numbers->write(i));
    numbers->complete();
    QVERIFY(!numbers->write(1001));
    Outcome o = await(sum);
    QVERIFY2(o.ok, qPrintable(o.error));
    QCOMPARE(o.result.toInteger(), 500500);
    QTRY_COMPARE(numbersClosed.size(), 1);
    QCOMPARE(numbersClosed.first().first().toString(), QString());
    delete numbers;

    // Two streams after an ordinary argument.
    auto *first = c->createUploadStream();
    auto *second = c->createUploadStream();
    auto *joined = c->invoke("UploadJoin", {"-"}, {first, second});
    first->write("a");
    second->write("c");
    first->write("b");
    first->complete();
    second->complete();
    QCOMPARE(await(joined).result.toString(), "a-b-c");

    // The client fails its stream: the hub method's reader throws the error.
    auto *failing = c->createUploadStream();
    auto *failed = c->invoke("UploadSum", {}, {failing});
    failing->write(1);
    failing->fail("camera unplugged");
    o = await(failed);
    QVERIFY(o.done && !o.ok);
    QVERIFY2(o.error.contains("camera unplugged"), qPrintable(o.error));

    // The call ends first: the stream closes and refuses more items.
    auto *rest = c->createUploadStream();
    QSignalSpy restClosed(rest, &UploadStream::closed);
    auto *firstItem = c->invoke("UploadFirst", {}, {rest});
    QVERIFY(rest->write(QJsonObject{{"x", 1}}));
    QCOMPARE(await(firstItem).result.toObject()["x"].toInt(), 1);
    QVERIFY(!rest->isOpen());
    QVERIFY(!rest->write(2));
    QTRY_COMPARE(restClosed.size(), 1);
    QVERIFY2(restClosed.first().first().toString().contains("ended"), qPrintable(restClosed.first().first().toString()));

    // Fire and forget with a stream.
    QList<QJsonValue> echoed;
    bool echoDone = false;
    c->on("Echoed", [&](const QJsonArray &a) { echoed.append(a[0]); });
    c->on("EchoedDone", [&](const QJsonArray &) { echoDone = true; });
    auto *items = c->createUploadStream();
    QVERIFY(c->send("UploadToCaller", {"Echoed"}, {items}));
    items->write("x");
    items->write(QJsonObject{{"y", 2}});
    items->complete();
    QTRY_VERIFY(echoDone);
    QCOMPARE(echoed, (QList<QJsonValue>{"x", QJsonObject{{"y", 2}}}));

    // Both ways at once.
    auto *in = c->createUploadStream();
    auto *out = c->stream("UploadDoubled", {}, {in});
    QSignalSpy outItems(out, &signalr::StreamReply::item);
    QSignalSpy outCompleted(out, &signalr::StreamReply::completed);
    for (int i = 1; i <= 5; ++i)
      in->write(i);
    in->complete();
    QVERIFY(outCompleted.wait(10000));
    QCOMPARE(outItems.size(), 5);
    QCOMPARE(outItems[4].first().toJsonValue().toInt(), 10);

    // Misuse gets a clear error and leaves the connection as it was.
    auto *used = c->createUploadStream();
    auto *usedSum = c->invoke("UploadSum", {}, {used});
    o = await(c->invoke("UploadSum", {}, {used}));
    QVERIFY2(!o.ok && o.error.contains("already serves a call"), qPrintable(o.error));
    used->write(7);
    used->complete();
    QCOMPARE(await(usedSum).result.toInteger(), 7);
    auto other = make(builder());
    auto *foreign = other->createUploadStream();
    o = await(c->invoke("UploadSum", {}, {foreign}));
    QVERIFY2(!o.ok && o.error.contains("another connection"), qPrintable(o.error));
    QVERIFY(foreign->isOpen());
    QVERIFY(!c->send("UploadToCaller", {"Echoed"}, {nullptr}));
    o = await(other->invoke("UploadSum", {}, {foreign})); // other never started
    QVERIFY2(!o.ok && o.error.contains("not connected"), qPrintable(o.error));
    QVERIFY(!foreign->isOpen());
    o = await(c->invoke("NoSuchMethod", {}, {c->createUploadStream()}));
    QVERIFY(!o.ok);
    QVERIFY(await(c->invoke("Add", {1, 1})).ok);
  }

  void uploadStreamsAndDrops() {
    // A lost connection closes open streams at once.
    {
      LinkDropper link;
      auto c = make(builder().withAutomaticReconnect(RetryPolicy::delays({0})).withTransportFactory(link.factory()));
      QVERIFY(startAndWait(c.get()));
      auto *up = c->createUploadStream();
      QSignalSpy closed(up, &UploadStream::closed);
      auto *sum = c->invoke("UploadSum", {}, {up});
      QSignalSpy sumFailed(sum, &signalr::InvocationReply::errorOccurred);
      up->write(1);
      link.drop();
      QTRY_COMPARE(closed.size(), 1);
      QVERIFY2(closed.first().first().toString().contains("lost"), qPrintable(closed.first().first().toString()));
      QVERIFY(!up->write(2));
      QTRY_COMPARE(sumFailed.size(), 1);
    }
    // Under stateful reconnect a brief drop in the middle loses no item.
    LinkDropper link;
    auto c = make(builder().withStatefulReconnect().withAutomaticReconnect(RetryPolicy::delays({0})).withTransportFactory(link.factory()));
    QVERIFY(startAndWait(c.get()));
    QVERIFY(c->isStatefulReconnectActive());
    auto *up = c->createUploadStream();
    auto *sum = c->invoke("UploadSum", {}, {up});
    for (int i = 1; i <= 500; ++i)
      up->write(i);
    link.drop();
    for (int i = 501; i <= 1000; ++i)
      QVERIFY(up->write(i));
    up->complete();
    Outcome o = await(sum, 15000);
    QVERIFY2(o.ok, qPrintable(o.error));
    QCOMPARE(o.result.toInteger(), 500500);
  }

  void accessTokenAndHeaders() {
    int asked = 0;
    auto c = make(builder().withAccessTokenProvider([&] {
                               ++asked;
                               return QStringLiteral("tok en/1");
                             })
                      .withHeader("X-Test", "yes"));
    QVERIFY(startAndWait(c.get()));
    QCOMPARE(asked, 1);
    const QJsonObject who = await(c->invoke("WhoAmI")).result.toObject();
    QCOMPARE(who["accessToken"].toString(), "tok en/1");
    QCOMPARE(who["testHeader"].toString(), "yes");
    QCOMPARE(who["negotiateAuthorization"].toString(), "Bearer tok en/1");
    QVERIFY2(who["negotiateQuery"].toString().contains("negotiateVersion=1"), qPrintable(toJson(who)));
    QVERIFY(who["query"].toString().contains("id="));
  }

  void skipNegotiation() {
    auto c = make(builder().skipNegotiation());
    QVERIFY(startAndWait(c.get()));
    const QJsonObject who = await(c->invoke("WhoAmI")).result.toObject();
    QVERIFY2(!who["query"].toString().contains("id="), qPrintable(toJson(who)));
    QVERIFY(await(c->invoke("Add", {1, 2})).ok);
  }

  void negotiateRedirect() {
    auto c = make(builder("/redirect"));
    QVERIFY(startAndWait(c.get()));
    const QJsonObject who = await(c->invoke("WhoAmI")).result.toObject();
    QCOMPARE(who["accessToken"].toString(), "redirected-token");
    QVERIFY2(who["query"].toString().contains("redirected=1"), qPrintable(toJson(who)));
  }

  void negotiateFailures() {
    QString e = startError(make(builder("/negotiate-error")).get());
    QVERIFY2(e.contains("negotiation refused by test"), qPrintable(e));
    e = startError(make(builder("/negotiate-500")).get());
    QVERIFY2(e.contains("500"), qPrintable(e));
    e = startError(make(builder("/no-websockets")).get());
    QVERIFY2(e.contains("WebSockets"), qPrintable(e));
    e = startError(make(builder("/redirect-loop")).get());
    QVERIFY2(e.contains("redirects"), qPrintable(e));
    e = startError(make(builder("/nothing-here")).get());
    QVERIFY2(e.contains("404"), qPrintable(e));
    auto c = make(HubConnectionBuilder().withUrl(QUrl("http://127.0.0.1:1/testhub")));
    e = startError(c.get());
    QVERIFY2(!e.isEmpty(), qPrintable(e));
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
  }

  void wssAgainstKestrel() {
    // The real server over TLS (https negotiate, then wss): a self-signed
    // certificate is refused by default and accepted once trusted.
    SelfSignedCertificate tls;
    if (!tls.create())
      QSKIP("openssl could not make a test certificate");
    TestHubProcess secure;
    secure.setTlsCertificate(tls.certificatePath, tls.privateKeyPath);
    QVERIFY2(secure.start(), qPrintable(secure.errorString()));
    const QUrl url = secure.url("/testhub");
    QCOMPARE(url.scheme(), "https");
    QUrl wss = url;
    wss.setScheme("wss");

    for (const HubConnectionBuilder &b : {HubConnectionBuilder().withUrl(url), HubConnectionBuilder().withUrl(wss).skipNegotiation()}) {
      auto strict = make(b);
      const QString e = startError(strict.get());
      QVERIFY2(e.contains("certificate", Qt::CaseInsensitive), qPrintable(e));
      QCOMPARE(strict->state(), HubConnection::State::Disconnected);
    }
    for (HubConnectionBuilder b : {HubConnectionBuilder().withUrl(url), HubConnectionBuilder().withUrl(wss).skipNegotiation()}) {
      auto trusted = make(b.withSslConfiguration(tls.trustingConfiguration()));
      QVERIFY(startAndWait(trusted.get()));
      const QJsonObject who = await(trusted->invoke("WhoAmI")).result.toObject();
      QVERIFY2(who["isHttps"].toBool(), qPrintable(toJson(who)));
      QCOMPARE(await(trusted->invoke("Add", {20, 22})).result.toInt(), 42);
    }
  }

  void serverCloseWithErrorIsFinal() {
    // OnConnectedAsync throws: the server sends Close with an error; no reconnect.
    auto c = make(builder("/testhub?failConnect=1").withAutomaticReconnect(RetryPolicy::delays({0, 0})));
    QSignalSpy closed(c.get(), &HubConnection::closed);
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    c->start();
    QVERIFY(closed.wait(10000));
    QVERIFY2(closed.first().first().toString().contains("error"), qPrintable(closed.first().first().toString()));
    QCOMPARE(reconnecting.size(), 0);
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
  }

  void serverAbortIsFinal() {
    // Context.Abort(): the server sends Close without allowReconnect, which is final
    // (as with the official clients), whatever the retry policy.
    auto c = make(builder().withAutomaticReconnect(RetryPolicy::delays({0, 100, 100})));
    QVERIFY(startAndWait(c.get()));
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    QSignalSpy closed(c.get(), &HubConnection::closed);
    auto *pending = c->invoke("Delay", {5000});
    QSignalSpy pendingFailed(pending, &signalr::InvocationReply::errorOccurred);
    c->send("Abort");
    QVERIFY(closed.wait(10000));
    QCOMPARE(reconnecting.size(), 0);
    QCOMPARE(pendingFailed.size(), 1);
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
  }

  void stopCloses() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));
    auto *pending = c->invoke("Delay", {5000});
    QSignalSpy pendingFailed(pending, &signalr::InvocationReply::errorOccurred);
    QSignalSpy closed(c.get(), &HubConnection::closed);
    c->stop();
    QCOMPARE(pendingFailed.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 5000);
    QCOMPARE(closed.first().first().toString(), QString());
    QCOMPARE(c->state(), HubConnection::State::Disconnected);
    QVERIFY(startAndWait(c.get())); // and starts again
  }

  void groups() {
    auto a = make(builder());
    auto b = make(builder());
    QStringList gotA, gotB;
    a->on("GroupMessage", [&](const QJsonArray &args) { gotA << args[1].toString(); });
    b->on("GroupMessage", [&](const QJsonArray &args) { gotB << args[1].toString(); });
    QVERIFY(startAndWait(a.get()));
    QVERIFY(startAndWait(b.get()));
    QVERIFY(await(a->invoke("JoinGroup", {"g"})).ok);
    QVERIFY(await(b->invoke("JoinGroup", {"g"})).ok);
    QVERIFY(await(a->invoke("SendToGroup", {"g", "one"})).ok);
    QTRY_COMPARE(gotA, QStringList{"one"});
    QTRY_COMPARE(gotB, QStringList{"one"});
    QVERIFY(await(b->invoke("LeaveGroup", {"g"})).ok);
    QVERIFY(await(b->invoke("SendToGroup", {"g", "two"})).ok);
    QTRY_COMPARE(gotA, (QStringList{"one", "two"}));
    QVERIFY(await(b->invoke("Add", {1, 1})).ok);
    QCOMPARE(gotB, QStringList{"one"});
  }

  void bufferedBytesDrain() {
    auto c = make(builder());
    QVERIFY(startAndWait(c.get()));
    QSignalSpy written(c.get(), &HubConnection::bytesWritten);
    qint64 peak = 0;
    for (int i = 0; i < 100000; ++i) {
      c->send("Sink", {i});
      peak = std::max(peak, c->bufferedBytes());
    }
    QVERIFY(peak > 0); // records of one turn wait for the end of the turn
    QTRY_COMPARE_WITH_TIMEOUT(c->bufferedBytes(), 0, 20000);
    QVERIFY(!written.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(await(c->invoke("SinkCount")).result.toInteger(), 100000, 20000);
  }

  void statefulReconnectLosesNothing() {
    LinkDropper link;
    auto c = make(builder().withStatefulReconnect().withAutomaticReconnect(RetryPolicy::delays({0})).withTransportFactory(link.factory()));
    QList<int> ticks;
    c->on("Tick", [&](const QJsonArray &a) { ticks.append(a[0].toInt()); });
    QVERIFY(startAndWait(c.get()));
    QVERIFY(c->isStatefulReconnectActive());
    const QString id = c->connectionId();
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    QSignalSpy closed(c.get(), &HubConnection::closed);

    QVERIFY(c->send("Ticks", {60, 10}));
    QTRY_VERIFY_WITH_TIMEOUT(ticks.size() >= 10, 10000);
    auto *slow = c->invoke("Delay", {400});
    link.drop(); // a brief network drop (TCP reset)
    for (int i = 0; i < 50; ++i) // sent while the transport is down: buffered, replayed
      QVERIFY(c->send("Sink", {i}));
    Outcome o = await(slow, 10000);
    QVERIFY2(o.ok, qPrintable(o.error)); // survives the drop
    QCOMPARE(o.result.toInt(), 400);
    QTRY_COMPARE_WITH_TIMEOUT(ticks.size(), 60, 15000);
    for (int i = 0; i < 60; ++i)
      QCOMPARE(ticks[i], i);
    const QJsonArray sunk = await(c->invoke("SinkValues")).result.toArray();
    QCOMPARE(sunk.size(), 50);
    for (int i = 0; i < 50; ++i)
      QCOMPARE(sunk[i].toInteger(), i);
    QCOMPARE(reconnecting.size(), 0);
    QCOMPARE(closed.size(), 0);
    QCOMPARE(c->connectionId(), id);

    // Twice more, quickly: still one logical connection.
    for (int round = 0; round < 2; ++round) {
      link.drop();
      QVERIFY(await(c->invoke("Add", {round, 1}), 10000).ok);
    }
    QCOMPARE(reconnecting.size(), 0);
  }

  // Last: kills and restarts the hub.
  void reconnectAfterServerCrash() {
    int retries = 0;
    const RetryPolicy forever = RetryPolicy::forever(100, 300, 0.2);
    auto c = make(builder().withAutomaticReconnect(RetryPolicy([&](const signalr::RetryContext &ctx) {
      retries = ctx.previousRetryCount;
      return forever.nextDelayMs(ctx);
    })));
    QVERIFY(startAndWait(c.get()));
    const QString firstId = c->connectionId();
    QSignalSpy reconnecting(c.get(), &HubConnection::reconnecting);
    QSignalSpy reconnected(c.get(), &HubConnection::reconnected);
    QSignalSpy states(c.get(), &HubConnection::stateChanged);
    auto *pending = c->invoke("Delay", {30000});
    const int port = m_hub.port();
    m_hub.kill();
    Outcome o = await(pending, 5000); // fails at once, not after 30 s
    QVERIFY(o.done && !o.ok);
    QVERIFY2(o.error.contains("lost"), qPrintable(o.error));
    QTRY_COMPARE_WITH_TIMEOUT(reconnecting.size(), 1, 5000);
    QCOMPARE(c->state(), HubConnection::State::Reconnecting);
    QTRY_VERIFY_WITH_TIMEOUT(retries >= 3, 10000); // a few failed attempts against the dead port
    QCOMPARE(c->state(), HubConnection::State::Reconnecting);
    QVERIFY2(m_hub.start(port), qPrintable(m_hub.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(reconnected.size(), 1, 20000);
    QVERIFY(reconnected.first().first().toString() != firstId);
    QCOMPARE(c->state(), HubConnection::State::Connected);
    QVERIFY(await(c->invoke("Add", {2, 2})).ok);

    // A policy that gives up: closed with the error.
    auto d = make(builder().withAutomaticReconnect(RetryPolicy::delays({0, 50})));
    QVERIFY(startAndWait(d.get()));
    QSignalSpy dClosed(d.get(), &HubConnection::closed);
    m_hub.kill();
    QTRY_COMPARE_WITH_TIMEOUT(dClosed.size(), 1, 10000);
    QVERIFY(!dClosed.first().first().toString().isEmpty());
    QCOMPARE(d->state(), HubConnection::State::Disconnected);
    QVERIFY2(m_hub.start(port), qPrintable(m_hub.errorString()));
  }
};

QTEST_MAIN(TestHubSuite)
#include "tst_hub.moc"
