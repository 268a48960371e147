// The pieces both GStreamer streamers share: the JPEG stream splitter under
// every chunking, and the shell-style (never a shell) command splitter.

#include "CommandLine.h"
#include "JpegSplitter.h"

#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QImageWriter>
#include <QPainter>
#include <QRandomGenerator>
#include <QTest>

using namespace se::gst;

namespace {

QByteArray encode(int w, int h, int seed, bool progressive)
{
    QImage img(w, h, QImage::Format_RGB32);
    QRandomGenerator rng{quint32(seed)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixel(x, y, qRgb(int(rng.bounded(256)), (x * 7 + seed) & 255, (y * 5) & 255));
    QByteArray out;
    QBuffer buf(&out);
    buf.open(QIODevice::WriteOnly);
    QImageWriter writer(&buf, "JPG");
    writer.setQuality(90);
    writer.setProgressiveScanWrite(progressive);
    writer.setOptimizedWrite(progressive);
    if (!writer.write(img))
        qFatal("cannot encode a JPEG: %s", qPrintable(writer.errorString()));
    return out;
}

// A JPEG with an APP1 segment that holds a whole JPEG of its own (as an EXIF
// thumbnail does), so FF D9 appears before the real end.
QByteArray withEmbeddedThumbnail(const QByteArray &jpeg, const QByteArray &thumb)
{
    QByteArray app1("Exif\0\0", 6);
    app1 += thumb;
    const int len = int(app1.size()) + 2;
    QByteArray seg;
    seg += char(0xFF);
    seg += char(0xE1);
    seg += char(len >> 8);
    seg += char(len & 0xFF);
    seg += app1;
    return jpeg.left(2) + seg + jpeg.mid(2);
}

// A structurally valid stream with RSTn markers, stuffed FF 00 and fill bytes
// in the entropy-coded data (not decodable: the splitter only reads structure).
QByteArray synthetic()
{
    QByteArray j("\xFF\xD8", 2);
    j += QByteArray("\xFF\xDB\x00\x05\x01\x02\x03", 7);         // DQT, 3 bytes payload
    j += QByteArray("\xFF\xDD\x00\x04\x00\x10", 6);             // DRI
    j += QByteArray("\xFF\xDA\x00\x03\x01", 5);                 // SOS
    j += QByteArray("\x12\x34\xFF\x00\x56\xFF\xD0\x78\xFF\xFF\xD1\x9A\xFF\x00", 14);
    j += QByteArray("\xFF\xD9", 2);
    return j;
}

QList<QByteArray> split(const QByteArray &stream, const QList<qsizetype> &cuts, JpegSplitter *sp = nullptr)
{
    JpegSplitter local;
    JpegSplitter &s = sp ? *sp : local;
    QList<QByteArray> out;
    qsizetype pos = 0;
    for (qsizetype c : cuts) {
        s.feed(stream.constData() + pos, c - pos, &out);
        pos = c;
    }
    s.feed(stream.constData() + pos, stream.size() - pos, &out);
    return out;
}

} // namespace

class TestStreamerCommon : public QObject {
    Q_OBJECT
    QList<QByteArray> m_pictures;
    QByteArray m_thumb; // the JPEG inside picture 3's APP1 segment
    QByteArray m_stream;

private Q_SLOTS:
    void initTestCase()
    {
        m_thumb = encode(8, 8, 4, false);
        m_pictures << encode(40, 30, 1, false) << encode(33, 17, 2, true) << synthetic()
                   << withEmbeddedThumbnail(encode(24, 24, 3, false), m_thumb) << encode(64, 48, 5, false);
        for (const QByteArray &p : m_pictures)
            m_stream += p;
        QImage check;
        QVERIFY(check.loadFromData(m_pictures.last(), "JPG"));
        QVERIFY(check.loadFromData(m_pictures.at(3), "JPG")); // the APP1 trick is still a JPEG
    }

    void wholeStreamAtOnce() { QCOMPARE(split(m_stream, {}), m_pictures); }

    void everySplitPoint()
    {
        for (qsizetype cut = 1; cut < m_stream.size(); ++cut) {
            const auto got = split(m_stream, {cut});
            if (got != m_pictures)
                QFAIL(qPrintable(QStringLiteral("wrong pictures when cut at %1").arg(cut)));
        }
    }

    void everyPairOfSplitPoints()
    {
        // Three reads, cut at every pair of offsets: a picture that starts in
        // one read, goes through the next and ends in the third, and every
        // marker, length and FF cut between reads.
        const QList<QByteArray> pics{synthetic(), m_thumb, synthetic()};
        const QByteArray stream = pics.at(0) + pics.at(1) + pics.at(2);
        for (qsizetype a = 1; a < stream.size(); ++a)
            for (qsizetype b = a + 1; b < stream.size(); ++b)
                if (split(stream, {a, b}) != pics)
                    QFAIL(qPrintable(QStringLiteral("wrong pictures when cut at %1 and %2").arg(a).arg(b)));
    }

    void everyFixedChunkSize()
    {
        for (qsizetype size = 1; size <= 257; ++size) {
            QList<qsizetype> cuts;
            for (qsizetype c = size; c < m_stream.size(); c += size)
                cuts << c;
            if (split(m_stream, cuts) != m_pictures)
                QFAIL(qPrintable(QStringLiteral("wrong pictures with chunks of %1").arg(size)));
        }
    }

    void randomChunkings()
    {
        QRandomGenerator rng(42);
        for (int round = 0; round < 300; ++round) {
            QList<qsizetype> cuts;
            qsizetype c = 0;
            for (;;) {
                c += 1 + qsizetype(rng.bounded(round % 2 ? 5000 : 40));
                if (c >= m_stream.size())
                    break;
                cuts << c;
            }
            if (split(m_stream, cuts) != m_pictures)
                QFAIL(qPrintable(QStringLiteral("wrong pictures in round %1").arg(round)));
        }
    }

    void textAndNoiseBetweenPicturesAreSkipped()
    {
        const QByteArray noise = QByteArray("0:00:00.1 WARN  x foo.c:1:f: text\n") + QByteArray("\xFF\xFF\x00\xFF\xD8zz\xFF", 8);
        QByteArray stream = noise;
        for (const QByteArray &p : m_pictures)
            stream += p + noise;
        for (qsizetype size : {1, 3, 64, 100000}) {
            QList<qsizetype> cuts;
            for (qsizetype c = size; c < stream.size(); c += size)
                cuts << c;
            JpegSplitter s;
            QCOMPARE(split(stream, cuts, &s), m_pictures);
            QVERIFY(s.skippedBytes() > 0);
        }
    }

    void truncatedPictureIsNeverEmitted()
    {
        // A picture broken off anywhere, then whole ones. Never a spliced or
        // cut picture comes out: only whole originals, in order. A picture cut
        // in its entropy-coded data is always noticed at the next SOI, so then
        // both whole ones come out; a cut inside a header segment may take the
        // following picture with it (its length field swallowed it), never more.
        // The only other thing that may come out is the whole JPEG embedded in
        // a damaged picture's APP1 segment: a picture of its own.
        const QList<QByteArray> whole{m_pictures.at(1), m_pictures.at(4)};
        for (int which : {0, 2, 3}) {
            const QByteArray &p = m_pictures.at(which);
            const qsizetype sos = p.lastIndexOf(QByteArray("\xFF\xDA", 2));
            QVERIFY(sos > 0);
            const qsizetype entropy = sos + 2 + ((uchar(p.at(sos + 2)) << 8) | uchar(p.at(sos + 3)));
            for (qsizetype keep = 2; keep < p.size() - 1; ++keep) {
                const QByteArray stream = p.left(keep) + whole.at(0) + whole.at(1);
                auto got = split(stream, {keep / 2 + 1, keep + 3});
                got.removeAll(m_thumb);
                const bool ok = keep >= entropy ? got == whole : (got == whole || got == whole.mid(1) || got.isEmpty());
                if (!ok)
                    QFAIL(qPrintable(QStringLiteral("picture %1 cut after %2 bytes: %3 pictures out")
                                         .arg(which).arg(keep).arg(got.size()) + QStringLiteral(" entropy at %1, sizes %2 %3 / %4 %5").arg(entropy).arg(got.value(0).size()).arg(got.value(1).size()).arg(whole[0].size()).arg(whole[1].size())));
            }
        }
    }

    void oversizedPictureIsDroppedAndBufferBounded()
    {
        JpegSplitter s(m_pictures.at(4).size() - 1);
        QList<QByteArray> out;
        s.feed(m_pictures.at(4), &out);
        QVERIFY(out.isEmpty());
        QCOMPARE(s.droppedPictures(), 1);
        s.feed(m_pictures.at(0), &out);
        QCOMPARE(out, QList<QByteArray>{m_pictures.at(0)});
    }

    void commandLine_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QStringList>("args");
        QTest::newRow("plain") << QStringLiteral("  a  b\tc\n") << QStringList{"a", "b", "c"};
        QTest::newRow("caps") << QStringLiteral("x ! video/x-raw,framerate=25/1 ! y")
                              << QStringList{"x", "!", "video/x-raw,framerate=25/1", "!", "y"};
        QTest::newRow("double") << QStringLiteral("\"video/x-raw, width=(int)64\" b")
                                << QStringList{"video/x-raw, width=(int)64", "b"};
        QTest::newRow("single") << QStringLiteral("'a \"b\" $c' d") << QStringList{"a \"b\" $c", "d"};
        QTest::newRow("escapes") << QStringLiteral("a\\ b \"c\\\"d\\\\e\\x\"") << QStringList{"a b", "c\"d\\e\\x"};
        QTest::newRow("joined") << QStringLiteral("a'b c'\"d\"e") << QStringList{"ab cde"};
        QTest::newRow("empty quotes") << QStringLiteral("a '' b") << QStringList{"a", "", "b"};
        QTest::newRow("no expansion") << QStringLiteral("$(rm -rf /) `x` ~ * ; |")
                                      << QStringList{"$(rm", "-rf", "/)", "`x`", "~", "*", ";", "|"};
    }

    void commandLine()
    {
        QFETCH(QString, command);
        QFETCH(QStringList, args);
        const auto got = splitCommandLine(command);
        QVERIFY2(got.ok, qPrintable(got.message));
        QCOMPARE(got.value, args);
    }

    void commandLineErrors()
    {
        const auto unterminated = splitCommandLine(QStringLiteral("a \"b"));
        QVERIFY(!unterminated);
        QVERIFY(unterminated.message.contains(QLatin1String("double quote")));
        QVERIFY(!splitCommandLine(QStringLiteral("a 'b")));
        QVERIFY(!splitCommandLine(QStringLiteral("a \\")));
    }

    void launchOptions()
    {
        const auto read = parseLaunchOptions({"--gst-debug=3", "-v", "-e", "-q", "videotestsrc", "!", "fakesink"});
        QVERIFY2(read.ok, qPrintable(read.message));
        const LaunchOptions &o = read.value;
        QCOMPARE(o.gstOptions, QStringList{"--gst-debug=3"});
        QVERIFY(o.verbose);
        QCOMPARE(o.pipeline, (QStringList{"videotestsrc", "!", "fakesink"}));
        QCOMPARE(debugLevelOf(o.gstOptions), 3);
        QCOMPARE(debugLevelOf({"--gst-debug=2,videotestsrc:5"}), 5);
        QCOMPARE(debugLevelOf({}), -1);
        QVERIFY(!parseLaunchOptions({"--bogus", "a"}));
        QVERIFY(!parseLaunchOptions({"-v"}));
    }
};

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    TestStreamerCommon t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_streamercommon.moc"
