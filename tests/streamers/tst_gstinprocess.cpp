// What only GstInProcess promises: thumbnails from an appsink named preview,
// GStreamer debug lines routed to the worker that asked for them, QoS counts
// in the log, and a stuck pipeline abandoned rather than waited on. The shared
// contract is in tst_gstcontract.

#include "StreamerTestKit.h"

#include <QGuiApplication>
#include <QScopeGuard>

using namespace se;
using namespace se::test;

class TestGstInProcess : public QObject {
    Q_OBJECT
    StreamerPlugin *m_plugin = nullptr;

private Q_SLOTS:
    void initTestCase()
    {
        m_plugin = plugin(QStringLiteral("GstInProcess"));
        QVERIFY2(m_plugin, "GstInProcess plugin not found in $SE_BUILD_DIR/plugins");
        QVERIFY(!m_plugin->description().isEmpty());
    }

    void rawPreviewIsRatedScaledAndEncoded()
    {
        auto s = m_plugin->create();
        Recorder r(s.get());
        StreamerConfig c = config(QStringLiteral(
            "videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=25/1 ! appsink name=preview"));
        c.previewMaxWidth = 320;
        c.previewFps = 5;
        s->start(c);
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 2 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason));
        QImage img;
        QVERIFY(img.loadFromData(r.last, "JPG"));
        QCOMPARE(img.size(), QSize(320, 180));
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
    }

    void jpegPreviewIsTakenAsItIs()
    {
        auto s = m_plugin->create();
        Recorder r(s.get());
        StreamerConfig c = config(QStringLiteral(
            "videotestsrc is-live=true ! video/x-raw,width=400,height=100,framerate=10/1 ! jpegenc ! appsink name=preview"));
        c.previewMaxWidth = 320; // not applied: the pipeline makes its own JPEGs
        s->start(c);
        QTRY_VERIFY_WITH_TIMEOUT(r.pictures >= 2 || r.terminated(), kWait);
        QVERIFY2(!r.terminated(), qPrintable(r.failReason));
        QImage img;
        QVERIFY(img.loadFromData(r.last, "JPG"));
        QCOMPARE(img.size(), QSize(400, 100));
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
    }

    void debugLinesGoOnlyToTheWorkerThatAskedForThem()
    {
        auto a = m_plugin->create();
        auto b = m_plugin->create();
        Recorder ra(a.get()), rb(b.get());
        a->start(config(QStringLiteral("--gst-debug=3 ") + kLight, QStringLiteral("a")));
        b->start(config(kLight, QStringLiteral("b")));
        QTRY_VERIFY_WITH_TIMEOUT((ra.pictures >= 2 && rb.pictures >= 2) || ra.terminated() || rb.terminated(), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(ra.logText().contains(QLatin1String("FIXME")), kWait);
        QVERIFY2(!rb.logText().contains(QLatin1String("FIXME")), qPrintable(rb.logText()));
        a->stop();
        b->stop();
        QTRY_VERIFY_WITH_TIMEOUT(ra.stoppedCount == 1 && rb.stoppedCount == 1, kWait);
    }

    void qosDropsAreCountedInTheLog()
    {
        auto s = m_plugin->create();
        Recorder r(s.get());
        // 25 fps, but each frame takes 60 ms: the sink drops late frames.
        s->start(config(QStringLiteral("videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=25/1 ! "
                                       "identity sleep-time=60000 ! fakesink sync=true qos=true max-lateness=10000000")));
        QTRY_VERIFY2_WITH_TIMEOUT(r.logText().contains(QLatin1String("QoS: dropped frames")) || r.terminated(),
                                  qPrintable(r.logText()), kWait);
        QVERIFY(!r.terminated());
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
    }

    void stuckPipelineIsAbandonedAndReported()
    {
        qputenv("SE_GST_EOS_TIMEOUT_MS", "200");
        qputenv("SE_GST_STATE_TIMEOUT_MS", "300");
        const auto restore = qScopeGuard([] {
            qunsetenv("SE_GST_EOS_TIMEOUT_MS");
            qunsetenv("SE_GST_STATE_TIMEOUT_MS");
        });
        const int threads = threadCount();
        auto s = m_plugin->create();
        Recorder r(s.get());
        // Each buffer holds its streaming thread for 2 s: going to NULL has to
        // wait for it, EOS cannot pass it.
        s->start(config(QStringLiteral("videotestsrc is-live=true ! identity sleep-time=2000000 ! fakesink")));
        QTRY_VERIFY_WITH_TIMEOUT(r.logText().contains(QLatin1String("pipeline state PLAYING")) || r.terminated(), kWait);
        QVERIFY(!r.terminated());
        s->stop();
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QVERIFY2(r.logText().contains(QLatin1String("abandoned")), qPrintable(r.logText() + QStringLiteral(" [terminals %1 %2 %3]").arg(r.stoppedCount).arg(r.failedCount).arg(r.endedCount)));
        // It can start again while the old pipeline is still stuck.
        r.rearm();
        s->start(config(QStringLiteral("videotestsrc num-buffers=3 ! jpegenc ! fdsink fd=2")));
        QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
        QCOMPARE(r.endedCount, 1);
        // The abandoned pipeline's thread finishes on its own once unstuck.
        QTRY_VERIFY_WITH_TIMEOUT(threadCount() <= threads + 4, kWait);
    }

    void destroyingARunningStreamerLetsItsPipelineGo()
    {
        const int threads = threadCount();
        {
            auto s = m_plugin->create();
            Recorder r(s.get());
            s->start(config(kLight));
            QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
            QVERIFY(!r.terminated());
        }
        QTRY_VERIFY_WITH_TIMEOUT(threadCount() <= threads + 4, kWait);
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv); // QImage's JPEG reader for checking pictures
    TestGstInProcess t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_gstinprocess.moc"
