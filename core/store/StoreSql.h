#pragma once
// What Store and its history writer share: one transaction, a query run with
// its error, the stored forms of times and cut texts. Internal to core/store.

#include "Store.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>

#include <chrono>

namespace se::storesql {

QString iso(const QDateTime &t);
QDateTime fromIso(const QString &s);

// Runs a prepared query; false with its error (also logged).
bool run(QSqlQuery &q, QString *error);
// Runs one statement on `db`; false with its error.
bool exec(const QSqlDatabase &db, const QString &sql, QString *error);

// `text` as stored: at most `maxBytes` of UTF-8, cut at a character boundary
// and ended by a marker that says how long it was ("… [cut: 5120 bytes]").
QString cutUtf8(const QString &text, int maxBytes);

// A short name for what went wrong with a write ("disk full", "I/O error",
// "busy", "read-only", "constraint", "error 1"), from SQLite's error code.
QString errorKind(const QSqlError &error);

// Each store's write observer, by connection name (the main connection and
// the history writer's); the observer is called on the thread that wrote.
void setWriteObserver(const QString &connection, Store::WriteObserver observer);

// Runs the statements of one unit of work in a transaction; rolls back on
// failure. BEGIN IMMEDIATE: the write lock is taken at the start (waiting for
// the other connection up to its busy timeout), never upgraded half-way.
// Tells the connection's write observer how long it took.
class Transaction {
public:
    explicit Transaction(QSqlDatabase db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    bool begun() const { return m_ok; }
    bool commit();
    QString error() const { return m_error; }
    QSqlError sqlError() const { return m_sqlError; }

private:
    QSqlDatabase m_db;
    std::chrono::steady_clock::time_point m_began;
    bool m_ok = false;
    bool m_committed = false;
    QString m_error;
    QSqlError m_sqlError;
};

} // namespace se::storesql
