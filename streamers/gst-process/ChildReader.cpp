#include "ChildReader.h"

#include "core/streamer/ThreadInbox.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace se::gst {

namespace {

constexpr int kPidfd = 3; // the fourth thing watched per child
constexpr quint64 kWakeTag = 0;  // the stop
constexpr quint64 kExitsTag = 1; // the set of pidfds (key 0 is no child's)
constexpr int kBatchWaitMs = 4;
constexpr size_t kReadChunk = 128 * 1024;
constexpr int kReadsPerWakeup = 8; // then the others get their turn (level-triggered)

quint64 tag(quint64 key, int which) { return key << 2 | quint64(which); }

} // namespace

struct ChildReader::Channel {
    quint64 key = 0;
    Client *client = nullptr;
    // The pipes, then the pidfd; -1 once no longer watched. Read under either
    // mutex, written under both.
    int fds[4] = {-1, -1, -1, -1};
    JpegSplitter splitter; // under m_ioMutex
    bool warnedNoJpeg = false;
    // Under m_mailMutex:
    ChildMail mail;
    bool dirty = false;
    bool paused[3] = {false, false, false};
};

std::shared_ptr<ChildReader> ChildReader::shared()
{
    static std::mutex mutex;
    static std::weak_ptr<ChildReader> current;
    std::lock_guard<std::mutex> lock(mutex);
    std::shared_ptr<ChildReader> r = current.lock();
    if (!r) {
        r = std::shared_ptr<ChildReader>(new ChildReader);
        r->m_self = r;
        current = r;
    }
    return r;
}

ChildReader::ChildReader() : m_inbox(new ThreadInbox)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_exits = ::epoll_create1(EPOLL_CLOEXEC);
    m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_exits < 0 || m_wake < 0)
        return;
    // The wake-up is in both sets; the set of pidfds is one more thing the
    // whole set watches (nested epoll).
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &ev) != 0 || ::epoll_ctl(m_exits, EPOLL_CTL_ADD, m_wake, &ev) != 0)
        return;
    ev.data.u64 = kExitsTag;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_exits, &ev) != 0)
        return;
    m_batchWait = std::chrono::milliseconds(
        qEnvironmentVariableIsSet("SE_GST_READER_BATCH_MS") ? qEnvironmentVariableIntValue("SE_GST_READER_BATCH_MS")
                                                             : kBatchWaitMs);
    m_thread = std::thread([this] { run(); });
}

ChildReader::~ChildReader()
{
    m_stopping = true;
    if (m_thread.joinable()) {
        const quint64 one = 1;
        while (::write(m_wake, &one, sizeof one) < 0 && errno == EINTR) {
        }
        m_thread.join();
    }
    for (int fd : {m_epoll, m_exits, m_wake})
        if (fd >= 0)
            ::close(fd);
    // Queued deliveries go with their context. Inside one (the last client
    // went in its childMail()), the object goes once that has returned.
    if (m_delivering > 0)
        m_inbox->deleteLater();
    else
        delete m_inbox;
}

quint64 ChildReader::add(Client *client, const int (&pipes)[3], int pidfd)
{
    auto c = std::make_unique<Channel>();
    c->client = client;
    std::lock_guard<std::mutex> io(m_ioMutex);
    const quint64 key = m_nextKey++;
    c->key = key;
    for (int i = 0; i < 4; ++i) {
        const int fd = i < 3 ? pipes[i] : pidfd;
        if (fd < 0)
            continue;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag(key, i);
        if (::epoll_ctl(i == kPidfd ? m_exits : m_epoll, EPOLL_CTL_ADD, fd, &ev) == 0)
            c->fds[i] = fd;
    }
    std::lock_guard<std::mutex> mail(m_mailMutex);
    m_channels.emplace(key, std::move(c));
    return key;
}

void ChildReader::unwatch(int which, int fd)
{
    ::epoll_ctl(which == kPidfd ? m_exits : m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

void ChildReader::remove(quint64 key)
{
    std::lock_guard<std::mutex> io(m_ioMutex);
    std::lock_guard<std::mutex> mail(m_mailMutex);
    auto it = m_channels.find(key);
    if (it == m_channels.end())
        return;
    for (int i = 0; i < 4; ++i)
        if (it->second->fds[i] >= 0)
            unwatch(i, it->second->fds[i]); // a paused pipe is not watched: ENOENT, harmless
    m_channels.erase(it);
}

ChildMail ChildReader::drain(quint64 key)
{
    std::vector<char> buf(kReadChunk);
    std::lock_guard<std::mutex> io(m_ioMutex);
    auto it = m_channels.find(key);
    if (it == m_channels.end())
        return {};
    Channel &c = *it->second;
    for (int which : {int(Proto), int(Output), int(Jpeg)})
        while (c.fds[which] >= 0 && readPipe(c, which, buf)) {
        }
    std::lock_guard<std::mutex> mail(m_mailMutex);
    c.dirty = false; // a delivery already queued finds nothing
    return std::exchange(c.mail, {});
}

// Reads up to kReadsPerWakeup chunks. Returns true if there may be more to read
// (the last chunk was full), false at EAGAIN, end of file, or a paused pipe.
bool ChildReader::readPipe(Channel &c, int which, std::vector<char> &buf)
{
    const int fd = c.fds[which];
    QByteArray text;
    QByteArray newest;
    qint64 superseded = 0;
    bool more = false, eof = false;
    QList<QByteArray> pictures;
    for (int n = 0; n < kReadsPerWakeup; ++n) {
        const ssize_t got = ::read(fd, buf.data(), buf.size());
        if (got < 0 && errno == EINTR) {
            --n;
            continue;
        }
        if (got < 0) {
            eof = errno != EAGAIN && errno != EWOULDBLOCK;
            break;
        }
        if (got == 0) {
            eof = true;
            break;
        }
        if (which == Jpeg) {
            c.splitter.feed(buf.data(), got, &pictures);
        } else {
            text.append(buf.data(), got);
        }
        more = size_t(got) == buf.size();
        if (!more)
            break;
    }
    if (!pictures.isEmpty()) {
        superseded += pictures.size() - 1;
        newest = std::move(pictures.last());
    }
    qint64 noJpeg = 0;
    if (which == Jpeg && !c.warnedNoJpeg && c.splitter.pictures() == 0 && c.splitter.skippedBytes() > kNoJpegAfter) {
        c.warnedNoJpeg = true;
        noJpeg = c.splitter.skippedBytes();
    }
    if (text.isEmpty() && newest.isEmpty() && !noJpeg && !eof)
        return more;

    std::lock_guard<std::mutex> lock(m_mailMutex);
    if (eof) {
        unwatch(which, fd); // a closed pipe would fire for ever; the client closes it
        c.fds[which] = -1;
        c.paused[which] = false;
        more = false;
        if (text.isEmpty() && newest.isEmpty() && !noJpeg)
            return more;
    }
    ChildMail &m = c.mail;
    if (!newest.isEmpty()) {
        if (!m.picture.isEmpty())
            ++superseded;
        m.picture = std::move(newest);
    }
    m.superseded += superseded;
    m.noJpegBytes += noJpeg;
    if (!text.isEmpty()) {
        QByteArray &acc = which == Proto ? m.proto : m.output;
        acc += text;
        if (acc.size() > kTextCap && !eof && !c.paused[which]) {
            c.paused[which] = true; // taken up again when the main thread took the text
            unwatch(which, fd);
            more = false;
        }
    }
    if (!c.dirty) {
        c.dirty = true;
        m_dirty.push_back(c.key);
    }
    return more;
}

void ChildReader::run()
{
    ::pthread_setname_np(::pthread_self(), "se-gst-reader");
    std::vector<char> buf(kReadChunk);
    std::vector<epoll_event> events(256);
    while (!m_stopping) {
        const int n = ::epoll_wait(m_epoll, events.data(), int(events.size()), -1);
        if (n < 0 && errno != EINTR)
            return; // EBADF/EINVAL: nothing sensible left to do
        if (n > 0 && !readBatch(events.data(), n, buf))
            return;
        // The next batch gathers for a few milliseconds: a wake-up per
        // batch, not per picture. Exits are not kept waiting.
        const auto until = std::chrono::steady_clock::now() + m_batchWait;
        for (;;) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
            if (left <= 0)
                break;
            const int k = ::epoll_wait(m_exits, events.data(), int(events.size()), int(left));
            if (k < 0 && errno != EINTR)
                return;
            if (k > 0 && !readBatch(events.data(), k, buf))
                return;
        }
    }
}

bool ChildReader::readBatch(const epoll_event *events, int n, std::vector<char> &buf)
{
    bool exits = false;
    {
        std::lock_guard<std::mutex> io(m_ioMutex);
        if (m_stopping)
            return false;
        for (int e = 0; e < n; ++e) {
            const quint64 t = events[e].data.u64;
            if (t == kWakeTag) {
                quint64 count;
                while (::read(m_wake, &count, sizeof count) < 0 && errno == EINTR) {
                }
                continue;
            }
            if (t == kExitsTag) {
                exits = true;
                continue;
            }
            auto it = m_channels.find(t >> 2);
            if (it == m_channels.end())
                continue; // removed after epoll_wait returned
            Channel &c = *it->second;
            const int which = int(t & 3);
            if (c.fds[which] < 0)
                continue;
            if (which != kPidfd) {
                readPipe(c, which, buf);
                continue;
            }
            // Gone: what it wrote before is in the pipes. Hand that over
            // first, then the exit (the client reaps it).
            {
                std::lock_guard<std::mutex> mail(m_mailMutex);
                unwatch(kPidfd, c.fds[kPidfd]);
                c.fds[kPidfd] = -1;
            }
            for (int p : {int(Proto), int(Output), int(Jpeg)})
                while (c.fds[p] >= 0 && readPipe(c, p, buf)) {
                }
            std::lock_guard<std::mutex> mail(m_mailMutex);
            c.mail.exited = true;
            if (!c.dirty) {
                c.dirty = true;
                m_dirty.push_back(c.key);
            }
        }
    }
    if (exits) { // pidfds fired: take them in this batch
        epoll_event more[64];
        const int k = ::epoll_wait(m_exits, more, 64, 0);
        if (k > 0 && !readBatch(more, k, buf))
            return false;
    }
    std::lock_guard<std::mutex> mail(m_mailMutex);
    if (!m_dirty.empty())
        postLocked();
    return true;
}

void ChildReader::postLocked()
{
    if (m_posted)
        return; // the main thread has not come yet: it takes this with the rest
    m_posted = true;
    m_inbox->post([weak = m_self] {
        if (std::shared_ptr<ChildReader> self = weak.lock())
            self->deliver();
    });
}

void ChildReader::deliver()
{
    std::vector<quint64> keys;
    {
        std::lock_guard<std::mutex> mail(m_mailMutex);
        keys.swap(m_dirty);
        m_posted = false;
    }
    ++m_delivering;
    for (quint64 key : keys) {
        Client *client = nullptr;
        ChildMail mail;
        {
            std::lock_guard<std::mutex> lock(m_mailMutex);
            auto it = m_channels.find(key);
            if (it == m_channels.end() || !it->second->dirty)
                continue; // removed, or drained, since
            Channel &c = *it->second;
            c.dirty = false;
            mail = std::exchange(c.mail, {});
            client = c.client;
            for (int p = 0; p < 3; ++p) {
                if (!c.paused[p] || c.fds[p] < 0)
                    continue;
                c.paused[p] = false; // its text is taken: read it again
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = tag(key, p);
                ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fds[p], &ev);
            }
        }
        if (!mail.isEmpty())
            client->childMail(mail); // may remove channels, this one or others
    }
    --m_delivering;
}

} // namespace se::gst
