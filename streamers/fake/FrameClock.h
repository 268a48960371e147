#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <cstdint>
#include <functional>
#include <vector>

namespace se::fake {

// One timer per picture interval for all the FakeStreamers of a thread,
// instead of a timer each: Qt keeps active timers in a sorted list, so that
// every restart of a repeating timer costs O(timers), and a timer each made
// the cost of one FakeStreamer grow with their number. Members tick in the
// order they joined; one that joins during a tick waits for the next.
class FrameClock : public QObject {
    Q_OBJECT
public:
    using Tick = std::function<void()>;

    // A member ticks every `intervalMs` from its join until it leaves (or is destroyed).
    class Membership {
    public:
        Membership() = default;
        ~Membership() { leave(); }
        Membership(const Membership &) = delete;
        Membership &operator=(const Membership &) = delete;
        void join(int intervalMs, Tick tick);
        void leave();
        bool isActive() const { return !m_clock.isNull(); }

    private:
        QPointer<FrameClock> m_clock;
        std::uint64_t m_id = 0;
    };

private:
    explicit FrameClock(int intervalMs);
    static FrameClock *forInterval(int intervalMs);
    std::uint64_t add(Tick tick);
    void remove(std::uint64_t id);
    void tick();

    struct Member {
        std::uint64_t id;
        Tick tick; // empty once it left during a tick
    };
    QTimer m_timer;
    std::vector<Member> m_members;
    std::uint64_t m_nextId = 1;
    bool m_ticking = false;
};

} // namespace se::fake
