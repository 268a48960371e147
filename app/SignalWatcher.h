#pragma once

#include <QObject>

class QSocketNotifier;

namespace se {

// Turns SIGINT and SIGTERM into a Qt signal on the main thread (self-pipe).
// `inHandler`, when given, also runs inside the signal handler itself (it must
// be async-signal-safe): what must happen even if the main thread is stuck.
class SignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(void (*inHandler)() noexcept = nullptr, QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace se
