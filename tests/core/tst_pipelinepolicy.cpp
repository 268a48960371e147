// The pipeline policy's data and the checks that need no GStreamer: the file
// (absent, valid, malformed), paths inside media folders (.. and symbolic-link
// escapes), host patterns, URIs, element names and classes, and the approvals
// a trusted local operator leaves in the store.
#include "VerifyResult.h"
#include "core/streamer/PipelinePolicy.h"
#include "core/store/Store.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace se;

namespace {
bool write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}
} // namespace

class TestPipelinePolicy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void withoutAFileTheBuiltInDefaultApplies()
    {
        QTemporaryDir dir;
        const auto p = PipelinePolicy::load(dir.path());
        QVERIFY_OK(p);
        QCOMPARE(p->source, QStringLiteral("built-in default"));
        QCOMPARE(p->mediaFolders, QStringList{dir.filePath(QStringLiteral("media"))});
        QVERIFY(!p->trustLocalOperators);
        for (const char *e : {"videotestsrc", "audiotestsrc", "udpsrc", "srtsrc", "rtspsrc", "souphttpsrc", "udpsink",
                              "srtsink", "fdsink", "appsink", "fakesink", "queue", "tee", "capsfilter", "timeoverlay",
                              "videorate", "filesrc", "filesink"})
            QVERIFY2(p->elementRefusal(QString::fromLatin1(e), QStringLiteral("Whatever")).isEmpty(), e);
        // Codecs, muxers and converters by class, whatever their name.
        QVERIFY(p->elementRefusal(QStringLiteral("jpegenc"), QStringLiteral("Codec/Encoder/Image")).isEmpty());
        QVERIFY(p->elementRefusal(QStringLiteral("videoconvert"), QStringLiteral("Filter/Converter/Video/Colorspace")).isEmpty());
        QVERIFY(p->elementRefusal(QStringLiteral("nvh264dec"), QStringLiteral("Codec/Decoder/Video/Hardware")).isEmpty());
        // Not these.
        QVERIFY(!p->elementRefusal(QStringLiteral("dataurisrc"), QStringLiteral("Source")).isEmpty());
        QVERIFY(!p->elementRefusal(QStringLiteral("appsrc"), QStringLiteral("Generic/Source")).isEmpty());
        QVERIFY(!p->elementRefusal(QStringLiteral("giosrc"), QStringLiteral("Source/File")).isEmpty());
        QVERIFY(!p->elementRefusal(QStringLiteral("decodebin"), QStringLiteral("Generic/Bin/Decoder")).isEmpty());
        const QString adaptive = p->elementRefusal(QStringLiteral("hlsdemux"), QStringLiteral("Codec/Demuxer/Adaptive"));
        QVERIFY2(adaptive.contains(QLatin1String("Codec/Demuxer/Adaptive")), qPrintable(adaptive));
        QVERIFY(p->optionRefusal(QStringLiteral("--gst-debug=3")).isEmpty());
        QVERIFY(p->optionRefusal(QStringLiteral("--gst-debug-level=2")).isEmpty());
        for (const char *o : {"--gst-plugin-load=/tmp/x.so", "--gst-plugin-path=/tmp", "--gst-plugin-spew",
                              "--gst-disable-registry-fork", "-m"})
            QVERIFY2(!p->optionRefusal(QString::fromLatin1(o)).isEmpty(), o);
    }

    void aFileOverridesWhatItNamesAndAddsRules()
    {
        QTemporaryDir dir;
        const QByteArray file = R"({
            "version": 1,
            "comment": "the control room's own",
            "trustLocalOperators": true,
            "mediaFolders": ["/srv/media", "recordings"],
            "networkHosts": ["10.*", "!*"],
            "propertyRules": {"x264enc.multipass-cache-file": "write-media-file", "fdsink.fd": {"oneOf": [2]}}
        })";
        QVERIFY(write(dir.filePath(QStringLiteral("pipeline-policy.json")), file));
        const auto p = PipelinePolicy::load(dir.path());
        QVERIFY_OK(p);
        QCOMPARE(p->source, dir.filePath(QStringLiteral("pipeline-policy.json")));
        QVERIFY(p->trustLocalOperators);
        QCOMPARE(p->mediaFolders, (QStringList{QStringLiteral("/srv/media"), dir.filePath(QStringLiteral("recordings"))}));
        QCOMPARE(p->networkHosts, (QStringList{QStringLiteral("10.*"), QStringLiteral("!*")}));
        // Rules merge into the default's; lists not named keep the default's.
        QCOMPARE(p->ruleFor(QStringLiteral("x264enc"), QStringLiteral("multipass-cache-file"))->kind, PropertyRule::Kind::WriteMediaFile);
        QCOMPARE(p->ruleFor(QStringLiteral("fdsink"), QStringLiteral("fd"))->values, QStringList{QStringLiteral("2")});
        QCOMPARE(p->ruleFor(QStringLiteral("filesrc"), QStringLiteral("location"))->kind, PropertyRule::Kind::ReadMediaFile);
        QCOMPARE(p->elements, PipelinePolicy::builtInDefault(dir.path()).elements);

        // What `ctl policy show --json` prints reads back as the same policy.
        const auto again = PipelinePolicy::fromJson(p->toJson(), dir.path());
        QVERIFY_OK(again);
        QCOMPARE(again->toJson(), p->toJson());
    }

    void aMalformedFileIsRefusedWithItsName_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("why");
        QTest::newRow("not JSON") << QByteArray("{\"trustLocalOperators\": tru") << QStringLiteral("not valid JSON");
        QTest::newRow("not an object") << QByteArray("[1, 2]") << QStringLiteral("not a JSON object");
        QTest::newRow("misspelt key") << QByteArray(R"({"trustLocalOperator": true})") << QStringLiteral("unknown key \"trustLocalOperator\"");
        QTest::newRow("wrong type") << QByteArray(R"({"trustLocalOperators": "yes"})") << QStringLiteral("must be true or false");
        QTest::newRow("not a list") << QByteArray(R"({"elements": "videotestsrc"})") << QStringLiteral("\"elements\" must be an array");
        QTest::newRow("unknown rule") << QByteArray(R"({"propertyRules": {"filesrc.location": "anywhere"}})") << QStringLiteral("unknown rule \"anywhere\"");
        QTest::newRow("bad rule key") << QByteArray(R"({"propertyRules": {"location": "any"}})") << QStringLiteral("\"element.property\"");
        QTest::newRow("other version") << QByteArray(R"({"version": 2})") << QStringLiteral("\"version\" must be 1");
    }
    void aMalformedFileIsRefusedWithItsName()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, why);
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath(QStringLiteral("pipeline-policy.json")), content));
        const auto refused = PipelinePolicy::load(dir.path());
        QVERIFY(!refused);
        const QString &error = refused.message;
        QVERIFY2(error.contains(dir.filePath(QStringLiteral("pipeline-policy.json"))), qPrintable(error));
        QVERIFY2(error.contains(why), qPrintable(error));
    }

    void pathsStayInsideTheMediaFolders()
    {
        QTemporaryDir dir;
        const QString media = dir.filePath(QStringLiteral("media"));
        const QString outside = dir.filePath(QStringLiteral("outside"));
        QVERIFY(QDir().mkpath(media + QStringLiteral("/day1")) && QDir().mkpath(outside));
        PipelinePolicy p = PipelinePolicy::builtInDefault(dir.path());

        QVERIFY(p.pathRefusal(media + QStringLiteral("/clip.mp4")).isEmpty());
        QVERIFY(p.pathRefusal(media + QStringLiteral("/day1/clip.mp4")).isEmpty());
        QVERIFY(p.pathRefusal(media + QStringLiteral("/new/folder/clip.mp4")).isEmpty()); // not there yet
        QVERIFY(p.pathRefusal(media + QStringLiteral("/frame%05d.jpg")).isEmpty());
        QVERIFY(p.pathRefusal(media + QStringLiteral("/100%%.jpg")).isEmpty());
        QVERIFY(p.pathRefusal(QString()).isEmpty()); // unset: the element itself fails

        QVERIFY(p.pathRefusal(QStringLiteral("/etc/shadow")).contains(QLatin1String("not inside a media folder")));
        QVERIFY(p.pathRefusal(QStringLiteral("clip.mp4")).contains(QLatin1String("not an absolute path")));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/../outside/x")).contains(QLatin1String("'..'")));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/day1/../clip")).contains(QLatin1String("'..'")));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/%s%n")).contains(QLatin1String("%d-style")));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/%d-%d.ts")).contains(QLatin1String("more than one")));
        QVERIFY(!p.pathRefusal(dir.filePath(QStringLiteral("media-other/x"))).isEmpty()); // a prefix is no folder

        // Symbolic links are followed: out of the folder is out.
        QVERIFY(QFile::link(outside, media + QStringLiteral("/escape")));
        QVERIFY(QFile::link(QStringLiteral("/etc/passwd"), media + QStringLiteral("/passwd")));
        QVERIFY(QFile::link(outside + QStringLiteral("/not-yet"), media + QStringLiteral("/dangling")));
        const QString viaDir = p.pathRefusal(media + QStringLiteral("/escape/x.mp4"));
        QVERIFY2(viaDir.contains(QLatin1String("not inside a media folder")) && viaDir.contains(outside), qPrintable(viaDir));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/passwd")).contains(QLatin1String("/etc/passwd")));
        QVERIFY(p.pathRefusal(media + QStringLiteral("/dangling")).contains(QLatin1String("points nowhere")));

        // A media folder that is itself a link is followed too.
        const QString linked = dir.filePath(QStringLiteral("linked-media"));
        QVERIFY(QFile::link(media, linked));
        p.mediaFolders = {linked};
        QVERIFY(p.pathRefusal(media + QStringLiteral("/clip.mp4")).isEmpty());
        QVERIFY(p.pathRefusal(linked + QStringLiteral("/clip.mp4")).isEmpty());
    }

    void hostsAndUris()
    {
        PipelinePolicy p = PipelinePolicy::builtInDefault(QStringLiteral("/tmp"));
        QVERIFY(p.hostRefusal(QStringLiteral("10.1.2.3")).isEmpty());
        QVERIFY(p.hostRefusal(QStringLiteral("localhost")).isEmpty());
        QVERIFY(p.hostRefusal(QStringLiteral("169.254.169.254")).contains(QLatin1String("!169.254.*")));
        QVERIFY(p.uriRefusal(QStringLiteral("srt://10.0.0.5:9000?mode=caller")).isEmpty());
        QVERIFY(p.uriRefusal(QStringLiteral("srt://:7001?mode=listener")).isEmpty());
        QVERIFY(p.uriRefusal(QStringLiteral("rtsp://user:pw@cam-3.studio:554/main")).isEmpty());
        QVERIFY(p.uriRefusal(QStringLiteral("http://169.254.169.254/latest/meta-data")).contains(QLatin1String("169.254.169.254")));
        QVERIFY(p.uriRefusal(QStringLiteral("file:///etc/shadow")).contains(QLatin1String("scheme 'file'")));
        QVERIFY(p.hostListRefusal(QStringLiteral("10.0.0.1:5000,[::1]:5002")).isEmpty());
        QVERIFY(!p.hostListRefusal(QStringLiteral("10.0.0.1:5000,169.254.1.1:5002")).isEmpty());

        // First match wins; "!" refuses; no match refuses.
        p.networkHosts = {QStringLiteral("!10.0.0.66"), QStringLiteral("10.0.*"), QStringLiteral("*.studio.example")};
        QVERIFY(p.hostRefusal(QStringLiteral("10.0.3.4")).isEmpty());
        QVERIFY(p.hostRefusal(QStringLiteral("CAM1.Studio.Example")).isEmpty());
        QVERIFY(p.hostRefusal(QStringLiteral("10.0.0.66")).contains(QLatin1String("refused by '!10.0.0.66'")));
        QVERIFY(p.hostRefusal(QStringLiteral("8.8.8.8")).contains(QLatin1String("matches none")));
        QVERIFY(!p.uriRefusal(QStringLiteral("udp://8.8.8.8:5000")).isEmpty());
    }

    void namesThatPointOutsideNeedARule()
    {
        for (const char *name : {"location", "multipass-cache-file", "device", "ssl-ca-file", "socket-path", "uri", "host",
                                 "sink-factory", "playlist-location"})
            QVERIFY2(PipelinePolicy::namesSomethingOutside(QString::fromLatin1(name)), name);
        for (const char *name : {"is-live", "pattern", "text", "font-desc", "profile", "fd", "caps", "name"})
            QVERIFY2(!PipelinePolicy::namesSomethingOutside(QString::fromLatin1(name)), name);
    }

    void approvalsAreStoredAndGoWithTheirWorker()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("se.db"));
        {
            Store s;
            QString error;
            QVERIFY_OK(s.open(db, QStringLiteral("test")));
            WorkerConfig c;
            c.id = QStringLiteral("w1");
            c.command = QStringLiteral("x");
            c.streamerType = QStringLiteral("GstStreamer");
            QVERIFY(s.insertWorker(c, QStringLiteral("created")));
            c.id = QStringLiteral("w2");
            QVERIFY(s.insertWorker(c, QStringLiteral("created")));
            QVERIFY(s.setPolicyApproval(QStringLiteral("w1"), QStringLiteral("abc")));
            QVERIFY(s.setPolicyApproval(QStringLiteral("w2"), QStringLiteral("def")));
        }
        Store s;
        QString error;
        QVERIFY_OK(s.open(db, QStringLiteral("test")));
        QCOMPARE(s.policyApprovals().value(QStringLiteral("w1")), QStringLiteral("abc"));
        QVERIFY(s.deleteWorker(QStringLiteral("w1")));
        QVERIFY(s.setPolicyApproval(QStringLiteral("w2"), QString()));
        QVERIFY(s.policyApprovals().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPipelinePolicy)
#include "tst_pipelinepolicy.moc"
