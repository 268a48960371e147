#pragma once

#include "FakeCommand.h"
#include "FrameClock.h"
#include "Streamer.h"

#include <QElapsedTimer>
#include <QImage>
#include <QTimer>

namespace se::fake {

// Synthetic pictures (worker name, time, frame counter) with faults on
// request; no GStreamer. Cheap: pixels drawn directly, and frames paced by
// the FrameClock it shares with every FakeStreamer of the same fps.
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
    QByteArray render();

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
    QImage m_background;
    QImage m_canvas;
};

} // namespace se::fake
