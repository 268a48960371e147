#pragma once

#include <QObject>

class QSocketNotifier;

namespace se {

// Turns SIGINT and SIGTERM into a Qt signal on the main thread (self-pipe).
class SignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace se
