#include "WorkerConfig.h"

#include <QList>

namespace se {

QString stateName(WorkerState state)
{
    switch (state) {
    case WorkerState::Idle: return QStringLiteral("Idle");
    case WorkerState::Starting: return QStringLiteral("Starting");
    case WorkerState::Running: return QStringLiteral("Running");
    case WorkerState::Stopping: return QStringLiteral("Stopping");
    case WorkerState::Restarting: return QStringLiteral("Restarting");
    }
    return QStringLiteral("Unknown");
}

WorkerConfig WorkerPatch::appliedTo(WorkerConfig c) const
{
    if (name) c.name = *name;
    if (description) c.description = *description;
    if (command) c.command = *command;
    if (streamerType) c.streamerType = *streamerType;
    if (enabled) c.enabled = *enabled;
    if (imageWatchdogEnabled) c.imageWatchdog.enabled = *imageWatchdogEnabled;
    if (imageWatchdogGraceTime) c.imageWatchdog.graceTime = *imageWatchdogGraceTime;
    if (imageWatchdogInterval) c.imageWatchdog.interval = *imageWatchdogInterval;
    return c;
}

static QString boolText(bool b) { return b ? QStringLiteral("true") : QStringLiteral("false"); }
static QString msText(Millis ms) { return QString::number(ms.count() / 1000.0) + QLatin1Char('s'); }

QList<FieldChange> diff(const WorkerConfig &a, const WorkerConfig &b)
{
    QList<FieldChange> out;
    auto field = [&](const char *name, const QString &from, const QString &to) {
        if (from != to) out.append({QString::fromLatin1(name), from, to});
    };
    field("name", a.name, b.name);
    field("description", a.description, b.description);
    field("command", a.command, b.command);
    field("streamerType", a.streamerType, b.streamerType);
    field("isEnabled", boolText(a.enabled), boolText(b.enabled));
    field("imgWatchdogEnabled", boolText(a.imageWatchdog.enabled), boolText(b.imageWatchdog.enabled));
    field("imgWatchdogGraceTime", msText(a.imageWatchdog.graceTime), msText(b.imageWatchdog.graceTime));
    field("imgWatchdogInterval", msText(a.imageWatchdog.interval), msText(b.imageWatchdog.interval));
    return out;
}

} // namespace se
