#pragma once

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;

namespace se {
class Engine;
class MetricsSampler;
class Worker;
}

namespace se::ui {

class EnginePanel;
class WorkerDetail;
class WorkerWall;

// The operator's dashboard: the wall of worker tiles in the middle, the
// selected worker's detail and the engine beside it, and every control an
// operator needs. Every action goes through the same WorkerManager (or
// Engine) operation a StreamHub command uses, so hubs see them as events.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(se::Engine &engine, QWidget *parent = nullptr);
    ~MainWindow() override;

    WorkerWall *wall() const { return m_wall; }
    WorkerDetail *detail() const { return m_detail; }
    EnginePanel *enginePanel() const { return m_enginePanel; }
    MetricsSampler &sampler() const { return *m_sampler; }
    QDockWidget *workerDock() const { return m_workerDock; }
    QDockWidget *engineDock() const { return m_engineDock; }

    // The selected worker (empty: none).
    QString selectedWorker() const;
    void selectWorker(const QString &workerId);

    // What the last operator action answered.
    QString lastMessage() const { return m_lastMessage; }

public Q_SLOTS:
    void newWorker();
    void editWorker();
    void startWorker();
    void stopWorker();
    void restartWorker();
    void enableWorker();
    void disableWorker();
    void resetWatchdogCount();
    void removeWorker();
    // Asks, then makes `version` the worker's configuration again (a rollback).
    void restoreVersion(const QString &workerId, int version);

Q_SIGNALS:
    // The operator closed the window: the program stops the engine and exits.
    void closeRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QAction *action(const QString &name, const QString &text, const QString &tip, void (MainWindow::*slot)());
    void report(const QString &text, bool ok);
    void updateActions();
    void updateSummary();
    void updateTitle();
    void showMenu(const QString &workerId, const QPoint &globalPos);

    Engine &m_engine;
    MetricsSampler *m_sampler;
    WorkerWall *m_wall;
    WorkerDetail *m_detail;
    EnginePanel *m_enginePanel;
    QDockWidget *m_workerDock;
    QDockWidget *m_engineDock;
    QLabel *m_summary;
    QLabel *m_message;
    QString m_lastMessage;
    bool m_closing = false;

    QAction *m_new;
    QAction *m_edit;
    QAction *m_start;
    QAction *m_stop;
    QAction *m_restart;
    QAction *m_enable;
    QAction *m_disable;
    QAction *m_reset;
    QAction *m_remove;
};

} // namespace se::ui
