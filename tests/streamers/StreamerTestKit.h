#pragma once

// Shared by the streamer suites: load a plugin the way the engine does, record
// everything a Streamer says, and count what a process holds.

#include "ChildProcesses.h"
#include "TestEnv.h"
#include "core/streamer/Streamer.h"

#include <QByteArray>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QPluginLoader>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

#include <signal.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
// GLib's quark table starts in its library constructor and, once GStreamer
// has made it grow, the first block is dropped on purpose (lock-free readers
// may still hold it). Matching that needs whole stacks, which GLib's code
// without frame pointers only gives with the slow unwinder.
extern "C" const char *__asan_default_options()
{
    return "fast_unwind_on_malloc=0:malloc_context_size=12";
}
extern "C" const char *__lsan_default_suppressions()
{
    return "leak:_dl_init\n";
}
#endif

namespace se::test {

// The contract page's example, exactly as hubs store it.
inline const QString kContractCommand = QStringLiteral(
    "--gst-debug=3 videotestsrc is-live=true pattern=ball ! video/x-raw,framerate=25/1,width=300,height=168 ! "
    "timeoverlay ! videoconvert ! videorate ! video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
// A light worker: 320x180 at 25 fps, 5 thumbnails a second.
inline const QString kLight = QStringLiteral(
    "videotestsrc is-live=true ! video/x-raw,framerate=25/1,width=320,height=180 ! videorate ! "
    "video/x-raw,framerate=5/1 ! jpegenc ! fdsink fd=2");
constexpr int kWait = 20000; // generous for a loaded 2-core machine; never a timing assertion

inline StreamerConfig config(const QString &command, const QString &id = QStringLiteral("w1"))
{
    StreamerConfig c;
    c.workerId = id;
    c.name = id;
    c.command = command;
    return c;
}

inline int threadCount()
{
    return int(QDir(QStringLiteral("/proc/self/task")).entryList(QDir::NoDotAndDotDot | QDir::Dirs).size());
}

// Every streamer plugin of the build's plugin folder, by type name.
inline QHash<QString, StreamerPlugin *> loadPlugins(QStringList *errors = nullptr)
{
    static std::vector<std::unique_ptr<QPluginLoader>> loaders; // kept for the whole run
    QHash<QString, StreamerPlugin *> out;
    const QDir dir(pluginDir());
    for (const QFileInfo &fi : dir.entryInfoList({QStringLiteral("*.so")}, QDir::Files)) {
        auto *loader = loaders.emplace_back(std::make_unique<QPluginLoader>(fi.absoluteFilePath())).get();
        auto *plugin = qobject_cast<StreamerPlugin *>(loader->instance());
        if (plugin)
            out.insert(plugin->typeName(), plugin);
        else if (errors)
            *errors << fi.fileName() + QStringLiteral(": ") + loader->errorString();
    }
    return out;
}

inline StreamerPlugin *plugin(const QString &type)
{
    static const QHash<QString, StreamerPlugin *> plugins = loadPlugins();
    return plugins.value(type);
}

// Records one streamer's signals and checks the contract as they come.
struct Recorder : QObject {
    explicit Recorder(Streamer *s) : streamer(s)
    {
        QObject::connect(s, &Streamer::producing, this, [this] {
            ++producing;
            if (terminals() > terminalsAtStart)
                contractBroken = QStringLiteral("producing after a terminal signal");
        });
        QObject::connect(s, &Streamer::picture, this, [this](const QByteArray &jpeg) {
            ++pictures;
            last = jpeg;
            if (!producing)
                contractBroken = QStringLiteral("picture before producing");
            if (!jpeg.startsWith("\xFF\xD8") || !jpeg.endsWith("\xFF\xD9"))
                contractBroken = QStringLiteral("a picture that is not one whole JPEG");
        });
        QObject::connect(s, &Streamer::logLine, this, [this](se::LogLevel level, const QString &text) {
            logs << QStringLiteral("%1 %2").arg(int(level)).arg(text);
        });
        QObject::connect(s, &Streamer::failed, this, [this](const QString &reason) {
            ++failedCount;
            failReason = reason;
        });
        QObject::connect(s, &Streamer::ended, this, [this] { ++endedCount; });
        QObject::connect(s, &Streamer::stopped, this, [this] { ++stoppedCount; });
    }
    int terminals() const { return failedCount + endedCount + stoppedCount; }
    // Forget what happened so far (before the next start()).
    void rearm()
    {
        producing = pictures = 0;
        last.clear();
        failReason.clear();
        terminalsAtStart = terminals();
    }
    bool terminated() const { return terminals() > terminalsAtStart; }
    QString logText() const { return logs.join(QLatin1Char('\n')); }

    Streamer *streamer;
    int producing = 0;
    int pictures = 0;
    QByteArray last;
    QStringList logs;
    int failedCount = 0, endedCount = 0, stoppedCount = 0;
    int terminalsAtStart = 0;
    QString failReason;
    QString contractBroken;
};

inline bool isJpeg(const QByteArray &bytes)
{
    QImage img;
    return img.loadFromData(bytes, "JPG") && !img.isNull();
}

inline int openFdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size());
}

inline QString openFds()
{
    QStringList out;
    const QDir dir(QStringLiteral("/proc/self/fd"));
    for (const QFileInfo &fi : dir.entryInfoList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System))
        out << fi.fileName() + QStringLiteral("->") + fi.symLinkTarget();
    return out.join(QLatin1Char(' '));
}

// Processes in the given process group (zombies included).
inline int processGroupMembers(int pgid)
{
    int n = 0;
    for (const QString &name : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool ok = false;
        const int pid = name.toInt(&ok);
        if (ok && ::getpgid(pid) == pgid)
            ++n;
    }
    return n;
}

// Whether any process is still in the given process group.
inline bool processGroupAlive(int pgid)
{
    return pgid > 0 && ::kill(-pgid, 0) == 0;
}

} // namespace se::test
