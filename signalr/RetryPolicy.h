#pragma once
#include <QList>
#include <QString>
#include <functional>
#include <optional>

namespace signalr {

struct RetryContext {
    int previousRetryCount = 0; // attempts made since the connection was lost
    qint64 elapsedMs = 0;       // since the connection was lost
    QString retryReason;        // why it was lost
};

// When to try again after a lost connection. nextDelayMs() returning nullopt
// stops reconnecting (the connection closes).
class RetryPolicy {
public:
    using Function = std::function<std::optional<int>(const RetryContext &)>;

    RetryPolicy() = default; // never reconnects
    explicit RetryPolicy(Function f) : m_f(std::move(f)) {}

    std::optional<int> nextDelayMs(const RetryContext &c) const { return m_f ? m_f(c) : std::nullopt; }
    bool enabled() const { return bool(m_f); }

    static RetryPolicy none() { return RetryPolicy(); }
    // The official clients' default: 0, 2, 10, 30 s, then give up.
    static RetryPolicy defaultPolicy() { return delays({0, 2000, 10000, 30000}); }
    // A fixed list of delays, then give up.
    static RetryPolicy delays(const QList<int> &delaysMs);
    // Forever: exponential from baseMs, capped at capMs, with +-jitter (0..1) so
    // that many clients do not come back in the same instant. The first retry is at once.
    static RetryPolicy forever(int baseMs = 1000, int capMs = 30000, double jitter = 0.2);

private:
    Function m_f;
};

} // namespace signalr
