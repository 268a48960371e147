#pragma once
// The one back-off of the program, shared by layers that know nothing of each
// other (the watchdog's restarts in core/, the SignalR client's reconnects in
// signalr/): header only, no Qt.
#include <algorithm>
#include <cmath>

namespace se::common {

// The delay before retry `n` (1: the first after the one that failed) of a
// back-off that doubles from `firstMs` up to `capMs`, moved by up to
// +-`jitter` (0..1) of itself so that many that failed together do not come
// back in the same instant, and never past the cap. `random01`: uniform in [0, 1).
inline double backoffMs(int n, double firstMs, double capMs, double jitter, double random01)
{
    const double doubled = firstMs * std::pow(2.0, std::clamp(n - 1, 0, 30));
    const double capped = std::min(doubled, capMs);
    const double spread = std::clamp(jitter, 0.0, 1.0) * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
    return std::clamp(capped * (1.0 + spread), 0.0, capMs);
}

} // namespace se::common
