#pragma once

#include <QString>

namespace se {

// Names the worker that the log lines written on this thread are about, for
// as long as it lives, so that a log sink can file them under that worker
// (journald's WORKER_ID=) without parsing the text. Scopes nest.
class WorkerLogScope {
public:
    explicit WorkerLogScope(const QString &workerId);
    ~WorkerLogScope();
    WorkerLogScope(const WorkerLogScope &) = delete;
    WorkerLogScope &operator=(const WorkerLogScope &) = delete;

    // The innermost scope's worker on this thread; empty outside any scope.
    static QString current();

private:
    QString m_outer;
};

} // namespace se
