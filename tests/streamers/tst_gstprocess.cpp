// What only GstStreamer promises: isolation in a child process. Real
// se-gst-host children, real kills; the shared contract is in tst_gstcontract.

#include "StreamerTestKit.h"

#include <QCoreApplication>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>

#include <csignal>
#include <sys/wait.h>

using namespace se;
using namespace se::test;


class TestGstProcess : public QObject {
    Q_OBJECT
    StreamerPlugin *m_plugin = nullptr;

    std::unique_ptr<Streamer> make() { return m_plugin->create(); }
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
