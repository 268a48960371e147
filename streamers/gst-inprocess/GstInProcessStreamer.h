#pragma once

#include "StreamerBase.h"
#include "core/streamer/ThreadInbox.h"

#include <QTimer>

#include <memory>

typedef struct _GstMessage GstMessage;

namespace se::gst {

struct InProcessRun;

// GstInProcess: the worker's pipeline inside the engine.
//
// The command is parsed with gst_parse_launchv (gst-launch-1.0 syntax and
// options). Thumbnails come from an appsink named `preview` (raw video is
// rated down, scaled and JPEG-encoded on the way; image/jpeg is taken as it
// is); a Hive-style `… ! jpegenc ! fdsink fd=2` branch becomes such an appsink.
//
// Bus messages arrive through a bus watch on the default GLib main context,
// which Qt's event dispatcher runs on the main thread. Parsing and state
// changes, which may block, run on threads of their own with a deadline; a
// pipeline stuck past it is abandoned (left to its thread) and reported.
// Pictures arrive on streaming threads: only the newest is kept and handed to
// the main thread, one queued call at a time.
class GstInProcessStreamer : public StreamerBase {
    Q_OBJECT
public:
    explicit GstInProcessStreamer(QObject *parent = nullptr);
    ~GstInProcessStreamer() override;

    void start(const StreamerConfig &config) override;
    void stop() override;

    // gst_init once per process, and the debug-log routing to workers.
    static void initGStreamer();

    // Not part of the Streamer API: how the pipeline's helpers report back,
    // always on the main thread.
    void onStarted(const std::shared_ptr<InProcessRun> &run, const QString &error, int thumbs);
    void onBusMessage(const std::shared_ptr<InProcessRun> &run, GstMessage *msg);
    void onPicture(const std::shared_ptr<InProcessRun> &run);
    void onFlowing(const std::shared_ptr<InProcessRun> &run);
    void onLogs(const std::shared_ptr<InProcessRun> &run);
    void onTornDown(const std::shared_ptr<InProcessRun> &run);
    // Where the pipeline's threads post those calls.
    ThreadInbox *inbox() { return &m_inbox; }

private:
    enum class Phase { Idle, Starting, Running, Ending, TearingDown };
    enum class Terminal { Stopped, Failed, Ended };

    void onDeadline();
    void flushQos();
    void maybeProducing();
    void beginTeardown(Terminal terminal, const QString &reason);
    void finish();

    std::shared_ptr<InProcessRun> m_run;
    StreamerConfig m_config;
    Phase m_phase = Phase::Idle;
    bool m_stopRequested = false;
    bool m_playing = false;
    bool m_flowing = false;
    bool m_producing = false;
    int m_thumbs = 0;
    QByteArray m_firstPicture;
    bool m_pictureSeen = false;
    Terminal m_terminal = Terminal::Stopped;
    QString m_reason;      // why it failed
    QString m_startError;  // an ERROR seen while the start thread was still busy
    bool m_startEos = false;
    QTimer m_deadline;     // start, EOS and NULL deadlines
    QTimer m_qosTimer;
    std::unique_ptr<class QosCounter> m_qos;
    ThreadInbox m_inbox{this};
    int m_stateTimeoutMs = 5000;
};

} // namespace se::gst
