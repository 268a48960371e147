#include "RetryPolicy.h"

#include "common/Backoff.h"

#include <QRandomGenerator>

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
        return static_cast<int>(se::common::backoffMs(c.previousRetryCount, baseMs, capMs, jitter, QRandomGenerator::global()->generateDouble()));
    });
}

} // namespace signalr
