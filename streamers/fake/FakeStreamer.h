#pragma once

#include "FakeCommand.h"
#include "FrameClock.h"
#include "core/streamer/Streamer.h"
#include "core/streamer/ThreadInbox.h"

#include <QElapsedTimer>
#include <QTimer>

#include <memory>

namespace se::fake {

// Synthetic pictures (worker name, time, frame counter) with faults on
// request; no GStreamer. Cheap: pixels drawn directly, and frames paced by
// the FrameClock it shares with every FakeStreamer of the same fps. Like a
// real source's, its pictures are made off the event loop: drawn and JPEG-
// encoded on a small shared pool, one at a time per streamer (a frame whose
// turn comes while the last is still being made is skipped, as an encoder
// that cannot keep up drops frames), and handed back through an inbox.
class FakeStreamer : public Streamer {
    Q_OBJECT
public:
    FakeStreamer();
    ~FakeStreamer() override;

    void start(const StreamerConfig &config) override;
    void stop() override;

private:
    void tick();
    void finish(void (FakeStreamer::*signal)());
    void fail(const QString &reason, FailureKind kind);
    void deliver(quint64 run, const QByteArray &jpeg);

    struct Canvas;   // what a render job draws on; one job at a time
    struct Delivery; // the way back to this streamer, cut when it goes
    static QByteArray render(Canvas &canvas, const QString &clock, qint64 frame);

    StreamerConfig m_config;
    FakeCommand m_cmd;
    bool m_active = false;
    bool m_stopping = false;
    bool m_producing = false;
    FrameClock::Membership m_frames;
    QTimer m_stopTimer;
    QElapsedTimer m_clock;
    qint64 m_frame = 0;
    qint64 m_nextLogMs = 0;
    quint64 m_run = 0;       // pictures of an earlier run are dropped
    bool m_rendering = false;
    std::shared_ptr<Canvas> m_canvas;
    ThreadInbox m_inbox{this};
    std::shared_ptr<Delivery> m_delivery;
};

} // namespace se::fake
