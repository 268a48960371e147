#include "StoreSql.h"

#include <QHash>
#include <QLoggingCategory>
#include <QSqlError>

#include <algorithm>
#include <memory>
#include <mutex>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace se::storesql {

namespace {
// Each connection's write observer. Looked up at the end of every
// transaction, on whichever thread wrote; the observer is copied out (a
// shared pointer) so that it runs outside the lock.
struct WriteObservers {
    std::mutex mutex;
    QHash<QString, std::shared_ptr<const Store::WriteObserver>> byConnection;
    std::shared_ptr<const Store::WriteObserver> find(const QString &connection)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        return byConnection.value(connection);
    }
};
WriteObservers &writeObservers()
{
    static WriteObservers observers;
    return observers;
}
} // namespace

QString iso(const QDateTime &t) { return t.toUTC().toString(Qt::ISODateWithMs); }
QDateTime fromIso(const QString &s) { return QDateTime::fromString(s, Qt::ISODateWithMs).toUTC(); }

bool run(QSqlQuery &q, QString *error)
{
    if (q.exec())
        return true;
    if (error)
        *error = q.lastError().text();
    qCWarning(lcStore) << "query failed:" << q.lastQuery() << q.lastError().text();
    return false;
}

bool exec(const QSqlDatabase &db, const QString &sql, QString *error)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    if (error)
        *error = QStringLiteral("%1 (in: %2)").arg(q.lastError().text(), sql.simplified().left(80));
    return false;
}

QString cutUtf8(const QString &text, int maxBytes)
{
    if (text.size() * 3 <= maxBytes) // a UTF-16 unit is at most 3 bytes of UTF-8
        return text;
    const QByteArray utf8 = text.toUtf8();
    if (utf8.size() <= maxBytes)
        return text;
    const QByteArray marker = QStringLiteral("… [cut: %1 bytes]").arg(utf8.size()).toUtf8();
    qsizetype keep = std::max<qsizetype>(0, maxBytes - marker.size());
    while (keep > 0 && (uchar(utf8[keep]) & 0xC0) == 0x80) // not inside a character
        --keep;
    return QString::fromUtf8(utf8.left(keep) + marker);
}

QString errorKind(const QSqlError &error)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok) & 0xff; // the primary code of an extended one
    if (!ok)
        return error.type() == QSqlError::ConnectionError ? QStringLiteral("connection") : QStringLiteral("error");
    switch (code) {
    case 5: return QStringLiteral("busy");
    case 6: return QStringLiteral("locked");
    case 8: return QStringLiteral("read-only");
    case 10: return QStringLiteral("I/O error");
    case 11: return QStringLiteral("corrupt");
    case 13: return QStringLiteral("disk full");
    case 14: return QStringLiteral("cannot open");
    case 19: return QStringLiteral("constraint");
    default: return QStringLiteral("error %1").arg(code);
    }
}

void setWriteObserver(const QString &connection, Store::WriteObserver observer)
{
    WriteObservers &observers = writeObservers();
    const std::lock_guard<std::mutex> lock(observers.mutex);
    if (observer)
        observers.byConnection.insert(connection, std::make_shared<const Store::WriteObserver>(std::move(observer)));
    else
        observers.byConnection.remove(connection);
}

Transaction::Transaction(QSqlDatabase db) : m_db(std::move(db)), m_began(std::chrono::steady_clock::now())
{
    QSqlQuery q(m_db);
    m_ok = q.exec(QStringLiteral("BEGIN IMMEDIATE"));
    if (!m_ok) {
        m_sqlError = q.lastError();
        m_error = m_sqlError.text();
    }
}

Transaction::~Transaction()
{
    if (!m_ok)
        return;
    if (!m_committed) {
        QSqlQuery q(m_db);
        q.exec(QStringLiteral("ROLLBACK"));
    }
    if (const auto observer = writeObservers().find(m_db.connectionName()); observer && *observer)
        (*observer)(std::chrono::steady_clock::now() - m_began, m_committed);
}

bool Transaction::commit()
{
    if (!m_ok)
        return false;
    QSqlQuery q(m_db);
    m_committed = q.exec(QStringLiteral("COMMIT"));
    if (!m_committed) {
        m_sqlError = q.lastError();
        m_error = m_sqlError.text();
    }
    return m_committed;
}

} // namespace se::storesql
