#pragma once

#include <QString>

#include <chrono>
#include <deque>

namespace se {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct RestartPolicySettings {
    std::chrono::milliseconds firstBackoff{500};
    std::chrono::milliseconds maxBackoff{30000};
    std::chrono::milliseconds stableAfter{60000};  // running this long forgives past failures
    int maxRestartsInWindow = 5;
    std::chrono::milliseconds window{60000};
    std::chrono::milliseconds holdFor{120000};     // cool-down after the budget is spent
    double jitter = 0.2;                           // +-20% on every non-zero delay
};

struct RestartDecision {
    enum class Kind { Restart, Hold } kind = Kind::Restart;
    std::chrono::milliseconds delay{0}; // until the next start attempt
    int attempt = 0;                    // restarts within the window, this one included
    int budget = 0;                     // restarts allowed within the window
    QString explanation;                // for the operator: what happens and why
};

// The watchdog's restart decision, and nothing else: pure, clock and chance
// injected, so tests drive it without sleeping. The first restart is at once,
// later ones back off (doubling, capped, jittered so that many workers do not
// restart in step); too many in a window end in a visible hold.
class RestartPolicy {
public:
    explicit RestartPolicy(RestartPolicySettings settings = {}) : m_settings(settings) {}

    // A failure happened at `now`; `runningSince` is when the worker last
    // became Running (TimePoint{} if it never did since the last decision).
    // `random01` is a uniform number in [0,1) for the jitter.
    RestartDecision onFailure(TimePoint now, TimePoint runningSince, double random01);

    void reset();
    const RestartPolicySettings &settings() const { return m_settings; }
    int consecutiveFailures() const { return m_consecutive; }

private:
    RestartPolicySettings m_settings;
    std::deque<TimePoint> m_restarts;
    int m_consecutive = 0;
};

// When a worker whose picture watchdog is on has shown no picture for too
// long: not before `grace` after the start, then `interval` after the later of
// the grace's end and the last picture.
TimePoint pictureDeadline(TimePoint startedAt, TimePoint lastPictureAt,
                          std::chrono::milliseconds grace, std::chrono::milliseconds interval);

} // namespace se
