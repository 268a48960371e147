#include "ThreadInbox.h"

#include <QCoreApplication>
#include <QEvent>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace se {

namespace {

void released(void *handOver)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_release(handOver);
#else
    Q_UNUSED(handOver);
#endif
}

void acquired(void *handOver)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(handOver);
#else
    Q_UNUSED(handOver);
#endif
}

const QEvent::Type kPostedCall = QEvent::Type(QEvent::registerEventType());

class PostedCall final : public QEvent {
public:
    explicit PostedCall(std::function<void()> call) : QEvent(kPostedCall), m_call(std::move(call)) {}
    // Also when Qt drops the event with its receiver: the call's captures die here.
    ~PostedCall() override { acquired(this); }
    void run() { m_call(); }

private:
    std::function<void()> m_call;
};

} // namespace

void ThreadInbox::post(std::function<void()> call)
{
    auto *e = new PostedCall(std::move(call));
    released(e);
    QCoreApplication::postEvent(this, e);
}

bool ThreadInbox::event(QEvent *e)
{
    acquired(e); // before anything of the event is read, its type included
    if (e->type() == kPostedCall) {
        static_cast<PostedCall *>(e)->run();
        return true;
    }
    return QObject::event(e);
}

} // namespace se
