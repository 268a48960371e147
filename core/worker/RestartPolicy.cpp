#include "RestartPolicy.h"

#include "common/Backoff.h"

#include <algorithm>
#include <cmath>

namespace se {

using namespace std::chrono;

RestartDecision RestartPolicy::onFailure(TimePoint now, TimePoint runningSince, double random01)
{
    if (runningSince != TimePoint{} && now - runningSince >= m_settings.stableAfter)
        m_consecutive = 0;
    while (!m_restarts.empty() && now - m_restarts.front() >= m_settings.window)
        m_restarts.pop_front();

    RestartDecision d;
    d.budget = m_settings.maxRestartsInWindow;
    const auto windowSeconds = duration_cast<seconds>(m_settings.window).count();
    if (int(m_restarts.size()) >= m_settings.maxRestartsInWindow) {
        d.kind = RestartDecision::Kind::Hold;
        d.delay = m_settings.holdFor;
        d.attempt = int(m_restarts.size());
        d.explanation = QStringLiteral("watchdog gave up: %1 restarts within %2 s; holding for %3 s before trying again")
                            .arg(m_restarts.size())
                            .arg(windowSeconds)
                            .arg(duration_cast<seconds>(m_settings.holdFor).count());
        m_restarts.clear();
        m_consecutive = 0;
        return d;
    }

    milliseconds delay{0};
    if (m_consecutive > 0)
        delay = milliseconds(llround(common::backoffMs(m_consecutive, double(m_settings.firstBackoff.count()),
                                                        double(m_settings.maxBackoff.count()), m_settings.jitter, random01)));
    ++m_consecutive;
    m_restarts.push_back(now);
    d.delay = delay;
    d.attempt = int(m_restarts.size());
    d.explanation = delay.count() == 0
        ? QStringLiteral("restart %1 of %2 within %3 s, now").arg(d.attempt).arg(d.budget).arg(windowSeconds)
        : QStringLiteral("restart %1 of %2 within %3 s, in %4 s")
              .arg(d.attempt).arg(d.budget).arg(windowSeconds).arg(delay.count() / 1000.0, 0, 'f', 1);
    return d;
}

void RestartPolicy::reset()
{
    m_restarts.clear();
    m_consecutive = 0;
}

TimePoint pictureDeadline(TimePoint startedAt, TimePoint lastPictureAt, milliseconds grace, milliseconds interval)
{
    return std::max(startedAt + grace, lastPictureAt) + interval;
}

} // namespace se
