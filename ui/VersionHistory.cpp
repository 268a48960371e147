#include "VersionHistory.h"

#include "CommandDiff.h"
#include "StateStyle.h"
#include "core/manager/WorkerManager.h"

#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTextEdit>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace se::ui {

namespace {
QTextEdit *commandView(const QString &name)
{
    auto *v = new QTextEdit;
    v->setObjectName(name);
    v->setReadOnly(true);
    v->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    v->setLineWrapMode(QTextEdit::WidgetWidth);
    return v;
}

QString statusOf(const WorkerVersion &v, int current)
{
    QStringList s;
    if (v.number == current)
        s << QStringLiteral("runs now");
    if (v.isGood())
        s << QStringLiteral("good");
    if (v.bad)
        s << QStringLiteral("bad: never ran");
    return s.join(QStringLiteral(", "));
}
} // namespace

VersionHistory::VersionHistory(WorkerManager &manager, QWidget *parent) : QWidget(parent), m_manager(manager)
{
    setObjectName(QStringLiteral("versionHistory"));
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("versionSummary"));
    m_summary->setWordWrap(true);

    m_list = new QTreeWidget;
    m_list->setObjectName(QStringLiteral("versionList"));
    m_list->setHeaderLabels({QStringLiteral("Version"), QStringLiteral("When"), QStringLiteral("By"), QStringLiteral("Changed"),
                             QStringLiteral("Status")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->header()->setStretchLastSection(true);

    m_restore = new QPushButton(QStringLiteral("Restore this version"));
    m_restore->setObjectName(QStringLiteral("restoreVersion"));
    m_restore->setToolTip(QStringLiteral("Make the selected version's whole configuration the current one, as a new version; "
                                         "checked like an edit, and seen by the hubs as one"));
    connect(m_restore, &QPushButton::clicked, this, [this] {
        if (const int n = selectedVersion(); n > 0 && !m_id.isEmpty())
            Q_EMIT restoreRequested(m_id, n);
    });

    m_oldTitle = new QLabel;
    m_newTitle = new QLabel;
    m_old = commandView(QStringLiteral("oldCommand"));
    m_new = commandView(QStringLiteral("newCommand"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_summary, 1);
    bar->addWidget(m_restore);
    auto *diff = new QGridLayout;
    diff->addWidget(m_oldTitle, 0, 0);
    diff->addWidget(m_newTitle, 0, 1);
    diff->addWidget(m_old, 1, 0);
    diff->addWidget(m_new, 1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_list, 3);
    layout->addLayout(diff, 2);

    connect(m_list, &QTreeWidget::currentItemChanged, this, &VersionHistory::showSelected);
    setWorker(QString());
}

void VersionHistory::setWorker(const QString &workerId)
{
    m_id = workerId;
    reload();
}

void VersionHistory::reload()
{
    const int keep = selectedVersion();
    const Result<QList<WorkerVersion>> read = m_id.isEmpty() ? Result<QList<WorkerVersion>>::success({}) : m_manager.versions(m_id);
    m_versions = read.value;
    m_state = m_id.isEmpty() ? VersionState{} : m_manager.versionState(m_id);
    m_summary->setText(m_id.isEmpty() ? QString()
                       : !read.ok ? QStringLiteral("The versions cannot be read: %1").arg(read.message.toHtmlEscaped())
                           : QStringLiteral("Runs <b>version %1</b> &nbsp;·&nbsp; last good: <b>%2</b> &nbsp;·&nbsp; automatic rollback: %3")
                                 .arg(m_state.current)
                                 .arg(m_state.lastGood > 0 ? QStringLiteral("version %1").arg(m_state.lastGood) : QStringLiteral("none yet"),
                                      m_state.autoRollback ? QStringLiteral("on") : QStringLiteral("off")));
    const QSignalBlocker quiet(m_list);
    m_list->clear();
    QList<QTreeWidgetItem *> items;
    for (auto it = m_versions.crbegin(); it != m_versions.crend(); ++it) {
        auto *item = new QTreeWidgetItem(QStringList{QStringLiteral("v%1").arg(it->number),
                                                     it->timestamp.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                                                     it->actor, it->changes, statusOf(*it, m_state.current)});
        item->setData(0, Qt::UserRole, it->number);
        item->setToolTip(2, it->actor);
        if (it->number == m_state.current) {
            QFont bold = item->font(0);
            bold.setBold(true);
            for (int c = 0; c < 5; ++c)
                item->setFont(c, bold);
        }
        if (it->bad)
            item->setForeground(4, colourOf(Look::Trouble).darker(110));
        else if (it->isGood())
            item->setForeground(4, colourOf(Look::Running).darker(130));
        items << item;
    }
    m_list->addTopLevelItems(items);
    for (int c = 0; c < 4; ++c)
        m_list->resizeColumnToContents(c);
    selectVersion(keep > 0 && find(keep) ? keep : m_state.current);
    showSelected();
}

const WorkerVersion *VersionHistory::find(int number) const
{
    for (const WorkerVersion &v : m_versions)
        if (v.number == number)
            return &v;
    return nullptr;
}

void VersionHistory::selectVersion(int number)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->data(0, Qt::UserRole).toInt() == number)
            m_list->setCurrentItem(m_list->topLevelItem(i));
}

int VersionHistory::selectedVersion() const
{
    const QTreeWidgetItem *item = m_list->currentItem();
    return item ? item->data(0, Qt::UserRole).toInt() : 0;
}

void VersionHistory::showSelected()
{
    const WorkerVersion *v = find(selectedVersion());
    const WorkerVersion *current = find(m_state.current);
    if (!v) {
        m_old->clear();
        m_new->clear();
        m_oldTitle->clear();
        m_newTitle->clear();
        m_restore->setEnabled(false);
        return;
    }
    // What this version did to the command: the version before it (when kept) against it.
    const WorkerVersion *before = find(v->number - 1);
    const QList<DiffPiece> pieces = diffWords(before ? before->config.command : QString(), v->config.command);
    m_oldTitle->setText(before ? QStringLiteral("Command in version %1").arg(before->number)
                               : QStringLiteral("Before version %1 (not kept, or none)").arg(v->number));
    m_newTitle->setText(QStringLiteral("Command in version %1").arg(v->number));
    m_old->setHtml(diffSideHtml(pieces, true));
    m_new->setHtml(diffSideHtml(pieces, false));
    const bool same = current && current->config == v->config;
    m_restore->setEnabled(v->number != m_state.current && !same);
    m_restore->setText(QStringLiteral("Restore this version (v%1)").arg(v->number));
}

} // namespace se::ui
