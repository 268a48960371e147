#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace se {

// A bounded pool of plain threads for a plugin's work off the event loop:
// jobs that may block (GStreamer state changes) or would hold the loop up
// (rendering a picture). Threads are made as jobs need them, up to
// `maxThreads`, and stay; the destructor runs what is queued and joins them
// all, so no job outlives its owner. Plain std::threads rather than
// QThreadPool: they carry no Qt event dispatcher (whose GLib context would
// become the thread's default and catch bus watches, and whose eventfd comes
// and goes with the threads), and their locks are pthread ones that
// ThreadSanitizer can see. A pool that lives until exit outlives Qt's own
// statics: a job that uses Qt must end before the application does
// (waitForIdle() from a qAddPostRoutine).
class JobPool {
public:
    explicit JobPool(int maxThreads) : m_maxThreads(maxThreads) {}
    ~JobPool()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_closing = true;
        }
        m_wake.notify_all();
        for (std::thread &t : m_threads)
            t.join();
    }
    JobPool(const JobPool &) = delete;
    JobPool &operator=(const JobPool &) = delete;

    void run(std::function<void()> job)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_jobs.push_back(std::move(job));
            if (m_idle == 0 && int(m_threads.size()) < m_maxThreads)
                m_threads.emplace_back([this] { serve(); });
        }
        m_wake.notify_one();
    }

    // Until nothing is queued or running.
    void waitForIdle()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_settled.wait(lock, [this] { return m_jobs.empty() && m_running == 0; });
    }

private:
    void serve()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            ++m_idle;
            m_wake.wait(lock, [this] { return m_closing || !m_jobs.empty(); });
            --m_idle;
            if (m_jobs.empty())
                return; // closing, nothing left
            std::function<void()> job = std::move(m_jobs.front());
            m_jobs.pop_front();
            ++m_running;
            lock.unlock();
            job();
            job = nullptr; // what it captured goes before the lock is taken again
            lock.lock();
            if (--m_running == 0 && m_jobs.empty())
                m_settled.notify_all();
        }
    }

    const int m_maxThreads;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_settled;
    std::deque<std::function<void()>> m_jobs;
    std::vector<std::thread> m_threads;
    int m_idle = 0;
    int m_running = 0;
    bool m_closing = false;
};

} // namespace se
