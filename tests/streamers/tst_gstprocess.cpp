// What only GstStreamer promises: isolation in a child process. Real
// se-gst-host children, real kills; the shared contract is in tst_gstcontract.

#include "StreamerTestKit.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>

using namespace se;
using namespace se::test;


class TestGstProcess : public QObject {
    Q_OBJECT
    StreamerPlugin *m_plugin = nullptr;

    std::unique_ptr<Streamer> make() { return m_plugin->create(); }
    // Threads of this process with that name (the reader is "se-gst-reader").
    static int threadsNamed(const QByteArray &name)
    {
        int n = 0;
        for (const QString &t : QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile comm(QStringLiteral("/proc/self/task/%1/comm").arg(t));
            if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == name)
                ++n;
        }
        return n;
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
        const auto restore = qScopeGuard([] { qunsetenv("SE_GST_STOP_TIMEOUT_MS"); });
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
        QCOMPARE(r.stoppedCount, 1);
        QCOMPARE(r.terminals(), 1);
        QVERIFY2(r.logText().contains(QLatin1String("SIGKILL")), qPrintable(r.logText()));
        QVERIFY(!processGroupAlive(pid));
    }

    void theWholeProcessGroupEnds()
    {
        // A host that leaves a process of its own behind (as a pipeline that
        // starts a helper would): stop and crash both end it with the group.
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("host-with-helper"));
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\nsleep 300 &\nexec \"$SE_REAL_HOST\" \"$@\"\n");
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qputenv("SE_REAL_HOST", (qEnvironmentVariable("SE_BUILD_DIR") + QStringLiteral("/bin/se-gst-host")).toLocal8Bit());
        qputenv("SE_GST_HOST", script.toLocal8Bit());
        const auto restore = qScopeGuard([] {
            qunsetenv("SE_GST_HOST");
            qunsetenv("SE_REAL_HOST");
        });
        auto s = make();
        Recorder r(s.get());
        for (const bool crash : {false, true}) {
            r.rearm();
            s->start(config(kLight));
            QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
            QVERIFY2(!r.terminated(), qPrintable(r.failReason));
            const int pid = onlyChild();
            QVERIFY(pid > 0);
            QCOMPARE(::getpgid(pid), pid); // a group (and session) of its own
            QTRY_VERIFY(processGroupMembers(pid) >= 2); // the host and its helper
            if (crash)
                QCOMPARE(::kill(pid, SIGKILL), 0);
            else
                s->stop();
            QTRY_VERIFY_WITH_TIMEOUT(r.terminated(), kWait);
            QCOMPARE(crash ? r.failedCount : r.stoppedCount, 1);
            QTRY_VERIFY_WITH_TIMEOUT(!processGroupAlive(pid), 5000); // the helper is gone too
        }
    }

    void theChildInheritsNoDescriptorOfTheEngine()
    {
        // A descriptor opened without O_CLOEXEC, as some library might.
        const int leaky = ::open("/dev/zero", O_RDONLY);
        QVERIFY(leaky >= 0);
        auto s = make();
        Recorder r(s.get());
        s->start(config(kLight));
        QTRY_VERIFY_WITH_TIMEOUT(r.producing == 1 || r.terminated(), kWait);
        const int pid = onlyChild();
        QVERIFY(pid > 0);
        const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
        for (const QFileInfo &fd : fds.entryInfoList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System))
            QVERIFY2(fd.symLinkTarget() != QLatin1String("/dev/zero"), qPrintable(fd.fileName()));
        s->stop();
        QTRY_COMPARE_WITH_TIMEOUT(r.stoppedCount, 1, kWait);
        ::close(leaky);
    }

    void manyChildrenShareOneReaderThread()
    {
        // Every child's pipes are read by one thread, made with the first
        // streamer and joined with the last; a child killed among many is
        // seen, once, and the others go on.
        QCOMPARE(threadsNamed("se-gst-reader"), 0);
        constexpr int kChildren = 12;
        std::vector<std::unique_ptr<Streamer>> streamers;
        std::vector<std::unique_ptr<Recorder>> recorders;
        for (int i = 0; i < kChildren; ++i) {
            streamers.push_back(make());
            recorders.push_back(std::make_unique<Recorder>(streamers.back().get()));
            streamers.back()->start(config(kLight, QStringLiteral("w%1").arg(i)));
        }
        auto allHave = [&](int pictures) {
            return std::all_of(recorders.begin(), recorders.end(),
                               [pictures](const auto &r) { return r->pictures >= pictures || r->terminated(); });
        };
        QTRY_VERIFY_WITH_TIMEOUT(allHave(2), 4 * kWait);
        for (const auto &r : recorders)
            QVERIFY2(!r->terminated(), qPrintable(r->failReason));
        QCOMPARE(threadsNamed("se-gst-reader"), 1);

        const QList<int> kids = childProcesses();
        QCOMPARE(kids.size(), kChildren);
        std::vector<int> before;
        for (const auto &r : recorders)
            before.push_back(r->pictures);
        QCOMPARE(::kill(kids.first(), SIGKILL), 0);
        auto failed = [&] {
            return int(std::count_if(recorders.begin(), recorders.end(), [](const auto &r) { return r->failedCount > 0; }));
        };
        QTRY_COMPARE_WITH_TIMEOUT(failed(), 1, kWait);
        for (int i = 0; i < kChildren; ++i)
            if (!recorders[i]->failedCount)
                QTRY_VERIFY_WITH_TIMEOUT(recorders[i]->pictures >= before[i] + 2, kWait);
        QCOMPARE(failed(), 1);
        for (const auto &r : recorders) {
            QVERIFY(r->terminals() <= 1);
            QVERIFY2(r->contractBroken.isEmpty(), qPrintable(r->contractBroken));
        }

        streamers.clear(); // the last one joins the reader
        QCOMPARE(threadsNamed("se-gst-reader"), 0);
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
