#include "ShutdownGuard.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace se {

namespace {
int g_pipe[2] = {-1, -1};
std::atomic<bool> g_armed{false};
static_assert(std::atomic<bool>::is_always_lock_free, "arm() runs inside a signal handler");

// The parent, process group and state of `pid` from /proc/PID/stat.
bool readStat(pid_t pid, pid_t *parent, pid_t *group, char *state)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[1024];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *end = std::strrchr(buf, ')'); // the name may hold spaces and ')'
    if (!end)
        return false;
    int ppid = 0, pgrp = 0;
    char st = 0;
    if (std::sscanf(end + 1, " %c %d %d", &st, &ppid, &pgrp) != 3)
        return false;
    *parent = pid_t(ppid);
    *group = pid_t(pgrp);
    *state = st;
    return true;
}

void guardThread(std::chrono::milliseconds deadline, int exitCode)
{
    char c = 0;
    while (::read(g_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    timespec until{};
    ::clock_gettime(CLOCK_MONOTONIC, &until);
    const auto ms = deadline.count();
    until.tv_sec += time_t(ms / 1000);
    until.tv_nsec += long(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
    }
    char line[160];
    const int n = std::snprintf(line, sizeof line,
                                "streamengine: still running %lld ms after the shutdown began; killing what is left and exiting %d\n",
                                static_cast<long long>(ms), exitCode);
    if (n > 0) {
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, line, size_t(n));
    }
    ShutdownGuard::killChildren();
    ::_exit(exitCode);
}
} // namespace

void ShutdownGuard::install(std::chrono::milliseconds deadline, int exitCode)
{
    if (g_pipe[0] >= 0 || ::pipe2(g_pipe, O_CLOEXEC) != 0)
        return;
    ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
    std::thread(guardThread, deadline, exitCode).detach(); // never joined: it ends with the process
}

void ShutdownGuard::arm() noexcept
{
    if (g_pipe[1] < 0 || g_armed.exchange(true))
        return;
    const char c = 'x';
    [[maybe_unused]] auto n = ::write(g_pipe[1], &c, 1);
}

int ShutdownGuard::killChildren() noexcept
{
    const pid_t self = ::getpid();
    const pid_t ownGroup = ::getpgrp();
    DIR *proc = ::opendir("/proc");
    if (!proc)
        return 0;
    int killed = 0;
    while (const dirent *e = ::readdir(proc)) {
        char *end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || !end || *end != '\0')
            continue;
        pid_t parent = 0, group = 0;
        char state = 0;
        if (!readStat(pid_t(pid), &parent, &group, &state) || parent != self || state == 'Z' || state == 'X')
            continue;
        // A child that leads its own group (a pipeline host) takes its group along.
        if (group == pid_t(pid) && group != ownGroup)
            ::kill(-group, SIGKILL);
        ::kill(pid_t(pid), SIGKILL);
        ++killed;
    }
    ::closedir(proc);
    return killed;
}

} // namespace se
