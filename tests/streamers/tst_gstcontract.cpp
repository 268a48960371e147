// The se::Streamer contract, kept by both GStreamer streamers alike: each test
// runs once for GstStreamer (a child process per worker) and once for
// GstInProcess (pipelines inside this process), loaded from the build's plugin
// folder as the engine loads them. Real pipelines, real signals. The tests
// that need no GStreamer-specific command run for FakeStreamer too (the
// streamer the watchdog's tests and the benchmarks lean on), with its own
// command for the same case.

#include "StreamerTestKit.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QGuiApplication>

#include <algorithm>

using namespace se;
using namespace se::test;

class TestGstContract : public QObject {
    Q_OBJECT

    static void addTypes()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("GstStreamer") << QStringLiteral("GstStreamer");
        QTest::newRow("GstInProcess") << QStringLiteral("GstInProcess");
    }
    // The contract's general cases, for every streamer type.
    static void addContractTypes()
    {
        addTypes();
        QTest::newRow("FakeStreamer") << QStringLiteral("FakeStreamer");
    }
    static bool isGst(const QString &type) { return type != QLatin1String("FakeStreamer"); }
    // The same case in each type's words.
    struct Commands {
        QString light;        // runs until stopped, a few pictures a second
        QString errorAfter;   // plays, then fails with an error
        QString endAfter;     // plays, then ends
        QString endSoon;      // another short one that ends
    };
    static Commands commands(const QString &type)
    {
        if (!isGst(type))
            return {QStringLiteral("fps=10 size=320x180"), QStringLiteral("fps=25 size=160x120 fail-after=1"),
                    QStringLiteral("fps=25 size=160x120 end-after=0.4"), QStringLiteral("fps=25 end-after=0.12")};
        return {kLight,
                QStringLiteral("videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=160,height=120 ! "
                               "identity error-after=25 ! jpegenc ! fdsink fd=2"),
                QStringLiteral("videotestsrc num-buffers=10 ! video/x-raw,width=160,height=120 ! jpegenc ! fdsink fd=2"),
                QStringLiteral("videotestsrc num-buffers=3 ! jpegenc ! fdsink fd=2")};
    }
    static std::unique_ptr<Streamer> make(const QString &type)
    {
        StreamerPlugin *p = plugin(type);
        return p ? p->create() : nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(plugin(QStringLiteral("GstStreamer")), "GstStreamer plugin not found in $SE_BUILD_DIR/plugins");
        QVERIFY2(plugin(QStringLiteral("GstInProcess")), "GstInProcess plugin not found in $SE_BUILD_DIR/plugins");
        QVERIFY2(plugin(QStringLiteral("FakeStreamer")), "FakeStreamer plugin not found in $SE_BUILD_DIR/plugins");
    }

    void cleanup()
    {
        // Whatever a test did, no child process is left, not even a zombie.
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
    }

    void contractCommandRunsUnchanged_data() { addTypes(); }
    void contractCommandRunsUnchanged()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(kContractCommand));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason + QLatin1Char('\n') + r.logText()));
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 3, kWait);
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
        QImage img;
        QVERIFY(img.loadFromData(r.last, "JPG"));
        QCOMPARE(img.size(), QSize(300, 168));
        // --gst-debug=3 output arrives as log lines with their GStreamer level
        // (never inside the pictures).
        QTRY_VERIFY2_WITH_TIMEOUT(r.logText().contains(QLatin1String("FIXME")), qPrintable(r.logText()), kWait);

        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
        QCOMPARE(r.terminals(), 1);
    }

    void stopWhenIdleIsQueuedStopped_data() { addContractTypes(); }
    void stopWhenIdleIsQueuedStopped()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->stop();
        QCOMPARE(r.stoppedCount, 0); // queued, not from inside stop()
        QTRY_COMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
    }

    void errorAfterSomeBuffers_data() { addContractTypes(); }
    void errorAfterSomeBuffers()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(commands(type).errorAfter));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.failedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QVERIFY(r.producing == 1 && r.pictures >= 1); // it did play before it broke
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
        if (!isGst(type)) {
            QVERIFY2(r.failReason.contains(QLatin1String("fail-after=1")), qPrintable(r.failReason));
            return;
        }
        // GStreamer's own message, its source and its debug text.
        QVERIFY2(r.failReason.contains(QLatin1String("Failed after iterations as requested")), qPrintable(r.failReason));
        QVERIFY2(r.failReason.contains(QLatin1String("identity")), qPrintable(r.failReason));
        QVERIFY2(r.failReason.contains(QLatin1Char('\n')), qPrintable(r.failReason));
    }

    void endOfStreamEnds_data() { addContractTypes(); }
    void endOfStreamEnds()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(commands(type).endAfter));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QVERIFY2(r.endedCount == 1, qPrintable(r.failReason + QLatin1Char('\n') + r.logText()));
        QCOMPARE(r.terminals(), 1);
        QCOMPARE(r.producing, 1);
        QVERIFY(r.pictures >= 1);
        QVERIFY(isJpeg(r.last));
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
        // And it starts again after the end.
        r.rearm();
        s->start(config(commands(type).endSoon));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 2);
    }

    void pipelineWithoutThumbnailsRunsOnFirstBuffer_data() { addTypes(); }
    void pipelineWithoutThumbnailsRunsOnFirstBuffer()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(QStringLiteral("videotestsrc is-live=true ! video/x-raw,width=64,height=48 ! fakesink")));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        QVERIFY(!r.terminated());
        QCOMPARE(r.pictures, 0);
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
    }

    void brokenCommandsFailFast_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("message");
        const struct {
            const char *name, *command, *message;
        } rows[] = {
            {"missing element", "videotestsrc ! nosuchelement ! fakesink", "no element \"nosuchelement\""},
            {"syntax error", "videotestsrc ! ! fakesink", "syntax error"},
            {"caps cannot link", "videotestsrc ! audio/x-raw ! fakesink", "could not link"},
            {"unknown property", "videotestsrc nosuchprop=1 ! fakesink", "no property \"nosuchprop\""},
            {"unterminated quote", "videotestsrc ! \"video/x-raw ! fakesink", "unterminated double quote"},
            {"empty", "   ", "empty"},
            {"unknown option", "--bogus videotestsrc ! fakesink", "unknown"},
            {"fails when playing", "filesrc location=/nonexistent/se-test ! fakesink", "/nonexistent/se-test"},
        };
        for (const char *type : {"GstStreamer", "GstInProcess"})
            for (const auto &row : rows)
                QTest::addRow("%s %s", type, row.name)
                    << QString::fromLatin1(type) << QString::fromUtf8(row.command) << QString::fromUtf8(row.message);
    }
    void brokenCommandsFailFast()
    {
        QFETCH(QString, type);
        QFETCH(QString, command);
        QFETCH(QString, message);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(command));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.failedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QCOMPARE(r.producing, 0);
        QVERIFY2(r.failReason.contains(message), qPrintable(r.failReason));
        // Failed means it holds nothing: it can start again at once.
        r.rearm();
        s->start(config(QStringLiteral("videotestsrc num-buffers=2 ! jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 1);
    }

    void verboseLogsCaps_data() { addTypes(); }
    void verboseLogsCaps()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(QStringLiteral("-v videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48 ! jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 1);
        // As gst-launch-1.0 -v prints them: the caps each pad settled on.
        QVERIFY2(r.logText().contains(QLatin1String("GstPad:src: caps = video/x-raw, format=(string)")), qPrintable(r.logText()));
        QVERIFY2(r.logText().contains(QLatin1String("width=(int)64, height=(int)48")), qPrintable(r.logText()));
    }

    void rawVideoOnFd2GivesAWarningNotGarbage()
    {
        auto s = make(QStringLiteral("GstStreamer"));
        Recorder r(s.get());
        s->start(config(QStringLiteral("videotestsrc num-buffers=40 ! video/x-raw,width=320,height=240 ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.pictures, 0);
        QVERIFY2(r.logText().contains(QLatin1String("writes no JPEG pictures")), qPrintable(r.logText()));
    }

    void stopWhileStarting_data() { addContractTypes(); }
    void stopWhileStarting()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        s->start(config(commands(type).light));
        s->stop();
        s->stop(); // twice is harmless
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QCOMPARE(r.producing, 0);
    }

    void hundredStartStopCyclesLeaveNothing_data() { addContractTypes(); }
    void hundredStartStopCyclesLeaveNothing()
    {
        QFETCH(QString, type);
        auto s = make(type);
        Recorder r(s.get());
        auto cycle = [&](int i) {
            r.rearm();
            s->start(config(commands(type).light));
            if (i % 4 == 0) // every fourth runs until it produces, the others stop at once
                QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
            s->stop();
            QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        };
        cycle(0); // warm-up: descriptors and threads Qt, GLib and GStreamer make once
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const int fds = openFdCount();
        const QString fdsBefore = openFds();
        const int threads = threadCount();
        for (int i = 1; i <= 100; ++i) {
            cycle(i);
            if (QTest::currentTestFailed())
                return;
        }
        QCOMPARE(r.failedCount, 0);
        QCOMPARE(r.endedCount, 0);
        QCOMPARE(r.stoppedCount, 101);
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QVERIFY2(openFdCount() == fds, qPrintable(fdsBefore + QStringLiteral("\n") + openFds()));
        // Start and stop threads are gone too (GStreamer's own pools may keep
        // a few idle threads, never one per cycle).
        QTRY_VERIFY_WITH_TIMEOUT(threadCount() <= threads + 4, kWait);
    }

    // Pictures are made off the event loop by every type (a child process, a
    // pipeline's threads, FakeStreamer's render pool): a streamer destroyed
    // while some are on their way must take them with it, and leave the others
    // of its type unharmed (under ASan, a picture delivered late is a crash).
    void destroyingStreamersMidPictureIsSafe_data() { addContractTypes(); }
    void destroyingStreamersMidPictureIsSafe()
    {
        QFETCH(QString, type);
        // Enough big FakeStreamer pictures to keep its render pool busy: some
        // are always on their way.
        const QString command = isGst(type) ? commands(type).light : QStringLiteral("fps=25 size=1920x1080 quality=95");
        const int count = isGst(type) ? 8 : 24;
        std::vector<std::unique_ptr<Streamer>> streamers;
        std::vector<std::unique_ptr<Recorder>> recs;
        for (int i = 0; i < count; ++i) {
            streamers.push_back(make(type));
            recs.push_back(std::make_unique<Recorder>(streamers.back().get()));
            streamers.back()->start(config(command, QStringLiteral("w%1").arg(i)));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(recs.begin(), recs.end(), [](const auto &r) { return r->pictures >= 2; }), 60000);
        QElapsedTimer destroying;
        destroying.start();
        for (auto &s : streamers)
            s.reset(); // at once, with no stop(): pictures in flight
        // What the event loop waits while a streamer lets its work go (a figure, not a goal).
        qInfo("destroying %d %s streamers with pictures on their way: %.2f ms", count, qPrintable(type),
              double(destroying.nsecsElapsed()) / 1e6);
        auto survivor = make(type);
        Recorder r(survivor.get());
        survivor->start(config(commands(type).light, QStringLiteral("survivor")));
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 3, kWait);
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
        survivor->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
        for (const auto &rec : recs)
            QVERIFY2(rec->contractBroken.isEmpty(), qPrintable(rec->contractBroken));
    }

    void twentyAtOnce_data() { addContractTypes(); }
    void twentyAtOnce()
    {
        QFETCH(QString, type);
        std::vector<std::unique_ptr<Streamer>> streamers;
        std::vector<std::unique_ptr<Recorder>> recs;
        for (int i = 0; i < 20; ++i) {
            streamers.push_back(make(type));
            recs.push_back(std::make_unique<Recorder>(streamers.back().get()));
            streamers.back()->start(config(commands(type).light, QStringLiteral("w%1").arg(i)));
        }
        auto allHave = [&](int pictures) {
            for (const auto &r : recs)
                if (r->pictures < pictures || r->terminated())
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allHave(2), 60000);
        for (auto &s : streamers)
            s->stop();
        for (const auto &r : recs)
            QTRY_COMPARE_WITH_TIMEOUT(r->stoppedCount, 1, kWait);
        for (const auto &r : recs) {
            QCOMPARE(r->terminals(), 1);
            QVERIFY2(r->contractBroken.isEmpty(), qPrintable(r->contractBroken));
        }
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv); // QImage's JPEG reader for checking pictures
    TestGstContract t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_gstcontract.moc"
