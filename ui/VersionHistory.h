#pragma once

#include "core/worker/WorkerVersion.h"

#include <QList>
#include <QWidget>

class QLabel;
class QPushButton;
class QTextEdit;
class QTreeWidget;

namespace se {
class WorkerManager;
}

namespace se::ui {

// A worker's versions, newest first: when, by whom, what changed, which runs,
// which is good, which an automatic rollback left (bad). The selected
// version's command beside the one before it, the changed words marked, and
// "Restore this version", which asks (restoreRequested) rather than acts:
// the window confirms and reports, as for every operator action.
class VersionHistory : public QWidget {
    Q_OBJECT
public:
    explicit VersionHistory(WorkerManager &manager, QWidget *parent = nullptr);

    void setWorker(const QString &workerId);
    void reload();

    void selectVersion(int number);
    int selectedVersion() const;

    QTreeWidget *versionView() const { return m_list; }
    QTextEdit *oldCommandView() const { return m_old; }
    QTextEdit *newCommandView() const { return m_new; }
    QPushButton *restoreButton() const { return m_restore; }
    QLabel *summary() const { return m_summary; }

Q_SIGNALS:
    void restoreRequested(const QString &workerId, int version);

private:
    void showSelected();
    const WorkerVersion *find(int number) const;

    WorkerManager &m_manager;
    QString m_id;
    QList<WorkerVersion> m_versions;
    VersionState m_state;

    QLabel *m_summary;
    QTreeWidget *m_list;
    QPushButton *m_restore;
    QLabel *m_oldTitle;
    QLabel *m_newTitle;
    QTextEdit *m_old;
    QTextEdit *m_new;
};

} // namespace se::ui
