#include "WorkerDetail.h"

#include "StateStyle.h"
#include "VersionHistory.h"
#include "core/manager/WorkerManager.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTextCursor>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace se::ui {

QString formatLogLine(const LogEntry &e)
{
    return QStringLiteral("%1  %2  %3")
        .arg(e.timestamp.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")), levelLabel(int(e.level)).leftJustified(8), e.message);
}

QPlainTextEdit *makeLogView(const QString &objectName, int maxLines)
{
    auto *v = new QPlainTextEdit;
    v->setObjectName(objectName);
    v->setReadOnly(true);
    v->setMaximumBlockCount(maxLines);
    v->setLineWrapMode(QPlainTextEdit::NoWrap);
    v->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return v;
}

namespace {
// Warnings and errors stand out; debug chatter recedes.
QColor levelColour(LogLevel level, const QPalette &palette)
{
    switch (level) {
    case LogLevel::Trace:
    case LogLevel::Debug:
        return palette.color(QPalette::PlaceholderText);
    case LogLevel::Information:
        return palette.color(QPalette::Text);
    case LogLevel::Warning:
        return QColor(0xa8, 0x6a, 0x00);
    case LogLevel::Error:
    case LogLevel::Critical:
        return QColor(0xc0, 0x20, 0x20);
    }
    return palette.color(QPalette::Text);
}

void insertLine(QPlainTextEdit *view, const LogEntry &entry)
{
    QTextCharFormat format;
    format.setForeground(levelColour(entry.level, view->palette()));
    if (entry.level >= LogLevel::Error)
        format.setFontWeight(QFont::Bold);
    QTextCursor cursor(view->document());
    cursor.movePosition(QTextCursor::End);
    if (!view->document()->isEmpty())
        cursor.insertBlock();
    cursor.insertText(formatLogLine(entry), format);
}
} // namespace

void appendLogLine(QPlainTextEdit *view, const LogEntry &entry)
{
    QScrollBar *bar = view->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;
    insertLine(view, entry);
    if (atEnd)
        bar->setValue(bar->maximum());
}

void setLogLines(QPlainTextEdit *view, const QList<LogEntry> &entries)
{
    view->clear();
    for (const LogEntry &e : entries)
        insertLine(view, e);
    view->verticalScrollBar()->setValue(view->verticalScrollBar()->maximum());
}

namespace {
QTreeWidget *tree(const QStringList &headers, const QString &name)
{
    auto *t = new QTreeWidget;
    t->setObjectName(name);
    t->setHeaderLabels(headers);
    t->setRootIsDecorated(false);
    t->setUniformRowHeights(true);
    t->setAlternatingRowColors(true);
    t->header()->setStretchLastSection(true);
    return t;
}
QString stamp(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}
} // namespace

WorkerDetail::WorkerDetail(WorkerManager &manager, QWidget *parent) : QWidget(parent), m_manager(manager)
{
    setObjectName(QStringLiteral("workerDetail"));
    m_title = new QLabel;
    m_title->setObjectName(QStringLiteral("detailTitle"));
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    m_title->setFont(big);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_state = new QLabel;
    m_state->setObjectName(QStringLiteral("detailState"));
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("detailStatus"));
    m_status->setWordWrap(true);

    // Live log
    m_level = new QComboBox;
    m_level->setObjectName(QStringLiteral("levelFilter"));
    for (int l = 0; l <= 5; ++l)
        m_level->addItem(levelLabel(l) + QStringLiteral(" and above"), l);
    m_level->setCurrentIndex(m_minLevel);
    connect(m_level, &QComboBox::currentIndexChanged, this, [this](int i) { setMinimumLevel(m_level->itemData(i).toInt()); });
    m_log = makeLogView(QStringLiteral("workerLog"), 1000);
    auto *logPage = new QWidget;
    auto *logBar = new QHBoxLayout;
    logBar->addWidget(new QLabel(QStringLiteral("Show")));
    logBar->addWidget(m_level);
    logBar->addStretch();
    auto *logLayout = new QVBoxLayout(logPage);
    logLayout->setContentsMargins(4, 4, 4, 4);
    logLayout->addLayout(logBar);
    logLayout->addWidget(m_log);

    m_changes = tree({QStringLiteral("When"), QStringLiteral("Change"), QStringLiteral("Details")}, QStringLiteral("changeLog"));
    m_events = tree({QStringLiteral("When"), QStringLiteral("What"), QStringLiteral("Message")}, QStringLiteral("watchdogEvents"));
    m_events->setRootIsDecorated(true);

    m_configPage = new QWidget;
    m_configForm = new QFormLayout(m_configPage);

    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("detailTabs"));
    m_tabs->addTab(logPage, QStringLiteral("Log"));
    // Changes: the versions (with the command diff and restore), then the field-by-field change log.
    m_history = new VersionHistory(manager);
    auto *changesPage = new QSplitter(Qt::Vertical);
    changesPage->setObjectName(QStringLiteral("changesPage"));
    changesPage->addWidget(m_history);
    changesPage->addWidget(m_changes);
    changesPage->setStretchFactor(0, 3);
    changesPage->setStretchFactor(1, 1);
    m_tabs->addTab(changesPage, QStringLiteral("Changes"));
    m_tabs->addTab(m_events, QStringLiteral("Watchdog"));
    m_tabs->addTab(m_configPage, QStringLiteral("Configuration"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_state);
    layout->addWidget(m_status);
    layout->addWidget(m_tabs, 1);

    connect(&manager, &WorkerManager::workerChanged, this, &WorkerDetail::onWorkerChanged);
    connect(&manager, &WorkerManager::workerLog, this, &WorkerDetail::onLog);
    connect(&manager, &WorkerManager::watchdogEvent, this, [this](Worker *w) {
        if (w == m_worker)
            reloadEvents();
    });
    connect(&manager, &WorkerManager::workerRemoved, this, [this](const QString &id) {
        if (id == m_id)
            setWorker(QString());
    });
    setWorker(QString());
}

void WorkerDetail::setWorker(const QString &workerId)
{
    m_id = workerId;
    m_worker = m_manager.worker(workerId);
    m_shownConfig = m_worker ? m_worker->config() : WorkerConfig{};
    m_shownVersions = m_worker ? m_manager.versionState(workerId) : VersionState{};
    m_history->setWorker(m_worker ? workerId : QString());
    m_shownEventCount = m_worker ? m_worker->watchdogEventCount() : -1;
    m_tabs->setEnabled(m_worker);
    reloadHeader();
    reloadLog();
    reloadChanges();
    reloadEvents();
    reloadConfig();
}

void WorkerDetail::setMinimumLevel(int level)
{
    m_minLevel = level;
    if (m_level->currentIndex() != level)
        m_level->setCurrentIndex(level);
    reloadLog();
}

void WorkerDetail::onWorkerChanged(Worker *worker)
{
    if (worker != m_worker)
        return;
    reloadHeader();
    const VersionState versions = m_manager.versionState(worker->id());
    const bool versionsChanged = versions.current != m_shownVersions.current || versions.lastGood != m_shownVersions.lastGood
        || versions.autoRollback != m_shownVersions.autoRollback;
    if (!(worker->config() == m_shownConfig) || versionsChanged) {
        m_shownConfig = worker->config();
        m_shownVersions = versions;
        reloadChanges();
        reloadConfig();
        m_history->reload();
    }
    if (worker->watchdogEventCount() != m_shownEventCount) {
        m_shownEventCount = worker->watchdogEventCount();
        reloadEvents();
    }
}

void WorkerDetail::onLog(Worker *worker, const LogEntry &entry)
{
    if (worker != m_worker || int(entry.level) < m_minLevel)
        return;
    appendLogLine(m_log, entry);
}

void WorkerDetail::reloadHeader()
{
    if (!m_worker) {
        m_title->setText(QStringLiteral("No worker selected"));
        m_state->clear();
        m_status->setText(QStringLiteral("Click a tile on the wall."));
        return;
    }
    const Worker &w = *m_worker;
    m_title->setText(w.config().name.isEmpty() ? w.id() : w.config().name);
    const QColor c = colourOf(lookOf(w));
    const VersionState v = m_manager.versionState(w.id());
    m_state->setText(QStringLiteral("<b style='color:%1'>&#9679; %2</b>%3 &nbsp; watchdog events: %4 &nbsp; version %5 (last good: %6)")
                         .arg(c.name(), lookLabel(w.state(), w.isOnHold(), !w.lastError().isEmpty()),
                              w.config().enabled ? QString() : QStringLiteral(" (disabled)"))
                         .arg(w.watchdogEventCount())
                         .arg(v.current)
                         .arg(v.lastGood > 0 ? QStringLiteral("version %1").arg(v.lastGood) : QStringLiteral("none yet")));
    QString status = w.statusText().toHtmlEscaped();
    if (!w.lastError().isEmpty() && !w.statusText().contains(w.lastError()))
        status += QStringLiteral("<br><span style='color:#c02020'>last error: %1</span>").arg(w.lastError().toHtmlEscaped());
    m_status->setText(status);
}

void WorkerDetail::reloadLog()
{
    QList<LogEntry> shown;
    if (m_worker)
        for (const LogEntry &e : m_worker->log().last(1000))
            if (int(e.level) >= m_minLevel)
                shown << e;
    setLogLines(m_log, shown);
}

void WorkerDetail::reloadChanges()
{
    m_changes->clear();
    if (m_id.isEmpty())
        return;
    const QList<ChangeLogEntry> log = m_manager.changeLog(m_id);
    QList<QTreeWidgetItem *> items;
    for (auto it = log.crbegin(); it != log.crend(); ++it) // newest first
        items << new QTreeWidgetItem(QStringList{stamp(it->timestamp), it->description, it->details});
    m_changes->addTopLevelItems(items);
    m_changes->resizeColumnToContents(0);
    m_changes->resizeColumnToContents(1);
}

void WorkerDetail::reloadEvents()
{
    m_events->clear();
    if (m_id.isEmpty())
        return;
    const QList<WatchdogEvent> events = m_manager.watchdogEvents(m_id);
    QList<QTreeWidgetItem *> items;
    for (const WatchdogEvent &e : events) {
        auto *item = new QTreeWidgetItem(QStringList{stamp(e.timestamp), causeName(e.cause), e.message});
        item->setToolTip(2, e.message);
        item->setForeground(1, colourOf(e.cause == WatchdogEvent::Cause::Hold ? Look::Trouble : Look::Starting).darker(110));
        for (const LogEntry &l : e.logs)
            new QTreeWidgetItem(item, QStringList{l.timestamp.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")),
                                                  levelLabel(int(l.level)), l.message});
        items << item;
    }
    m_events->addTopLevelItems(items);
    m_events->resizeColumnToContents(0);
    m_events->resizeColumnToContents(1);
    m_events->setHeaderLabels({QStringLiteral("When"), QStringLiteral("What"),
                               QStringLiteral("Message (%1 events; expand one for its log lines)").arg(events.size())});
}

void WorkerDetail::reloadConfig()
{
    while (m_configForm->rowCount() > 0)
        m_configForm->removeRow(0);
    if (!m_worker)
        return;
    const WorkerConfig &c = m_worker->config();
    const auto row = [this](const QString &label, const QString &value) {
        auto *v = new QLabel(value);
        v->setTextInteractionFlags(Qt::TextSelectableByMouse);
        v->setWordWrap(true);
        v->setObjectName(QStringLiteral("config:") + label);
        m_configForm->addRow(label, v);
    };
    const auto secs = [](Millis ms) { return QStringLiteral("%1 s").arg(double(ms.count()) / 1000.0); };
    row(QStringLiteral("Id"), c.id);
    row(QStringLiteral("Name"), c.name);
    row(QStringLiteral("Description"), c.description);
    row(QStringLiteral("Streamer"), c.streamerType);
    row(QStringLiteral("Command"), c.command);
    row(QStringLiteral("Enabled"), c.enabled ? QStringLiteral("yes") : QStringLiteral("no"));
    row(QStringLiteral("Picture watchdog"), c.imageWatchdog.enabled
            ? QStringLiteral("on: grace %1, interval %2").arg(secs(c.imageWatchdog.graceTime), secs(c.imageWatchdog.interval))
            : QStringLiteral("off"));
}

} // namespace se::ui
