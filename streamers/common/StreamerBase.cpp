#include "StreamerBase.h"

namespace se::gst {

bool StreamerBase::beginRun()
{
    if (m_active) {
        Q_EMIT logLine(LogLevel::Warning, QStringLiteral("start ignored: already started"));
        return false;
    }
    ++m_generation;
    m_active = true;
    return true;
}

void StreamerBase::failLater(const QString &reason, FailureKind kind)
{
    const quint64 gen = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, gen, reason, kind] {
            if (gen != m_generation || !m_active)
                return;
            m_active = false;
            Q_EMIT failed(reason, kind); // the receiver logs the reason; no second line here
        },
        Qt::QueuedConnection);
}

bool StreamerBase::stopIfIdle()
{
    if (m_active)
        return false;
    const quint64 gen = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, gen] {
            if (gen == m_generation && !m_active)
                Q_EMIT stopped();
        },
        Qt::QueuedConnection);
    return true;
}

int StreamerBase::envMs(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v >= 0 ? v : fallback;
}

} // namespace se::gst
