#include "OutgoingQueue.h"

#include <algorithm>

namespace se {

void OutgoingQueue::countDrop(qint64 Dropped::*field)
{
    ++(m_dropped.*field);
    ++(m_droppedTotal.*field);
}

void OutgoingQueue::push(OutgoingMessage m)
{
    using Kind = OutgoingMessage::Kind;
    switch (m.kind) {
    case Kind::Control:
        m_control.push_back(std::move(m));
        break;
    case Kind::WorkerEvent:
    case Kind::EngineEvent:
        if (int(m_events.size()) >= m_limits.events) {
            m_events.pop_front();
            countDrop(&Dropped::events);
        }
        m_events.push_back(std::move(m));
        break;
    case Kind::Log:
        if (int(m_logs.size()) >= m_limits.logs) {
            m_logs.pop_front();
            countDrop(&Dropped::logs);
        }
        m_logs.push_back(std::move(m));
        break;
    case Kind::Metric:
        m_metric = std::move(m);
        break;
    case Kind::Image: {
        auto it = m_images.find(m.key);
        if (it != m_images.end()) {
            *it = std::move(m); // keeps its turn in line
            countDrop(&Dropped::images);
        } else {
            m_imageOrder.push_back(m.key);
            m_images.insert(m.key, std::move(m));
        }
        break;
    }
    }
}

std::optional<OutgoingMessage> OutgoingQueue::pop()
{
    auto take = [](std::deque<OutgoingMessage> &q) {
        OutgoingMessage m = std::move(q.front());
        q.pop_front();
        return m;
    };
    if (!m_control.empty())
        return take(m_control);
    if (!m_events.empty())
        return take(m_events);
    if (m_metric) {
        auto m = std::move(m_metric);
        m_metric.reset();
        return m;
    }
    if (!m_imageOrder.empty()) {
        const QString key = m_imageOrder.front();
        m_imageOrder.pop_front();
        return m_images.take(key);
    }
    if (!m_logs.empty())
        return take(m_logs);
    return std::nullopt;
}

void OutgoingQueue::dropWorkerEventsBefore(qint64 created)
{
    std::erase_if(m_events, [created](const OutgoingMessage &m) {
        return m.kind == OutgoingMessage::Kind::WorkerEvent && m.created < created;
    });
}

void OutgoingQueue::clear()
{
    m_control.clear();
    m_events.clear();
    m_logs.clear();
    m_metric.reset();
    m_images.clear();
    m_imageOrder.clear();
}

int OutgoingQueue::size() const
{
    return int(m_control.size() + m_events.size() + m_logs.size() + m_images.size()) + (m_metric ? 1 : 0);
}

OutgoingQueue::Dropped OutgoingQueue::takeDropped()
{
    return std::exchange(m_dropped, Dropped{});
}

} // namespace se
