#include "HistoryWriter.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QThread>

#include <algorithm>
#include <iterator>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace se {

using storesql::Transaction;

namespace {

// Free pages kept for the next writes (4 MB of 4 KB pages); beyond this many,
// an incremental vacuum gives the rest back to the file system.
constexpr int kFreePagesKept = 1024;
// The writer checks the free pages after a removal, and every this many commits.
constexpr quint64 kVacuumCheckEvery = 64;

// A null QString binds as NULL, which the NOT NULL columns refuse.
QString text(const QString &s) { return s.isNull() ? QStringLiteral("") : s; }

// Not logged here: the store logs each kind of failure once.
bool step(QSqlQuery &q, QSqlError *error)
{
    if (q.exec())
        return true;
    *error = q.lastError();
    return false;
}

// Items [from, to) inside the transaction under way, then the prune of each
// worker that got an event.
bool writeItems(const QSqlDatabase &db, const std::vector<HistoryItem> &items, size_t from, size_t to, QSqlError *error)
{
    QSqlQuery event(db), line(db), count(db), good(db);
    // Only while the worker exists: an event queued before its removal never
    // comes back after it (nor onto a new worker of the same id, whose
    // creation waits for this transaction's commit).
    event.prepare(QStringLiteral("INSERT INTO watchdog_events(id, worker_id, ts, cause, message)"
                                 " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workers WHERE id = ?)"));
    line.prepare(QStringLiteral("INSERT INTO watchdog_event_logs(event_id, seq, ts, level, message) VALUES(?, ?, ?, ?, ?)"));
    count.prepare(QStringLiteral("UPDATE workers SET watchdog_event_count = ? WHERE id = ?"));
    good.prepare(QStringLiteral("UPDATE worker_versions SET good_at = ? WHERE worker_id = ? AND number = ? AND good_at IS NULL"));
    QStringList pruneFor;
    for (size_t i = from; i < to; ++i) {
        const HistoryItem &item = items[i];
        switch (item.kind) {
        case HistoryItem::Kind::Event: {
            const WatchdogEvent &e = item.event;
            event.bindValue(0, e.id);
            event.bindValue(1, item.workerId);
            event.bindValue(2, text(storesql::iso(e.timestamp)));
            event.bindValue(3, causeName(e.cause));
            event.bindValue(4, text(e.message));
            event.bindValue(5, item.workerId);
            if (!step(event, error))
                return false;
            if (event.numRowsAffected() == 0)
                break; // its worker is gone
            for (const LogEntry &l : e.logs) {
                line.bindValue(0, e.id);
                line.bindValue(1, l.sequence);
                line.bindValue(2, text(storesql::iso(l.timestamp)));
                line.bindValue(3, int(l.level));
                line.bindValue(4, text(l.message));
                if (!step(line, error))
                    return false;
            }
            count.bindValue(0, item.value);
            count.bindValue(1, item.workerId);
            if (!step(count, error))
                return false;
            if (!pruneFor.contains(item.workerId))
                pruneFor.append(item.workerId);
            break;
        }
        case HistoryItem::Kind::Count:
            count.bindValue(0, item.value);
            count.bindValue(1, item.workerId);
            if (!step(count, error))
                return false;
            break;
        case HistoryItem::Kind::Good:
            good.bindValue(0, text(storesql::iso(item.at)));
            good.bindValue(1, item.workerId);
            good.bindValue(2, item.value);
            if (!step(good, error))
                return false;
            break;
        case HistoryItem::Kind::Vacuum:
            break;
        }
    }
    if (pruneFor.isEmpty())
        return true;
    // A worker keeps its newest Store::kWatchdogEventsKept events; their log
    // lines go with them (ON DELETE CASCADE).
    QSqlQuery prune(db);
    prune.prepare(QStringLiteral("DELETE FROM watchdog_events WHERE worker_id = ? AND id <= "
                                 "(SELECT id FROM watchdog_events WHERE worker_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"));
    for (const QString &worker : std::as_const(pruneFor)) {
        prune.bindValue(0, worker);
        prune.bindValue(1, worker);
        prune.bindValue(2, Store::kWatchdogEventsKept);
        if (!step(prune, error))
            return false;
    }
    return true;
}

} // namespace

HistoryOutcome writeHistory(const QSqlDatabase &db, const std::vector<HistoryItem> &items, std::unique_ptr<Transaction> begun)
{
    HistoryOutcome out;
    QSqlError error;
    {
        std::unique_ptr<Transaction> t = begun ? std::move(begun) : std::make_unique<Transaction>(db);
        if (!t->begun()) {
            error = t->sqlError();
        } else if (writeItems(db, items, 0, items.size(), &error)) {
            if (t->commit()) {
                out.written = int(items.size());
                out.transactions = 1;
                return out;
            }
            error = t->sqlError();
        }
    } // rolled back
    auto note = [&out](const QSqlError &e) {
        ++out.failed;
        if (out.kind.isEmpty()) {
            out.kind = storesql::errorKind(e);
            out.error = e.text();
        }
    };
    if (items.size() <= 1) {
        if (!items.empty())
            note(error);
        return out;
    }
    // One bad item must not take the others with it: one by one.
    for (size_t i = 0; i < items.size(); ++i) {
        QSqlError e;
        Transaction t(db);
        if (!t.begun()) {
            note(t.sqlError());
            continue;
        }
        if (writeItems(db, items, i, i + 1, &e) && t.commit()) {
            ++out.written;
            ++out.transactions;
            continue;
        }
        note(e.type() != QSqlError::NoError ? e : t.sqlError());
    }
    return out;
}

void vacuumIfWorthIt(const QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA auto_vacuum")) || !q.next() || q.value(0).toInt() != 2)
        return;
    if (!q.exec(QStringLiteral("PRAGMA freelist_count")) || !q.next())
        return;
    const int freePages = q.value(0).toInt();
    q.finish();
    if (freePages <= kFreePagesKept)
        return;
    const int pages = freePages - kFreePagesKept / 2;
    Transaction t(db);
    if (!t.begun())
        return;
    {
        // Each step of incremental_vacuum gives back one page and returns a
        // row; Qt steps a statement without result columns once per exec().
        // So: one page per exec(), all in one transaction.
        QSqlQuery vacuum(db);
        if (!vacuum.prepare(QStringLiteral("PRAGMA incremental_vacuum(1)")))
            return;
        for (int i = 0; i < pages; ++i)
            if (!vacuum.exec())
                break;
        vacuum.finish();
    }
    if (t.commit())
        qCDebug(lcStore) << "incremental vacuum: gave back" << pages << "free pages";
}

HistoryWriter::HistoryWriter(QString path, QString connection, Report report)
    : m_path(std::move(path)), m_connection(std::move(connection)), m_report(std::move(report))
{
}

HistoryWriter::~HistoryWriter()
{
    stop();
}

Result<> HistoryWriter::start()
{
    m_thread.reset(QThread::create([this] { run(); }));
    m_thread->setObjectName(QStringLiteral("se-store-history"));
    m_thread->start();
    std::unique_lock<std::mutex> lock(m_mutex);
    m_progress.wait(lock, [this] { return m_opened || !m_openError.isEmpty(); });
    if (m_opened)
        return Result<>::success();
    const QString why = m_openError;
    lock.unlock();
    m_thread->wait();
    m_thread.reset();
    return Result<>::failure(why);
}

void HistoryWriter::stop()
{
    if (!m_thread)
        return;
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread->wait();
    m_thread.reset();
}

void HistoryWriter::run()
{
    {
        // Qt's SQL connections belong to the thread that made them: this one is the writer's alone.
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(m_path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(Store::kBusyTimeoutMs));
        QString why;
        if (!db.open())
            why = db.lastError().text().isEmpty() ? QStringLiteral("cannot open") : db.lastError().text();
        else if (!storesql::exec(db, QStringLiteral("PRAGMA synchronous=FULL"), &why)
                 || !storesql::exec(db, QStringLiteral("PRAGMA foreign_keys=ON"), &why)
                 || !storesql::exec(db, QStringLiteral("PRAGMA journal_size_limit=%1").arg(Store::kWalBytesKept), &why)) {
        }
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_opened = why.isEmpty();
            m_openError = why;
        }
        m_progress.notify_all();
        if (why.isEmpty())
            serve(db);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

void HistoryWriter::serve(const QSqlDatabase &db)
{
    bool failing = false;
    int beginFailures = 0;
    quint64 commits = 0;
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return !m_queued.empty() || m_stopping; });
        if (m_queued.empty())
            return; // stopping, and everything is written
        lock.unlock();
        // The write lock first, then the batch: a removal committed on the
        // main connection before this point has purged its worker's items,
        // and one after it waits for this commit.
        auto t = std::make_unique<Transaction>(db);
        if (!t->begun()) {
            HistoryOutcome wait;
            wait.kind = storesql::errorKind(t->sqlError());
            wait.error = t->error();
            wait.retrying = true;
            t.reset();
            lock.lock();
            if (m_stopping && ++beginFailures >= 3) {
                // Stopping, and the database will not let us write: give up what is left.
                wait.retrying = false;
                wait.failed = int(m_queued.size());
                m_stats.failed += m_queued.size();
                m_queued.clear();
                m_progress.notify_all();
            } else if (!m_stopping) {
                m_wake.wait_for(lock, std::chrono::milliseconds(200), [this] { return m_stopping; });
            }
            lock.unlock();
            m_report(wait);
            lock.lock();
            continue;
        }
        beginFailures = 0;
        lock.lock();
        m_writing.assign(std::make_move_iterator(m_queued.begin()), std::make_move_iterator(m_queued.end()));
        m_queued.clear();
        lock.unlock();

        // m_writing changes only under the lock, and only on this thread: read here without it.
        const bool removal = std::any_of(m_writing.begin(), m_writing.end(),
                                         [](const HistoryItem &i) { return i.kind == HistoryItem::Kind::Vacuum; });
        HistoryOutcome out = writeHistory(db, m_writing, std::move(t));
        commits += quint64(out.transactions);
        if (removal || (out.transactions > 0 && commits % kVacuumCheckEvery == 0))
            vacuumIfWorthIt(db);

        std::vector<HistoryItem> done;
        lock.lock();
        m_stats.written += quint64(out.written);
        m_stats.failed += quint64(out.failed);
        m_stats.transactions += quint64(out.transactions);
        done.swap(m_writing); // freed below, outside the lock the main thread queues under
        lock.unlock();
        done.clear();
        lock.lock();
        m_progress.notify_all();
        bool tell = false;
        if (out.failed > 0) {
            failing = tell = true;
        } else if (failing) {
            failing = false;
            out.recovered = tell = true;
        }
        if (tell) {
            lock.unlock();
            m_report(out);
            lock.lock();
        }
    }
}

int HistoryWriter::push(HistoryItem item)
{
    int dropped = 0;
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        if (m_queued.size() >= kMaxQueued) {
            m_queued.pop_front(); // the oldest: a newer item of the same worker carries its count
            ++m_stats.dropped;
            dropped = 1;
        }
        m_queued.push_back(std::move(item));
        ++m_stats.queued;
        m_stats.maxWaiting = std::max(m_stats.maxWaiting, int(m_queued.size() + m_writing.size()));
    }
    m_wake.notify_one();
    return dropped;
}

void HistoryWriter::purge(const QString &workerId)
{
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        const auto gone = std::remove_if(m_queued.begin(), m_queued.end(), [&](const HistoryItem &i) {
            return i.kind != HistoryItem::Kind::Vacuum && i.workerId == workerId;
        });
        m_stats.written += quint64(std::distance(gone, m_queued.end())); // nothing to write for a worker that is gone
        m_queued.erase(gone, m_queued.end());
    }
    m_progress.notify_all();
}

bool HistoryWriter::flush(std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!m_thread)
        return m_queued.empty();
    return m_progress.wait_for(lock, timeout, [this] { return m_queued.empty() && m_writing.empty(); });
}

void HistoryWriter::visitPending(const std::function<void(const HistoryItem &)> &visit) const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    for (const HistoryItem &i : m_writing)
        visit(i);
    for (const HistoryItem &i : m_queued)
        visit(i);
}

HistoryStats HistoryWriter::stats() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    HistoryStats s = m_stats;
    s.waiting = int(m_queued.size() + m_writing.size());
    return s;
}

} // namespace se
