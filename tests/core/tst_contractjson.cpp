#include "core/hub/ContractJson.h"
#include "core/hub/ContractMessages.h"
#include "core/manager/WorkerManager.h"

#include <QtTest>

using namespace se;
using namespace std::chrono_literals;

class TestContractJson : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void timeSpanIsWrittenAsDotNetDoes()
    {
        QCOMPARE(contract::timeSpan(5000ms), QStringLiteral("00:00:05"));
        QCOMPARE(contract::timeSpan(1500ms), QStringLiteral("00:00:01.5000000"));
        QCOMPARE(contract::timeSpan(3723004ms), QStringLiteral("01:02:03.0040000"));
        QCOMPARE(contract::timeSpan(Millis(86400000LL * 2 + 1000)), QStringLiteral("2.00:00:01"));
    }

    void longTextsGoingToAHubAreCutAndSaySo()
    {
        QCOMPARE(contract::clipped(QStringLiteral("abc"), 5), QStringLiteral("abc"));
        QCOMPARE(contract::clipped(QStringLiteral("abcdef"), 3), QStringLiteral("abc… (3 more characters)"));
        QCOMPARE(contract::clipped(QStringLiteral("abcdef"), 0), QStringLiteral("abcdef"));
        const LogEntry line{1, LogLevel::Error, QDateTime::currentDateTimeUtc(), QString(100000, QLatin1Char('x'))};
        const QString sent = contract::workerLog(QStringLiteral("w"), line)[QStringLiteral("message")].toString();
        QCOMPARE(sent.left(contract::kHubLogLineChars), line.message.left(contract::kHubLogLineChars));
        QVERIFY2(sent.endsWith(QStringLiteral("(83616 more characters)")), qPrintable(sent.right(40)));
        WatchdogEvent e;
        e.message = QString(5000, QLatin1Char('m'));
        e.logs = {line};
        const QJsonObject event = contract::watchdogEvent(e, 1000);
        QVERIFY(event[QStringLiteral("eventMessage")].toString().startsWith(QString(1000, QLatin1Char('m')) + QStringLiteral("…")));
        QVERIFY(event[QStringLiteral("logs")][0][QStringLiteral("message")].toString().size() < 1100);
        QCOMPARE(contract::watchdogEvent(e)[QStringLiteral("eventMessage")].toString(), e.message); // ctl gets it whole
    }

    void timeSpanIsRead()
    {
        QCOMPARE(contract::parseTimeSpan(QStringLiteral("00:00:05")), std::optional<Millis>(5000ms));
        QCOMPARE(contract::parseTimeSpan(QStringLiteral("00:00:01.5000000")), std::optional<Millis>(1500ms));
        QCOMPARE(contract::parseTimeSpan(QStringLiteral("1.02:00:00")), std::optional<Millis>(Millis(26LL * 3600000)));
        QCOMPARE(contract::parseTimeSpan(QStringLiteral("00:10")), std::optional<Millis>(600000ms));
        QVERIFY(!contract::parseTimeSpan(QStringLiteral("5 seconds")));
        QVERIFY(!contract::parseTimeSpan(QStringLiteral("00:61:00")));
        QVERIFY(!contract::parseTimeSpan(QString()));
    }

    void dateTimeIsUtcWithSevenDigits()
    {
        const QDateTime t(QDate(2024, 10, 25), QTime(12, 34, 56, 123), Qt::UTC);
        QCOMPARE(contract::dateTime(t), QStringLiteral("2024-10-25T12:34:56.1230000Z"));
    }

    void stampsAreWrittenToTheHundredNanosecond()
    {
        const QDateTime t(QDate(2024, 10, 25), QTime(12, 34, 56), Qt::UTC);
        const contract::Stamp stamp = t.toSecsSinceEpoch() * 10000000 + 1234567;
        QCOMPARE(contract::dateTime(stamp), QStringLiteral("2024-10-25T12:34:56.1234567Z"));
        QCOMPARE(contract::dateTime(contract::Stamp(0)), QStringLiteral("1970-01-01T00:00:00.0000000Z"));
        // The wall clock, to well within a second.
        const qint64 wallMs = contract::MessageClock::wallClock() / 10000;
        QVERIFY(qAbs(wallMs - QDateTime::currentMSecsSinceEpoch()) < 1000);
    }

    void messageStampsAreStrictlyIncreasingWhateverTheWallClockDoes()
    {
        contract::Stamp wall = 1000;
        contract::MessageClock clock([&wall] { return wall; });
        QCOMPARE(clock.next(), 1000);
        QCOMPARE(clock.next(), 1001); // the same instant: still newer
        wall = 500;                   // the wall clock steps back
        QCOMPARE(clock.next(), 1002);
        wall = 5000;
        QCOMPARE(clock.next(), 5000);
        // Made in the same millisecond, two messages still differ as a hub reads them.
        contract::MessageClock real;
        const contract::Stamp a = real.next(), b = real.next();
        QVERIFY(contract::dateTime(a) != contract::dateTime(b));
        QVERIFY(contract::dateTime(a) < contract::dateTime(b));
    }

    void aPictureWrittenOnceForAllHubsIsTheContractsImageMessage()
    {
        const char bytes[] = "\xff\xd8 any bytes \x00\x01\xff\xd9";
        const QByteArray jpeg(bytes, sizeof bytes - 1); // 17 bytes, a NUL among them
        const QString id = QStringLiteral("w\"1\\ \u00e9"); // what JSON must escape, and not ASCII
        const QUuid engine = QUuid::createUuid();
        const QByteArray arguments = contract::withBaseFields(contract::workerImageFields(id, jpeg, 42), engine, 7, 1234567);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(arguments, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QJsonObject expected{{QStringLiteral("imageBytes"), QString::fromLatin1(jpeg.toBase64())},
                             {QStringLiteral("workerId"), id},
                             {QStringLiteral("imageSequenceNumber"), 42}};
        contract::fillBase(expected, engine, 7, 1234567);
        QCOMPARE(doc.array(), (QJsonArray{expected}));
    }

    void fieldsAreReadInAnyCase()
    {
        const QJsonObject o{{QStringLiteral("WorkerId"), QStringLiteral("a")}, {QStringLiteral("NAME"), QStringLiteral("b")}};
        QCOMPARE(contract::field(o, QLatin1StringView("workerId")).toString(), QStringLiteral("a"));
        QCOMPARE(contract::field(o, QLatin1StringView("name")).toString(), QStringLiteral("b"));
        QVERIFY(contract::field(o, QLatin1StringView("command")).isUndefined());
    }

    void workerInfoHasEveryContractField()
    {
        WorkerSnapshot s;
        s.config.id = QStringLiteral("w1");
        s.config.imageWatchdog.graceTime = 10s;
        s.state = WorkerState::Running;
        const QJsonObject o = contract::workerInfo(s);
        for (const char *key : {"workerId", "name", "description", "command", "isEnabled", "watchdogEventCount", "state",
                                "imgWatchdogEnabled", "imgWatchdogGraceTime", "imgWatchdogInterval", "streamer"})
            QVERIFY2(o.contains(QLatin1StringView(key)), key);
        QCOMPARE(o.value(QStringLiteral("state")).toInt(), 2);
        QCOMPARE(o.value(QStringLiteral("imgWatchdogGraceTime")).toString(), QStringLiteral("00:00:10"));
    }

    void aPatchOfWrongTypesIsRefusedWithTheFieldsName()
    {
        const auto notAFlag = contract::workerPatch(QJsonObject{{QStringLiteral("isEnabled"), QStringLiteral("yes")}});
        QVERIFY(!notAFlag);
        QVERIFY(notAFlag.message.contains(QStringLiteral("isEnabled")));
        const auto notATime = contract::workerPatch(QJsonObject{{QStringLiteral("imgWatchdogInterval"), QStringLiteral("soon")}});
        QVERIFY(!notATime);
        QVERIFY(notATime.message.contains(QStringLiteral("imgWatchdogInterval")));
        const auto p = contract::workerPatch(QJsonObject{{QStringLiteral("Command"), QStringLiteral("fps=5")},
                                                         {QStringLiteral("imgWatchdogInterval"), QStringLiteral("00:00:02")}});
        QVERIFY(p);
        QCOMPARE(*p.value.command, QStringLiteral("fps=5"));
        QCOMPARE(*p.value.imageWatchdogInterval, 2000ms);
        QVERIFY(!p.value.name);
    }
};

QTEST_GUILESS_MAIN(TestContractJson)
#include "tst_contractjson.moc"
