#pragma once

#include "common/Result.h"

#include <QString>
#include <QStringList>

namespace se {

// The engine's data folder, private and held by one engine:
// - created 0700; an existing one open to others is made 0700 (and said so),
//   one that belongs to another user is refused: whoever owns it could open
//   it again at any time;
// - held through flock() on `engine.lock` (0600, the holder's pid inside),
//   taken before anything else in the folder is touched. The kernel releases
//   it when the process ends, however it ends, so a crashed engine never
//   blocks the next one, and nothing else (the control socket) has to tell;
// - every file directly in it made owner-only (group and other bits cleared;
//   the files the engine makes are 0600). One that cannot be (another user's)
//   is told, not fatal: the folder's 0700 keeps others out. Sub-folders are
//   left as they are.
class DataFolder {
public:
    static constexpr const char *kLockFileName = "engine.lock";

    DataFolder() = default;
    ~DataFolder();
    DataFolder(const DataFolder &) = delete;
    DataFolder &operator=(const DataFolder &) = delete;

    // A failure says why (naming the folder, and the holder's pid when
    // another engine has it) when the engine must not use `path`.
    Result<> open(const QString &path);
    void release();
    bool isHeld() const { return m_lockFd >= 0; }
    QString path() const { return m_path; }

    static QString lockPath(const QString &dir);
    // The pid of the process that holds `dir`'s lock; 0 when none does.
    // Reads /proc/locks and the lock file; never takes the lock itself.
    static qint64 holder(const QString &dir);

private:
    Result<> makePrivate();

    QString m_path;
    int m_lockFd = -1;
};

} // namespace se
