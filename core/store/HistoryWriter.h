#pragma once
// The store's history writer: watchdog events (with their log lines and the
// prune), watchdog counts and "version is good" marks, written on a thread of
// its own through a connection of its own, everything queued when it wakes in
// one transaction. Internal to core/store; Store is its only user.

#include "common/Result.h"
#include "Store.h"
#include "StoreSql.h"
#include "core/worker/WatchdogEvent.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QString>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace se {

// One history write.
struct HistoryItem {
    enum class Kind { Event, Count, Good, Vacuum };
    Kind kind = Kind::Event;
    quint64 order = 0; // given by the store, increasing
    QString workerId;
    WatchdogEvent event; // Event: its id given already, its texts cut
    int value = 0;       // Event, Count: the worker's new watchdog count; Good: the version's number
    QDateTime at;        // Good: when it was marked
};

// What writing some items came to.
struct HistoryOutcome {
    int written = 0;      // stored, or rightly not (their worker is gone)
    int failed = 0;       // lost to a write error
    int transactions = 0; // committed
    QString kind;         // of the first error ("disk full", …); empty: none
    QString error;
    bool retrying = false;  // the write lock could not be had: nothing lost, tried again
    bool recovered = false; // the first success after failures
};

// Writes `items` in one transaction on `db` (begun already when `begun` is
// given), with the prune of each worker's events once. An event, count or
// mark of a worker that is no longer in the database is skipped, never
// written. On failure, tries again one item per transaction, so that only
// the items that fail are lost.
HistoryOutcome writeHistory(const QSqlDatabase &db, const std::vector<HistoryItem> &items,
                            std::unique_ptr<storesql::Transaction> begun = nullptr);
// Gives free pages back to the file system when there are many (after a
// worker with a long history is removed); only in auto_vacuum=INCREMENTAL.
void vacuumIfWorthIt(const QSqlDatabase &db);

class HistoryWriter {
public:
    // `report` is called on the writer thread for a failure, a wait for the
    // write lock, and the first success after failures.
    using Report = std::function<void(const HistoryOutcome &)>;
    HistoryWriter(QString path, QString connection, Report report);
    ~HistoryWriter(); // stop()
    HistoryWriter(const HistoryWriter &) = delete;
    HistoryWriter &operator=(const HistoryWriter &) = delete;

    // Starts the thread and opens its connection there.
    Result<> start();
    // Drains the queue (every item is written or given up), then ends the thread.
    void stop();

    // At most this many items wait; beyond it the oldest is dropped (and counted).
    static constexpr size_t kMaxQueued = 5000;
    // Returns how many items were dropped to make room (0 or 1).
    int push(HistoryItem item);
    // Drops the queued items of a removed worker (not those being written:
    // the writer holds the write lock while it writes them, so the removal
    // waits for their commit and removes them with the rest).
    void purge(const QString &workerId);
    // Waits until everything queued so far is written or given up.
    bool flush(std::chrono::milliseconds timeout);

    // Every item not yet committed, oldest first, under the writer's lock
    // (`visit` must not call the writer).
    void visitPending(const std::function<void(const HistoryItem &)> &visit) const;
    HistoryStats stats() const;

private:
    void run();
    void serve(const QSqlDatabase &db);

    const QString m_path;
    const QString m_connection;
    const Report m_report;
    std::unique_ptr<QThread> m_thread;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;     // something queued, or stop
    std::condition_variable m_progress; // opened, or a batch is done
    std::deque<HistoryItem> m_queued;
    std::vector<HistoryItem> m_writing; // taken by the writer; visible to reads until committed
    bool m_opened = false;
    QString m_openError;
    bool m_stopping = false;
    HistoryStats m_stats;
};

} // namespace se
