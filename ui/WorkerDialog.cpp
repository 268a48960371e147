#include "WorkerDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace se::ui {

namespace {
QDoubleSpinBox *secondsBox(double min, double max, const QString &name)
{
    auto *b = new QDoubleSpinBox;
    b->setObjectName(name);
    b->setRange(min, max);
    b->setDecimals(1);
    b->setSingleStep(0.5);
    b->setSuffix(QStringLiteral(" s"));
    return b;
}
} // namespace

WorkerDialog::WorkerDialog(const QMap<QString, QString> &types, std::optional<WorkerConfig> existing, Submit submit, QWidget *parent)
    : QDialog(parent), m_types(types), m_existing(std::move(existing)), m_submit(std::move(submit))
{
    setObjectName(QStringLiteral("workerDialog"));
    setWindowTitle(m_existing ? QStringLiteral("Edit worker %1").arg(m_existing->name) : QStringLiteral("New worker"));
    setMinimumWidth(520);

    m_name = new QLineEdit;
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_description = new QLineEdit;
    m_description->setObjectName(QStringLiteral("descriptionEdit"));
    m_type = new QComboBox;
    m_type->setObjectName(QStringLiteral("typeCombo"));
    m_type->addItems(types.keys());
    m_typeHelp = new QLabel;
    m_typeHelp->setWordWrap(true);
    m_typeHelp->setForegroundRole(QPalette::PlaceholderText);
    m_command = new QPlainTextEdit;
    m_command->setObjectName(QStringLiteral("commandEdit"));
    m_command->setTabChangesFocus(true);
    m_command->setFixedHeight(m_command->fontMetrics().height() * 4 + 12);
    m_command->setPlaceholderText(QStringLiteral("e.g. fps=5 size=320x180  (FakeStreamer), or gst-launch-1.0 arguments (GstStreamer)"));
    m_enabled = new QCheckBox(QStringLiteral("Enabled (started at engine start)"));
    m_enabled->setObjectName(QStringLiteral("enabledCheck"));
    m_watchdog = new QCheckBox(QStringLiteral("Restart when no picture arrives"));
    m_watchdog->setObjectName(QStringLiteral("watchdogCheck"));
    m_autoRollback = new QCheckBox(QStringLiteral("Roll back by itself when an edit never runs"));
    m_autoRollback->setObjectName(QStringLiteral("autoRollbackCheck"));
    m_autoRollback->setToolTip(QStringLiteral("After an edit, if the worker never runs within its grace time and a few restarts, "
                                              "the engine restores its last good version"));
    m_grace = secondsBox(0, 3600, QStringLiteral("graceSpin"));
    m_grace->setToolTip(QStringLiteral("No check for this long after a start"));
    m_interval = secondsBox(0, 3600, QStringLiteral("intervalSpin"));
    m_interval->setToolTip(QStringLiteral("Restart after this long without a new picture (at least 1 s)"));
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    QPalette red = m_error->palette();
    red.setColor(QPalette::WindowText, QColor(0xc0, 0x20, 0x20));
    m_error->setPalette(red);

    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("&Name"), m_name);
    form->addRow(QStringLiteral("&Description"), m_description);
    form->addRow(QStringLiteral("&Streamer"), m_type);
    form->addRow(QString(), m_typeHelp);
    form->addRow(QStringLiteral("&Command"), m_command);
    form->addRow(QString(), m_enabled);
    if (!m_existing) {
        m_startNow = new QCheckBox(QStringLiteral("Start it now"));
        m_startNow->setObjectName(QStringLiteral("startNowCheck"));
        m_startNow->setChecked(true);
        form->addRow(QString(), m_startNow);
    }
    form->addRow(QStringLiteral("Picture watchdog"), m_watchdog);
    form->addRow(QStringLiteral("&Grace time"), m_grace);
    form->addRow(QStringLiteral("&Interval"), m_interval);
    form->addRow(QStringLiteral("Versions"), m_autoRollback);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(m_existing ? QStringLiteral("Save") : QStringLiteral("Create"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &WorkerDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &WorkerDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    const WorkerConfig c = m_existing.value_or(WorkerConfig{});
    m_name->setText(c.name);
    m_description->setText(c.description);
    m_command->setPlainText(c.command);
    m_enabled->setChecked(c.enabled);
    m_watchdog->setChecked(c.imageWatchdog.enabled);
    m_grace->setValue(double(c.imageWatchdog.graceTime.count()) / 1000.0);
    m_interval->setValue(double(c.imageWatchdog.interval.count()) / 1000.0);
    if (m_existing) {
        if (m_type->findText(c.streamerType) < 0)
            m_type->addItem(c.streamerType); // a type whose plugin is missing: shown, refused by validation
        m_type->setCurrentText(c.streamerType);
    } else if (m_type->findText(QStringLiteral("GstStreamer")) >= 0) {
        m_type->setCurrentText(QStringLiteral("GstStreamer"));
    }

    connect(m_name, &QLineEdit::textChanged, this, &WorkerDialog::revalidate);
    connect(m_command, &QPlainTextEdit::textChanged, this, &WorkerDialog::revalidate);
    connect(m_type, &QComboBox::currentTextChanged, this, &WorkerDialog::revalidate);
    connect(m_watchdog, &QCheckBox::toggled, this, &WorkerDialog::revalidate);
    connect(m_grace, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_interval, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    revalidate();
}

WorkerConfig WorkerDialog::config() const
{
    WorkerConfig c = m_existing.value_or(WorkerConfig{});
    c.name = m_name->text().trimmed();
    c.description = m_description->text().trimmed();
    c.command = m_command->toPlainText().simplified(); // one line, as on the wire
    c.streamerType = m_type->currentText();
    c.enabled = m_enabled->isChecked();
    c.imageWatchdog.enabled = m_watchdog->isChecked();
    c.imageWatchdog.graceTime = Millis(std::llround(m_grace->value() * 1000.0));
    c.imageWatchdog.interval = Millis(std::llround(m_interval->value() * 1000.0));
    return c;
}

void WorkerDialog::setAutoRollback(bool on)
{
    m_autoRollback->setChecked(on);
}

bool WorkerDialog::autoRollback() const
{
    return m_autoRollback->isChecked();
}

bool WorkerDialog::startNow() const
{
    return m_startNow && m_startNow->isChecked();
}

QString WorkerDialog::validationError() const
{
    const WorkerConfig c = config();
    if (c.name.isEmpty())
        return QStringLiteral("Give the worker a name.");
    if (c.streamerType.isEmpty() || !m_types.contains(c.streamerType))
        return m_types.isEmpty() ? QStringLiteral("This engine has no streamer plugin.")
                                 : QStringLiteral("Choose a streamer type this engine has.");
    if (c.command.isEmpty())
        return QStringLiteral("The command is empty.");
    if (const QString refused = textAndTimeRefusal(c); !refused.isEmpty()) {
        QString sentence = refused + QLatin1Char('.');
        sentence[0] = sentence[0].toUpper();
        return sentence;
    }
    return {};
}

void WorkerDialog::revalidate()
{
    m_typeHelp->setText(m_types.value(m_type->currentText()));
    m_grace->setEnabled(m_watchdog->isChecked());
    m_interval->setEnabled(m_watchdog->isChecked());
    const QString why = validationError();
    m_error->setText(why);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
}

void WorkerDialog::accept()
{
    const QString why = validationError();
    if (!why.isEmpty()) {
        m_error->setText(why);
        return;
    }
    m_lastResult = m_submit(config(), startNow());
    if (!m_lastResult.ok) {
        m_error->setText(m_lastResult.message);
        return;
    }
    QDialog::accept();
}

} // namespace se::ui
