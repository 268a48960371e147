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

namespace {
// The first character that may not stand in a text of this kind, as "U+XXXX".
QString forbiddenCharacter(const QString &text, bool lineBreaksAllowed)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool control = c.category() == QChar::Other_Control && !(lineBreaksAllowed && (u == '\n' || u == '\t' || u == '\r'));
        const bool bidi = (u >= 0x202A && u <= 0x202E) || (u >= 0x2066 && u <= 0x2069) || u == 0x200E || u == 0x200F;
        if (control || bidi || u == 0xFFFD || c.isNonCharacter())
            return QStringLiteral("U+%1").arg(QString::number(int(u), 16).toUpper().rightJustified(4, QLatin1Char('0')));
    }
    // A lone surrogate is invalid UTF-16, as invalid as bad UTF-8.
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i].isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            ++i;
            continue;
        }
        if (text[i].isSurrogate())
            return QStringLiteral("a lone surrogate");
    }
    return {};
}

QString seconds(Millis ms) { return QString::number(double(ms.count()) / 1000.0); }
} // namespace

QString textAndTimeRefusal(const WorkerConfig &c)
{
    const struct { const QString &text; const char *what; bool lineBreaks; } texts[] = {
        {c.id, "the worker id", false}, {c.name, "the name", false}, {c.description, "the description", true}};
    for (const auto &t : texts)
        if (const QString bad = forbiddenCharacter(t.text, t.lineBreaks); !bad.isEmpty())
            return QStringLiteral("%1 holds a character that is not allowed (%2): control characters, bidirectional "
                                  "overrides and invalid UTF-8 are refused")
                .arg(QLatin1String(t.what), bad);
    if (c.name.trimmed().isEmpty())
        return QStringLiteral("a worker needs a name");
    const ImageWatchdogSettings &w = c.imageWatchdog;
    if (w.interval < kMinWatchdogInterval || w.interval > kMaxWatchdogDuration)
        return QStringLiteral("the picture watchdog interval must be from 1 s to 1 day (86400 s); %1 s was given").arg(seconds(w.interval));
    if (w.graceTime.count() < 0 || w.graceTime > kMaxWatchdogDuration)
        return QStringLiteral("the picture watchdog grace time must be from 0 s to 1 day (86400 s); %1 s was given").arg(seconds(w.graceTime));
    return {};
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
