#include "AutoRollbackPolicy.h"

namespace se {

void AutoRollbackPolicy::onNewVersion(int number, bool watch)
{
    m_version = number;
    m_watching = watch;
    m_due = false;
    m_failures = 0;
}

void AutoRollbackPolicy::onRunning()
{
    m_watching = false;
    m_due = false;
}

bool AutoRollbackPolicy::onFailure(bool hold)
{
    if (!m_watching)
        return false;
    ++m_failures;
    if (hold || m_failures > kRestartsBeforeRollback)
        m_due = true;
    return m_due;
}

AutoRollbackDecision AutoRollbackPolicy::decide(bool enabled, const QString &lastError, const WorkerConfig &current,
                                                const QList<WorkerVersion> &versions)
{
    AutoRollbackDecision d;
    d.from = m_version;
    if (!m_watching || !m_due || !enabled)
        return d;
    m_watching = false; // one answer per version, whatever it is
    const QString why = lastError.isEmpty() ? QStringLiteral("%1 attempts").arg(m_failures) : lastError;
    const WorkerVersion *target = nullptr;
    for (auto it = versions.crbegin(); it != versions.crend(); ++it) {
        if (it->number == m_version || !it->isGood())
            continue;
        if (sameRun(it->config, current)) {
            d.kind = AutoRollbackDecision::Kind::GiveUp;
            d.explanation = QStringLiteral("no automatic rollback: version %1 never ran (%2), but it runs what version %3 ran "
                                           "well; the trouble is not the edit")
                                .arg(m_version).arg(why).arg(it->number);
            return d;
        }
        if (!it->bad && !target)
            target = &*it;
    }
    if (!target) {
        d.kind = AutoRollbackDecision::Kind::GiveUp;
        d.explanation = QStringLiteral("no automatic rollback: version %1 never ran (%2), and no earlier version has run "
                                       "well enough to go back to")
                            .arg(m_version).arg(why);
        return d;
    }
    d.kind = AutoRollbackDecision::Kind::RollBack;
    d.to = target->number;
    d.explanation = QStringLiteral("Automatic rollback to version %1: version %2 never ran (%3)").arg(d.to).arg(m_version).arg(why);
    return d;
}

} // namespace se
