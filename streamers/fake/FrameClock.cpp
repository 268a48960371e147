#include "FrameClock.h"

#include <QCoreApplication>

#include <algorithm>
#include <map>

namespace se::fake {

namespace {
constexpr int kSlotMs = 5;

// The most slots at least kSlotMs apart that divide the interval exactly, so
// that a member's ticks stay exactly one interval apart.
int slotsFor(int intervalMs)
{
    for (int slots = std::max(1, intervalMs / kSlotMs); slots > 1; --slots)
        if (intervalMs % slots == 0)
            return slots;
    return 1;
}
} // namespace

FrameClock::FrameClock(int intervalMs) : m_slots(std::size_t(slotsFor(intervalMs)))
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs / int(m_slots.size()));
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
    auto emptiest = std::min_element(m_slots.begin(), m_slots.end(),
                                     [](const auto &a, const auto &b) { return a.size() < b.size(); });
    emptiest->push_back({id, std::move(tick)});
    if (!m_timer.isActive())
        m_timer.start();
    return id;
}

bool FrameClock::empty() const
{
    return std::all_of(m_slots.begin(), m_slots.end(), [](const auto &slot) { return slot.empty(); });
}

void FrameClock::remove(std::uint64_t id)
{
    for (auto &slot : m_slots) {
        const auto it = std::find_if(slot.begin(), slot.end(), [id](const Member &m) { return m.id == id; });
        if (it == slot.end())
            continue;
        if (m_ticking) {
            it->tick = nullptr; // tick() drops it
            return;
        }
        slot.erase(it);
        if (empty())
            m_timer.stop();
        return;
    }
}

void FrameClock::tick()
{
    const std::size_t index = m_nextSlot;
    m_nextSlot = (m_nextSlot + 1) % m_slots.size();
    m_ticking = true;
    // By index: a member's tick may make others join (they may land in this
    // slot, appended: they wait for its next turn) or leave (emptied here,
    // dropped below).
    const std::size_t count = m_slots[index].size();
    for (std::size_t i = 0; i < count; ++i) {
        if (m_slots[index][i].tick) {
            const Tick t = m_slots[index][i].tick; // a copy: leaving empties the member
            t();
        }
    }
    m_ticking = false;
    for (auto &slot : m_slots)
        std::erase_if(slot, [](const Member &m) { return !m.tick; });
    if (empty())
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
