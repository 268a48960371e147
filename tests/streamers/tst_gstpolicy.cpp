// The pipeline policy with the real GStreamer plugins, for both streamer
// types: a real Engine answers a hub's CreateWorker/EditWorker (the three
// attacks of issue 11 refused, with the file never opened, nothing written and
// the code never loaded); the contract's example, the demo's pipeline and the
// pipelines of the other suites pass; a worker stored before a stricter policy
// is not started and says why; and the real program answers
// `streamengine ctl policy show|check` and trusts local operators only when
// its policy file says so.

#include "ChildProcesses.h"
#include "core/engine/Engine.h"
#include "core/hub/HubCommands.h"
#include "StreamerTestKit.h"
#include "TestEngine.h"

#include <QGuiApplication>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QUuid>

#include <gst/gst.h>

#include <sys/inotify.h>
#include <unistd.h>

using namespace se;
using namespace se::test;

namespace {

// Opens, reads and creations of watched paths, as the kernel saw them.
class FileWatch {
public:
    FileWatch() : m_fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
    ~FileWatch()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool add(const QString &path, uint32_t mask)
    {
        return ::inotify_add_watch(m_fd, QFile::encodeName(path).constData(), mask) >= 0;
    }
    // What happened so far, without waiting.
    QStringList events()
    {
        QStringList out;
        alignas(inotify_event) char buffer[8192];
        for (;;) {
            const ssize_t n = ::read(m_fd, buffer, sizeof buffer);
            if (n <= 0)
                break;
            for (char *p = buffer; p < buffer + n;) {
                const auto *e = reinterpret_cast<const inotify_event *>(p);
                out << QStringLiteral("mask 0x%1 %2").arg(e->mask, 0, 16).arg(e->len ? QString::fromLocal8Bit(e->name) : QString());
                p += sizeof(inotify_event) + e->len;
            }
        }
        return out;
    }

private:
    int m_fd;
};

QJsonObject hubWorker(const QString &id, const QString &type, const QString &command)
{
    return {{QStringLiteral("engineId"), QStringLiteral("00000000-0000-0000-0000-000000000000")},
            {QStringLiteral("timestamp"), QStringLiteral("2024-10-25T12:34:56.1234567Z")},
            {QStringLiteral("sequenceNumber"), 1},
            {QStringLiteral("workerId"), id},
            {QStringLiteral("name"), QStringLiteral("Cam")},
            {QStringLiteral("description"), QStringLiteral("from the hub")},
            {QStringLiteral("command"), command},
            {QStringLiteral("isEnabled"), true},
            {QStringLiteral("imgWatchdogEnabled"), true},
            {QStringLiteral("imgWatchdogGraceTime"), QStringLiteral("00:00:10")},
            {QStringLiteral("imgWatchdogInterval"), QStringLiteral("00:00:05")},
            {QStringLiteral("streamerType"), type}};
}

bool ok(const QJsonObject &r) { return r.value(QStringLiteral("success")).toBool(); }
QString message(const QJsonObject &r) { return r.value(QStringLiteral("message")).toString(); }

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Every pipeline the other suites run (those that read no file of their own).
const char *const kSuitePipelines[] = {
    "videotestsrc is-live=true num-buffers=15 ! video/x-raw,width=160,height=120,framerate=25/1 ! jpegenc ! fdsink fd=2",
    "videotestsrc ! nosuchelement ! fakesink",
    "videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=160,height=120 ! identity error-after=25 ! jpegenc ! fdsink fd=2",
    "videotestsrc num-buffers=10 ! video/x-raw,width=160,height=120 ! jpegenc ! fdsink fd=2",
    "videotestsrc num-buffers=3 ! jpegenc ! fdsink fd=2",
    "videotestsrc is-live=true ! video/x-raw,width=64,height=48 ! fakesink",
    "videotestsrc ! ! fakesink",
    "videotestsrc ! audio/x-raw ! fakesink",
    "videotestsrc nosuchprop=1 ! fakesink",
    "-v videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48 ! jpegenc ! fdsink fd=2",
    "videotestsrc num-buffers=40 ! video/x-raw,width=320,height=240 ! fdsink fd=2",
    "videotestsrc num-buffers=2 ! jpegenc ! fdsink fd=2",
    "videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=25/1 ! appsink name=preview",
    "videotestsrc is-live=true ! video/x-raw,width=400,height=100,framerate=10/1 ! jpegenc ! appsink name=preview",
    "videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=25/1 ! jpegenc ! fdsink fd=2",
    "videotestsrc is-live=true ! identity sleep-time=2000000 ! fakesink",
    "videotestsrc num-buffers=3 ! \"video/x-raw, width=(int)64, height=(int)48\" ! jpegenc ! fdsink fd=2",
    "videotestsrc num-buffers=3 ! 'video/x-raw, width=(int)64, height=(int)48' ! jpegenc ! fdsink fd=2",
};

} // namespace

class TestGstPolicy : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_media;
    QString m_outside;
    QString m_secret;
    QByteArray m_secretText;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<HubCommands> m_hub;

    QJsonObject call(const QString &method, const QJsonObject &argument)
    {
        return m_hub->handle(method, QJsonArray{argument});
    }

    std::unique_ptr<Engine> openEngine(const QString &dataDir, QString *error, bool demo = false)
    {
        auto opened = openTestEngine(dataDir, demo);
        if (!opened.ok && error)
            *error = opened.message;
        return std::move(opened.value);
    }

    static void stopAndWait(Engine &e)
    {
        e.shutdown();
        QTRY_VERIFY_WITH_TIMEOUT(e.workers().allIdle(), kWait);
    }

    static void addTypes()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("GstStreamer") << QStringLiteral("GstStreamer");
        QTest::newRow("GstInProcess") << QStringLiteral("GstInProcess");
    }

    // A worker of `type` that shows pictures, then is gone again: something
    // real that happened after whatever came before it.
    void runALegitWorker(const QString &type)
    {
        const QString id = QStringLiteral("legit-") + type;
        const QJsonObject r = call(QStringLiteral("CreateWorker"), hubWorker(id, type, kLight));
        QVERIFY2(ok(r), qPrintable(message(r)));
        Worker *w = m_engine->workers().worker(id);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->pictureSequence() > 0, kWait);
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), hubWorker(id, type, {}))));
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), kWait);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_media = m_dir.filePath(QStringLiteral("media"));
        m_outside = m_dir.filePath(QStringLiteral("outside"));
        QVERIFY(QDir().mkpath(m_media) && QDir().mkpath(m_outside));
        m_secret = m_outside + QStringLiteral("/secret.txt");
        m_secretText = "se-secret-" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
        QVERIFY(writeFile(m_secret, m_secretText + '\n'));
        qputenv("SE_POLICY_MARKER", QFile::encodeName(m_outside + QStringLiteral("/marker-loaded")));
        QString error;
        m_engine = openEngine(m_dir.path(), &error);
        QVERIFY2(m_engine, qPrintable(error));
        QVERIFY(m_engine->factory().hasType(QStringLiteral("GstStreamer")));
        QVERIFY(m_engine->factory().hasType(QStringLiteral("GstInProcess")));
        m_engine->boot();
        m_hub = std::make_unique<HubCommands>(*m_engine, [](const QString &) { return true; });
    }

    void cleanupTestCase()
    {
        if (m_engine)
            stopAndWait(*m_engine);
    }

    // The marker shared object does what the attack needs: loaded by
    // --gst-plugin-load, its code runs (here, outside any engine).
    void theMarkerRunsWhenLoaded()
    {
        const QString marker = m_outside + QStringLiteral("/marker-control");
        QProcess host;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SE_POLICY_MARKER"), marker);
        host.setProcessEnvironment(env);
        host.start(qEnvironmentVariable("SE_BUILD_DIR") + QStringLiteral("/bin/se-gst-host"),
                   {QStringLiteral("--gst-plugin-load=") + QStringLiteral(SE_POLICY_MARKER_SO), QStringLiteral("fakesrc"),
                    QStringLiteral("num-buffers=1"), QStringLiteral("!"), QStringLiteral("fakesink")});
        QVERIFY(host.waitForFinished(kWait));
        QVERIFY(QFile::exists(marker));
    }

    void hubAttacksAreRefused_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("attack");
        for (const char *type : {"GstStreamer", "GstInProcess"})
            for (const char *attack : {"shadow", "dataurisrc", "plugin-load"})
                QTest::addRow("%s %s", type, attack) << QString::fromLatin1(type) << QString::fromLatin1(attack);
    }
    void hubAttacksAreRefused()
    {
        QFETCH(QString, type);
        QFETCH(QString, attack);
        const QString so = QStringLiteral(SE_POLICY_MARKER_SO);
        const QString dropped = m_outside + QStringLiteral("/x.so");
        QString command;
        QStringList reasons;
        if (attack == QLatin1String("shadow")) {
            command = QStringLiteral("filesrc location=%1 ! fdsink fd=1").arg(m_secret);
            reasons = {QStringLiteral("filesrc"), QStringLiteral("location"), QStringLiteral("\"read-media-file\""), m_secret};
        } else if (attack == QLatin1String("dataurisrc")) {
            command = QStringLiteral("dataurisrc uri=data:application/octet-stream;base64,%1 ! filesink location=%2")
                          .arg(QString::fromLatin1(readFile(so).toBase64()), dropped);
            reasons = {QStringLiteral("element dataurisrc"), QStringLiteral("\"elements\"")};
        } else {
            command = QStringLiteral("--gst-plugin-load=%1 fakesrc ! fakesink").arg(so);
            reasons = {QStringLiteral("--gst-plugin-load"), QStringLiteral("\"launcherOptions\"")};
        }
        FileWatch watch;
        QVERIFY(watch.add(m_secret, IN_OPEN | IN_ACCESS));
        QVERIFY(watch.add(so, IN_OPEN | IN_ACCESS));
        QVERIFY(watch.add(m_outside, IN_CREATE | IN_MODIFY));

        const QString id = QStringLiteral("attack-%1-%2").arg(type, attack);
        const QJsonObject r = call(QStringLiteral("CreateWorker"), hubWorker(id, type, command));
        QVERIFY2(!ok(r), qPrintable(message(r)));
        QVERIFY2(message(r).startsWith(QLatin1String("refused by the pipeline policy: ")), qPrintable(message(r)));
        for (const QString &reason : std::as_const(reasons))
            QVERIFY2(message(r).contains(reason), qPrintable(message(r)));
        // Not stored, not adopted: nothing can run it later either.
        QVERIFY(!m_engine->workers().worker(id));
        for (const StoredWorker &s : m_engine->store().workers().value)
            QVERIFY(s.config.id != id);

        // The same command as an edit of a running worker changes nothing.
        const QJsonObject created = call(QStringLiteral("CreateWorker"), hubWorker(QStringLiteral("victim"), type, kLight));
        QVERIFY2(ok(created), qPrintable(message(created)));
        Worker *victim = m_engine->workers().worker(QStringLiteral("victim"));
        QTRY_VERIFY_WITH_TIMEOUT(victim->state() == WorkerState::Running, kWait);
        const int changesBefore = int(m_engine->store().changeLog(QStringLiteral("victim")).size());
        const QJsonObject edited = call(QStringLiteral("EditWorker"), hubWorker(QStringLiteral("victim"), type, command));
        QVERIFY(!ok(edited));
        for (const QString &reason : std::as_const(reasons))
            QVERIFY2(message(edited).contains(reason), qPrintable(message(edited)));
        QCOMPARE(victim->config().command, kLight);
        for (const StoredWorker &s : m_engine->store().workers().value)
            QCOMPARE(s.config.command, kLight);
        QCOMPARE(int(m_engine->store().changeLog(QStringLiteral("victim")).size()), changesBefore);
        QCOMPARE(victim->state(), WorkerState::Running);
        for (const LogEntry &e : victim->log().last(100))
            QVERIFY2(!e.message.contains(QLatin1String("configuration changed")), qPrintable(e.message));
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), hubWorker(QStringLiteral("victim"), type, {}))));
        QTRY_VERIFY_WITH_TIMEOUT(childProcesses().isEmpty(), kWait);

        // Then something real, so that anything the attack had set going
        // would have had its time: the secret was never opened, nothing was
        // written beside it, the shared object was never loaded.
        runALegitWorker(type);
        const QStringList events = watch.events();
        QVERIFY2(events.isEmpty(), qPrintable(events.join(QStringLiteral(", "))));
        QVERIFY(!QFile::exists(dropped));
        QVERIFY(!QFile::exists(m_outside + QStringLiteral("/marker-loaded")));
        QVERIFY(!QJsonDocument(r).toJson().contains(m_secretText));
    }

    // Each rule, through the real parser of each streamer type.
    void refusalsNameTheElementThePropertyAndTheRule_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QStringList>("fragments");
        QVERIFY(QFile::link(m_outside, m_media + QStringLiteral("/escape")));
        const QString m = m_media;
        const struct { const char *name; QString command; QStringList fragments; } rows[] = {
            {"child property", QStringLiteral("splitmuxsink location=%1/a%05d.mp4 sink::location=/etc/x").arg(m),
             {QStringLiteral("(splitmuxsink)"), QStringLiteral("\"child-properties\"")}},
            {"fd", QStringLiteral("videotestsrc ! jpegenc ! fdsink fd=5"),
             {QStringLiteral("(fdsink), property fd=\"5\""), QStringLiteral("\"one-of\"")}},
            {"dot-dot", QStringLiteral("videotestsrc ! jpegenc ! multifilesink location=%1/../x%d").arg(m),
             {QStringLiteral("(multifilesink), property location="), QStringLiteral("\"write-media-file\""), QStringLiteral("'..'")}},
            {"symlink", QStringLiteral("videotestsrc ! jpegenc ! multifilesink location=%1/escape/x%d").arg(m),
             {QStringLiteral("\"write-media-file\""), QStringLiteral("(that is '%1/x%d')").arg(m_outside)}},
            {"uri element", QStringLiteral("file:///etc/shadow ! fakesink"),
             {QStringLiteral("(filesrc), property location=\"/etc/shadow\""), QStringLiteral("\"read-media-file\"")}},
            {"metadata host", QStringLiteral("videotestsrc ! udpsink host=169.254.169.254"),
             {QStringLiteral("(udpsink), property host=\"169.254.169.254\""), QStringLiteral("\"network-host\"")}},
            {"file property without a rule", QStringLiteral("videotestsrc ! vp8enc multipass-cache-file=/etc/x ! fakesink"),
             {QStringLiteral("(vp8enc), property multipass-cache-file=\"/etc/x\""), QStringLiteral("\"propertyRules\"")}},
            {"temp files", QStringLiteral("videotestsrc ! queue2 temp-template=/etc/cron.d/XXXXXX ! fakesink"),
             {QStringLiteral("(queue2), property temp-template="), QStringLiteral("\"write-media-file\"")}},
            {"adaptive demuxer", QStringLiteral("souphttpsrc location=http://example.com/a.m3u8 ! hlsdemux ! fakesink"),
             {QStringLiteral("element hlsdemux breaks rule \"elements\""), QStringLiteral("Codec/Demuxer/Adaptive")}},
            {"autoplugging", QStringLiteral("udpsrc ! decodebin ! fakesink"), {QStringLiteral("element decodebin breaks rule \"elements\"")}},
            {"option in the pipeline", QStringLiteral("videotestsrc ! fakesink --gst-plugin-path=/tmp"),
             {QStringLiteral("launcher option --gst-plugin-path=/tmp"), QStringLiteral("\"launcherOptions\"")}},
            {"option value", QStringLiteral("--gst-debug --gst-plugin-load=/tmp/x.so videotestsrc ! fakesink"),
             {QStringLiteral("launcher option --gst-plugin-load=/tmp/x.so")}},
            // The check reads options with the launcher's own parser: what it cannot read is refused.
            {"unknown launcher option", QStringLiteral("--no-such-flag videotestsrc ! fakesink"),
             {QStringLiteral("unknown gst-launch-1.0 option '--no-such-flag'"), QStringLiteral("\"launcherOptions\"")}},
            {"bin type", QStringLiteral("giosrc.( fakesrc ! fakesink )"), {QStringLiteral("element giosrc breaks rule \"elements\"")}},
            {"inside a bin", QStringLiteral("splitmuxsink.( fdsrc ! fakesink )"), {QStringLiteral("element fdsrc breaks rule \"elements\"")}},
        };
        for (const char *type : {"GstStreamer", "GstInProcess"})
            for (const auto &row : rows)
                QTest::addRow("%s %s", type, row.name) << QString::fromLatin1(type) << row.command << row.fragments;
    }
    void refusalsNameTheElementThePropertyAndTheRule()
    {
        QFETCH(QString, type);
        QFETCH(QString, command);
        QFETCH(QStringList, fragments);
        WorkerConfig c;
        c.id = QStringLiteral("check");
        c.streamerType = type;
        c.command = command;
        const QString refusal = m_engine->workers().policyRefusal(c);
        QVERIFY2(refusal.startsWith(QLatin1String("refused by the pipeline policy: ")), qPrintable(refusal));
        for (const QString &f : std::as_const(fragments))
            QVERIFY2(refusal.contains(f), qPrintable(refusal + QStringLiteral("\nlacks: ") + f));
    }

    // Elements refused by name are refused before they are made: GStreamer
    // numbers the instances of each type, and no dataurisrc, fdsrc or giosrc
    // was ever made in this process.
    void refusedElementsAreNeverMade()
    {
        for (const char *name : {"dataurisrc", "fdsrc", "giosrc"}) {
            GstElement *e = gst_element_factory_make(name, nullptr);
            QVERIFY(e);
            QCOMPARE(QString::fromUtf8(GST_ELEMENT_NAME(e)), QString::fromLatin1(name) + QLatin1Char('0'));
            gst_object_unref(e);
        }
    }

    // Bytes from outside never reach a file, even when an element that
    // brings them is allowed.
    void byteSourcesNeverFeedFileWriters()
    {
        WorkerManager &m = m_engine->workers();
        const PipelinePolicy before = m.pipelinePolicy();
        PipelinePolicy open = before;
        open.elements << QStringLiteral("dataurisrc");
        open.propertyRules.insert(QStringLiteral("dataurisrc.uri"), PropertyRule{PropertyRule::Kind::Any, {}});
        m.setPipelinePolicy(open);
        WorkerConfig c;
        c.streamerType = QStringLiteral("GstStreamer");
        c.command = QStringLiteral("dataurisrc uri=data:,hello ! filesink location=%1/x.so").arg(m_media);
        const QString toFile = m.policyRefusal(c);
        c.command = QStringLiteral("dataurisrc uri=data:,hello ! fakesink");
        const QString toNowhere = m.policyRefusal(c);
        m.setPipelinePolicy(before);
        QVERIFY2(toFile.contains(QLatin1String("(dataurisrc) breaks rule \"byteSources\"")) && toFile.contains(QLatin1String("(filesink)")),
                 qPrintable(toFile));
        QVERIFY2(toNowhere.isEmpty(), qPrintable(toNowhere));
    }

    // A hub is never trusted, whatever the policy says of local operators.
    void trustNeverReachesHubs()
    {
        WorkerManager &m = m_engine->workers();
        const PipelinePolicy before = m.pipelinePolicy();
        PipelinePolicy trusting = before;
        trusting.trustLocalOperators = true;
        m.setPipelinePolicy(trusting);
        const QJsonObject r = call(QStringLiteral("CreateWorker"),
                                   hubWorker(QStringLiteral("h"), QStringLiteral("GstStreamer"),
                                             QStringLiteral("filesrc location=%1 ! fdsink fd=1").arg(m_secret)));
        m.setPipelinePolicy(before);
        QVERIFY(!ok(r));
        QVERIFY(!m.worker(QStringLiteral("h")));
    }

    // Inside the media folder, files are read and written.
    void mediaFolderFilesAreReadAndWritten_data() { addTypes(); }
    void mediaFolderFilesAreReadAndWritten()
    {
        QFETCH(QString, type);
        const QByteArray clip(64 * 1024, 'c');
        QVERIFY(writeFile(m_media + QStringLiteral("/in.bin"), clip));
        const QString out = m_media + QStringLiteral("/out-%1.bin").arg(type);
        const QString id = QStringLiteral("copy-") + type;
        const QJsonObject r = call(QStringLiteral("CreateWorker"),
                                   hubWorker(id, type, QStringLiteral("filesrc location=%1/in.bin ! filesink location=%2").arg(m_media, out)));
        QVERIFY2(ok(r), qPrintable(message(r)));
        QTRY_VERIFY_WITH_TIMEOUT(readFile(out) == clip, kWait);
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), hubWorker(id, type, {}))));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->workers().allIdle() && childProcesses().isEmpty(), kWait);
    }

    void theContractExampleRunsUnderTheDefault_data() { addTypes(); }
    void theContractExampleRunsUnderTheDefault()
    {
        QFETCH(QString, type);
        const QString id = QStringLiteral("contract-") + type;
        const QJsonObject r = call(QStringLiteral("CreateWorker"), hubWorker(id, type, kContractCommand));
        QVERIFY2(ok(r), qPrintable(message(r)));
        Worker *w = m_engine->workers().worker(id);
        QTRY_VERIFY_WITH_TIMEOUT(w->state() == WorkerState::Running && w->pictureSequence() > 1, kWait);
        QVERIFY(ok(call(QStringLiteral("RemoveWorker"), hubWorker(id, type, {}))));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->workers().allIdle() && childProcesses().isEmpty(), kWait);
    }

    void theOtherSuitesAndControlRoomPipelinesPass_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("command");
        QTest::addColumn<bool>("builds"); // GStreamer builds it here (some of the other suites' are broken on purpose)
        const QStringList controlRoom = {
            QStringLiteral("videotestsrc ! textoverlay text=\"Studio (filesrc) name = queue\" ! fakesink name = filesrc"),
            QStringLiteral("videotestsrc is-live=true ! jpegenc ! rtpjpegpay ! udpsink host=10.0.0.5 port=5000"),
            QStringLiteral("udpsrc port=5000 ! tsdemux ! h264parse ! splitmuxsink location=%1/rec%05d.mp4").arg(m_media),
            QStringLiteral("videotestsrc is-live=true ! jpegenc ! splitmuxsink muxer-factory=matroskamux location=%1/r%02d.mkv").arg(m_media),
            QStringLiteral("srtsrc uri=srt://:7001?mode=listener ! tsparse ! queue ! srtsink uri=srt://10.1.1.1:9000"),
            QStringLiteral("rtspsrc location=rtsp://user:pw@cam-3.studio:554/main ! rtph264depay ! h264parse ! mpegtsmux ! "
                           "udpsink host=239.1.1.1 port=5004"),
            QStringLiteral("audiotestsrc is-live=true ! audioconvert ! level ! fakesink"),
            QStringLiteral("videotestsrc ! tee name=t ! queue ! jpegenc ! fdsink fd=2 t. ! queue ! fakesink"),
        };
        int i = 0;
        for (const char *type : {"GstStreamer", "GstInProcess"}) {
            QTest::addRow("%s contract", type) << QString::fromLatin1(type) << kContractCommand << true;
            QTest::addRow("%s light", type) << QString::fromLatin1(type) << kLight << true;
            for (const char *command : kSuitePipelines)
                QTest::addRow("%s %d", type, i++) << QString::fromLatin1(type) << QString::fromUtf8(command) << false;
            for (const QString &command : controlRoom)
                QTest::addRow("%s control room %d", type, i++) << QString::fromLatin1(type) << command << true;
        }
    }
    void theOtherSuitesAndControlRoomPipelinesPass()
    {
        QFETCH(QString, type);
        QFETCH(QString, command);
        QFETCH(bool, builds);
        WorkerConfig c;
        c.id = QStringLiteral("check");
        c.streamerType = type;
        c.command = command;
        QStringList checked;
        QElapsedTimer timer;
        timer.start();
        const QString refusal = m_engine->workers().policyRefusal(c, &checked);
        QVERIFY2(refusal.isEmpty(), qPrintable(refusal));
        QVERIFY(!checked.isEmpty());
        if (builds)
            QVERIFY2(!checked.join(QLatin1Char('\n')).contains(QLatin1String("cannot build")), qPrintable(checked.join(QLatin1Char('\n'))));
        qInfo("checked in %lld ms", qlonglong(timer.elapsed()));
    }

    // The demo's workers are made through the policy; the GStreamer one passes.
    void theDemoPasses()
    {
        QTemporaryDir dir;
        QString error;
        auto demo = openEngine(dir.path(), &error, true);
        QVERIFY2(demo, qPrintable(error));
        bool gst = false;
        for (Worker *w : demo->workers().workers()) {
            QVERIFY2(demo->workers().policyRefusal(w->config()).isEmpty(), qPrintable(w->config().command));
            gst = gst || w->config().streamerType == QLatin1String("GstStreamer");
        }
        QVERIFY(gst);
        QCOMPARE(demo->workers().workers().size(), 5);
    }

    // Stored under the default, refused by a stricter file: not started, and
    // its last error, status and log say why, at boot and when asked to start.
    void aWorkerStoredBeforeAStricterPolicyIsNotStarted_data() { addTypes(); }
    void aWorkerStoredBeforeAStricterPolicyIsNotStarted()
    {
        QFETCH(QString, type);
        QTemporaryDir dir;
        const QString command = QStringLiteral("videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=5/1 ! "
                                               "jpegenc ! tee name=t ! queue ! fdsink fd=2 t. ! queue ! udpsink host=127.0.0.1 port=5999");
        QString error;
        {
            auto before = openEngine(dir.path(), &error);
            QVERIFY2(before, qPrintable(error));
            WorkerConfig c;
            c.id = QStringLiteral("old");
            c.name = QStringLiteral("Old");
            c.streamerType = type;
            c.command = command;
            const Result<QString> r = before->workers().create(c, WorkerManager::StartNow::No);
            QVERIFY2(r.ok, qPrintable(r.message));
        }
        const QByteArray stricter = R"({"networkHosts": ["!127.*", "*"]})";
        QVERIFY(writeFile(dir.filePath(QStringLiteral("pipeline-policy.json")), stricter));
        auto after = openEngine(dir.path(), &error);
        QVERIFY2(after, qPrintable(error));
        after->boot();
        Worker *w = after->workers().worker(QStringLiteral("old"));
        QVERIFY(w);
        QCOMPARE(w->state(), WorkerState::Idle);
        QVERIFY2(w->lastError().startsWith(QLatin1String("refused by the pipeline policy: ")), qPrintable(w->lastError()));
        for (const char *part : {"udpsink", "host=\"127.0.0.1\"", "\"network-host\"", "!127.*"})
            QVERIFY2(w->lastError().contains(QLatin1String(part)), qPrintable(w->lastError()));
        QVERIFY2(w->statusText().contains(QLatin1String("refused by the pipeline policy")), qPrintable(w->statusText()));
        QVERIFY(w->log().last(5).last().message.startsWith(QLatin1String("not started: refused by the pipeline policy")));
        QVERIFY(childProcesses().isEmpty());
        const Result<> start = after->workers().start(QStringLiteral("old"));
        QVERIFY(!start.ok);
        QCOMPARE(start.message, w->lastError());
        QCOMPARE(w->state(), WorkerState::Idle);
        QCOMPARE(w->config().command, command); // kept as it was, for the operator to fix
        stopAndWait(*after);
    }

    void aMalformedPolicyStopsTheEngine()
    {
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath(QStringLiteral("pipeline-policy.json")), "{\"mediaFolders\": [\"/srv\""));
        QString error;
        QVERIFY(!openEngine(dir.path(), &error));
        QVERIFY2(error.contains(dir.filePath(QStringLiteral("pipeline-policy.json"))) && error.contains(QLatin1String("not valid JSON")),
                 qPrintable(error));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("streamengine.db")))); // refused before anything was opened
    }

    // The real program: `ctl policy show|check`, and the trust setting for ctl.
    void ctlShowsChecksAndTrustsOnlyWhenTold()
    {
        QTemporaryDir dir;
        const QString d = dir.path();
        const QString outside = dir.filePath(QStringLiteral("outside"));
        QVERIFY(QDir().mkpath(outside));
        auto startEngine = [&] {
            auto p = std::make_unique<QProcess>();
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p->start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), d});
            return p;
        };
        auto stopEngine = [&](QProcess &p) {
            p.terminate();
            return p.waitForFinished(kWait) && p.exitCode() == 0;
        };
        auto up = [&] { return ctl(d, {QStringLiteral("engine")}).exitCode == 0; };

        auto engine = startEngine();
        QTRY_VERIFY_WITH_TIMEOUT(up(), kWait);
        const CtlResult show = ctl(d, {QStringLiteral("policy"), QStringLiteral("show")});
        QCOMPARE(show.exitCode, 0);
        QVERIFY2(show.out.contains(QLatin1String("pipeline policy: built-in default")), qPrintable(show.out));
        QVERIFY2(show.text().contains(QRegularExpression(QStringLiteral("trustLocalOperators:\\s+no"))), qPrintable(show.out));
        QVERIFY2(show.text().contains(QRegularExpression(QStringLiteral("mediaFolders:\\s+") + QRegularExpression::escape(d + QStringLiteral("/media")))),
                 qPrintable(show.out));
        QVERIFY(show.text().contains(QRegularExpression(QStringLiteral("fdsink.fd\\s+one-of 1, 2"))));

        // The contract's example starts with an option: after "--", or as --command.
        const CtlResult pass = ctl(d, {QStringLiteral("policy"), QStringLiteral("check"), QStringLiteral("--"), kContractCommand});
        QCOMPARE(pass.exitCode, 0);
        QVERIFY2(pass.out.startsWith(QLatin1String("allowed: the GstStreamer command passes the pipeline policy")), qPrintable(pass.out));
        QVERIFY2(pass.out.contains(QLatin1String("launcher option --gst-debug=3")), qPrintable(pass.out));
        QVERIFY2(pass.out.contains(QLatin1String("property fd=\"2\" (one-of)")), qPrintable(pass.out));

        const CtlResult shadow = ctl(d, {QStringLiteral("policy"), QStringLiteral("check"), QStringLiteral("--streamer"),
                                         QStringLiteral("GstInProcess"), QStringLiteral("--command"),
                                         QStringLiteral("filesrc location=/etc/shadow ! fdsink fd=1")});
        QCOMPARE(shadow.exitCode, 1);
        QVERIFY2(shadow.out.startsWith(QLatin1String("refused by the pipeline policy: element filesrc0 (filesrc), property "
                                                     "location=\"/etc/shadow\", breaks rule \"read-media-file\": '/etc/shadow' "
                                                     "is not inside a media folder")),
                 qPrintable(shadow.out));
        const CtlResult load = ctl(d, {QStringLiteral("policy"), QStringLiteral("check"), QStringLiteral("--"),
                                       QStringLiteral("--gst-plugin-load=/tmp/x.so fakesrc ! fakesink")});
        QCOMPARE(load.exitCode, 1);
        QVERIFY2(load.out.contains(QLatin1String("launcher option --gst-plugin-load=/tmp/x.so breaks rule \"launcherOptions\"")),
                 qPrintable(load.out));
        const CtlResult json = ctl(d, {QStringLiteral("policy"), QStringLiteral("check"), QStringLiteral("--json"), QStringLiteral("--command"),
                                       QStringLiteral("videotestsrc ! dataurisrc ! fakesink")});
        QCOMPARE(json.exitCode, 1);
        const QJsonObject verdict = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(verdict.value(QStringLiteral("success")).toBool(true), false);
        QCOMPARE(verdict.value(QStringLiteral("data"))[QStringLiteral("allowed")].toBool(true), false);

        // Untrusted (the default): a local operator's create is refused too.
        const QString writesOutside = QStringLiteral("videotestsrc num-buffers=5 ! video/x-raw,width=64,height=48 ! jpegenc ! "
                                                     "multifilesink location=") + outside + QStringLiteral("/t%05d.jpg");
        const QStringList create{QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("t1"), QStringLiteral("--name"),
                                 QStringLiteral("T1"), QStringLiteral("--streamer"), QStringLiteral("GstStreamer"),
                                 QStringLiteral("--command"), writesOutside};
        const CtlResult refused = ctl(d, create);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QLatin1String("refused by the pipeline policy: element multifilesink0")), qPrintable(refused.err));
        QVERIFY(stopEngine(*engine));

        // Trusted: it is stored and runs, and still does after a restart.
        const QByteArray trusting = R"({"trustLocalOperators": true})";
        QVERIFY(writeFile(dir.filePath(QStringLiteral("pipeline-policy.json")), trusting));
        engine = startEngine();
        QTRY_VERIFY_WITH_TIMEOUT(up(), kWait);
        QVERIFY(ctl(d, {QStringLiteral("policy"), QStringLiteral("show")}).text().contains(QRegularExpression(QStringLiteral("trustLocalOperators:\\s+yes"))));
        const CtlResult trusted = ctl(d, create);
        QVERIFY2(trusted.exitCode == 0, qPrintable(trusted.err));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(outside + QStringLiteral("/t00004.jpg")), kWait);
        const CtlResult check = ctl(d, {QStringLiteral("policy"), QStringLiteral("check"), QStringLiteral("--command"), writesOutside});
        QCOMPARE(check.exitCode, 1); // the check answers for hubs
        QVERIFY2(check.out.contains(QLatin1String("would still be let through")), qPrintable(check.out));
        QVERIFY(stopEngine(*engine));
        QVERIFY(QDir(outside).removeRecursively() && QDir().mkpath(outside));
        engine = startEngine();
        QTRY_VERIFY_WITH_TIMEOUT(up(), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(outside + QStringLiteral("/t00004.jpg")), kWait);
        QVERIFY(ctl(d, {QStringLiteral("remove"), QStringLiteral("t1")}).exitCode == 0);
        QVERIFY(stopEngine(*engine));
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    TestGstPolicy t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_gstpolicy.moc"
