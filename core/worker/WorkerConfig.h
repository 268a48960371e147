#pragma once

#include <QMetaType>
#include <QString>

#include <chrono>
#include <optional>

namespace se {

using Millis = std::chrono::milliseconds;

// Numbered as on the wire (StreamHub's WorkerState).
enum class WorkerState : int { Idle = 0, Starting = 1, Running = 2, Stopping = 3, Restarting = 4 };
QString stateName(WorkerState state);

// The picture watchdog: after `graceTime` from a start, a worker that shows no
// new picture for `interval` is restarted.
struct ImageWatchdogSettings {
    bool enabled = true;
    Millis graceTime{10000};
    Millis interval{5000};
    friend bool operator==(const ImageWatchdogSettings &, const ImageWatchdogSettings &) = default;
};

inline constexpr Millis kMinWatchdogInterval{1000};
inline constexpr Millis kMaxWatchdogDuration{24 * 3600 * 1000}; // grace time and interval: at most a day

// What an operator defines; everything here is stored.
struct WorkerConfig {
    QString id;
    QString name;
    QString description;
    QString command;
    QString streamerType;
    bool enabled = true;
    ImageWatchdogSettings imageWatchdog;
    friend bool operator==(const WorkerConfig &, const WorkerConfig &) = default;
};

// An edit: only the fields that are set change.
struct WorkerPatch {
    std::optional<QString> name;
    std::optional<QString> description;
    std::optional<QString> command;
    std::optional<QString> streamerType;
    std::optional<bool> enabled;
    std::optional<bool> imageWatchdogEnabled;
    std::optional<Millis> imageWatchdogGraceTime;
    std::optional<Millis> imageWatchdogInterval;

    WorkerConfig appliedTo(WorkerConfig config) const;
};

// Why a worker's operator-given texts and times cannot be kept (empty: they
// can): ids, names and descriptions hold no control characters (a
// description may hold line breaks and tabs), no bidirectional overrides and
// no replacement character (what invalid UTF-8 decodes to); a worker has a
// name; the picture watchdog's interval is 1 s to 1 day, its grace time 0 s to
// 1 day. The same rules for a hub, ctl and the dashboard.
QString textAndTimeRefusal(const WorkerConfig &config);

// One recorded field change, for the worker's change log.
struct FieldChange {
    QString field;
    QString from;
    QString to;
};
QList<FieldChange> diff(const WorkerConfig &before, const WorkerConfig &after);

} // namespace se

Q_DECLARE_METATYPE(se::WorkerState)
