#include "WorkerLogScope.h"

namespace se {

namespace {
thread_local QString t_workerId;
}

WorkerLogScope::WorkerLogScope(const QString &workerId) : m_outer(t_workerId)
{
    t_workerId = workerId;
}

WorkerLogScope::~WorkerLogScope()
{
    t_workerId = m_outer;
}

QString WorkerLogScope::current()
{
    return t_workerId;
}

} // namespace se
