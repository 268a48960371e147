#pragma once

#include "PipelinePolicy.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QtPlugin>

#include <memory>

namespace se {

// Severity of a log line, numbered as Microsoft.Extensions.Logging's LogLevel
// (what StreamHub expects on the wire).
enum class LogLevel : int { Trace = 0, Debug = 1, Information = 2, Warning = 3, Error = 4, Critical = 5 };

// What kind of failure failed() reports, for the watchdog's counts (`ctl
// show`, the metrics endpoint): a crash (the process died by a signal or
// exited abnormally without saying why), an error the running pipeline
// reported, or a start that never got going (a bad command, no host, a
// pipeline that did not parse or would not play).
enum class FailureKind : int { Error = 0, Crash = 1, StartFailure = 2 };

// What a streamer is told about the worker it runs.
struct StreamerConfig {
    QString workerId;
    QString name;
    QString command;         // streamer-specific; e.g. gst-launch-1.0 arguments
    double previewFps = 5.0; // thumbnails per second the engine wants at most
    int previewMaxWidth = 320;
};

// One running instance of a streaming technology, owned by one Worker.
//
// Contract (every implementation keeps it; tests/streamers check it):
// - start() and stop() return at once; they never block the calling thread.
// - All signals are emitted on the thread the streamer lives on (the main
//   thread), never on a streaming thread.
// - After start(): producing() once the pipeline really plays and the first
//   picture is out; then picture() for every thumbnail (only the newest is
//   kept when the receiver is slower) and logLine() for its output.
// - Every start() ends in exactly one terminal signal: stopped() after stop(),
//   failed(reason, kind) when it broke (error, crash, could not start: `kind`
//   says which; Error when the streamer cannot tell), or ended()
//   when the stream reached its end. After a terminal signal the streamer holds
//   no process, thread or pipeline and may be started again.
// - stop() when not started emits stopped() (queued) so callers need no
//   special case. A stop always ends: implementations escalate (EOS, NULL,
//   kill) within their deadline.
class Streamer : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Streamer() override;

    virtual void start(const StreamerConfig &config) = 0;
    virtual void stop() = 0;

Q_SIGNALS:
    void producing();
    void picture(const QByteArray &jpeg);
    void logLine(se::LogLevel level, const QString &text);
    void failed(const QString &reason, se::FailureKind kind = se::FailureKind::Error);
    void ended();
    void stopped();
};

// The table a streamer plugin registers: its type name (the wire's
// `streamerType`, e.g. "GstStreamer") and a way to make instances.
class StreamerPlugin {
public:
    virtual ~StreamerPlugin() = default;
    virtual QString typeName() const = 0;
    virtual QString description() const = 0;
    virtual std::unique_ptr<Streamer> create() = 0;

    // The pipeline policy's verdict on `command`, before it is stored or
    // started: empty when it may run, else why not, naming the element, the
    // property and the rule it breaks. `checked`, when given, gets what was
    // looked at (for `streamengine ctl policy check`). Quick and without side
    // effects (nothing plays). The default allows everything: for streamers
    // whose commands are no pipelines (FakeStreamer).
    virtual QString refusal(const QString &command, const PipelinePolicy &policy, QStringList *checked = nullptr) const
    {
        Q_UNUSED(command);
        Q_UNUSED(policy);
        Q_UNUSED(checked);
        return {};
    }
};

} // namespace se

#define SE_STREAMER_PLUGIN_IID "org.streamengine.StreamerPlugin/2"
Q_DECLARE_INTERFACE(se::StreamerPlugin, SE_STREAMER_PLUGIN_IID)
Q_DECLARE_METATYPE(se::LogLevel)
Q_DECLARE_METATYPE(se::FailureKind)
