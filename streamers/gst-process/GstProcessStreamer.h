#pragma once

#include "ChildReader.h"
#include "StreamerBase.h"

#include <QByteArray>
#include <QTimer>

#include <memory>

#include <sys/types.h>

namespace se::gst {

// GstStreamer: runs the worker's gst-launch-1.0 arguments in a child process
// of its own (se-gst-host, in a new session and process group), so that a
// crashing pipeline takes nothing else down.
//
// The child writes JPEGs to one pipe, structured state (log lines with their
// levels, pipeline state, errors, EOS, first buffer) to another, and anything
// else it prints to a third. The pipes and the child's pidfd are watched off
// the event loop by the process's ChildReader (one epoll thread for every
// child), which hands whole JPEGs (the newest), text and the exit over to the
// main thread in batches; the main loop holds no descriptor per child. The
// exit is seen at once and the child is always reaped here. stop() sends SIGTERM to the process group (the host
// then sends EOS and goes to NULL) and SIGKILL after a deadline.
class GstProcessStreamer : public StreamerBase, private ChildReader::Client {
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
    // Pictures of this streamer the reader replaced by a newer one before the
    // main thread took them (never emitted), over its life.
    qint64 supersededPictures() const { return m_superseded; }

private:
    enum class Stream { Proto = ChildReader::Proto, Jpeg = ChildReader::Jpeg, Output = ChildReader::Output };
    void childMail(ChildMail &mail) override;
    void handleMail(ChildMail &mail);
    void handleText(Stream which, const QByteArray &bytes);
    void handleProtoLine(const QByteArray &line);
    void handleOutputLine(const QByteArray &line);
    void handlePicture(const QByteArray &picture);
    void maybeProducing();
    void onChildExited();
    void killGroup(int sig);
    void closeAll();

    StreamerConfig m_config;
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_fds[3] = {-1, -1, -1};
    std::shared_ptr<ChildReader> m_reader; // taken at the first start
    quint64 m_readerKey = 0;               // this run's child in m_reader, or 0
    QTimer m_killTimer;   // SIGKILL after the stop (or error) deadline
    QTimer m_reapPoll;    // only without pidfd support
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
    qint64 m_superseded = 0;
};

} // namespace se::gst
