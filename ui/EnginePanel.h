#pragma once

#include "core/hub/HubDirectory.h"
#include "core/metrics/MetricsSampler.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace se {
class Engine;
class HubDirectory;
}

namespace se::ui {

class MetricsChart;

// The engine itself: its name and description (editable), the machine, the
// StreamHubs with their connection state (add, remove), CPU/memory/network
// of the last minutes, and the engine log.
class EnginePanel : public QWidget {
    Q_OBJECT
public:
    EnginePanel(Engine &engine, MetricsSampler &sampler, QWidget *parent = nullptr);

    MetricsChart *chart() const { return m_chart; }
    QTreeWidget *hubView() const { return m_hubs; }
    QPlainTextEdit *logView() const { return m_log; }

Q_SIGNALS:
    void message(const QString &text, bool ok);

private:
    void reloadIdentity();
    void reloadSystem();
    void reloadHubs();
    void save();
    void addHub();
    void removeHub();

    Engine &m_engine;
    MetricsSampler &m_sampler;
    QPointer<HubDirectory> m_directory;

    QLineEdit *m_name;
    QLineEdit *m_description;
    QPushButton *m_save;
    QLabel *m_facts;
    QLabel *m_system;
    MetricsChart *m_chart;
    QTreeWidget *m_hubs;
    QLineEdit *m_hubUrl;
    QLineEdit *m_hubKey;
    QPushButton *m_addHub;
    QPushButton *m_removeHub;
    QLabel *m_noLink;
    QPlainTextEdit *m_log;
};

} // namespace se::ui
