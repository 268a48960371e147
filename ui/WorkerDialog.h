#pragma once

#include "common/Result.h"
#include "core/worker/WorkerConfig.h"

#include <QDialog>
#include <QMap>

#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace se::ui {

// Create or edit a worker. Checks what it can before sending (a name, a
// command, a known streamer type, watchdog times), then hands the
// configuration to `submit` — the same WorkerManager operation a hub uses —
// and stays open with the manager's answer when it refuses.
class WorkerDialog : public QDialog {
    Q_OBJECT
public:
    using Submit = std::function<Result<QString>(const WorkerConfig &config, bool startNow)>; // the worker's id

    // `types`: streamer type → its description. `existing`: edit this worker.
    WorkerDialog(const QMap<QString, QString> &types, std::optional<WorkerConfig> existing, Submit submit,
                 QWidget *parent = nullptr);

    WorkerConfig config() const;
    bool startNow() const;
    // The worker's automatic rollback: a setting of its own, not part of the
    // configuration (nor of what a hub sends); the caller applies it.
    void setAutoRollback(bool on);
    bool autoRollback() const;
    // What is wrong with the form; empty when it can be sent.
    QString validationError() const;
    Result<QString> lastResult() const { return m_lastResult; }

public Q_SLOTS:
    void accept() override;

private:
    void revalidate();

    QMap<QString, QString> m_types;
    std::optional<WorkerConfig> m_existing;
    Submit m_submit;
    Result<QString> m_lastResult;

    QLineEdit *m_name;
    QLineEdit *m_description;
    QComboBox *m_type;
    QLabel *m_typeHelp;
    QPlainTextEdit *m_command;
    QCheckBox *m_enabled;
    QCheckBox *m_startNow = nullptr;
    QCheckBox *m_watchdog;
    QCheckBox *m_autoRollback;
    QDoubleSpinBox *m_grace;
    QDoubleSpinBox *m_interval;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace se::ui
