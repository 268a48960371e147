#pragma once

#include "JpegSplitter.h"

#include <QByteArray>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

struct epoll_event;

namespace se {
class ThreadInbox;
}

namespace se::gst {

// What one child sent since it was last handed over.
struct ChildMail {
    QByteArray proto;        // bytes of the structured-state pipe, in order
    QByteArray output;       // bytes of its stdout/stderr, in order
    QByteArray picture;      // the newest whole JPEG, or empty
    qint64 superseded = 0;   // whole JPEGs a newer one replaced before they were handed over
    qint64 noJpegBytes = 0;  // once: that many bytes on the JPEG pipe and not one picture
    bool exited = false;     // the child is gone (its pidfd fired; once)

    bool isEmpty() const
    {
        return proto.isEmpty() && output.isEmpty() && picture.isEmpty() && !superseded && !noJpegBytes && !exited;
    }
};

// Reads every se-gst-host child's pipes and watches their pidfds off the event
// loop: one std::thread on one epoll descriptor for all of them, so the main
// loop holds no descriptor per child and none of its wakeups walks them. The
// thread reads big chunks, cuts JPEGs (JpegSplitter), keeps only the newest
// picture per child (counting the ones it replaced) and wakes the main thread
// once per batch, however many children the batch touched; there each client
// gets its mail through Client::childMail(). After a batch it lets the next
// gather for 4 ms (SE_GST_READER_BATCH_MS), waking meanwhile only for an exit
// (the pidfds are a set of their own inside the whole set): with 256 children
// at 5 pictures/s that is some 250 wake-ups a second instead of 1280, and an
// exit is still seen at once.
//
// Shared by the streamers of a process (shared()): made with the first,
// its thread joined when the last one goes. Registration and removal are on
// the main thread (the thread the clients live on); remove() is synchronous:
// when it returns, the thread no longer touches the child's descriptors (the
// caller may close them) and no mail reaches the client any more.
//
// A child's text that the main thread has not taken yet is bounded: past
// kTextCap the pipe is no longer read (the child blocks on it, as before)
// until the main thread takes what is there.
class ChildReader {
public:
    enum Pipe { Proto = 0, Jpeg = 1, Output = 2 };
    static constexpr qsizetype kTextCap = 1024 * 1024;
    static constexpr qint64 kNoJpegAfter = 4 * 1024 * 1024;

    class Client {
    public:
        virtual void childMail(ChildMail &mail) = 0;

    protected:
        ~Client() = default;
    };

    // The process's reader, made (and its thread started) on first use.
    static std::shared_ptr<ChildReader> shared();

    ~ChildReader();
    ChildReader(const ChildReader &) = delete;
    ChildReader &operator=(const ChildReader &) = delete;

    // False if the epoll descriptor or the thread could not be made.
    bool isValid() const { return m_thread.joinable(); }

    // Watches one child: its pipes' read ends (non-blocking) and its pidfd
    // (-1: none; the client finds the exit itself). Returns its key.
    quint64 add(Client *client, const int (&pipes)[3], int pidfd);
    // Reads what is in the child's pipes now, on the calling thread, and
    // returns everything not yet handed over (the exit flag included).
    ChildMail drain(quint64 key);
    // Stops watching; synchronous (see above).
    void remove(quint64 key);

private:
    ChildReader();
    struct Channel;
    void run();
    bool readBatch(const ::epoll_event *events, int n, std::vector<char> &buf); // false: stop
    bool readPipe(Channel &c, int which, std::vector<char> &buf); // true if something new for the mail
    void unwatch(int which, int fd);
    void postLocked(); // m_mailMutex held
    void deliver();

    int m_epoll = -1; // the pipes, the set of pidfds, the wake-up
    int m_exits = -1; // the pidfds, the wake-up
    int m_wake = -1;
    std::chrono::milliseconds m_batchWait{0};
    std::atomic<bool> m_stopping{false};
    std::thread m_thread;
    std::weak_ptr<ChildReader> m_self;
    ThreadInbox *m_inbox = nullptr; // main thread; the queued deliveries' context
    int m_delivering = 0;       // main thread: inside deliver()

    // m_ioMutex: the channels' descriptors, splitters and the map while the
    // thread reads. m_mailMutex: the mail, the list of channels with mail, the
    // paused pipes. The map changes only with both held (io first).
    std::mutex m_ioMutex;
    std::mutex m_mailMutex;
    std::unordered_map<quint64, std::unique_ptr<Channel>> m_channels;
    std::vector<quint64> m_dirty;
    bool m_posted = false;
    quint64 m_nextKey = 1;
};

} // namespace se::gst
