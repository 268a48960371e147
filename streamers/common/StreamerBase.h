#pragma once

#include "core/streamer/Streamer.h"

namespace se::gst {

// What both GStreamer streamers do alike around a run: one start at a time,
// failures before anything ran reported queued (start() returns first), a
// stop when idle answered with a queued stopped(), and stale queued calls of
// an earlier run ignored.
class StreamerBase : public Streamer {
public:
    using Streamer::Streamer;

protected:
    // False, with a warning in the log, when a run is under way already.
    bool beginRun();
    // Ends the run now (before its terminal signal is emitted).
    void endRun() { m_active = false; }
    bool isActive() const { return m_active; }
    quint64 generation() const { return m_generation; }

    // The run fails before it got anywhere: failed(reason, kind), queued.
    void failLater(const QString &reason, FailureKind kind = FailureKind::StartFailure);
    // stop() when no run is under way: stopped(), queued. Returns true then.
    bool stopIfIdle();

    // Milliseconds from an environment variable (deadlines tests may shorten).
    static int envMs(const char *name, int fallback);

private:
    bool m_active = false;
    quint64 m_generation = 0;
};

} // namespace se::gst
