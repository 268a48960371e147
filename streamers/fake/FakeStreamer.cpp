#include "FakeStreamer.h"

#include "core/streamer/JobPool.h"
#include "TinyFont.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QImage>
#include <QImageWriter>
#include <QRandomGenerator>
#include <QTime>

#include <mutex>

namespace se::fake {

struct FakeStreamer::Canvas {
    QImage background;
    QImage image;
    QString name;
    int quality = 0;
};

struct FakeStreamer::Delivery {
    std::mutex mutex;
    FakeStreamer *streamer = nullptr; // null once it is gone
};

namespace {
// Every FakeStreamer's pictures. A render uses Qt's image plugins, which go
// with the application, before this pool's destructor runs at exit: the
// application waits for the renders in flight as it ends (the streamers are
// gone by then, so nothing queued starts).
JobPool g_renders(2);
} // namespace

FakeStreamer::FakeStreamer() : m_delivery(std::make_shared<Delivery>())
{
    static const bool drainedAtExit = (qAddPostRoutine([] { g_renders.waitForIdle(); }), true);
    Q_UNUSED(drainedAtExit);
    m_delivery->streamer = this;
    m_stopTimer.setSingleShot(true);
    connect(&m_stopTimer, &QTimer::timeout, this, [this] { finish(&Streamer::stopped); });
}

FakeStreamer::~FakeStreamer()
{
    // A picture still being made is dropped: its render touches nothing of
    // this streamer (its canvas and this delivery are shared).
    std::lock_guard<std::mutex> lock(m_delivery->mutex);
    m_delivery->streamer = nullptr;
}

static QImage makeBackground(const FakeCommand &c, quint32 seed)
{
    QImage img(c.width, c.height, QImage::Format_RGB32);
    QRandomGenerator rng(seed);
    static const QRgb bars[] = {0xffc0c0c0, 0xffc0c000, 0xff00c0c0, 0xff00c000, 0xffc000c0, 0xffc00000, 0xff0000c0};
    for (int y = 0; y < c.height; ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        for (int x = 0; x < c.width; ++x) {
            if (c.pattern == QLatin1String("bars"))
                line[x] = bars[x * 7 / c.width];
            else if (c.pattern == QLatin1String("gradient"))
                line[x] = qRgb(x * 255 / c.width, y * 255 / c.height, 128);
            else if (c.pattern == QLatin1String("noise")) {
                const int v = int(rng.bounded(256));
                line[x] = qRgb(v, v, v);
            } else
                line[x] = 0xff204060;
        }
    }
    return img;
}

// On a pool thread: the canvas is this job's alone.
QByteArray FakeStreamer::render(Canvas &c, const QString &clock, qint64 frame)
{
    // Only the text band changes between frames.
    QImage &image = c.image;
    const int width = image.width(); // not inlined: out of the pixel loop
    const int scale = image.height() >= 160 ? 2 : 1;
    const int band = std::min(3 * 9 * scale + 4, image.height());
    for (int y = 0; y < band; ++y) {
        memcpy(image.scanLine(y), c.background.constScanLine(y), size_t(image.bytesPerLine()));
        auto *line = reinterpret_cast<QRgb *>(image.scanLine(y));
        for (int x = 0; x < width; ++x)
            line[x] = (line[x] >> 1) & 0xff7f7f7f; // darken for legibility
    }
    const QRgb white = 0xffffffff;
    drawText(image, 2, 2, c.name, scale, white);
    drawText(image, 2, 2 + 9 * scale, clock, scale, white);
    drawText(image, 2, 2 + 18 * scale, QStringLiteral("#%1").arg(frame), scale, white);

    QByteArray out;
    out.reserve(16 * 1024);
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "jpeg");
    writer.setQuality(c.quality);
    writer.write(image);
    return out;
}

void FakeStreamer::start(const StreamerConfig &config)
{
    if (m_active) {
        Q_EMIT logLine(LogLevel::Warning, QStringLiteral("start ignored: already started"));
        return;
    }
    m_config = config;
    ++m_run;
    m_active = true;
    m_stopping = false;
    m_producing = false;
    m_frame = 0;
    const Result<FakeCommand> cmd = FakeCommand::parse(config.command);
    if (!cmd) {
        QTimer::singleShot(0, this, [this, why = cmd.message] { fail(why, FailureKind::StartFailure); });
        return;
    }
    m_cmd = cmd.value;
    if (m_cmd.failStart) {
        QTimer::singleShot(0, this, [this] { fail(QStringLiteral("could not start (simulated by fail-start)"), FailureKind::StartFailure); });
        return;
    }
    m_canvas = std::make_shared<Canvas>();
    m_canvas->background = makeBackground(m_cmd, qHash(config.workerId));
    m_canvas->image = m_canvas->background;
    m_canvas->name = config.name.isEmpty() ? config.workerId.left(8) : config.name;
    m_canvas->quality = m_cmd.quality;
    m_clock.start();
    m_nextLogMs = m_cmd.logEvery > 0 ? qint64(m_cmd.logEvery * 1000) : -1;
    QTimer::singleShot(0, this, [this] {
        if (m_active && !m_stopping)
            Q_EMIT logLine(LogLevel::Information,
                           QStringLiteral("fake stream %1x%2 at %3 fps").arg(m_cmd.width).arg(m_cmd.height).arg(m_cmd.fps));
    });
    if (m_cmd.neverStart)
        return;
    m_frames.join(std::max(1, int(1000.0 / m_cmd.fps)), [this] { tick(); });
}

void FakeStreamer::stop()
{
    if (!m_active) {
        QTimer::singleShot(0, this, [this] { Q_EMIT stopped(); });
        return;
    }
    if (m_stopping)
        return;
    m_stopping = true;
    m_frames.leave();
    m_stopTimer.start(int(m_cmd.stopDelay * 1000));
}

void FakeStreamer::finish(void (FakeStreamer::*signal)())
{
    m_frames.leave();
    m_stopTimer.stop();
    m_active = false;
    m_stopping = false;
    Q_EMIT(this->*signal)();
}

void FakeStreamer::fail(const QString &reason, FailureKind kind)
{
    m_frames.leave();
    m_stopTimer.stop();
    m_active = false;
    m_stopping = false;
    Q_EMIT failed(reason, kind);
}

void FakeStreamer::tick()
{
    const double t = m_clock.elapsed() / 1000.0;
    if (m_cmd.crashAfter >= 0 && t >= m_cmd.crashAfter) {
        Q_EMIT logLine(LogLevel::Critical, QStringLiteral("Caught SIGSEGV (simulated crash)"));
        fail(QStringLiteral("crashed (simulated by crash-after=%1)").arg(m_cmd.crashAfter), FailureKind::Crash);
        return;
    }
    if (m_cmd.failAfter >= 0 && t >= m_cmd.failAfter) {
        Q_EMIT logLine(LogLevel::Error, QStringLiteral("internal data stream error (simulated)"));
        fail(QStringLiteral("failed (simulated by fail-after=%1)").arg(m_cmd.failAfter), FailureKind::Error);
        return;
    }
    if (m_cmd.endAfter >= 0 && t >= m_cmd.endAfter) {
        Q_EMIT logLine(LogLevel::Information, QStringLiteral("end of stream (simulated)"));
        finish(&Streamer::ended);
        return;
    }
    if (m_nextLogMs >= 0 && m_clock.elapsed() >= m_nextLogMs) {
        m_nextLogMs += qint64(m_cmd.logEvery * 1000);
        Q_EMIT logLine(LogLevel::Information, QStringLiteral("frame %1").arg(m_frame));
    }
    if (t < m_cmd.startDelay || (m_cmd.stallAfter >= 0 && t >= m_cmd.stallAfter))
        return;
    if (m_rendering)
        return; // the last picture is still being made: this frame is skipped
    ++m_frame;
    m_rendering = true;
    // Local time here: glibc guards its time zone with a lock ThreadSanitizer
    // cannot see, and this thread reads it anyway (timers, logs).
    const QString clock = QTime::currentTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    g_renders.run([canvas = m_canvas, clock, frame = m_frame, run = m_run, delivery = m_delivery] {
        {
            std::lock_guard<std::mutex> lock(delivery->mutex);
            if (!delivery->streamer)
                return; // gone while this waited its turn
        }
        const QByteArray jpeg = render(*canvas, clock, frame);
        std::lock_guard<std::mutex> lock(delivery->mutex);
        if (FakeStreamer *self = delivery->streamer)
            self->m_inbox.post([self, run, jpeg] { self->deliver(run, jpeg); });
    });
}

void FakeStreamer::deliver(quint64 run, const QByteArray &jpeg)
{
    m_rendering = false;
    if (run != m_run || !m_active || m_stopping)
        return;
    if (!m_producing) {
        m_producing = true;
        Q_EMIT producing();
    }
    Q_EMIT picture(jpeg);
}

} // namespace se::fake
