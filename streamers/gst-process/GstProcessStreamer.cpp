#include "GstProcessStreamer.h"

#include "CommandLine.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace se::gst {

namespace {

constexpr qsizetype kMaxLine = 64 * 1024;

int pidfdOpen(pid_t pid)
{
#ifdef SYS_pidfd_open
    return int(::syscall(SYS_pidfd_open, pid, 0));
#else
    Q_UNUSED(pid);
    errno = ENOSYS;
    return -1;
#endif
}

// Child ends move above the descriptors the child will use (0..4).
int moveHigh(int fd)
{
    const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    ::close(fd);
    return high;
}

QByteArray unescape(const QByteArray &field)
{
    if (!field.contains('\\'))
        return field;
    QByteArray out;
    out.reserve(field.size());
    for (qsizetype i = 0; i < field.size(); ++i) {
        const char c = field.at(i);
        if (c == '\\' && i + 1 < field.size()) {
            const char e = field.at(++i);
            out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        } else {
            out += c;
        }
    }
    return out;
}

QString signalName(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? QStringLiteral("SIG%1").arg(QString::fromLatin1(abbrev)) : QString::number(sig);
}

void pluginAnchor() {}

} // namespace

QString GstProcessStreamer::hostExecutable()
{
    const QString env = qEnvironmentVariable("SE_GST_HOST");
    if (!env.isEmpty())
        return env.contains(QLatin1Char('/')) ? env : QStandardPaths::findExecutable(env);
    // The build tree has the host next to the program (bin/), an installed tree
    // in LIBEXECDIR/streamengine: both are looked for from the program and from
    // this plugin, the installed one by the relative paths CMake computed.
    QStringList candidates;
    const QString app = QCoreApplication::applicationDirPath();
    candidates << app + QStringLiteral("/se-gst-host") << app + QStringLiteral("/" SE_HOSTDIR_FROM_BINDIR "/se-gst-host");
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&pluginAnchor), &info) && info.dli_fname) {
        const QString dir = QFileInfo(QString::fromLocal8Bit(info.dli_fname)).absolutePath();
        candidates << dir + QStringLiteral("/" SE_HOSTDIR_FROM_PLUGINDIR "/se-gst-host")
                   << dir + QStringLiteral("/../bin/se-gst-host");
    }
    for (const QString &c : candidates) {
        const QFileInfo fi(c);
        if (fi.isFile() && fi.isExecutable())
            return fi.canonicalFilePath();
    }
    return QString();
}

GstProcessStreamer::GstProcessStreamer(QObject *parent) : StreamerBase(parent)
{
    m_killTimer.setSingleShot(true);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        if (m_pid <= 0)
            return;
        Q_EMIT logLine(LogLevel::Warning,
                       QStringLiteral("pipeline process %1 did not end in time: SIGKILL to its process group").arg(m_pid));
        killGroup(SIGKILL);
    });
    m_reapPoll.setInterval(5);
    connect(&m_reapPoll, &QTimer::timeout, this, &GstProcessStreamer::onChildExited);
}

GstProcessStreamer::~GstProcessStreamer()
{
    if (m_pid > 0) {
        killGroup(SIGKILL);
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
    }
    closeAll();
}

void GstProcessStreamer::start(const StreamerConfig &config)
{
    if (!beginRun())
        return;
    m_config = config;
    m_error.clear();
    m_stopRequested = m_eos = m_playing = m_flowing = m_producing = m_pictureSeen = false;
    m_thumbs = -1;
    m_protoBuf.clear();
    m_outBuf.clear();
    m_pendingPicture.clear();

    const Result<QStringList> split = splitCommandLine(config.command);
    if (!split.ok)
        return failLater(QStringLiteral("bad command: %1").arg(split.message));
    const QStringList &args = split.value;
    if (args.isEmpty())
        return failLater(QStringLiteral("empty command"));
    const QString host = hostExecutable();
    if (host.isEmpty())
        return failLater(QStringLiteral("the worker host se-gst-host was not found (next to the engine, or set SE_GST_HOST)"));
    if (!m_reader)
        m_reader = ChildReader::shared();
    if (!m_reader->isValid())
        return failLater(QStringLiteral("could not start the thread that reads the pipeline processes: %1")
                             .arg(QString::fromLocal8Bit(strerror(errno))));

    // Pipes: [0] read end (ours), [1] write end (the child's).
    int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    auto closePipes = [&] {
        for (auto &p : pipes)
            for (int &fd : p)
                if (fd >= 0) {
                    ::close(fd);
                    fd = -1;
                }
    };
    for (auto &p : pipes) {
        if (::pipe2(p, O_CLOEXEC) != 0) {
            const QString why = QString::fromLocal8Bit(strerror(errno));
            closePipes();
            return failLater(QStringLiteral("could not create pipes: %1").arg(why));
        }
        ::fcntl(p[0], F_SETFL, O_NONBLOCK);
        p[1] = moveHigh(p[1]);
        if (p[1] < 0) {
            const QString why = QString::fromLocal8Bit(strerror(errno));
            closePipes();
            return failLater(QStringLiteral("could not create pipes: %1").arg(why));
        }
    }
    const int proto = int(Stream::Proto), jpeg = int(Stream::Jpeg), out = int(Stream::Output);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipes[out][1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipes[out][1], 2);
    posix_spawn_file_actions_adddup2(&actions, pipes[proto][1], 3);
    posix_spawn_file_actions_adddup2(&actions, pipes[jpeg][1], 4);
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    QByteArrayList argStore;
    argStore << QFile::encodeName(host);
    for (const QString &a : args)
        argStore << a.toLocal8Bit();
    std::vector<char *> argv;
    for (QByteArray &a : argStore)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    QByteArrayList envStore;
    for (char **e = environ; e && *e; ++e) {
        if (!strncmp(*e, "SE_GST_HOST_PROTO_FD=", 21) || !strncmp(*e, "SE_GST_HOST_JPEG_FD=", 20)
            || !strncmp(*e, "SE_GST_HOST_PARENT=", 19))
            continue;
        envStore << QByteArray(*e);
    }
    envStore << QByteArrayLiteral("SE_GST_HOST_PROTO_FD=3") << QByteArrayLiteral("SE_GST_HOST_JPEG_FD=4")
             << QByteArray("SE_GST_HOST_PARENT=" + QByteArray::number(qint64(::getpid())));
    std::vector<char *> envp;
    for (QByteArray &e : envStore)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argStore.first().constData(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (auto &p : pipes) {
        ::close(p[1]);
        p[1] = -1;
    }
    if (rc != 0) {
        closePipes();
        return failLater(QStringLiteral("could not start %1: %2").arg(host, QString::fromLocal8Bit(strerror(rc))));
    }
    m_pid = pid;
    for (int i = 0; i < 3; ++i)
        m_fds[i] = pipes[i][0];
    m_pidfd = pidfdOpen(pid);
    if (m_pidfd >= 0)
        ::fcntl(m_pidfd, F_SETFD, FD_CLOEXEC);
    else
        m_reapPoll.start(); // no pidfd: poll waitpid
    m_readerKey = m_reader->add(this, m_fds, m_pidfd);
    Q_EMIT logLine(LogLevel::Debug, QStringLiteral("pipeline process %1 started: %2").arg(pid).arg(host));
}

void GstProcessStreamer::stop()
{
    if (stopIfIdle())
        return;
    if (m_pid <= 0 || m_stopRequested)
        return; // a failure is already on its way, or the stop is under way
    m_stopRequested = true;
    killGroup(SIGTERM);
    m_killTimer.start(envMs("SE_GST_STOP_TIMEOUT_MS", 3000));
}

void GstProcessStreamer::killGroup(int sig)
{
    if (m_pid > 0)
        ::kill(-m_pid, sig);
}

void GstProcessStreamer::childMail(ChildMail &mail)
{
    if (m_pid <= 0)
        return;
    handleMail(mail);
    if (mail.exited)
        onChildExited();
}

void GstProcessStreamer::handleMail(ChildMail &mail)
{
    // State first, then the picture (which may make it "producing").
    if (!mail.proto.isEmpty())
        handleText(Stream::Proto, mail.proto);
    if (!mail.output.isEmpty())
        handleText(Stream::Output, mail.output);
    if (mail.noJpegBytes > 0)
        Q_EMIT logLine(LogLevel::Warning, QStringLiteral("fdsink fd=2 writes no JPEG pictures (%1 bytes without one); "
                                                         "end the branch with jpegenc for thumbnails")
                                              .arg(mail.noJpegBytes));
    m_superseded += mail.superseded;
    if (!mail.picture.isEmpty())
        handlePicture(mail.picture);
}

void GstProcessStreamer::handleText(Stream which, const QByteArray &bytes)
{
    QByteArray &acc = which == Stream::Proto ? m_protoBuf : m_outBuf;
    acc.append(bytes);
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = acc.indexOf('\n', start);
        if (nl < 0)
            break;
        const QByteArray line = acc.mid(start, nl - start);
        start = nl + 1;
        if (which == Stream::Proto)
            handleProtoLine(line);
        else
            handleOutputLine(line);
    }
    acc.remove(0, start);
    while (acc.size() > kMaxLine) { // a line without end: take it as it is
        const QByteArray line = acc.left(kMaxLine);
        acc.remove(0, kMaxLine);
        if (which == Stream::Proto)
            handleProtoLine(line);
        else
            handleOutputLine(line);
    }
}

void GstProcessStreamer::handleProtoLine(const QByteArray &line)
{
    const QList<QByteArray> f = line.split('\t');
    const QByteArray &kind = f.first();
    auto field = [&f](int i) { return i < f.size() ? QString::fromUtf8(unescape(f.at(i))) : QString(); };
    if (kind == "LOG") {
        const int level = std::clamp(f.value(1).toInt(), 0, 5);
        Q_EMIT logLine(LogLevel(level), field(2));
    } else if (kind == "STATE") {
        const QString state = field(1);
        Q_EMIT logLine(LogLevel::Debug, QStringLiteral("pipeline state %1").arg(state));
        if (state == QLatin1String("PLAYING")) {
            m_playing = true;
            maybeProducing();
        }
    } else if (kind == "THUMBS") {
        m_thumbs = f.value(1).toInt();
        maybeProducing();
    } else if (kind == "FLOWING") {
        m_flowing = true;
        maybeProducing();
    } else if (kind == "ERROR") {
        const QString source = field(1), message = field(2), debug = field(3);
        QString reason = message;
        if (!source.isEmpty() && !source.startsWith(QLatin1String("gst_parse")) && !source.startsWith(QLatin1String("se-gst")))
            reason += QStringLiteral(" (from %1)").arg(source);
        if (!debug.isEmpty())
            reason += QLatin1Char('\n') + debug;
        if (m_error.isEmpty())
            m_error = reason; // reported by failed() as soon as the host is gone
        else
            Q_EMIT logLine(LogLevel::Error, reason);
        if (!m_killTimer.isActive()) // the host ends by itself; make sure it does
            m_killTimer.start(envMs("SE_GST_STOP_TIMEOUT_MS", 3000));
    } else if (kind == "EOS") {
        m_eos = true;
        Q_EMIT logLine(LogLevel::Information, QStringLiteral("end of stream"));
    }
}

void GstProcessStreamer::handleOutputLine(const QByteArray &line)
{
    QByteArray l = line;
    while (l.endsWith('\r'))
        l.chop(1);
    if (!l.isEmpty())
        Q_EMIT logLine(LogLevel::Information, QString::fromUtf8(l));
}

void GstProcessStreamer::handlePicture(const QByteArray &jpeg)
{
    m_pictureSeen = true;
    if (!m_producing) {
        m_pendingPicture = jpeg;
        maybeProducing();
        return;
    }
    Q_EMIT picture(jpeg); // the newest of what arrived since the last one
}

void GstProcessStreamer::maybeProducing()
{
    if (m_producing || m_pid <= 0 || m_stopRequested || !m_playing)
        return;
    if (m_thumbs > 0 ? !m_pictureSeen : !(m_thumbs == 0 && m_flowing))
        return;
    m_producing = true;
    Q_EMIT producing();
    if (!m_pendingPicture.isEmpty()) {
        const QByteArray first = m_pendingPicture;
        m_pendingPicture.clear();
        Q_EMIT picture(first);
    }
}

void GstProcessStreamer::onChildExited()
{
    if (m_pid <= 0)
        return;
    // The exited child still holds its process group id until it is reaped:
    // end whatever else is in the group now.
    int status = 0;
    const bool pidfdMode = m_pidfd >= 0;
    pid_t r;
    if (!pidfdMode) {
        siginfo_t info{}; // peek only: reaping comes below
        if (::waitid(P_PID, id_t(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
            return; // still running
    }
    killGroup(SIGKILL);
    do {
        r = ::waitpid(m_pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    const pid_t pid = m_pid;
    m_reapPoll.stop();

    // What the child wrote before it went is still in the pipes: state first,
    // then its last picture (which may make it "producing" after all).
    ChildMail rest = m_reader->drain(m_readerKey);
    rest.exited = false; // this is the exit
    handleMail(rest);
    if (!m_protoBuf.isEmpty())
        handleProtoLine(std::exchange(m_protoBuf, {}));
    if (!m_outBuf.isEmpty())
        handleOutputLine(std::exchange(m_outBuf, {}));
    m_pid = -1;
    m_killTimer.stop();
    closeAll();

    endRun();
    if (m_stopRequested) {
        Q_EMIT logLine(LogLevel::Debug, QStringLiteral("pipeline process %1 stopped").arg(pid));
        Q_EMIT stopped();
        return;
    }
    if (!m_error.isEmpty()) {
        // An error before the pipeline played is a start that failed (it did
        // not parse, an element would not go to PLAYING).
        Q_EMIT failed(m_error, m_playing ? FailureKind::Error : FailureKind::StartFailure);
        return;
    }
    // Killed, or gone with an exit code and not a word: a crash.
    QString reason;
    if (WIFSIGNALED(status)) {
        reason = QStringLiteral("pipeline process %1 was killed by signal %2 (%3)")
                     .arg(pid)
                     .arg(WTERMSIG(status))
                     .arg(signalName(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        Q_EMIT ended();
        return;
    } else {
        reason = QStringLiteral("pipeline process %1 exited with code %2").arg(pid).arg(WEXITSTATUS(status));
    }
    Q_EMIT failed(reason, FailureKind::Crash);
}

void GstProcessStreamer::closeAll()
{
    if (m_readerKey) {
        m_reader->remove(m_readerKey); // synchronous: then the descriptors are ours alone
        m_readerKey = 0;
    }
    for (int &fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
    if (m_pidfd >= 0)
        ::close(m_pidfd);
    m_pidfd = -1;
}

} // namespace se::gst
