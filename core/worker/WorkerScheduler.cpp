#include "WorkerScheduler.h"

#include <algorithm>
#include <climits>

namespace se {

using namespace std::chrono;

WorkerScheduler::~WorkerScheduler() = default;

WorkerScheduler::Handle WorkerScheduler::schedule(TimePoint deadline, Callback callback)
{
    const Handle handle = m_next++;
    m_calls.emplace(handle, std::move(callback));
    m_heap.push_back({deadline, handle});
    std::push_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    earliestChanged();
    return handle;
}

void WorkerScheduler::cancel(Handle handle)
{
    if (!m_calls.erase(handle))
        return;
    // Entries of cancelled calls are skipped when they surface; rebuild the
    // heap once they outnumber the live ones, so that it stays O(live calls).
    if (m_heap.size() > 2 * m_calls.size() + 64) {
        std::erase_if(m_heap, [this](const Entry &e) { return !m_calls.count(e.handle); });
        std::make_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    }
}

void WorkerScheduler::dropCancelledTop()
{
    while (!m_heap.empty() && !m_calls.count(m_heap.front().handle)) {
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        m_heap.pop_back();
    }
}

bool WorkerScheduler::earliest(TimePoint *deadline)
{
    dropCancelledTop();
    if (m_heap.empty())
        return false;
    *deadline = m_heap.front().deadline;
    return true;
}

void WorkerScheduler::runDue(TimePoint now)
{
    for (;;) {
        dropCancelledTop();
        if (m_heap.empty() || m_heap.front().deadline > now)
            break;
        const Handle handle = m_heap.front().handle;
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        m_heap.pop_back();
        auto it = m_calls.find(handle);
        Callback callback = std::move(it->second);
        m_calls.erase(it);
        callback(); // may schedule and cancel, even destroy what scheduled it
    }
    earliestChanged();
}

// ---- TimerScheduler

namespace {
// Deadlines are rounded up to this grid, so that calls due within a few
// milliseconds of each other run on one wake-up. Never early: a thumbnail
// announced on time or a little late keeps previewFps.
constexpr auto kTick = 5ms;
} // namespace

TimerScheduler::TimerScheduler(QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer); // one timer for every worker; the grid above coalesces
    connect(&m_timer, &QTimer::timeout, this, &TimerScheduler::onTimeout);
}

void TimerScheduler::earliestChanged()
{
    if (m_running)
        return; // onTimeout arms the timer once every due call has run
    TimePoint deadline;
    if (!earliest(&deadline)) {
        m_timer.stop();
        m_armedFor = TimePoint::max();
        return;
    }
    const milliseconds ms = ceil<milliseconds>(deadline.time_since_epoch());
    const TimePoint onGrid{duration_cast<Clock::duration>((ms + kTick - 1ms) / kTick * kTick)};
    if (m_timer.isActive() && onGrid >= m_armedFor)
        return; // an earlier wake-up is armed already: it re-arms for this one
    m_armedFor = onGrid;
    m_timer.start(int(std::clamp<qint64>(ceil<milliseconds>(onGrid - now()).count(), 0, INT_MAX)));
}

void TimerScheduler::onTimeout()
{
    m_armedFor = TimePoint::max();
    m_running = true;
    runDue(now());
    m_running = false;
    earliestChanged();
}

// ---- SimulatedScheduler

void SimulatedScheduler::advance(milliseconds by)
{
    const TimePoint target = m_now + by;
    TimePoint next;
    while (earliest(&next) && next <= target) {
        m_now = std::max(m_now, next);
        runDue(m_now);
    }
    m_now = target;
}

bool SimulatedScheduler::advanceToNext()
{
    TimePoint next;
    if (!earliest(&next))
        return false;
    m_now = std::max(m_now, next);
    runDue(m_now);
    return true;
}

// ---- ScheduledCall

void ScheduledCall::start(TimePoint deadline, WorkerScheduler::Callback callback)
{
    stop();
    // The handle is forgotten as the call runs, so that the callback may arm it again.
    m_handle = m_scheduler->schedule(deadline, [this, callback = std::move(callback)] {
        m_handle = 0;
        callback();
    });
}

void ScheduledCall::stop()
{
    if (m_handle && m_scheduler)
        m_scheduler->cancel(m_handle);
    m_handle = 0;
}

} // namespace se
