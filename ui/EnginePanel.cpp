#include "EnginePanel.h"

#include "core/engine/Engine.h"
#include "MetricsChart.h"
#include "WorkerDetail.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace se::ui {

EnginePanel::EnginePanel(Engine &engine, MetricsSampler &sampler, QWidget *parent)
    : QWidget(parent), m_engine(engine), m_sampler(sampler), m_directory(engine.hubs())
{
    setObjectName(QStringLiteral("enginePanel"));

    // Identity
    m_name = new QLineEdit;
    m_name->setObjectName(QStringLiteral("engineName"));
    m_description = new QLineEdit;
    m_description->setObjectName(QStringLiteral("engineDescription"));
    m_save = new QPushButton(QStringLiteral("Save"));
    m_save->setObjectName(QStringLiteral("engineSave"));
    m_facts = new QLabel;
    m_facts->setObjectName(QStringLiteral("engineFacts"));
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts->setWordWrap(true);
    m_system = new QLabel;
    m_system->setObjectName(QStringLiteral("systemInfo"));
    m_system->setWordWrap(true);
    auto *identity = new QGroupBox(QStringLiteral("Engine"));
    auto *form = new QFormLayout(identity);
    form->addRow(QStringLiteral("Name"), m_name);
    auto *descRow = new QHBoxLayout;
    descRow->addWidget(m_description, 1);
    descRow->addWidget(m_save);
    form->addRow(QStringLiteral("Description"), descRow);
    form->addRow(m_facts);
    form->addRow(m_system);
    connect(m_save, &QPushButton::clicked, this, &EnginePanel::save);
    connect(m_name, &QLineEdit::returnPressed, this, &EnginePanel::save);
    connect(m_description, &QLineEdit::returnPressed, this, &EnginePanel::save);
    connect(&engine, &Engine::identityChanged, this, &EnginePanel::reloadIdentity);

    // Load
    m_chart = new MetricsChart;
    m_chart->setSpanSeconds(300);
    m_chart->setHistory(sampler.history());
    auto *load = new QGroupBox(QStringLiteral("Machine load"));
    auto *loadLayout = new QVBoxLayout(load);
    loadLayout->addWidget(m_chart);
    connect(&sampler, &MetricsSampler::sampled, m_chart, &MetricsChart::append);
    connect(&sampler, &MetricsSampler::sampled, this, [this] { reloadSystem(); });

    // Hubs
    m_hubs = new QTreeWidget;
    m_hubs->setObjectName(QStringLiteral("hubList"));
    m_hubs->setHeaderLabels({QStringLiteral("StreamHub"), QStringLiteral("State"), QStringLiteral("Queue"), QStringLiteral("Why")});
    m_hubs->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_hubs->header()->setStretchLastSection(true);
    m_hubs->setRootIsDecorated(false);
    m_hubs->setMinimumHeight(70);
    m_hubs->setMaximumHeight(150);
    m_noLink = new QLabel(QStringLiteral("This build has no StreamHub link: hubs cannot be shown or added here."));
    m_noLink->setObjectName(QStringLiteral("noHubLink"));
    m_noLink->setWordWrap(true);
    m_hubUrl = new QLineEdit;
    m_hubUrl->setObjectName(QStringLiteral("hubUrl"));
    m_hubUrl->setPlaceholderText(QStringLiteral("http://host:9000/streamhub"));
    m_hubKey = new QLineEdit;
    m_hubKey->setObjectName(QStringLiteral("hubKey"));
    m_hubKey->setPlaceholderText(QStringLiteral("API key (optional)"));
    m_hubKey->setEchoMode(QLineEdit::Password);
    m_addHub = new QPushButton(QStringLiteral("Add"));
    m_addHub->setObjectName(QStringLiteral("hubAdd"));
    m_removeHub = new QPushButton(QStringLiteral("Remove"));
    m_removeHub->setObjectName(QStringLiteral("hubRemove"));
    auto *hubs = new QGroupBox(QStringLiteral("StreamHubs"));
    auto *hubLayout = new QVBoxLayout(hubs);
    hubLayout->addWidget(m_noLink);
    hubLayout->addWidget(m_hubs);
    auto *hubRow = new QHBoxLayout;
    hubRow->addWidget(m_hubUrl, 3);
    hubRow->addWidget(m_hubKey, 2);
    hubRow->addWidget(m_addHub);
    hubRow->addWidget(m_removeHub);
    hubLayout->addLayout(hubRow);
    connect(m_addHub, &QPushButton::clicked, this, &EnginePanel::addHub);
    connect(m_hubUrl, &QLineEdit::returnPressed, this, &EnginePanel::addHub);
    connect(m_removeHub, &QPushButton::clicked, this, &EnginePanel::removeHub);
    // The hub links may come (or go) after the panel: follow the engine's.
    auto follow = [this] {
        if (m_directory)
            m_directory->disconnect(this);
        m_directory = m_engine.hubs();
        if (m_directory)
            connect(m_directory, &HubDirectory::hubsChanged, this, &EnginePanel::reloadHubs);
        reloadHubs();
    };
    connect(&engine, &Engine::hubDirectoryChanged, this, follow);
    if (m_directory)
        connect(m_directory, &HubDirectory::hubsChanged, this, &EnginePanel::reloadHubs);

    // Engine log
    m_log = makeLogView(QStringLiteral("engineLog"), 2000);
    setLogLines(m_log, engine.log().last(500));
    connect(&engine.log(), &EngineLog::lineAppended, this, [this](const LogEntry &e) { appendLogLine(m_log, e); });
    auto *logBox = new QGroupBox(QStringLiteral("Engine log"));
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->addWidget(m_log);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(identity);
    layout->addWidget(load);
    layout->addWidget(hubs);
    layout->addWidget(logBox, 1);

    reloadIdentity();
    reloadSystem();
    reloadHubs();
}

void EnginePanel::reloadIdentity()
{
    const EngineIdentity id = m_engine.identity();
    if (!m_name->hasFocus() || m_name->text().isEmpty())
        m_name->setText(id.name);
    if (!m_description->hasFocus())
        m_description->setText(id.description);
    m_facts->setText(QStringLiteral("id %1 · version %2 · started %3 · installed %4 · data in %5")
                         .arg(id.id.toString(QUuid::WithoutBraces), Engine::programVersion(),
                              m_engine.startDate().toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                              id.installDate.toLocalTime().toString(QStringLiteral("yyyy-MM-dd")), m_engine.dataDir()));
}

void EnginePanel::reloadSystem()
{
    const EngineSystemInfo s = m_sampler.systemInfo();
    const qint64 up = qint64(s.uptime);
    m_system->setText(QStringLiteral("%1 %2 · %3 · %4 · up %5 d %6 h %7 min · %8 processes")
                          .arg(s.osName, s.osVersion, s.architecture, s.platform)
                          .arg(up / 86400)
                          .arg((up % 86400) / 3600)
                          .arg((up % 3600) / 60)
                          .arg(s.processCount));
}

void EnginePanel::reloadHubs()
{
    m_hubs->clear();
    const bool have = m_directory;
    m_hubUrl->setEnabled(have);
    m_hubKey->setEnabled(have);
    m_addHub->setEnabled(have);
    m_removeHub->setEnabled(have);
    m_noLink->setVisible(!have);
    m_hubs->setVisible(have);
    if (!have)
        return;
    for (const HubDirectory::Hub &h : m_directory->hubs()) {
        const QString since = h.since.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
        const QString queue = h.dropped > 0 ? QStringLiteral("%1, %2 dropped").arg(h.queued).arg(h.dropped) : QString::number(h.queued);
        auto *item = new QTreeWidgetItem(QStringList{h.url, QStringLiteral("%1 since %2").arg(HubDirectory::linkStateName(h.state), since), queue, h.lastError});
        const QString tip = QStringLiteral("%1\n%2 since %3\n%4 messages queued, %5 dropped%6")
                                .arg(h.url, HubDirectory::linkStateName(h.state), since)
                                .arg(h.queued)
                                .arg(h.dropped)
                                .arg(h.lastError.isEmpty() ? QString() : QStringLiteral("\n") + h.lastError);
        for (int c = 0; c < 4; ++c)
            item->setToolTip(c, tip);
        const QColor c = h.state == HubDirectory::LinkState::Connected ? QColor(0x2e, 0xa0, 0x4a)
            : (h.state == HubDirectory::LinkState::Connecting || h.state == HubDirectory::LinkState::Registering) ? QColor(0xc0, 0x85, 0x10)
                                                                                                   : QColor(0xd9, 0x34, 0x34);
        item->setForeground(1, c);
        m_hubs->addTopLevelItem(item);
    }
}

void EnginePanel::save()
{
    const Result<> r = m_engine.setNameAndDescription(m_name->text(), m_description->text());
    Q_EMIT message(r.ok ? QStringLiteral("Engine: %1").arg(r.message) : QStringLiteral("Engine not renamed: %1").arg(r.message), r.ok);
    reloadIdentity();
}

void EnginePanel::addHub()
{
    if (!m_directory)
        return;
    const QString url = m_hubUrl->text().trimmed();
    if (url.isEmpty()) {
        Q_EMIT message(QStringLiteral("Type the hub's URL first."), false);
        return;
    }
    const Result<> r = m_directory->addHub(url, m_hubKey->text());
    Q_EMIT message(r.ok ? QStringLiteral("Hub %1 added").arg(url) : QStringLiteral("Hub not added: %1").arg(r.message), r.ok);
    if (r.ok) {
        m_hubUrl->clear();
        m_hubKey->clear();
    }
    reloadHubs();
}

void EnginePanel::removeHub()
{
    if (!m_directory)
        return;
    QTreeWidgetItem *item = m_hubs->currentItem();
    if (!item) {
        Q_EMIT message(QStringLiteral("Select a hub to remove."), false);
        return;
    }
    const QString url = item->text(0);
    const Result<> r = m_directory->removeHub(url);
    Q_EMIT message(r.ok ? QStringLiteral("Hub %1 removed").arg(url) : QStringLiteral("Hub not removed: %1").arg(r.message), r.ok);
    reloadHubs();
}

} // namespace se::ui
