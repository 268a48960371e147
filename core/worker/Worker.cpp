#include "Worker.h"

#include "core/streamer/StreamerFactory.h"
#include "core/log/WorkerLogScope.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcWorker, "se.worker")
// Streamer output: off unless asked for (QT_LOGGING_RULES="se.worker.output.debug=true").
Q_LOGGING_CATEGORY(lcWorkerOutput, "se.worker.output", QtInfoMsg)

namespace se {

using namespace std::chrono;

namespace {
qint64 msUntil(TimePoint now, TimePoint when)
{
    return std::max<qint64>(0, duration_cast<milliseconds>(when - now).count());
}
QString seconds1(milliseconds ms) { return QString::number(ms.count() / 1000.0, 'f', 1); }

// The restart counters' cause of a watchdog action; none for what is no restart.
std::optional<RestartCause> restartCauseOf(WatchdogEvent::Cause cause, FailureKind kind)
{
    if (cause == WatchdogEvent::Cause::Failed)
        return kind == FailureKind::Crash ? RestartCause::Crash
             : kind == FailureKind::StartFailure ? RestartCause::StartFailure : RestartCause::Error;
    if (cause == WatchdogEvent::Cause::Ended)
        return RestartCause::EndOfStream;
    if (cause == WatchdogEvent::Cause::Stalled)
        return RestartCause::PictureStall;
    return std::nullopt;
}
} // namespace

const char *restartCauseName(RestartCause cause)
{
    switch (cause) {
    case RestartCause::Crash: return "crash";
    case RestartCause::Error: return "error";
    case RestartCause::EndOfStream: return "end_of_stream";
    case RestartCause::PictureStall: return "picture_stall";
    case RestartCause::StartFailure: return "start_failure";
    }
    return "error";
}

QString causeName(WatchdogEvent::Cause cause)
{
    switch (cause) {
    case WatchdogEvent::Cause::Failed: return QStringLiteral("failed");
    case WatchdogEvent::Cause::Ended: return QStringLiteral("ended");
    case WatchdogEvent::Cause::Stalled: return QStringLiteral("stalled");
    case WatchdogEvent::Cause::Hold: return QStringLiteral("hold");
    case WatchdogEvent::Cause::Rollback: return QStringLiteral("rollback");
    }
    return QStringLiteral("failed");
}

WatchdogEvent::Cause causeFromString(const QString &text)
{
    if (text == QLatin1String("ended")) return WatchdogEvent::Cause::Ended;
    if (text == QLatin1String("stalled")) return WatchdogEvent::Cause::Stalled;
    if (text == QLatin1String("hold")) return WatchdogEvent::Cause::Hold;
    if (text == QLatin1String("rollback")) return WatchdogEvent::Cause::Rollback;
    return WatchdogEvent::Cause::Failed;
}

Worker::Worker(WorkerConfig config, WorkerEnvironment env, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_env(std::move(env)), m_policy(m_env.restartPolicy)
{
    if (!m_env.random01)
        m_env.random01 = [] { return QRandomGenerator::global()->generateDouble(); };
    if (!m_env.scheduler)
        m_env.scheduler = std::make_shared<TimerScheduler>();
    m_restartTimer.setScheduler(m_env.scheduler.get());
    m_livenessTimer.setScheduler(m_env.scheduler.get());
    m_pictureAnnouncement.setScheduler(m_env.scheduler.get());
}

Worker::~Worker()
{
    // A streamer's destructor releases whatever it still holds (it kills its
    // process or drops its pipeline); no signal of it may reach us any more.
    if (m_streamer)
        m_streamer->disconnect(this);
}

void Worker::setWatchdogEventCount(int count)
{
    if (count == m_watchdogEventCount)
        return;
    m_watchdogEventCount = count;
    Q_EMIT watchdogEventCountChanged(count);
}

QString Worker::statusText() const
{
    const auto now = currentTime();
    switch (m_state) {
    case WorkerState::Idle:
        if (m_onHold)
            return QStringLiteral("%1; next try in %2 s").arg(m_plan).arg(msUntil(now, m_nextStartAt) / 1000);
        return m_lastError.isEmpty() ? QStringLiteral("stopped") : QStringLiteral("stopped: %1").arg(m_lastError);
    case WorkerState::Starting:
        return QStringLiteral("starting for %1 s").arg(seconds1(duration_cast<milliseconds>(now - m_startedAt)));
    case WorkerState::Running: {
        const auto sincePicture = duration_cast<milliseconds>(now - m_lastPictureAt);
        if (m_lastPictureAt == TimePoint{} || sincePicture > 2s)
            return QStringLiteral("alive but no picture for %1 s")
                .arg(seconds1(duration_cast<milliseconds>(now - (m_lastPictureAt == TimePoint{} ? m_runningSince : m_lastPictureAt))));
        return QStringLiteral("running");
    }
    case WorkerState::Stopping:
        return QStringLiteral("stopping");
    case WorkerState::Restarting:
        if (m_streamer)
            return QStringLiteral("%1 (stopping the old one)").arg(m_plan);
        return QStringLiteral("%1; next in %2 s").arg(m_plan, seconds1(milliseconds(msUntil(now, m_nextStartAt))));
    }
    return {};
}

Result<> Worker::start()
{
    switch (m_state) {
    case WorkerState::Running:
        return Result<>::success(QStringLiteral("already running"));
    case WorkerState::Starting:
        return Result<>::success(QStringLiteral("already starting"));
    case WorkerState::Stopping:
        m_wantRunning = true;
        m_afterStop = AfterStop::StartNow;
        return Result<>::success(QStringLiteral("stopping; it starts again once stopped"));
    case WorkerState::Restarting:
        m_policy.reset();
        if (m_streamer) {
            m_afterStop = AfterStop::StartNow;
            return Result<>::success(QStringLiteral("restarting now"));
        }
        cancelPlans();
        return beginStart();
    case WorkerState::Idle:
        m_policy.reset();
        cancelPlans();
        m_wantRunning = true;
        return beginStart();
    }
    return Result<>::failure(QStringLiteral("unknown state"));
}

Result<> Worker::stop()
{
    switch (m_state) {
    case WorkerState::Idle: {
        const bool wasPlanned = m_wantRunning;
        m_wantRunning = false;
        cancelPlans();
        return Result<>::success(wasPlanned ? QStringLiteral("stopped; the pending retry is cancelled")
                                            : QStringLiteral("already stopped"));
    }
    case WorkerState::Stopping:
        m_wantRunning = false;
        m_afterStop = AfterStop::GoIdle;
        return Result<>::success(QStringLiteral("already stopping"));
    case WorkerState::Restarting:
        m_wantRunning = false;
        if (m_streamer) {
            m_afterStop = AfterStop::GoIdle;
            setState(WorkerState::Stopping);
            return Result<>::success(QStringLiteral("stopping"));
        }
        cancelPlans();
        setState(WorkerState::Idle);
        return Result<>::success(QStringLiteral("stopped; the pending restart is cancelled"));
    case WorkerState::Starting:
    case WorkerState::Running:
        m_wantRunning = false;
        setState(WorkerState::Stopping);
        stopStreamer(AfterStop::GoIdle);
        return Result<>::success(QStringLiteral("stopping"));
    }
    return Result<>::failure(QStringLiteral("unknown state"));
}

Result<> Worker::restart()
{
    switch (m_state) {
    case WorkerState::Idle:
    case WorkerState::Restarting:
        return start();
    case WorkerState::Stopping:
        m_wantRunning = true;
        m_afterStop = AfterStop::StartNow;
        return Result<>::success(QStringLiteral("stopping; it starts again once stopped"));
    case WorkerState::Starting:
    case WorkerState::Running:
        m_wantRunning = true;
        m_policy.reset();
        m_plan = QStringLiteral("restart asked for");
        setState(WorkerState::Restarting);
        stopStreamer(AfterStop::StartNow);
        return Result<>::success(QStringLiteral("restarting"));
    }
    return Result<>::failure(QStringLiteral("unknown state"));
}

void Worker::applyConfig(const WorkerConfig &config)
{
    const bool needsRestart = config.command != m_config.command || config.streamerType != m_config.streamerType;
    const bool watchdogChanged = !(config.imageWatchdog == m_config.imageWatchdog);
    m_config = config;
    if (needsRestart && (m_state == WorkerState::Starting || m_state == WorkerState::Running)) {
        appendLog(LogLevel::Information, QStringLiteral("configuration changed; restarting"));
        (void)restart(); // running or starting: it restarts
    } else if (watchdogChanged) {
        armLivenessTimer();
    }
}

void Worker::relaunch()
{
    (void)beginStart(); // a failure is in the worker's state, last error and log, as every start's
}

Result<> Worker::beginStart()
{
    m_onHold = false;
    if (m_env.admit) {
        if (const QString refused = m_env.admit(m_config); !refused.isEmpty()) {
            // Not a failure to retry: the worker stays Idle and says why.
            m_wantRunning = false;
            setLastError(refused);
            appendLog(LogLevel::Error, QStringLiteral("not started: %1").arg(refused));
            const WorkerLogScope scope(id());
            qCWarning(lcWorker).noquote() << "worker" << m_config.name << "(" << id() << ") not started:" << refused;
            setState(WorkerState::Idle);
            return Result<>::failure(refused);
        }
    }
    auto made = m_env.factory ? m_env.factory->create(m_config.streamerType)
                              : Result<std::unique_ptr<Streamer>>::failure(QStringLiteral("no streamer factory"));
    m_streamer = std::move(made.value);
    if (!made.ok) {
        const QString &error = made.message;
        m_wantRunning = false;
        setLastError(error);
        appendLog(LogLevel::Error, QStringLiteral("cannot start: %1").arg(error));
        setState(WorkerState::Idle);
        return Result<>::failure(error);
    }
    Streamer *s = m_streamer.get();
    connect(s, &Streamer::producing, this, &Worker::onProducing);
    connect(s, &Streamer::picture, this, &Worker::onPicture);
    connect(s, &Streamer::logLine, this, [this](LogLevel level, const QString &text) {
        const WorkerLogScope scope(id());
        qCDebug(lcWorkerOutput).noquote() << m_config.name << text;
        appendLog(level, text);
    });
    connect(s, &Streamer::failed, this, [this](const QString &reason, FailureKind kind) {
        onStreamerEnded(WatchdogEvent::Cause::Failed, reason, kind);
    });
    connect(s, &Streamer::ended, this, [this] { onStreamerEnded(WatchdogEvent::Cause::Ended, QStringLiteral("the stream ended")); });
    connect(s, &Streamer::stopped, this, [this] { onStreamerEnded(WatchdogEvent::Cause::Ended, QString()); });

    m_afterStop = AfterStop::GoIdle;
    m_startedAt = currentTime();
    m_lastPictureAt = {};
    m_runningSince = {};
    setState(WorkerState::Starting);
    armLivenessTimer();
    StreamerConfig sc;
    sc.workerId = m_config.id;
    sc.name = m_config.name;
    sc.command = m_config.command;
    sc.previewFps = m_env.previewFps;
    s->start(sc);
    return Result<>::success(QStringLiteral("starting"));
}

void Worker::onProducing()
{
    if (m_state != WorkerState::Starting)
        return;
    m_runningSince = currentTime();
    if (m_lastPictureAt == TimePoint{})
        m_lastPictureAt = m_runningSince;
    if (!m_lastError.isEmpty())
        setLastError({});
    setState(WorkerState::Running);
    armLivenessTimer();
}

void Worker::onPicture(const QByteArray &jpeg)
{
    m_lastPicture = jpeg;
    ++m_pictureSequence;
    m_lastPictureTime = QDateTime::currentDateTimeUtc();
    m_lastPictureAt = currentTime();
    if (m_state == WorkerState::Starting)
        onProducing();
    // A command that makes 25 JPEGs a second must not make the wall decode
    // and the hubs carry 25: announce the newest at most previewFps times a second.
    if (m_pictureAnnouncement.isActive())
        return; // it will announce this picture
    const auto gap = m_env.previewFps > 0 ? duration_cast<milliseconds>(duration<double>(1.0 / m_env.previewFps)) : 0ms;
    const auto since = duration_cast<milliseconds>(m_lastPictureAt - m_lastAnnouncedAt);
    if (m_lastAnnouncedAt != TimePoint{} && since < gap) {
        m_pictureAnnouncement.start(m_lastAnnouncedAt + gap, [this] { announcePicture(); });
        return;
    }
    announcePicture();
}

void Worker::announcePicture()
{
    m_lastAnnouncedAt = currentTime();
    Q_EMIT pictureUpdated();
}

void Worker::onStreamerEnded(WatchdogEvent::Cause cause, const QString &reason, FailureKind kind)
{
    // `reason` is empty for a stop we asked for.
    const bool asked = reason.isEmpty();
    releaseStreamer();
    m_livenessTimer.stop();

    if (!asked && m_wantRunning && m_afterStop == AfterStop::GoIdle) {
        setLastError(reason);
        appendLog(cause == WatchdogEvent::Cause::Ended ? LogLevel::Warning : LogLevel::Error, reason);
        planRestart(cause, reason, kind);
        scheduleRestartTimer();
        return;
    }
    if (!asked && !m_wantRunning) {
        setLastError(reason);
        appendLog(LogLevel::Error, reason);
    }
    switch (m_afterStop) {
    case AfterStop::StartNow:
        if (m_wantRunning) {
            relaunch();
            return;
        }
        break;
    case AfterStop::StartPerPlan:
        if (m_wantRunning) {
            scheduleRestartTimer();
            return;
        }
        break;
    case AfterStop::GoIdle:
        break;
    }
    m_afterStop = AfterStop::GoIdle;
    setState(WorkerState::Idle);
}

void Worker::releaseStreamer()
{
    if (!m_streamer)
        return;
    m_streamer->disconnect(this);
    // The streamer may be inside its own signal emission: delete it later.
    m_streamer.release()->deleteLater();
}

void Worker::stopStreamer(AfterStop then)
{
    m_afterStop = then;
    m_livenessTimer.stop();
    if (m_streamer)
        m_streamer->stop();
}

void Worker::planRestart(WatchdogEvent::Cause cause, const QString &reason, FailureKind kind)
{
    const auto now = currentTime();
    WatchdogEvent event;
    event.workerId = id();
    event.timestamp = QDateTime::currentDateTimeUtc();
    event.cause = cause;
    event.restartCause = restartCauseOf(cause, kind);
    event.logs = m_log.last(m_env.logLinesPerEvent);

    const RestartDecision d = m_policy.onFailure(now, m_runningSince, m_env.random01());
    m_plan = d.explanation;
    m_nextStartAt = now + d.delay;
    m_onHold = d.kind == RestartDecision::Kind::Hold;
    event.message = QStringLiteral("%1: %2; %3").arg(causeName(cause), reason, d.explanation);
    {
        // A restart is worth a warning to whoever reads the journal; giving up is an error.
        const WorkerLogScope scope(id());
        if (m_onHold) {
            event.cause = WatchdogEvent::Cause::Hold;
            qCCritical(lcWorker).noquote() << "worker" << m_config.name << "(" << id() << "):" << event.message;
        } else {
            qCWarning(lcWorker).noquote() << "worker" << m_config.name << "(" << id() << "):" << event.message;
        }
    }
    appendLog(m_onHold ? LogLevel::Error : LogLevel::Warning, QStringLiteral("watchdog: %1").arg(event.message));
    setWatchdogEventCount(m_watchdogEventCount + 1);
    Q_EMIT watchdogTriggered(event);
    Q_EMIT statusChanged();
}

void Worker::scheduleRestartTimer()
{
    m_afterStop = AfterStop::GoIdle;
    const qint64 ms = msUntil(currentTime(), m_nextStartAt);
    if (!m_onHold && ms == 0) {
        setState(WorkerState::Restarting);
        relaunch();
        return;
    }
    setState(m_onHold ? WorkerState::Idle : WorkerState::Restarting);
    m_restartTimer.start(m_nextStartAt, [this] {
        if (m_wantRunning && !m_streamer)
            relaunch();
    });
}

void Worker::cancelPlans()
{
    m_restartTimer.stop();
    if (m_onHold) {
        m_onHold = false;
        Q_EMIT statusChanged();
    }
    m_plan.clear();
}

void Worker::armLivenessTimer()
{
    m_livenessTimer.stop();
    const auto &wd = m_config.imageWatchdog;
    if (!wd.enabled || !m_streamer || (m_state != WorkerState::Starting && m_state != WorkerState::Running))
        return;
    const auto deadline = pictureDeadline(m_startedAt, m_lastPictureAt, wd.graceTime, std::max(wd.interval, kMinWatchdogInterval));
    m_livenessTimer.start(deadline, [this] { checkLiveness(); });
}

void Worker::checkLiveness()
{
    const auto &wd = m_config.imageWatchdog;
    if (!wd.enabled || !m_streamer || !m_wantRunning)
        return;
    const auto now = currentTime();
    const auto interval = std::max(wd.interval, kMinWatchdogInterval);
    if (now < pictureDeadline(m_startedAt, m_lastPictureAt, wd.graceTime, interval)) {
        armLivenessTimer();
        return;
    }
    const auto since = m_lastPictureAt == TimePoint{} ? m_startedAt : m_lastPictureAt;
    const QString reason = m_lastPictureAt == TimePoint{}
        ? QStringLiteral("no picture within %1 s of the start").arg(seconds1(duration_cast<milliseconds>(now - since)))
        : QStringLiteral("no picture for %1 s").arg(seconds1(duration_cast<milliseconds>(now - since)));
    setLastError(reason);
    planRestart(WatchdogEvent::Cause::Stalled, reason);
    setState(m_onHold ? WorkerState::Stopping : WorkerState::Restarting);
    stopStreamer(AfterStop::StartPerPlan);
}

void Worker::setState(WorkerState state)
{
    if (state == m_state)
        return;
    m_state = state;
    const WorkerLogScope scope(id());
    qCDebug(lcWorker).noquote() << m_config.name << "->" << stateName(state);
    Q_EMIT stateChanged(state);
}

void Worker::setLastError(const QString &error)
{
    if (error == m_lastError)
        return;
    m_lastError = error;
    Q_EMIT statusChanged();
}

void Worker::appendLog(LogLevel level, const QString &text)
{
    const LogEntry &entry = m_log.append(level, text);
    Q_EMIT logAppended(entry);
}

} // namespace se
