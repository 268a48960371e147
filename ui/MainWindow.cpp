#include "MainWindow.h"

#include "core/engine/Engine.h"
#include "EnginePanel.h"
#include "core/metrics/MetricsSampler.h"
#include "StateStyle.h"
#include "VersionHistory.h"
#include "WorkerDetail.h"
#include "WorkerDialog.h"
#include "WorkerTile.h"
#include "WorkerWall.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSlider>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>

namespace se::ui {

MainWindow::MainWindow(se::Engine &engine, QWidget *parent) : QMainWindow(parent), m_engine(engine)
{
    setObjectName(QStringLiteral("mainWindow"));
    resize(1500, 900);

    m_sampler = &engine.metrics(); // the engine samples from its boot()

    WorkerManager &manager = engine.workers();
    m_wall = new WorkerWall(manager);
    setCentralWidget(m_wall);

    m_detail = new WorkerDetail(manager);
    m_workerDock = new QDockWidget(QStringLiteral("Worker"), this);
    m_workerDock->setObjectName(QStringLiteral("workerDock"));
    m_workerDock->setWidget(m_detail);
    m_workerDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, m_workerDock);
    connect(m_detail->versionHistory(), &VersionHistory::restoreRequested, this, &MainWindow::restoreVersion);

    m_enginePanel = new EnginePanel(engine, *m_sampler);
    auto *engineScroll = new QScrollArea;
    engineScroll->setWidget(m_enginePanel);
    engineScroll->setWidgetResizable(true);
    engineScroll->setFrameShape(QFrame::NoFrame);
    m_engineDock = new QDockWidget(QStringLiteral("Engine"), this);
    m_engineDock->setObjectName(QStringLiteral("engineDock"));
    m_engineDock->setWidget(engineScroll);
    m_engineDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, m_engineDock);
    tabifyDockWidget(m_workerDock, m_engineDock);
    m_workerDock->raise();
    resizeDocks({m_workerDock}, {560}, Qt::Horizontal);

    // Actions: the toolbar, the menu, and each tile's context menu.
    m_new = action(QStringLiteral("actionNew"), QStringLiteral("&New worker…"), QStringLiteral("Create a worker"), &MainWindow::newWorker);
    m_new->setShortcut(QKeySequence::New);
    m_edit = action(QStringLiteral("actionEdit"), QStringLiteral("&Edit…"), QStringLiteral("Change the selected worker"), &MainWindow::editWorker);
    m_start = action(QStringLiteral("actionStart"), QStringLiteral("&Start"), QStringLiteral("Start the selected worker"), &MainWindow::startWorker);
    m_stop = action(QStringLiteral("actionStop"), QStringLiteral("S&top"), QStringLiteral("Stop the selected worker"), &MainWindow::stopWorker);
    m_restart = action(QStringLiteral("actionRestart"), QStringLiteral("&Restart"), QStringLiteral("Restart the selected worker"), &MainWindow::restartWorker);
    m_enable = action(QStringLiteral("actionEnable"), QStringLiteral("E&nable"), QStringLiteral("Enable (and start) the selected worker"), &MainWindow::enableWorker);
    m_disable = action(QStringLiteral("actionDisable"), QStringLiteral("&Disable"), QStringLiteral("Stop the selected worker and keep it from starting"), &MainWindow::disableWorker);
    m_reset = action(QStringLiteral("actionResetWatchdog"), QStringLiteral("Reset &watchdog count"), QStringLiteral("Set the watchdog event count to 0"), &MainWindow::resetWatchdogCount);
    m_remove = action(QStringLiteral("actionRemove"), QStringLiteral("Re&move…"), QStringLiteral("Stop and delete the selected worker"), &MainWindow::removeWorker);
    m_remove->setShortcut(QKeySequence::Delete);
    m_start->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    m_stop->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
    m_restart->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_new->setIcon(style()->standardIcon(QStyle::SP_FileIcon));
    m_remove->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));

    QToolBar *bar = addToolBar(QStringLiteral("Workers"));
    bar->setObjectName(QStringLiteral("workerToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setMovable(false);
    bar->addActions({m_new, m_edit});
    bar->addSeparator();
    bar->addActions({m_start, m_stop, m_restart});
    bar->addSeparator();
    bar->addActions({m_enable, m_disable, m_reset});
    bar->addSeparator();
    bar->addAction(m_remove);
    // Tile size: many small tiles for a glance at 64 workers, a few large ones to look closer.
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    bar->addWidget(spacer);
    bar->addWidget(new QLabel(QStringLiteral("Tile size ")));
    auto *zoom = new QSlider(Qt::Horizontal);
    zoom->setObjectName(QStringLiteral("tileSize"));
    zoom->setRange(150, 640);
    zoom->setValue(260);
    zoom->setFixedWidth(160);
    zoom->setToolTip(QStringLiteral("Smallest tile width"));
    connect(zoom, &QSlider::valueChanged, m_wall, &WorkerWall::setMinimumTileWidth);
    bar->addWidget(zoom);

    QMenu *workers = menuBar()->addMenu(QStringLiteral("&Workers"));
    workers->addActions({m_new, m_edit});
    workers->addSeparator();
    workers->addActions({m_start, m_stop, m_restart, m_enable, m_disable, m_reset});
    workers->addSeparator();
    workers->addAction(m_remove);
    workers->addSeparator();
    workers->addAction(QStringLiteral("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    QMenu *view = menuBar()->addMenu(QStringLiteral("&View"));
    view->addAction(m_workerDock->toggleViewAction());
    view->addAction(m_engineDock->toggleViewAction());

    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("summary"));
    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("lastMessage"));
    statusBar()->addWidget(m_summary);
    statusBar()->addWidget(m_message, 1);

    connect(m_wall, &WorkerWall::selectionChanged, this, [this](const QString &id) {
        m_detail->setWorker(id);
        if (!id.isEmpty() && !m_workerDock->isHidden())
            m_workerDock->raise();
        updateActions();
    });
    connect(m_wall, &WorkerWall::activated, this, [this](const QString &) {
        m_workerDock->show();
        m_workerDock->raise();
    });
    connect(m_wall, &WorkerWall::menuRequested, this, &MainWindow::showMenu);
    connect(&manager, &WorkerManager::workerChanged, this, [this](Worker *w) {
        if (w->id() == selectedWorker())
            updateActions();
    });
    connect(&manager, &WorkerManager::workerAdded, this, &MainWindow::updateSummary);
    connect(&manager, &WorkerManager::workerRemoved, this, &MainWindow::updateSummary);
    connect(m_enginePanel, &EnginePanel::message, this, &MainWindow::report);
    connect(&engine, &Engine::identityChanged, this, &MainWindow::updateTitle);
    // The summary counts states; once a second is enough for a glance.
    auto *summaryTimer = new QTimer(this);
    summaryTimer->setInterval(1000);
    connect(summaryTimer, &QTimer::timeout, this, &MainWindow::updateSummary);
    summaryTimer->start();

    updateTitle();
    updateSummary();
    updateActions();
}

MainWindow::~MainWindow() = default;

QAction *MainWindow::action(const QString &name, const QString &text, const QString &tip, void (MainWindow::*slot)())
{
    auto *a = new QAction(text, this);
    a->setObjectName(name);
    a->setToolTip(tip);
    a->setStatusTip(tip);
    connect(a, &QAction::triggered, this, slot);
    return a;
}

QString MainWindow::selectedWorker() const
{
    return m_wall->selectedId();
}

void MainWindow::selectWorker(const QString &workerId)
{
    m_wall->select(workerId);
}

void MainWindow::report(const QString &text, bool ok)
{
    m_lastMessage = text;
    m_message->setText(ok ? text.toHtmlEscaped() : QStringLiteral("<span style='color:#c02020'>%1</span>").arg(text.toHtmlEscaped()));
}

void MainWindow::updateTitle()
{
    const EngineIdentity id = m_engine.identity();
    setWindowTitle(QStringLiteral("%1 — StreamEngine%2").arg(id.name, m_closing ? QStringLiteral(" (stopping…)") : QString()));
}

void MainWindow::updateSummary()
{
    int running = 0, trouble = 0, busy = 0, idle = 0;
    const QList<Worker *> all = m_engine.workers().workers();
    for (Worker *w : all) {
        switch (lookOf(*w)) {
        case Look::Running: ++running; break;
        case Look::Trouble: ++trouble; break;
        case Look::Idle: ++idle; break;
        default: ++busy; break;
        }
    }
    m_summary->setText(QStringLiteral("%1 workers: <b style='color:%2'>%3 running</b>, %4 starting/stopping, %5 idle, "
                                      "<b style='color:%6'>%7 in trouble</b>")
                           .arg(all.size())
                           .arg(colourOf(Look::Running).name())
                           .arg(running)
                           .arg(busy)
                           .arg(idle)
                           .arg(colourOf(Look::Trouble).name())
                           .arg(trouble));
}

void MainWindow::updateActions()
{
    Worker *w = m_engine.workers().worker(selectedWorker());
    const bool has = w;
    const bool enabled = has && w->config().enabled;
    m_edit->setEnabled(has);
    m_start->setEnabled(enabled && (w->state() == WorkerState::Idle || w->state() == WorkerState::Stopping || w->state() == WorkerState::Restarting));
    m_stop->setEnabled(has && (w->state() != WorkerState::Idle || w->isOnHold()));
    m_restart->setEnabled(enabled);
    m_enable->setEnabled(has && !enabled);
    m_disable->setEnabled(enabled);
    m_reset->setEnabled(has && w->watchdogEventCount() > 0);
    m_remove->setEnabled(has);
}

void MainWindow::showMenu(const QString &workerId, const QPoint &globalPos)
{
    if (workerId.isEmpty())
        return;
    QMenu menu(this);
    menu.addActions({m_start, m_stop, m_restart});
    menu.addSeparator();
    menu.addActions({m_edit, m_enable, m_disable, m_reset});
    menu.addSeparator();
    menu.addAction(m_remove);
    menu.exec(globalPos);
}

namespace {
// Who the version history names for what is done here.
const WorkerManager::Actor kDashboard{WorkerManager::Origin::LocalOperator, QStringLiteral("dashboard")};

// The dialog's automatic-rollback box, applied after the create or edit it
// went with (whose value is the worker's id).
Result<QString> applyAutoRollback(WorkerManager &manager, bool on, const Result<QString> &before)
{
    const QString &id = before.value;
    if (!before.ok || id.isEmpty() || manager.versionState(id).autoRollback == on)
        return before;
    const Result<> r = manager.setAutoRollback(id, on);
    return Result<QString>{r.ok, QStringLiteral("%1; %2").arg(before.message, r.message), id};
}

QMap<QString, QString> typesOf(Engine &engine)
{
    QMap<QString, QString> types;
    for (const QString &t : engine.workers().streamerTypes())
        types.insert(t, engine.factory().description(t));
    return types;
}
} // namespace

void MainWindow::newWorker()
{
    WorkerManager &manager = m_engine.workers();
    WorkerDialog dialog(typesOf(m_engine), std::nullopt, [&manager](const WorkerConfig &c, bool startNow) {
        return manager.create(c, startNow ? WorkerManager::StartNow::IfEnabled : WorkerManager::StartNow::No, kDashboard);
    }, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Result<QString> r = applyAutoRollback(manager, dialog.autoRollback(), dialog.lastResult());
    report(QStringLiteral("%1: %2").arg(dialog.config().name, r.message), r.ok);
    selectWorker(r.value);
}

void MainWindow::editWorker()
{
    WorkerManager &manager = m_engine.workers();
    Worker *w = manager.worker(selectedWorker());
    if (!w)
        return;
    const QString id = w->id();
    const WorkerConfig before = w->config();
    WorkerDialog dialog(typesOf(m_engine), before, [&manager, id, before](const WorkerConfig &c, bool) -> Result<QString> {
        // Only what the operator changed, as a hub's EditWorker would.
        WorkerPatch p;
        if (c.name != before.name) p.name = c.name;
        if (c.description != before.description) p.description = c.description;
        if (c.command != before.command) p.command = c.command;
        if (c.streamerType != before.streamerType) p.streamerType = c.streamerType;
        if (c.enabled != before.enabled) p.enabled = c.enabled;
        if (c.imageWatchdog.enabled != before.imageWatchdog.enabled) p.imageWatchdogEnabled = c.imageWatchdog.enabled;
        if (c.imageWatchdog.graceTime != before.imageWatchdog.graceTime) p.imageWatchdogGraceTime = c.imageWatchdog.graceTime;
        if (c.imageWatchdog.interval != before.imageWatchdog.interval) p.imageWatchdogInterval = c.imageWatchdog.interval;
        if (p.enabled && *p.enabled) {
            // Enabling goes through setEnabled, which also starts it, as the hub's EnableDisableWorker does.
            p.enabled.reset();
            Result<> r = manager.edit(id, p, kDashboard);
            if (r.ok)
                r = manager.setEnabled(id, true, kDashboard);
            return {r.ok, r.message, id};
        }
        const Result<> r = manager.edit(id, p, kDashboard);
        return {r.ok, r.message, id};
    }, this);
    dialog.setAutoRollback(manager.versionState(id).autoRollback);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Result<QString> r = applyAutoRollback(manager, dialog.autoRollback(), dialog.lastResult());
    report(QStringLiteral("%1: %2").arg(dialog.config().name, r.message), r.ok);
}

namespace {
QString nameOf(WorkerManager &m, const QString &id)
{
    Worker *w = m.worker(id);
    return w && !w->config().name.isEmpty() ? w->config().name : id;
}
} // namespace

#define SE_UI_OP(method, call)                                                    \
    void MainWindow::method()                                                     \
    {                                                                             \
        const QString id = selectedWorker();                                      \
        if (id.isEmpty())                                                         \
            return;                                                               \
        WorkerManager &m = m_engine.workers();                                    \
        const QString name = nameOf(m, id);                                       \
        const Result<> r = call;                                                  \
        report(QStringLiteral("%1: %2").arg(name, r.message), r.ok);              \
        updateActions();                                                          \
    }

SE_UI_OP(startWorker, m.start(id))
SE_UI_OP(stopWorker, m.stop(id))
SE_UI_OP(restartWorker, m.restart(id))
SE_UI_OP(enableWorker, m.setEnabled(id, true, kDashboard))
SE_UI_OP(disableWorker, m.setEnabled(id, false, kDashboard))
SE_UI_OP(resetWatchdogCount, m.resetWatchdogEventCount(id))
#undef SE_UI_OP

void MainWindow::removeWorker()
{
    const QString id = selectedWorker();
    if (id.isEmpty())
        return;
    WorkerManager &m = m_engine.workers();
    const QString name = nameOf(m, id);
    const auto answer = QMessageBox::question(
        this, QStringLiteral("Remove worker"),
        QStringLiteral("Remove “%1”?\n\nIt is stopped and deleted, with its change log and watchdog events. "
                       "Connected StreamHubs see it go.").arg(name),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return;
    const Result<> r = m.remove(id);
    report(QStringLiteral("%1: %2").arg(name, r.message), r.ok);
    updateActions();
}

void MainWindow::restoreVersion(const QString &workerId, int version)
{
    WorkerManager &m = m_engine.workers();
    if (!m.worker(workerId))
        return;
    const QString name = nameOf(m, workerId);
    const auto answer = QMessageBox::question(
        this, QStringLiteral("Restore version"),
        QStringLiteral("Make version %1 of “%2” its configuration again?\n\nIt becomes a new version; a changed command "
                       "restarts the worker. Connected StreamHubs see an ordinary edit.").arg(version).arg(name),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return;
    const Result<> r = m.rollback(workerId, version, kDashboard);
    report(QStringLiteral("%1: %2").arg(name, r.message), r.ok);
    updateActions();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_closing) { // a second close: the operator insists
        event->accept();
        return;
    }
    // The window stays until the engine has stopped its workers; the
    // program exits then (Engine::finished).
    m_closing = true;
    event->ignore();
    updateTitle();
    report(QStringLiteral("Stopping every worker…"), true);
    setEnabled(false);
    Q_EMIT closeRequested();
}

} // namespace se::ui
