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
// the cost of one FakeStreamer grow with their number.
//
// The interval is cut into slots about 5 ms apart and each member belongs to
// one slot (the emptiest when it joined): the timer fires once a slot, and a
// member still ticks once an interval. So 100 FakeStreamers at 5 fps render
// two or three pictures every 5 ms, as independent sources would, and not
// all 100 in one event every 200 ms (a 7 ms burst that anything else on the
// thread, a hub command's answer included, had to wait behind). Within a slot
// members tick in the order they joined; one that joins during a tick waits
// for its slot's next turn.
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
    bool empty() const;

    struct Member {
        std::uint64_t id;
        Tick tick; // empty once it left during a tick
    };
    QTimer m_timer;
    std::vector<std::vector<Member>> m_slots; // ticked one after the other, a timer period each
    std::size_t m_nextSlot = 0;               // the one the next timeout ticks
    std::uint64_t m_nextId = 1;
    bool m_ticking = false;
};

} // namespace se::fake
