#include "FakeStreamer.h"

#include "TinyFont.h"

#include <QBuffer>
#include <QDateTime>
#include <QImageWriter>
#include <QRandomGenerator>

namespace se::fake {

FakeStreamer::FakeStreamer()
{
    m_stopTimer.setSingleShot(true);
    connect(&m_stopTimer, &QTimer::timeout, this, [this] { finish(&Streamer::stopped); });
}

FakeStreamer::~FakeStreamer() = default;

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

void FakeStreamer::start(const StreamerConfig &config)
{
    if (m_active) {
        Q_EMIT logLine(LogLevel::Warning, QStringLiteral("start ignored: already started"));
        return;
    }
    m_config = config;
    m_active = true;
    m_stopping = false;
    m_producing = false;
    m_frame = 0;
    QString error;
    const auto cmd = FakeCommand::parse(config.command, &error);
    if (!cmd) {
        QTimer::singleShot(0, this, [this, error] { fail(error, FailureKind::StartFailure); });
        return;
    }
    m_cmd = *cmd;
    if (m_cmd.failStart) {
        QTimer::singleShot(0, this, [this] { fail(QStringLiteral("could not start (simulated by fail-start)"), FailureKind::StartFailure); });
        return;
    }
    m_background = makeBackground(m_cmd, qHash(config.workerId));
    m_canvas = m_background;
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
    ++m_frame;
    const QByteArray jpeg = render();
    if (!m_producing) {
        m_producing = true;
        Q_EMIT producing();
    }
    Q_EMIT picture(jpeg);
}

QByteArray FakeStreamer::render()
{
    // Only the text band changes between frames.
    const int scale = m_cmd.height >= 160 ? 2 : 1;
    const int band = 3 * 9 * scale + 4;
    for (int y = 0; y < std::min(band, m_cmd.height); ++y)
        memcpy(m_canvas.scanLine(y), m_background.constScanLine(y), size_t(m_canvas.bytesPerLine()));
    for (int y = 0; y < std::min(band, m_cmd.height); ++y) {
        auto *line = reinterpret_cast<QRgb *>(m_canvas.scanLine(y));
        for (int x = 0; x < m_cmd.width; ++x)
            line[x] = (line[x] >> 1) & 0xff7f7f7f; // darken for legibility
    }
    const QRgb white = 0xffffffff;
    drawText(m_canvas, 2, 2, m_config.name.isEmpty() ? m_config.workerId.left(8) : m_config.name, scale, white);
    drawText(m_canvas, 2, 2 + 9 * scale, QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz")), scale, white);
    drawText(m_canvas, 2, 2 + 18 * scale, QStringLiteral("#%1").arg(m_frame), scale, white);

    QByteArray out;
    out.reserve(16 * 1024);
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "jpeg");
    writer.setQuality(m_cmd.quality);
    writer.write(m_canvas);
    return out;
}

} // namespace se::fake
