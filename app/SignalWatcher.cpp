#include "SignalWatcher.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace se {

namespace {
int g_fds[2] = {-1, -1};
void (*g_inHandler)() noexcept = nullptr;

void onSignal(int sig)
{
    const int saved = errno;
    if (g_inHandler)
        g_inHandler();
    errno = saved;
    const char c = char(sig);
    [[maybe_unused]] auto n = ::write(g_fds[0], &c, 1);
    errno = saved;
}
} // namespace

SignalWatcher::SignalWatcher(void (*inHandler)() noexcept, QObject *parent) : QObject(parent)
{
    g_inHandler = inHandler;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_fds) != 0)
        return;
    m_notifier = new QSocketNotifier(g_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char c = 0;
        if (::read(g_fds[1], &c, 1) == 1)
            Q_EMIT terminationRequested(int(c));
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

} // namespace se
