#pragma once

#include "core/log/LogBuffer.h"
#include "core/worker/WorkerVersion.h"
#include "core/worker/Worker.h"
#include "core/worker/WorkerConfig.h"

#include <QPointer>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QTreeWidget;

namespace se {
class Worker;
class WorkerManager;
struct WatchdogEvent;
}

namespace se::ui {

class VersionHistory;

// One worker up close: its live log (with a level filter), its versions and change log,
// its watchdog events with the log lines kept with each, its configuration.
class WorkerDetail : public QWidget {
    Q_OBJECT
public:
    explicit WorkerDetail(WorkerManager &manager, QWidget *parent = nullptr);

    void setWorker(const QString &workerId);
    QString workerId() const { return m_id; }

    // Lowest level shown in the live log (LogLevel as int).
    void setMinimumLevel(int level);

    QTabWidget *tabs() const { return m_tabs; }
    QPlainTextEdit *logView() const { return m_log; }
    QTreeWidget *changeView() const { return m_changes; }
    VersionHistory *versionHistory() const { return m_history; }
    QTreeWidget *watchdogView() const { return m_events; }

private:
    void onWorkerChanged(Worker *worker);
    void onLog(Worker *worker, const LogEntry &entry);
    void reloadHeader();
    void reloadLog();
    void reloadChanges();
    void reloadEvents();
    void reloadConfig();

    WorkerManager &m_manager;
    QString m_id;
    QPointer<Worker> m_worker;
    WorkerConfig m_shownConfig;
    VersionState m_shownVersions;
    int m_shownEventCount = -1;
    int m_minLevel = 2;

    QLabel *m_title;
    QLabel *m_state;
    QLabel *m_status;
    QTabWidget *m_tabs;
    QComboBox *m_level;
    QPlainTextEdit *m_log;
    QTreeWidget *m_changes;
    VersionHistory *m_history;
    QTreeWidget *m_events;
    QWidget *m_configPage;
    QFormLayout *m_configForm;
};

QString formatLogLine(const LogEntry &entry);
// A read-only, fixed-font, unwrapped log view that keeps its newest `maxLines`.
QPlainTextEdit *makeLogView(const QString &objectName, int maxLines);
// Appends a line; follows the end only when the reader is there already.
void appendLogLine(QPlainTextEdit *view, const LogEntry &entry);
// Replaces the view's lines and shows the end.
void setLogLines(QPlainTextEdit *view, const QList<LogEntry> &entries);

} // namespace se::ui
