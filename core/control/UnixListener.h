#pragma once

#include "common/Result.h"

#include <QObject>
#include <QString>
#include <QTimer>

class QSocketNotifier;

namespace se {

// The control socket's listening end. QLocalServer (Qt 6.4) closes itself and
// removes its socket file on the first accept() that fails (e.g. EMFILE when
// the process is out of descriptors), without telling anyone. This one, when
// accept() fails, says so once, pauses, and tries again every kRetryMs until
// it accepts again (and says that too); its socket file stays while it lives.
class UnixListener : public QObject {
    Q_OBJECT
public:
    static constexpr int kRetryMs = 250;
    static constexpr int kBacklog = 128;

    explicit UnixListener(QObject *parent = nullptr);
    // Closes, and removes the socket file if it is still the one it made.
    ~UnixListener() override;

    // Binds `path` (0600; a stale socket file there is replaced) and listens.
    Result<> listen(const QString &path);
    void close();
    QString path() const { return m_path; }
    bool isPaused() const { return m_failingSince >= 0; }

Q_SIGNALS:
    // A connected, non-blocking, close-on-exec descriptor; the receiver owns it.
    void accepted(qintptr descriptor);

private:
    void acceptPending();

    QString m_path;
    int m_fd = -1;
    quint64 m_device = 0;
    quint64 m_inode = 0;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry;
    qint64 m_failingSince = -1; // ms since epoch, while accept() fails
};

} // namespace se
