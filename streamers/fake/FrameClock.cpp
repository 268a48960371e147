#include "FrameClock.h"

#include <QCoreApplication>

#include <algorithm>
#include <map>

namespace se::fake {

FrameClock::FrameClock(int intervalMs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &FrameClock::tick);
}

FrameClock *FrameClock::forInterval(int intervalMs)
{
    // Per thread, as timers are; gone with the application object.
    thread_local std::map<int, QPointer<FrameClock>> clocks;
    QPointer<FrameClock> &clock = clocks[intervalMs];
    if (!clock) {
        clock = new FrameClock(intervalMs);
        QCoreApplication *app = QCoreApplication::instance();
        if (app && app->thread() == clock->thread())
            clock->setParent(app);
    }
    return clock;
}

std::uint64_t FrameClock::add(Tick tick)
{
    const std::uint64_t id = m_nextId++;
    m_members.push_back({id, std::move(tick)});
    if (!m_timer.isActive())
        m_timer.start();
    return id;
}

void FrameClock::remove(std::uint64_t id)
{
    const auto it = std::find_if(m_members.begin(), m_members.end(), [id](const Member &m) { return m.id == id; });
    if (it == m_members.end())
        return;
    if (m_ticking) {
        it->tick = nullptr; // tick() drops it
        return;
    }
    m_members.erase(it);
    if (m_members.empty())
        m_timer.stop();
}

void FrameClock::tick()
{
    m_ticking = true;
    // By index: a member's tick may make others join (appended, they wait for
    // the next tick) or leave (emptied here, dropped below).
    const std::size_t count = m_members.size();
    for (std::size_t i = 0; i < count; ++i) {
        if (m_members[i].tick) {
            const Tick t = m_members[i].tick; // a copy: leaving empties the member
            t();
        }
    }
    m_ticking = false;
    std::erase_if(m_members, [](const Member &m) { return !m.tick; });
    if (m_members.empty())
        m_timer.stop();
}

void FrameClock::Membership::join(int intervalMs, Tick tick)
{
    leave();
    m_clock = forInterval(intervalMs);
    m_id = m_clock->add(std::move(tick));
}

void FrameClock::Membership::leave()
{
    if (m_clock)
        m_clock->remove(m_id);
    m_clock = nullptr;
}

} // namespace se::fake
