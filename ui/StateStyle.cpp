#include "StateStyle.h"

#include "core/worker/Worker.h"

namespace se::ui {

Look lookOf(WorkerState state, bool onHold, bool hasError)
{
    switch (state) {
    case WorkerState::Running:
        return Look::Running;
    case WorkerState::Starting:
    case WorkerState::Restarting:
        return Look::Starting;
    case WorkerState::Stopping:
        return Look::Stopping;
    case WorkerState::Idle:
        return onHold || hasError ? Look::Trouble : Look::Idle;
    }
    return Look::Idle;
}

Look lookOf(const Worker &worker)
{
    return lookOf(worker.state(), worker.isOnHold(), !worker.lastError().isEmpty());
}

QColor colourOf(Look look)
{
    switch (look) {
    case Look::Running:
        return QColor(0x2e, 0xa0, 0x4a);
    case Look::Starting:
        return QColor(0xe8, 0xa3, 0x17);
    case Look::Stopping:
        return QColor(0x5b, 0x7f, 0xa8);
    case Look::Idle:
        return QColor(0x86, 0x8b, 0x93);
    case Look::Trouble:
        return QColor(0xd9, 0x34, 0x34);
    }
    return Qt::gray;
}

QString lookLabel(WorkerState state, bool onHold, bool hasError)
{
    if (state == WorkerState::Idle && onHold)
        return QStringLiteral("On hold");
    if (state == WorkerState::Idle && hasError)
        return QStringLiteral("Failed");
    return stateName(state);
}

QString levelLabel(int level)
{
    static const char *const names[] = {"Trace", "Debug", "Info", "Warning", "Error", "Critical"};
    return level >= 0 && level < 6 ? QString::fromLatin1(names[level]) : QString::number(level);
}

} // namespace se::ui
