#pragma once

#include <QHash>
#include <QJsonArray>
#include <QString>

#include <deque>
#include <optional>

namespace se {

// One message on its way to a hub: a method and its arguments, whose base
// fields (engineId, sequenceNumber) are filled in when it leaves, and its
// timestamp from the stamp it was made with.
struct OutgoingMessage {
    enum class Kind { Control, WorkerEvent, EngineEvent, Log, Image, Metric };
    Kind kind = Kind::Control;
    QString method;
    QJsonArray arguments;
    // In place of arguments: the one argument object's own fields, written as
    // JSON once for every hub (contract::workerImageFields); each link adds its
    // base fields (contract::withBaseFields).
    QByteArray fields;
    QString key;        // Image: the worker; only the newest per key is kept
    qint64 created = 0; // its stamp (contract::Stamp): when it was made, the engine-wide order
};

// A hub's outgoing queue: bounded, and knowing what matters. Only the newest
// thumbnail per worker and the newest metric wait; events and logs are
// bounded, and what falls off is counted so that it can be reported.
class OutgoingQueue {
public:
    struct Limits {
        int events = 5000;
        int logs = 2000;
    };
    struct Dropped {
        qint64 events = 0;
        qint64 logs = 0;
        qint64 images = 0; // replaced by a newer picture before being sent
        bool any() const { return events || logs; }
    };

    OutgoingQueue() = default;
    explicit OutgoingQueue(Limits limits) : m_limits(limits) {}

    void push(OutgoingMessage message);
    // Control first, then events, the metric, pictures (a worker at a time), logs.
    std::optional<OutgoingMessage> pop();
    // After a synchronisation: worker events made before it are stale.
    void dropWorkerEventsBefore(qint64 created);
    void clear();

    int size() const;
    bool isEmpty() const { return size() == 0; }
    // What was dropped since the last call.
    Dropped takeDropped();
    Dropped droppedTotal() const { return m_droppedTotal; }

private:
    void countDrop(qint64 Dropped::*field);

    Limits m_limits;
    std::deque<OutgoingMessage> m_control;
    std::deque<OutgoingMessage> m_events;
    std::deque<OutgoingMessage> m_logs;
    std::optional<OutgoingMessage> m_metric;
    QHash<QString, OutgoingMessage> m_images;
    std::deque<QString> m_imageOrder;
    Dropped m_dropped;
    Dropped m_droppedTotal;
};

} // namespace se
