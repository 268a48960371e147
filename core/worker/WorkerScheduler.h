#pragma once

#include "RestartPolicy.h" // Clock, TimePoint

#include <QObject>
#include <QTimer>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace se {

// The workers' clock and their timers: a call at a deadline, cancelled by its
// handle. Every deadline of every worker lives in one min-heap, so (re)arming
// one is O(log n) and never a Qt timer of its own; what runs them is the
// subclass's: one QTimer for the engine (TimerScheduler), a clock the test
// advances (SimulatedScheduler). Main thread only, like the workers.
class WorkerScheduler {
public:
    using Handle = std::uint64_t; // 0 is no call
    using Callback = std::function<void()>;

    virtual ~WorkerScheduler();
    virtual TimePoint now() const = 0;

    // `callback` runs once, at or after `deadline`; calls due together run in
    // deadline order, then in the order they were scheduled.
    Handle schedule(TimePoint deadline, Callback callback);
    // Harmless for a call that ran or was cancelled, and for 0.
    void cancel(Handle handle);
    bool isPending(Handle handle) const { return m_calls.count(handle) > 0; }
    std::size_t pendingCount() const { return m_calls.size(); }
    // Calls scheduled so far (for tests: what arming costs).
    std::uint64_t scheduledCount() const { return m_next - 1; }

protected:
    // The earliest pending deadline; false when nothing is pending.
    bool earliest(TimePoint *deadline);
    // Runs every call due at `now`, including those scheduled meanwhile for `now` or before.
    void runDue(TimePoint now);
    // The earliest deadline may have changed (a call was scheduled or ran).
    virtual void earliestChanged() {}

private:
    struct Entry {
        TimePoint deadline;
        std::uint64_t handle; // also the order of scheduling
        bool operator>(const Entry &o) const { return deadline != o.deadline ? deadline > o.deadline : handle > o.handle; }
    };
    void dropCancelledTop();

    std::vector<Entry> m_heap; // cancelled entries stay until they surface (or the heap is compacted)
    std::unordered_map<Handle, Callback> m_calls;
    Handle m_next = 1;
};

// The engine's: the steady clock and ONE coarse-enough QTimer armed to the
// earliest deadline, however many workers there are.
class TimerScheduler : public QObject, public WorkerScheduler {
    Q_OBJECT
public:
    explicit TimerScheduler(QObject *parent = nullptr);
    TimePoint now() const override { return Clock::now(); }

protected:
    void earliestChanged() override;

private:
    void onTimeout();

    QTimer m_timer;
    TimePoint m_armedFor = TimePoint::max();
    bool m_running = false;
};

// For tests: time stands still until advance() moves it, running every call
// that falls due on the way at its own deadline, in order. No event loop.
class SimulatedScheduler : public WorkerScheduler {
public:
    explicit SimulatedScheduler(TimePoint start = TimePoint{} + std::chrono::hours(1)) : m_now(start) {}
    TimePoint now() const override { return m_now; }
    void advance(std::chrono::milliseconds by);
    // Advances to the next pending deadline (false if none).
    bool advanceToNext();

private:
    TimePoint m_now;
};

// One call a worker keeps at most pending (its restart, its liveness check...):
// arming it again replaces the previous one; it is cancelled when destroyed.
class ScheduledCall {
public:
    explicit ScheduledCall(WorkerScheduler *scheduler = nullptr) : m_scheduler(scheduler) {}
    ~ScheduledCall() { stop(); }
    ScheduledCall(const ScheduledCall &) = delete;
    ScheduledCall &operator=(const ScheduledCall &) = delete;

    void setScheduler(WorkerScheduler *scheduler) { stop(); m_scheduler = scheduler; }
    void start(TimePoint deadline, WorkerScheduler::Callback callback);
    void stop();
    bool isActive() const { return m_handle != 0; }

private:
    WorkerScheduler *m_scheduler;
    WorkerScheduler::Handle m_handle = 0;
};

} // namespace se
