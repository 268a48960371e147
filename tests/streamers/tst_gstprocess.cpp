// GstStreamer through the se::Streamer contract, loaded as the engine loads
// it: real se-gst-host children, real pipelines, real signals.

#include "StreamerTestKit.h"

#include <QCoreApplication>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>

#include <csignal>
#include <sys/wait.h>

using namespace se;
using namespace se::test;

namespace {
// The contract page's example, exactly as hubs store it.
const QString kContractCommand = QStringLiteral(
    "--gst-debug=3 videotestsrc is-live=true pattern=ball ! video/x-raw,framerate=25/1,width=300,height=168 ! "
    "timeoverlay ! videoconvert ! videorate ! video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
const QString kLight = QStringLiteral(
    "videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=320,height=180 ! videorate ! "
    "video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
constexpr int kWait = 20000; // generous: a loaded 2-core machine; never a timing assertion
} // namespace

class TestGstProcess : public QObject {
    Q_OBJECT
    StreamerPlugin *m_plugin = nullptr;

    std::unique_ptr<Streamer> make() { return m_plugin->create(); }
    static StreamerConfig config(const QString &command, const QString &id = QStringLiteral("w1"))
    {
        StreamerConfig c;
        c.workerId = id;
        c.name = id;
        c.command = command;
        return c;
    }
    static int onlyChild()
    {
        const QList<int> kids = childProcesses();
        return kids.size() == 1 ? kids.first() : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStringList errors;
        loadPlugins(&errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        m_plugin = plugin(QStringLiteral("GstStreamer"));
        QVERIFY2(m_plugin, "GstStreamer plugin not found in $SE_BUILD_DIR/plugins");
        QVERIFY(!m_plugin->description().isEmpty());
    }

    void bothGstTypesAreListed()
    {
        // What StreamerFactory finds in the plugin folder, and so what the
        // engine offers StreamHub.
        const auto plugins = loadPlugins();
        QVERIFY(plugins.contains(QStringLiteral("GstStreamer")));
        QVERIFY2(plugins.contains(QStringLiteral("GstInProcess")), "GstInProcess plugin not found");
    }

    void cleanup()
    {
        // Whatever a test did, it leaves no child behind, not even a zombie.
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
    }

    void contractCommandRunsUnchanged()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(kContractCommand));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason + QLatin1Char('\n') + r.logText()));
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 3, kWait);
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
        QVERIFY(isJpeg(r.last));
        QImage img;
        QVERIFY(img.loadFromData(r.last, "JPG"));
        QCOMPARE(img.size(), QSize(300, 168));
        // --gst-debug=3 output arrives as log lines with their GStreamer level,
        // never inside the pictures.
        QVERIFY2(r.logText().contains(QLatin1String("FIXME")), qPrintable(r.logText()));
        QVERIFY(onlyChild() > 0);

        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
        QCOMPARE(r.terminals(), 1);
        QVERIFY(childProcesses().isEmpty());
    }

    void stopWhenIdleIsQueuedStopped()
    {
        auto s = make();
        Recorder r(s.get());
        s->stop();
        QCOMPARE(r.stoppedCount, 0); // queued, not from inside stop()
        QTRY_COMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
    }

    void sigkillIsSeenAndStartWorksAgain()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(kLight));
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 1 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason));
        const int pid = onlyChild();
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid, SIGKILL), 0);
        QTRY_COMPARE_WITH_TIMEOUT(r.failedCount, 1, kWait);
        QCOMPARE(r.terminals(), 1);
        QVERIFY2(r.failReason.contains(QLatin1String("SIGKILL")), qPrintable(r.failReason));
        // Reaped at once: no zombie, nothing left in its process group.
        int status = 0;
        QCOMPARE(::waitpid(pid, &status, WNOHANG), -1);
        QVERIFY(!processGroupAlive(pid));

        r.rearm();
        s->start(config(kLight));
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 2 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason));
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
    }

    void errorAfterSomeBuffers()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(QStringLiteral("videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=160,height=120 ! "
                                       "identity error-after=25 ! jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.failedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QVERIFY(r.producing == 1 && r.pictures >= 1); // it did play before it broke
        // GStreamer's own message, with its debug text.
        QVERIFY2(r.failReason.contains(QLatin1String("Failed after iterations as requested")), qPrintable(r.failReason));
        QVERIFY2(r.failReason.contains(QLatin1String("identity")), qPrintable(r.failReason));
    }

    void endOfStreamEnds()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(QStringLiteral("videotestsrc num-buffers=10 ! video/x-raw,width=160,height=120 ! jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QCOMPARE(r.producing, 1);
        QVERIFY(r.pictures >= 1);
        QVERIFY(isJpeg(r.last));
        QVERIFY2(r.contractBroken.isEmpty(), qPrintable(r.contractBroken));
    }

    void brokenCommandsFailFast_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing element") << QStringLiteral("videotestsrc ! nosuchelement ! fakesink")
                                         << QStringLiteral("no element \"nosuchelement\"");
        QTest::newRow("syntax error") << QStringLiteral("videotestsrc ! ! fakesink") << QStringLiteral("syntax error");
        QTest::newRow("caps cannot link") << QStringLiteral("videotestsrc ! audio/x-raw ! fakesink")
                                          << QStringLiteral("could not link");
        QTest::newRow("unknown property") << QStringLiteral("videotestsrc nosuchprop=1 ! fakesink")
                                          << QStringLiteral("no property \"nosuchprop\"");
        QTest::newRow("unterminated quote") << QStringLiteral("videotestsrc ! \"video/x-raw ! fakesink")
                                            << QStringLiteral("unterminated double quote");
        QTest::newRow("empty") << QStringLiteral("   ") << QStringLiteral("empty");
        QTest::newRow("unknown option") << QStringLiteral("--bogus videotestsrc ! fakesink")
                                        << QStringLiteral("unknown option");
    }

    void brokenCommandsFailFast()
    {
        QFETCH(QString, command);
        QFETCH(QString, message);
        auto s = make();
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

    void argumentsNeverGoThroughAShell()
    {
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("pwned"));
        auto s = make();
        Recorder r(s.get());
        // Quoted words stay whole; ; $( ) and > mean nothing.
        s->start(config(QStringLiteral("videotestsrc num-buffers=3 ! \"video/x-raw, width=(int)64, height=(int)48\" ! "
                                       "jpegenc ! fdsink fd=2 ; touch %1 $(touch %1) > %1")
                            .arg(marker)));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.failedCount, 1); // GStreamer's parser rejects the rest
        QVERIFY(!QFile::exists(marker));

        r.rearm();
        s->start(config(QStringLiteral("videotestsrc num-buffers=3 ! 'video/x-raw, width=(int)64, height=(int)48' ! "
                                       "jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 1);
        QImage img;
        QVERIFY(img.loadFromData(r.last, "JPG"));
        QCOMPARE(img.size(), QSize(64, 48));
    }

    void stuckChildIsKilledAfterTheDeadline()
    {
        qputenv("SE_GST_STOP_TIMEOUT_MS", "300");
        auto s = make();
        Recorder r(s.get());
        s->start(config(kLight));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        QVERIFY(!r.terminated());
        const int pid = onlyChild();
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid, SIGSTOP), 0); // it can no longer answer SIGTERM
        s->stop();
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        qunsetenv("SE_GST_STOP_TIMEOUT_MS");
        QCOMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QVERIFY2(r.logText().contains(QLatin1String("SIGKILL")), qPrintable(r.logText()));
        QVERIFY(!processGroupAlive(pid));
    }

    void stopWhileStarting()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(kLight));
        s->stop();
        s->stop(); // twice is harmless
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
    }

    void hundredStartStopCyclesLeaveNothing()
    {
        auto s = make();
        Recorder r(s.get());
        auto cycle = [&](int i) {
            r.rearm();
            s->start(config(kLight));
            if (i % 4 == 0) // every fourth runs until it produces, the rest stop at once
                QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
            s->stop();
            QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
            QCOMPARE(r.stoppedCount - 0, r.terminals() - r.failedCount - r.endedCount);
        };
        cycle(0); // warm-up: lazily made descriptors of Qt and the event loop
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), 5000);
        const int fds = openFdCount();
        const QString fdsBefore = openFds();
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
    }

    void twentyAtOnce()
    {
        std::vector<std::unique_ptr<Streamer>> streamers;
        std::vector<std::unique_ptr<Recorder>> recs;
        for (int i = 0; i < 20; ++i) {
            streamers.push_back(make());
            recs.push_back(std::make_unique<Recorder>(streamers.back().get()));
            streamers.back()->start(config(kLight, QStringLiteral("w%1").arg(i)));
        }
        auto allHave = [&](int pictures) {
            for (const auto &r : recs)
                if (r->pictures < pictures || r->terminated())
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allHave(2), 60000);
        QCOMPARE(childProcesses().size(), 20);
        for (auto &s : streamers)
            s->stop();
        for (const auto &r : recs)
            QTRY_COMPARE_WITH_TIMEOUT(r->stoppedCount, 1, kWait);
        for (const auto &r : recs) {
            QCOMPARE(r->terminals(), 1);
            QVERIFY2(r->contractBroken.isEmpty(), qPrintable(r->contractBroken));
        }
    }

    void destroyingARunningStreamerLeavesNoChild()
    {
        auto s = make();
        Recorder r(s.get());
        s->start(config(kLight));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        const int pid = onlyChild();
        s.reset();
        QVERIFY(childProcesses().isEmpty());
        QVERIFY(!processGroupAlive(pid));
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv); // QImage's JPEG reader for checking pictures
    TestGstProcess t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_gstprocess.moc"
