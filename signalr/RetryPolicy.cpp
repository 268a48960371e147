#include "RetryPolicy.h"

#include <QRandomGenerator>
#include <algorithm>
#include <cmath>

namespace signalr {

RetryPolicy RetryPolicy::delays(const QList<int> &delaysMs)
{
    return RetryPolicy([delaysMs](const RetryContext &c) -> std::optional<int> {
        if (c.previousRetryCount < 0 || c.previousRetryCount >= delaysMs.size())
            return std::nullopt;
        return delaysMs.at(c.previousRetryCount);
    });
}

RetryPolicy RetryPolicy::forever(int baseMs, int capMs, double jitter)
{
    return RetryPolicy([=](const RetryContext &c) -> std::optional<int> {
        if (c.previousRetryCount == 0)
            return 0;
        const double exp = std::min(30, c.previousRetryCount - 1);
        const double raw = std::min<double>(capMs, baseMs * std::pow(2.0, exp));
        const double j = std::clamp(jitter, 0.0, 1.0);
        const double factor = 1.0 + j * (2.0 * QRandomGenerator::global()->generateDouble() - 1.0);
        return static_cast<int>(std::clamp(raw * factor, 0.0, double(capMs)));
    });
}

} // namespace signalr
