#pragma once

#include "core/log/LogBuffer.h"
#include "common/Result.h"
#include "RestartPolicy.h"
#include "WatchdogEvent.h"
#include "WorkerConfig.h"
#include "WorkerScheduler.h"

#include <QByteArray>
#include <QDateTime>
#include <QObject>

#include <functional>
#include <memory>

namespace se {

class Streamer;
class StreamerFactory;

// What a worker needs from around it. The clock (with the timers) and the
// chance are injected so that tests can reason about them.
struct WorkerEnvironment {
    const StreamerFactory *factory = nullptr;
    // The clock and every timer of the worker: its restart, its picture
    // deadline, its next thumbnail. One per engine (WorkerManager's), shared by
    // all its workers; a SimulatedScheduler in tests. None: the worker makes
    // a TimerScheduler of its own.
    std::shared_ptr<WorkerScheduler> scheduler;
    std::function<double()> random01;
    RestartPolicySettings restartPolicy;
    int logLinesPerEvent = 20;
    // Thumbnails announced (pictureUpdated) per second at most, always the
    // newest; streamers are asked for no more than this either.
    double previewFps = 5.0;
    // Asked before every start (the pipeline policy): empty lets the worker
    // start, a reason keeps it Idle with that reason as its last error.
    std::function<QString(const WorkerConfig &)> admit;
};

// One worker's life: its state machine, its streamer, and its watchdog. Lives
// on the main thread; every command returns at once with what happened or
// what is under way, whatever the streamer is doing.
class Worker : public QObject {
    Q_OBJECT
public:
    Worker(WorkerConfig config, WorkerEnvironment env, QObject *parent = nullptr);
    ~Worker() override;

    const WorkerConfig &config() const { return m_config; }
    QString id() const { return m_config.id; }
    WorkerState state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    // The truth in one line: "alive but no picture for 7 s", "restart 3 of 5 in 4 s"...
    QString statusText() const;
    bool isOnHold() const { return m_onHold; }
    bool wantsToRun() const { return m_wantRunning; }

    int watchdogEventCount() const { return m_watchdogEventCount; }
    void setWatchdogEventCount(int count);

    QByteArray lastPicture() const { return m_lastPicture; }
    int pictureSequence() const { return m_pictureSequence; }
    QDateTime lastPictureTime() const { return m_lastPictureTime; }

    const LogBuffer &log() const { return m_log; }
    // A line about the worker from around it (the manager's version history).
    void addLogLine(LogLevel level, const QString &text) { appendLog(level, text); }

    Result<> start();
    Result<> stop();
    Result<> restart();
    // A new configuration: a new command or streamer restarts a running worker;
    // new watchdog settings apply at once. Enabling/disabling is the manager's.
    void applyConfig(const WorkerConfig &config);

Q_SIGNALS:
    void stateChanged(se::WorkerState state);
    void statusChanged(); // last error, hold, restart plan
    void pictureUpdated();
    void logAppended(const se::LogEntry &entry);
    void watchdogTriggered(const se::WatchdogEvent &event);
    void watchdogEventCountChanged(int count);

private:
    enum class AfterStop { GoIdle, StartNow, StartPerPlan };

    Result<> beginStart();
    // A start of the worker's own (after a stop, on the watchdog's back-off): no one waits for its answer.
    void relaunch();
    void setState(WorkerState state);
    void setLastError(const QString &error);
    void appendLog(LogLevel level, const QString &text);
    void onPicture(const QByteArray &jpeg);
    void announcePicture();
    void onProducing();
    void onStreamerEnded(WatchdogEvent::Cause cause, const QString &reason, FailureKind kind = FailureKind::Error);
    void releaseStreamer();
    void stopStreamer(AfterStop then);
    // `kind` tells a Failed restart's finer cause (RestartCause).
    void planRestart(WatchdogEvent::Cause cause, const QString &reason, FailureKind kind = FailureKind::Error);
    void scheduleRestartTimer();
    void checkLiveness();
    void armLivenessTimer();
    void cancelPlans();
    TimePoint currentTime() const { return m_env.scheduler->now(); }

    WorkerConfig m_config;
    WorkerEnvironment m_env;
    RestartPolicy m_policy;
    WorkerState m_state = WorkerState::Idle;
    QString m_lastError;
    std::unique_ptr<Streamer> m_streamer;
    bool m_wantRunning = false;
    AfterStop m_afterStop = AfterStop::GoIdle;

    // Calls on m_env.scheduler, never a Qt timer each: a worker's deadlines
    // cost O(log workers) to arm, whatever the number of workers.
    ScheduledCall m_restartTimer;
    // The picture deadline, armed at a state change only; a picture just
    // records its time, and the deadline re-checks and re-arms when it falls.
    ScheduledCall m_livenessTimer;
    ScheduledCall m_pictureAnnouncement; // a picture that came too soon after the last announced one
    TimePoint m_lastAnnouncedAt{};
    TimePoint m_startedAt{};
    TimePoint m_runningSince{};
    TimePoint m_lastPictureAt{};
    TimePoint m_nextStartAt{};
    bool m_onHold = false;
    QString m_plan; // the restart decision's explanation

    QByteArray m_lastPicture;
    int m_pictureSequence = 0;
    QDateTime m_lastPictureTime;
    int m_watchdogEventCount = 0;
    LogBuffer m_log;
};

} // namespace se
