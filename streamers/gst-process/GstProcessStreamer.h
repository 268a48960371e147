#pragma once

#include "JpegSplitter.h"
#include "StreamerBase.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QTimer>

#include <sys/types.h>

class QSocketNotifier;

namespace se::gst {

// GstStreamer: runs the worker's gst-launch-1.0 arguments in a child process
// of its own (se-gst-host, in a new session and process group), so that a
// crashing pipeline takes nothing else down.
//
// The child writes JPEGs to one pipe, structured state (log lines with their
// levels, pipeline state, errors, EOS, first buffer) to another, and anything
// else it prints to a third. Everything is read on the main thread through
// socket notifiers; the child's exit is seen through a pidfd at once and the
// child is always reaped. stop() sends SIGTERM to the process group (the host
// then sends EOS and goes to NULL) and SIGKILL after a deadline.
class GstProcessStreamer : public StreamerBase {
    Q_OBJECT
public:
    explicit GstProcessStreamer(QObject *parent = nullptr);
    ~GstProcessStreamer() override;

    void start(const StreamerConfig &config) override;
    void stop() override;

    // The worker host the plugin runs: $SE_GST_HOST, else se-gst-host next to
    // the application (build tree), in the installed LIBEXECDIR/streamengine
    // (found from the application's folder or from the plugin's), or in
    // <plugin dir>/../bin (build tree, the plugin loaded by another program).
    static QString hostExecutable();

    // For tests: the child's process id (process group), or -1.
    pid_t childPid() const { return m_pid; }

private:
    enum class Stream { Proto, Jpeg, Output };
    void onReadable(Stream which);
    bool drain(Stream which); // false on EOF
    void handleProtoLine(const QByteArray &line);
    void handleOutputLine(const QByteArray &line);
    void handlePictures(QList<QByteArray> &pictures);
    void maybeProducing();
    void onChildExited();
    void killGroup(int sig);
    void closeAll();

    StreamerConfig m_config;
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_fds[3] = {-1, -1, -1};
    QSocketNotifier *m_notifiers[3] = {nullptr, nullptr, nullptr};
    QSocketNotifier *m_exitNotifier = nullptr;
    QTimer m_killTimer;   // SIGKILL after the stop (or error) deadline
    QTimer m_reapPoll;    // only without pidfd support
    JpegSplitter m_splitter;
    QByteArray m_protoBuf;
    QByteArray m_outBuf;
    QByteArray m_pendingPicture; // the first picture waits for PLAYING
    QString m_error;
    bool m_stopRequested = false;
    bool m_eos = false;
    bool m_playing = false;
    bool m_flowing = false;
    int m_thumbs = -1;
    bool m_producing = false;
    bool m_pictureSeen = false;
    bool m_warnedNoJpeg = false;
};

} // namespace se::gst
