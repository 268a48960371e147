#pragma once

#include <QObject>

#include <functional>

namespace se {

// Runs calls posted from any thread on the thread this object lives in, one
// event each, in the order posted: what QMetaObject::invokeMethod(obj, functor,
// Qt::QueuedConnection) does, with a hand-over ThreadSanitizer can follow.
// Distribution Qt is not built with it, so the lock of Qt's event queue is
// invisible to it, and a functor built on one thread and read on another was
// reported as a data race whenever the receiving thread took the event before
// it took the dispatcher's wake-up. Here each call is released by its poster
// and acquired by its runner (a no-op without -fsanitize=thread).
// Calls still pending when the inbox is destroyed are dropped unrun.
class ThreadInbox : public QObject {
public:
    using QObject::QObject;

    // Any thread, as long as this inbox is alive.
    void post(std::function<void()> call);

protected:
    bool event(QEvent *e) override;
};

} // namespace se
